package session

import (
	"context"
	"errors"
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

	mu   sync.Mutex
	done bool
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
		tx.finishWith(ctx, "ROLLBACK")
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
		child.unpin(ctx, "")
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

// Commit commits (or releases the savepoint). A COMMIT answered with
// ROLLBACK returns ErrTxCommitRollback; a connection lost after COMMIT was
// sent, or ctx ending before the answer, returns ErrCommitOutcomeUnknown.
// After the parent of a savepoint ended, the savepoint's Commit returns
// ErrTxClosed.
func (tx *Tx) Commit(ctx context.Context) error {
	if !tx.finish() {
		return ErrTxClosed
	}
	if tx.parent != nil {
		_, err := tx.unpin(ctx, "RELEASE SAVEPOINT "+tx.savepoint()).Await(ctx)
		return wrapCtx(ctx, err)
	}
	tag, err := tx.finishWith(ctx, "COMMIT")
	if err != nil {
		if errors.Is(err, ErrTxClosed) {
			return err
		}
		if ctx.Err() != nil || (errors.Is(err, actor.ErrClosed) && !SafeToRetry(err)) {
			return errors.Join(ErrCommitOutcomeUnknown, err)
		}
		return err
	}
	if tag.String() == "ROLLBACK" {
		return ErrTxCommitRollback
	}
	return nil
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
		_, err := tx.unpin(ctx, "ROLLBACK TO SAVEPOINT "+sp+"; RELEASE SAVEPOINT "+sp).Await(ctx)
		return wrapCtx(ctx, err)
	}
	_, err := tx.finishWith(ctx, "ROLLBACK")
	return err
}

// unpin sends sql (nothing when empty) as the last command of tx's token.
// It is sent even if ctx has ended: a transaction or savepoint must not be
// left open on a shared connection.
func (tx *Tx) unpin(ctx context.Context, sql string) *futures.Future[CommandTag] {
	t := direct{c: tx.c, owner: tx.tok, ownerErr: ErrTxClosed}
	if sql == "" {
		cmd := &actor.Command{Kind: actor.CmdUnpin, Unpin: true}
		sendTo(context.WithoutCancel(ctx), t, cmd, nil)
		return futures.Resolved(CommandTag{}, nil)
	}
	e := tx.x.newExec(context.WithoutCancel(ctx), t, sql, nil)
	e.cmd.Unpin = true
	e.dispatch()
	return e.fut
}

// finishWith sends COMMIT or ROLLBACK, ending the token's hold. The
// connection is given back (to a pool) only once the server answered.
func (tx *Tx) finishWith(ctx context.Context, sql string) (CommandTag, error) {
	f := tx.unpin(ctx, sql)
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
