package session

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"

	"github.com/pgactor/pgactor/actor"
	"github.com/pgactor/pgactor/futures"
)

// TxOptions configure BEGIN.
type TxOptions struct {
	// IsoLevel is "serializable", "repeatable read", "read committed" or
	// "read uncommitted"; empty uses the server's default.
	IsoLevel   string
	ReadOnly   bool
	Deferrable bool
}

func (o TxOptions) sql() (string, error) {
	var b strings.Builder
	b.WriteString("BEGIN")
	switch strings.ToLower(o.IsoLevel) {
	case "":
	case "serializable", "repeatable read", "read committed", "read uncommitted":
		b.WriteString(" ISOLATION LEVEL ")
		b.WriteString(strings.ToUpper(o.IsoLevel))
	default:
		return "", errors.New("pgactor: unknown isolation level " + strconv.Quote(o.IsoLevel))
	}
	if o.ReadOnly {
		b.WriteString(" READ ONLY")
	}
	if o.Deferrable {
		b.WriteString(" DEFERRABLE")
	}
	return b.String(), nil
}

// Tx is a transaction on one connection. Its methods may be called from
// several goroutines; their commands are pipelined inside the transaction.
// Nested Begin makes a savepoint.
//
// A Tx holds its connection through a token its actor knows: commands of
// the Tx carry it, and once Commit or Rollback is taken by the actor (or the
// parent of a savepoint ends) the token is dead, so a late command of the Tx
// is refused with ErrTxClosed without anything being written.
type Tx struct {
	x       *common
	c       *conn
	parent  *Tx
	depth   int
	tok     actor.Token
	release func() // gives a pool connection back once the end was answered

	mu      sync.Mutex
	done    bool
	failure error // the first error of one of the transaction's own commands
}

// noteFailure records err, from one of tx's commands, if it is the first.
func (tx *Tx) noteFailure(err error) {
	if err == nil || errors.Is(err, ErrTxClosed) {
		return
	}
	tx.mu.Lock()
	if tx.failure == nil {
		tx.failure = err
	}
	tx.mu.Unlock()
}

func (tx *Tx) firstFailure() error {
	tx.mu.Lock()
	defer tx.mu.Unlock()
	return tx.failure
}

// noteTxFailure tells the transaction t (when t is one) that one of its
// commands failed.
func noteTxFailure(t target, err error) {
	if tx, ok := t.(*Tx); ok && err != nil {
		tx.noteFailure(err)
	}
}

// begin sends BEGIN on c, pinning it for a new token; owner is the token
// of an acquired connection the transaction nests in (0 for none). On
// failure the pin is undone behind the BEGIN, whatever became of it.
func begin(ctx context.Context, x *common, c *conn, owner actor.Token, opts TxOptions, release func()) (*Tx, error) {
	sql, err := opts.sql()
	if err != nil {
		if release != nil {
			release()
		}
		return nil, err
	}
	tx := &Tx{x: x, c: c, tok: actor.NewToken(), release: release}
	f := x.execPinned(ctx, direct{c: c, owner: owner, ownerErr: ErrTxClosed}, sql, tx.tok)
	if _, err := f.Await(ctx); err != nil {
		// BEGIN may still run (its caller was answered early) or may have
		// been dropped unsent; a ROLLBACK behind it undoes either.
		tx.finish()
		tx.finishWith(ctx, "ROLLBACK", "")
		return nil, wrapCtx(ctx, err)
	}
	return tx, nil
}

func (tx *Tx) pick(context.Context) (picked, error) {
	tx.mu.Lock()
	done := tx.done
	tx.mu.Unlock()
	if done {
		return picked{}, ErrTxClosed
	}
	return picked{c: tx.c, owner: tx.tok, ownerErr: ErrTxClosed}, nil
}

// Query is Session.Query inside the transaction.
func (tx *Tx) Query(ctx context.Context, sql string, args ...any) *futures.Future[*Rows] {
	return tx.x.query(ctx, tx, actor.CmdQuery, sql, args)
}

