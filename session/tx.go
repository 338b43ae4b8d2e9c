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
//
// One round trip. A top-level Tx holds its Query, QueryRow and Exec (with
// arguments) commands until someone waits for one of their results, a
// command it cannot hold is sent (Exec without arguments, which may be
// several statements; CopyFrom; a savepoint), or Commit. Then everything
// held goes out as one batch with one Sync, BEGIN in front the first time
// and COMMIT behind at the end: a transaction whose statements are fired as
// futures and committed is one write and one round trip, and its row locks
// are held for that long only. If BEGIN or a statement fails, the server
// skips the rest up to the Sync, so nothing runs outside the transaction
// and Commit reports the first failure (the transaction rolls back). A
// held command's arguments are read when the call returns, as everywhere;
// one whose context ends before the batch goes out fails unsent, and the
// transaction rolls back. A command the Tx cannot hold
// waits, the first time, for the server's answer to BEGIN. Savepoints send
// their commands at once, each with its own Sync.
//
// A transaction without options (TxOptions{}) none of whose results was
// waited for before Commit, and that holds fewer than 256 commands at any
// time, needs no BEGIN or COMMIT at all: its commands go
// out as one batch with one Sync, which the server runs as one implicit
// transaction, all or nothing (a Batch). Such a batch does not take a
// connection for itself: on a Pool it is multiplexed as any command, so
// many transactions share a few connections without waiting for each
// other. A Pool's Begin takes no connection; the transaction takes one
// (waiting for it, bounded by the context of Begin) only when it must send
// BEGIN: a result waited for before Commit, a command it cannot hold, a
// savepoint, or options. A longer transaction sends BEGIN and what it
// holds every 256 commands, so that the server works while the caller
// adds more.
type Tx struct {
	x       *common
	c       *conn
	parent  *Tx
	depth   int
	tok     actor.Token
	release func() // gives a pool connection back once the end was answered

	// A top-level transaction holds its commands (held) until one of their
	// results is waited for, a command that cannot be held is sent, or
	// Commit: then they go as one batch, one Sync, with BEGIN in front the
	// first time (beginSQL; begun is its future once sent) and COMMIT
	// behind at the end. See flush.
	owner actor.Token // the holder the transaction nests in (an acquired Conn); 0 for none
	// home is where a transaction committed in one batch goes (the Pool,
	// Session or Conn it began on). A Pool's transaction holds no
	// connection until it must (pool, ctx: see connect).
	home      target
	pool      *Pool
	ctx       context.Context
	beginSQL  string
	flushHook func(context.Context) // tx.flushOnWait, made once
	flushMu   sync.Mutex

	mu      sync.Mutex
	done    bool
	failure error // the first error of one of the transaction's own commands
	held    *Batch
	begun   *futures.Future[CommandTag]
	// BEGIN's command once sent, and its failure, which the commands it
	// kept from running report.
	beginCmd *actor.Command
	beginErr error
}