// QueryRow is Session.QueryRow inside the transaction.
func (tx *Tx) QueryRow(ctx context.Context, sql string, args ...any) *Row {
	return tx.x.queryRow(ctx, tx, sql, args)
}

// Exec is Session.Exec inside the transaction: it returns at once, so a
// burst of Exec calls is one round trip, awaited together.
func (tx *Tx) Exec(ctx context.Context, sql string, args ...any) *futures.Future[CommandTag] {
	return tx.x.exec(ctx, tx, sql, args)
}

// Begin starts a nested transaction: a savepoint. It ends when it is
// committed (RELEASE SAVEPOINT) or rolled back, or when its parent ends;
// its commands are refused with ErrTxClosed after that.
func (tx *Tx) Begin(ctx context.Context) (*Tx, error) {
	if _, err := tx.pick(ctx); err != nil {
		return nil, err
	}
	child := &Tx{x: tx.x, c: tx.c, parent: tx, depth: tx.depth + 1, tok: actor.NewToken()}
	f := tx.x.execPinned(ctx, direct{c: tx.c, owner: tx.tok, ownerErr: ErrTxClosed}, "SAVEPOINT "+child.savepoint(), child.tok)
	if _, err := f.Await(ctx); err != nil {
		// Give the savepoint's token up behind the SAVEPOINT, whatever
		// became of it; the parent goes on.
		child.finish()
		child.unpin(ctx, "", "")
		return nil, wrapCtx(ctx, err)
	}
	return child, nil
}

func (tx *Tx) savepoint() string { return "pgactor_sp_" + strconv.Itoa(tx.depth) }

func (tx *Tx) finish() bool {
	tx.mu.Lock()
	defer tx.mu.Unlock()
	if tx.done {
		return false
	}
	tx.done = true
	return true
}

// Commit commits (or releases the savepoint). It may be called while the
// transaction's commands are still in flight: COMMIT queues behind them.
// If one of them failed, Commit reports the first failure: the server
// rolled back (ErrTxCommitRollback, joined with that failure), or, for a
// command that failed without the server seeing it fail (its context
// ended, its arguments could not be encoded), the actor sent ROLLBACK in
// place of COMMIT. A connection lost after COMMIT was sent, or ctx ending
// before the answer, returns ErrCommitOutcomeUnknown. After the parent of a
// savepoint ended, the savepoint's Commit returns ErrTxClosed.
func (tx *Tx) Commit(ctx context.Context) error {
	if !tx.finish() {
		return ErrTxClosed
	}
	if tx.parent != nil {
		sp := tx.savepoint()
		_, err := tx.unpin(ctx, "RELEASE SAVEPOINT "+sp, "ROLLBACK TO SAVEPOINT "+sp+"; RELEASE SAVEPOINT "+sp).Await(ctx)
		if err == nil && tx.firstFailure() != nil {
			err = ErrTxCommitRollback // the actor rolled back to the savepoint instead
		}
		return tx.withFailure(wrapCtx(ctx, err))
	}
	tag, err := tx.finishWith(ctx, "COMMIT", "ROLLBACK")
	if err != nil {
		if errors.Is(err, ErrTxClosed) {
			return err
		}
		if ctx.Err() != nil || (errors.Is(err, actor.ErrClosed) && !SafeToRetry(err)) {
			return errors.Join(ErrCommitOutcomeUnknown, err)
		}
		return tx.withFailure(err)
	}
	if tag.String() == "ROLLBACK" {
		return tx.withFailure(ErrTxCommitRollback)
	}
	if f := tx.firstFailure(); f != nil {
		// COMMIT was on the wire before the failure was known: a command
		// whose caller gave up after it was sent. It may have run.
		return fmt.Errorf("pgactor: COMMIT succeeded, but a command of the transaction reported a failure after it was sent (it may have run and been committed): %w", f)
	}
	return nil
}