// noteFailure records err, from one of tx's commands, if it is the first.
func (tx *Tx) noteFailure(err error) {
	// Commands a failure stopped or undid report that, not a cause.
	if err == nil || errors.Is(err, ErrTxClosed) || errors.Is(err, ErrBatchNotRun) || errors.Is(err, ErrBatchRolledBack) {
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

// noteTxFailure tells the transaction t (when t is one) that its command
// cmd failed with err, and returns the error cmd reports: BEGIN's failure
// names BEGIN, and a command it kept from running says so.
func noteTxFailure(t target, cmd *actor.Command, err error) error {
	tx, ok := t.(*Tx)
	if !ok || err == nil {
		return err
	}
	tx.mu.Lock()
	beginCmd, beginErr := tx.beginCmd, tx.beginErr
	if cmd == beginCmd && beginErr == nil && !errors.Is(err, ErrBatchRolledBack) {
		beginErr = fmt.Errorf("pgactor: BEGIN: %w", err)
		tx.beginErr, err = beginErr, beginErr
	}
	tx.mu.Unlock()
	if cmd != beginCmd && beginErr != nil && errors.Is(err, ErrBatchNotRun) {
		return notRunError{beginErr}
	}
	tx.noteFailure(err)
	return err
}

// notRunError answers a command of a transaction whose BEGIN failed.
type notRunError struct{ begin error }

func (e notRunError) Error() string {
	return "pgactor: not run, the transaction did not begin: " + e.begin.Error()
}

func (e notRunError) Unwrap() []error { return []error{ErrBatchNotRun, e.begin} }

// begin starts a transaction on c for a new token; owner is the token of
// an acquired connection the transaction nests in (0 for none). Nothing is
// sent yet: BEGIN goes out with the transaction's first commands (flush).
func begin(ctx context.Context, x *common, c *conn, owner actor.Token, opts TxOptions, release func()) (*Tx, error) {
	sql, err := opts.sql()
	if err != nil {
		if release != nil {
			release()
		}
		return nil, err
	}
	tx := &Tx{x: x, c: c, tok: actor.NewToken(), release: release, owner: owner, beginSQL: sql, ctx: ctx}
	tx.flushHook = tx.flushOnWait
	return tx, nil
}

// pick is where a command of the transaction that is not held goes: the
// held ones go out first, and, the first time, it waits until the server
// said whether BEGIN worked (a command sent on its own after a failed
// BEGIN would run outside any transaction).
func (tx *Tx) pick(ctx context.Context) (picked, error) {
	tx.mu.Lock()
	done := tx.done
	tx.mu.Unlock()
	if done {
		return picked{}, ErrTxClosed
	}
	if err := tx.ready(ctx); err != nil {
		return picked{}, err
	}
	tx.mu.Lock()
	c := tx.c
	tx.mu.Unlock()
	return picked{c: c, owner: tx.tok, ownerErr: ErrTxClosed}, nil
}

// ready sends what the transaction holds and waits for BEGIN's answer.
func (tx *Tx) ready(ctx context.Context) error {
	if tx.parent != nil {
		return nil
	}
	if err := tx.flush(ctx); err != nil {
		return wrapCtx(ctx, err)
	}
	tx.mu.Lock()
	begun := tx.begun
	tx.mu.Unlock()
	if begun == nil {
		return nil
	}
	if _, err := begun.Await(ctx); err != nil && !errors.Is(err, ErrBatchRolledBack) {
		// BEGIN itself failed (ErrBatchRolledBack means it ran and a
		// later command of its batch failed: the transaction is open).
		return wrapCtx(ctx, err)
	}
	return nil
}

// What a held command is: its kind decides what hold makes of it.
type heldKind uint8

const (
	heldQuery heldKind = iota
	heldQueryRow
	heldExec
)

// heldCmd is what the caller gets of a command hold queued: the one of its
// kind is set. (An exec itself may be recycled as soon as its batch was
// answered: only its future is the caller's.)
type heldCmd struct {
	q *pendingQuery
	r *Row
	e *futures.Future[CommandTag]
}

// hold queues a command of a top-level transaction until flush: it puts it
// in the held batch under the lock, so that no flush takes the batch
// halfway, and reads its arguments there too. A command whose arguments
// cannot be encoded is taken back out and fails (the transaction then
// rolls back). hold reports false when the command must go at once
// instead.
func (tx *Tx) hold(kind heldKind, ctx context.Context, sql string, args []any) (heldCmd, bool) {
	if tx.parent != nil {
		return heldCmd{}, false
	}
	tx.mu.Lock()
	if tx.done {
		tx.mu.Unlock()
		return heldCmd{}, false // refused with ErrTxClosed by pick
	}
	b := tx.held
	if b == nil {
		// Room for a short transaction's commands in one allocation each.
		b = &Batch{cmds: make([]*actor.Command, 0, 8)}
		tx.held = b
	}
	var h heldCmd
	var cmd *actor.Command
	switch kind {
	case heldExec:
		e := getExec()
		e.x, e.t, e.ctx = tx.x, tx, ctx
		b.exec(e, sql, args)
		e.fut.SetOnWait(tx.flushHook)
		h.e, cmd = e.fut, &e.cmd
	default:
		var q *pendingQuery
		if kind == heldQueryRow {
			q = getQuery()
		} else {
			q = &pendingQuery{}
		}
		q.x, q.t, q.ctx = tx.x, tx, ctx
		h.q = b.query(q, sql, args)
		if kind == heldQueryRow {
			h.r = &Row{fut: q.fut, ctx: ctx, q: q}
			b.rows = append(b.rows, h.r)
		}
		q.own.SetOnWait(tx.flushHook)
		cmd = &q.cmd
	}
	err := tx.c.a.EncodeArgs(cmd)
	if err != nil {
		b.cmds = b.cmds[:len(b.cmds)-1]
	}
	stream := len(b.cmds) >= txStreamAt
	tx.mu.Unlock()
	if err != nil {
		// Outside the lock: the failure reaches tx through the observer.
		tx.noteFailure(err)
		cmd.Fail(err)
	}
	if stream {
		// A long transaction: send what it holds now (with BEGIN, the
		// first time), so that the server runs these commands while the
		// caller adds more, instead of all of them after Commit.
		_ = tx.flush(ctx) // a failure reaches the held commands
	}
	return h, true
}

// txStreamAt is the number of held commands at which a transaction sends
// them without waiting for Commit. Below it a transaction committed without
// waiting for a result is one batch, one round trip, and no BEGIN; above
// it, the time the server takes to run the first commands overlaps the
// time the caller takes to make the next.
const txStreamAt = 256

// flushOnWait sends the held commands when someone waits for one of them.
// A Pool's transaction may have to wait for a connection first: for as
// long as the waiter's context allows, or, for a waiter without one
// (Future.Done), the context the transaction began with.
func (tx *Tx) flushOnWait(ctx context.Context) {
	if ctx.Done() == nil {
		ctx = tx.ctx
	}
	_ = tx.flush(ctx) // a failure reaches the held commands
}

// flush sends the held commands as one batch, with BEGIN in front when it
// has not gone yet (the batch then takes the connection for the
// transaction's token). A held command whose context ended before it could
// be sent fails unsent, and the transaction then ends with ROLLBACK.
// It fails when a Pool's transaction could not get a connection; the held
// commands then fail with that error.
func (tx *Tx) flush(ctx context.Context) error {
	_, _, err := tx.send(ctx, false)
	return err
}

// flushCommit is flush ending the transaction with COMMIT behind the
// commands, or ROLLBACK when one of its commands failed unsent; then the
// connection is let go. It returns the end's future and which of the two
// it is; nil when BEGIN never went out and nothing is held.
func (tx *Tx) flushCommit(ctx context.Context) (*futures.Future[CommandTag], string, error) {
	return tx.send(ctx, true)
}

// send is flush and, with commit set, flushCommit.
func (tx *Tx) send(ctx context.Context, commit bool) (*futures.Future[CommandTag], string, error) {
	final := ""
	if commit {
		final = "COMMIT"
	}
	tx.flushMu.Lock()
	defer tx.flushMu.Unlock()
	tx.mu.Lock()
	held := tx.held
	tx.held = nil
	needBegin := tx.begun == nil && tx.beginSQL != ""
	done := tx.done
	tx.mu.Unlock()
	if !commit && done && (held == nil || len(held.cmds) == 0) {
		// Commit or Rollback took what was held: a BEGIN sent now would
		// take the connection for a transaction nobody ends.
		return nil, "", ErrTxClosed
	}
	if commit && needBegin && (held == nil || len(held.cmds) == 0) {
		return nil, "", nil // BEGIN never went out and nothing is held: nothing to end
	}
	if needBegin {
		if err := tx.connect(ctx); err != nil {
			tx.noteFailure(err)
			if held != nil {
				for _, c := range held.cmds {
					c.Fail(err)
				}
			}
			return nil, "", err
		}
	}
	out := &Batch{}
	var beginFut *futures.Future[CommandTag]
	var beginCmd *actor.Command
	if needBegin {
		e := out.exec(&pendingExec{}, tx.beginSQL, nil).unnamed()
		beginFut, beginCmd = e.fut, &e.cmd
	}
	if held != nil {
		out.takeLive(held, tx)
	}
	if commit && tx.firstFailure() != nil {
		final = "ROLLBACK" // a command failed: nothing of the transaction may commit
	}
	var finalFut *futures.Future[CommandTag]
	if final != "" {
		finalFut = out.exec(getExec(), final, nil).unnamed().fut
	}
	if len(out.cmds) == 0 {
		return nil, final, nil
	}
	tx.mu.Lock()
	p := picked{c: tx.c, owner: tx.tok, ownerErr: ErrTxClosed}
	tx.mu.Unlock()
	if needBegin {
		p.owner = tx.owner
		tx.mu.Lock()
		tx.begun, tx.beginCmd = beginFut, beginCmd
		tx.mu.Unlock()
	}
	tx.x.deliverBatch(ctx, tx, p, nil, out, tx, func(c *actor.Command) {
		if needBegin {
			c.Pin = tx.tok
		}
	})
	if final != "" {
		// Let go in a command of its own behind the batch: the actor admits
		// it in order, once the batch was written (after any Prepare the
		// batch waits for), and frees the connection at the batch's answer,
		// rolling back if the batch left the transaction open.
		sendTo(ctx, direct{c: p.c, owner: tx.tok, ownerErr: ErrTxClosed}, &actor.Command{Kind: actor.CmdUnpin, Unpin: true}, nil)
	}
	return finalFut, final, nil
}

// connect takes a connection of the pool for the transaction, the first
// time it must go out with BEGIN: until then a Pool's transaction holds
// none (its commands were encoded against one of the pool's connections,
// which any connection accepts). Without a pool it does nothing.
func (tx *Tx) connect(ctx context.Context) error {
	tx.mu.Lock()
	need := tx.pool != nil && tx.release == nil
	tx.mu.Unlock()
	if !need {
		return nil
	}
	res, tctx, err := tx.pool.acquire(ctx, "begin")
	if err != nil {
		return err
	}
	tx.mu.Lock()
	tx.c, tx.release = res.Value(), tx.pool.releaser(res, tctx)
	tx.mu.Unlock()
	return nil
}

// commitInOne commits a transaction none of whose results was waited for
// and that needs no options: its held commands go out as one batch, one
// Sync, which the server runs as one implicit transaction (all or
// nothing, as BEGIN ... COMMIT would, without those two statements). The
// batch needs no connection of its own: on a Pool it is multiplexed like
// any command, so many such transactions share a few connections. It
// reports false when the transaction cannot be committed that way.
func (tx *Tx) commitInOne(ctx context.Context) (error, bool) {
	if tx.home == nil || tx.beginSQL != "BEGIN" {
		return nil, false
	}
	tx.flushMu.Lock()
	tx.mu.Lock()
	held := tx.held
	if tx.begun != nil || held == nil || len(held.cmds) == 0 {
		tx.mu.Unlock()
		tx.flushMu.Unlock()
		return nil, false
	}
	tx.held = nil
	tx.mu.Unlock()
	out := held
	if !held.live() {
		out = &Batch{}
		out.takeLive(held, tx)
	}
	if tx.firstFailure() != nil {
		// A command failed unsent (its context ended, its arguments could
		// not be encoded): nothing of the transaction may run.
		for _, c := range out.cmds {
			c.Fail(ErrBatchNotRun)
		}
		tx.flushMu.Unlock()
		tx.end()
		return tx.withFailure(ErrTxCommitRollback), true
	}
	// Waiting for a connection (every one of a Pool's may be held) ends
	// with ctx; nothing was sent then, so nothing committed.
	pk, err := tx.home.pick(ctx)
	f := tx.x.deliverBatch(context.WithoutCancel(ctx), tx.home, pk, err, out, tx, nil)
	tx.flushMu.Unlock()
	if err != nil {
		tx.end()
		return errors.Join(ErrTxCommitRollback, wrapCtx(ctx, err)), true
	}
	_, err = f.Await(ctx)
	tx.end()
	if err != nil {
		if ctx.Err() != nil || (errors.Is(err, actor.ErrClosed) && !SafeToRetry(err)) {
			return errors.Join(ErrCommitOutcomeUnknown, err), true
		}
		return errors.Join(ErrTxCommitRollback, tx.withFailure(err)), true
	}
	if f := tx.firstFailure(); f != nil {
		return fmt.Errorf("pgactor: the transaction committed, but a command of it reported a failure after it was sent (it may have run and been committed): %w", f), true
	}
	return nil, true
}

// Query is Session.Query inside the transaction. At the top level the
// query is held until one of the transaction's results is waited for (or
// Commit), and then goes out with everything held, in one round trip.
func (tx *Tx) Query(ctx context.Context, sql string, args ...any) *futures.Future[*Rows] {
	if h, ok := tx.hold(heldQuery, ctx, sql, args); ok {
		return h.q.fut
	}
	return tx.x.query(ctx, tx, actor.CmdQuery, sql, args)
}

// SimpleQuery is Session.SimpleQuery inside the transaction: it is not
// held, but goes out at once with what was held before it.
func (tx *Tx) SimpleQuery(ctx context.Context, sql string) *futures.Future[*Rows] {
	return tx.x.query(ctx, tx, actor.CmdSimple, sql, nil)
}

// QueryRow is Session.QueryRow inside the transaction; held as Query.
func (tx *Tx) QueryRow(ctx context.Context, sql string, args ...any) *Row {
	if h, ok := tx.hold(heldQueryRow, ctx, sql, args); ok {
		return h.r
	}
	return tx.x.queryRow(ctx, tx, sql, args)
}

// Exec is Session.Exec inside the transaction: it returns at once. At the
// top level a command with arguments is held as Query; one without
// arguments (the simple protocol, which allows several statements) goes
// out at once, with what was held before it.
func (tx *Tx) Exec(ctx context.Context, sql string, args ...any) *futures.Future[CommandTag] {
	if len(args) > 0 {
		if h, ok := tx.hold(heldExec, ctx, sql, args); ok {
			return h.e
		}
	}
	return tx.x.exec(ctx, tx, sql, args)
}

// Begin starts a nested transaction: a savepoint. It ends when it is
// committed (RELEASE SAVEPOINT) or rolled back, or when its parent ends;
// its commands are refused with ErrTxClosed after that.
func (tx *Tx) Begin(ctx context.Context) (*Tx, error) {
	pk, err := tx.pick(ctx)
	if err != nil {
		return nil, err
	}

	child := &Tx{x: tx.x, c: pk.c, parent: tx, depth: tx.depth + 1, tok: actor.NewToken()}
	f := tx.x.execPinned(ctx, direct{c: pk.c, owner: tx.tok, ownerErr: ErrTxClosed}, "SAVEPOINT "+child.savepoint(), child.tok)
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
		return tx.commitSavepoint(ctx)
	}
	if err, ok := tx.commitInOne(ctx); ok {
		return err
	}
	// A Pool's transaction that has not begun takes its connection now,
	// waiting no longer than ctx (nothing was sent if that fails).
	tx.mu.Lock()
	mustBegin := tx.begun == nil && tx.held != nil && len(tx.held.cmds) > 0
	tx.mu.Unlock()
	if mustBegin {
		if err := tx.connect(ctx); err != nil {
			tx.flushMu.Lock()
			tx.mu.Lock()
			held := tx.held
			tx.held = nil
			tx.mu.Unlock()
			tx.flushMu.Unlock()
			if held != nil {
				for _, c := range held.cmds {
					c.Fail(err)
				}
			}
			tx.end()
			return errors.Join(ErrTxCommitRollback, wrapCtx(ctx, err))
		}
	}
	// What is held goes out now with COMMIT behind it (and BEGIN in front
	// when nothing went before): one batch, one round trip.
	f, final, err := tx.flushCommit(context.WithoutCancel(ctx))
	if err != nil {
		tx.end()
		return tx.withFailure(ErrTxCommitRollback)
	}
	if f == nil {
		tx.end() // BEGIN never went out: there is nothing to commit
		return tx.firstFailure()
	}
	tag, err := f.Await(ctx)
	if _, _, ok := f.Result(); !ok {
		go func() {
			f.Await(context.Background())
			tx.end()
		}()
	} else {
		tx.end()
	}
	if err != nil {
		if ctx.Err() != nil || (errors.Is(err, actor.ErrClosed) && !SafeToRetry(err)) {
			return errors.Join(ErrCommitOutcomeUnknown, err)
		}
		// COMMIT did not run (an earlier command of its batch, or BEGIN,
		// failed; the batch could not be sent), or failed itself: the
		// transaction is rolled back.
		if errors.Is(err, ErrBatchNotRun) {
			return tx.withFailure(ErrTxCommitRollback)
		}
		return errors.Join(ErrTxCommitRollback, tx.withFailure(err))
	}
	if final == "ROLLBACK" || tag.String() == "ROLLBACK" {
		return tx.withFailure(ErrTxCommitRollback)
	}
	if f := tx.firstFailure(); f != nil {
		// COMMIT was on the wire before the failure was known: a command
		// whose caller gave up after it was sent. It may have run.
		return fmt.Errorf("pgactor: COMMIT succeeded, but a command of the transaction reported a failure after it was sent (it may have run and been committed): %w", f)
	}
	return nil
}

// commitSavepoint releases the savepoint, or rolls back to it when one of
// its commands failed: a failed statement leaves the whole transaction
// aborted until then, so the parent could do nothing more.
func (tx *Tx) commitSavepoint(ctx context.Context) error {
	sp := tx.savepoint()
	undo := "ROLLBACK TO SAVEPOINT " + sp + "; RELEASE SAVEPOINT " + sp
	if tx.firstFailure() != nil {
		_, err := tx.unpin(ctx, undo, "").Await(ctx)
		if err == nil {
			err = ErrTxCommitRollback
		}
		return tx.withFailure(wrapCtx(ctx, err))
	}
	// The actor sends undo in place of RELEASE when a command of the
	// savepoint failed before the server saw it.
	_, err := tx.unpin(ctx, "RELEASE SAVEPOINT "+sp, undo).Await(ctx)
	var pe *PgError
	switch {
	case err == nil && tx.firstFailure() != nil:
		err = ErrTxCommitRollback // the actor rolled back to the savepoint instead
	case errors.As(err, &pe):
		// A statement of the savepoint failed after RELEASE went out
		// behind it, which the server then refused. Roll back to the
		// savepoint in the parent's name, so that the parent goes on.
		parent := direct{c: tx.c, owner: tx.parent.tok, ownerErr: ErrTxClosed}
		if _, uerr := tx.x.exec(context.WithoutCancel(ctx), parent, undo, nil).Await(ctx); uerr == nil {
			err = ErrTxCommitRollback
		} else {
			err = errors.Join(err, uerr)
		}
	}
	return tx.withFailure(wrapCtx(ctx, err))
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
	tx.flushMu.Lock()
	tx.mu.Lock()
	held, begun := tx.held, tx.begun
	tx.held = nil
	tx.mu.Unlock()
	tx.flushMu.Unlock()
	if held != nil {
		for _, c := range held.cmds {
			c.Fail(ErrTxClosed) // never sent
		}
	}
	if begun == nil {
		tx.end() // BEGIN never went out: there is nothing to roll back
		return nil
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
	f := e.fut
	e.dispatch()
	return f
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