// withFailure joins err with the first failure among tx's commands.
func (tx *Tx) withFailure(err error) error {
	if err == nil {
		return nil
	}
	if f := tx.firstFailure(); f != nil && f != err {
		return errors.Join(err, f)
	}
	return err
}

// Rollback rolls back (or to the savepoint, which it then releases). After
// Commit or Rollback it returns ErrTxClosed, so `defer tx.Rollback(ctx)` is
// safe.
func (tx *Tx) Rollback(ctx context.Context) error {
	if !tx.finish() {
		return ErrTxClosed
	}
	if tx.parent != nil {
		sp := tx.savepoint()
		_, err := tx.unpin(ctx, "ROLLBACK TO SAVEPOINT "+sp+"; RELEASE SAVEPOINT "+sp, "").Await(ctx)
		return wrapCtx(ctx, err)
	}
	_, err := tx.finishWith(ctx, "ROLLBACK", "")
	return err
}

// unpin sends sql (nothing when empty) as the last command of tx's token;
// rollbackSQL, when set, is sent instead if a command of the token failed
// unseen by the server (actor.Command.RollbackSQL). It is sent even if ctx
// has ended: a transaction or savepoint must not be left open on a shared
// connection.
func (tx *Tx) unpin(ctx context.Context, sql, rollbackSQL string) *futures.Future[CommandTag] {
	t := direct{c: tx.c, owner: tx.tok, ownerErr: ErrTxClosed}
	if sql == "" {
		cmd := &actor.Command{Kind: actor.CmdUnpin, Unpin: true}
		sendTo(context.WithoutCancel(ctx), t, cmd, nil)
		return futures.Resolved(CommandTag{}, nil)
	}
	e := tx.x.newExec(context.WithoutCancel(ctx), t, sql, nil)
	e.cmd.Unpin, e.cmd.RollbackSQL = true, rollbackSQL
	e.dispatch()
	return e.fut
}

// finishWith sends COMMIT or ROLLBACK, ending the token's hold. The
// connection is given back (to a pool) only once the server answered.
func (tx *Tx) finishWith(ctx context.Context, sql, rollbackSQL string) (CommandTag, error) {
	f := tx.unpin(ctx, sql, rollbackSQL)
	tag, err := f.Await(ctx)
	if _, _, ok := f.Result(); !ok {
		go func() {
			f.Await(context.Background())
			tx.end()
		}()
		return tag, err
	}
	tx.end()
	return tag, err
}

func (tx *Tx) end() {
	if tx.release != nil {
		tx.release()
	}
}

// direct sends to one connection on behalf of owner (0: nobody).
type direct struct {
	c        *conn
	owner    actor.Token
	ownerErr error
}

func (d direct) pick(context.Context) (picked, error) {
	return picked{c: d.c, owner: d.owner, ownerErr: d.ownerErr}, nil
}

// TxBeginner is what starts a transaction: a Session, a Pool or an
// acquired Conn.
type TxBeginner interface {
	Begin(ctx context.Context, opts TxOptions) (*Tx, error)
}

// BeginFunc runs fn in a transaction on db and commits it when fn returns
// nil; it rolls back when fn returns an error or panics (and the panic goes
// on). fn may fire the transaction's commands as futures without awaiting
// them: they are pipelined, COMMIT queues behind them, and a failure of any
// of them makes BeginFunc roll back and return it (see Tx.Commit). The
// error of fn, or of Commit, is returned.
func BeginFunc(ctx context.Context, db TxBeginner, opts TxOptions, fn func(*Tx) error) (err error) {
	tx, err := db.Begin(ctx, opts)
	if err != nil {
		return err
	}
	defer func() {
		if p := recover(); p != nil {
			tx.Rollback(context.WithoutCancel(ctx))
			panic(p)
		}
	}()
	if err := fn(tx); err != nil {
		tx.Rollback(context.WithoutCancel(ctx))
		return err
	}
	return tx.Commit(ctx)
}
