package session

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/puddle/v2"

	"github.com/pgactor/pgactor/actor"
	"github.com/pgactor/pgactor/futures"
	"github.com/pgactor/pgactor/wire"
	"github.com/pgactor/pgactor/wire/codec"
)

// target is where commands go: a Session, a Tx, an acquired Conn, one
// connection on behalf of an owner (direct), or the Pool. pick chooses the
// connection for one command and says on whose behalf it is sent; the
// connection's actor decides whether it may run.
type target interface {
	pick(ctx context.Context) (picked, error)
}

// sendTo queues cmd on a connection t picks, or fails cmd. The connection
// is stored in *dst (when dst is not nil) before the actor can call back.
func sendTo(ctx context.Context, t target, cmd *actor.Command, dst **conn) {
	p, err := t.pick(ctx)
	if err != nil {
		cmd.Fail(err)
		return
	}
	if dst != nil {
		*dst = p.c
	}
	deliver(ctx, t, p, cmd)
}

// deliver queues cmd on the connection p that t picked, on behalf of p's
// owner; a pool connection counts it.
func deliver(ctx context.Context, t target, p picked, cmd *actor.Command) {
	cmd.Owner, cmd.OwnerErr = p.owner, p.ownerErr
	cmd.Autocommit = multiplexed(t)
	if p.res != nil {
		// Taken from puddle because every connection was held: nobody else
		// can pin it before the command is queued, so it need not bounce.
		cmd.Reroute = false
	}
	p.c.a.Do(ctx, cmd)
	if st := p.c.stats; st != nil {
		st.commands.Add(1)
	}
	if p.res != nil {
		p.res.Release()
	}
}

// picked is a connection chosen for one command, the owner the command is
// sent for, and a pool connection to give back once the command is queued.
type picked struct {
	c        *conn
	owner    actor.Token
	ownerErr error                   // what a command of a dead owner gets
	res      *puddle.Resource[*conn] // a pool connection taken because all were held
}

// rerouted reports whether a failed command of t may be sent again: a
// multiplexed pool command that provably had no effect.
func rerouted(t target, ctx context.Context, err error, attempts int32) bool {
	p, ok := t.(*Pool)
	if !ok || attempts >= maxAttempts || ctx.Err() != nil || !SafeToRetry(err) {
		return false
	}
	p.stats.rerouted.Add(1)
	return true
}

// multiplexed reports whether t routes each command anew (the Pool).
func multiplexed(t target) bool {
	_, pool := t.(*Pool)
	return pool
}

// A multiplexed command is sent at most maxAttempts times. The first
// bounceAttempts may bounce off a connection someone pinned meanwhile
// (Reroute); later ones wait there for the holder instead.
const (
	maxAttempts    = 6
	bounceAttempts = 3
)

// conn is one connection with what sessions need next to its actor.
type conn struct {
	a     *actor.Actor
	notes notes

	tzMu   sync.Mutex
	tzName string
	tzLoc  *time.Location

	// Pool bookkeeping.
	retiring atomic.Bool // the pool is closing it: route nothing new here
	// letGo: its holder (a Tx or an acquired Conn) gave it back to the
	// pool, and its actor is letting go of the pin (a routing hint).
	letGo    atomic.Bool
	expires  time.Time // MaxConnLifetime plus jitter; zero: never
	created  time.Time
	stats    *poolStats   // the pool's counters; nil for a Session's connection
	closeWhy atomic.Int32 // a closeReason, set before the pool destroys it
}

// location returns the session TimeZone as a *time.Location, cached.
func (c *conn) location() *time.Location {
	name := c.a.ServerParameter("TimeZone")
	c.tzMu.Lock()
	defer c.tzMu.Unlock()
	if name != c.tzName || c.tzLoc == nil {
		c.tzName = name
		loc, err := time.LoadLocation(name)
		if err != nil {
			loc = time.UTC
		}
		c.tzLoc = loc
	}
	return c.tzLoc
}

// common holds what every entry point shares.
type common struct {
	reg        *codec.Registry // an overlay of the user's: see typeload.go
	types      *typeCache      // nil: no loading (a side connection's own session)
	ignoreUnk  bool
	trace      tracers
	logger     *slog.Logger
	logQueries bool
	// onUnobserved is Options.OnUnobservedError (unobserved.go).
	onUnobserved func(ctx context.Context, sql string, err error)
}

func (x *common) options(c *conn) codec.Options {
	o := codec.Options{IgnoreUnknownTypes: x.ignoreUnk}
	if c != nil {
		o.Location = c.location()
	}
	return o
}

// prepareArgs rewrites :name parameters when args is a single Named value
// or Struct. A Named key the statement never uses is an error (a typo, or
// pgx's @name, must not run a statement with a parameter left out).
func prepareArgs(sql string, args []any) (string, []any, error) {
	if len(args) == 1 {
		switch a := args[0].(type) {
		case Named:
			return codec.NamedRewriter{Strict: true}.Rewrite(sql, map[string]any(a))
		case structArgs:
			return codec.RewriteNamed(sql, a.v)
		}
	}
	return sql, args, nil
}

// query runs sql on t and returns a future of its rows.
func (x *common) query(ctx context.Context, t target, kind actor.Kind, sql string, args []any) *futures.Future[*Rows] {
	sql, args, err := prepareArgs(sql, args)
	if err != nil {
		f := futures.Resolved[*Rows](nil, err)
		if watched(t) {
			watchFailure(x, ctx, f, firstWords(sql, 3), err, nil)
		}
		return f
	}
	q := getQuery()
	q.init(x, t, ctx, kind, sql, args)
	out := &queryOut{}
	out.fut.SetRelease(releaseRows)
	q.out, q.fut = out, &out.fut
	// Should the connection watch ctx from Send, Await(ctx) need not (a
	// query sent again is watched by retry).
	q.cmd.WatchedAtSend = out.fut.WatchedContext(ctx.Done())
	q.dispatch()
	return &out.fut
}

// queryOut is what the caller of Query holds: the future and the rows it
// gives. The query itself (its command above all) is recycled once the
// rows ended, when the actor reports the command Reusable (Rows.detach).
type queryOut struct {
	fut  futures.Future[*Rows]
	rows Rows
}

// queryRow runs sql on t for a Row. Nobody but the Row sees the query's
// future and rows, so once Scan has read them the query's memory is
// recycled (when the actor reports the command Reusable).
func (x *common) queryRow(ctx context.Context, t target, sql string, args []any) *Row {
	sql, args, err := prepareArgs(sql, args)
	if err != nil {
		return &Row{fut: futures.Resolved[*Rows](nil, err), ctx: ctx}
	}
	q := getQuery()
	q.init(x, t, ctx, actor.CmdQuery, sql, args)
	r := &Row{fut: q.fut, ctx: ctx, q: q}
	q.dispatch()
	return r
}

func (q *pendingQuery) init(x *common, t target, ctx context.Context, kind actor.Kind, sql string, args []any) {
	q.x, q.t, q.ctx, q.sql, q.args = x, t, ctx, sql, args
	q.fut = &q.own
	q.own.SetRelease(releaseRows)
	q.cmd.Kind, q.cmd.SQL, q.cmd.Args = kind, sql, args
}

// queryPool keeps the memory of QueryRow's and Query's queries for the
// next ones.
var queryPool = sync.Pool{New: func() any { return new(pendingQuery) }}

// getQuery returns a query of queryPool. It goes back there once both its
// caller (Row.Scan, or the end of the rows) and the actor (Released) let
// go of it: see letGo.
func getQuery() *pendingQuery {
	q := queryPool.Get().(*pendingQuery)
	q.holders.Store(2)
	return q
}

// letGo is called once by the caller's side and once by the actor's
// (Released) when they are done with q; the last one recycles it. A query
// not taken from queryPool has no holders to count down, and stays the
// garbage collector's.
func (q *pendingQuery) letGo() {
	if q.holders.Add(-1) == 0 {
		q.recycle()
	}
}

// Released implements actor.Releaser: the actor's side of letGo.
func (q *pendingQuery) Released(*actor.Command) { q.letGo() }

// recycle gives q back to queryPool if nothing can reach it any more: it
// was sent once (a re-routed query's future lives in the first attempt),
// its rows were taken, and the actor is done with its command. Otherwise
// the garbage collector takes it.
func (q *pendingQuery) recycle() {
	if q.attempts != 1 || q.rerouted || !q.cmd.Reusable() {
		return
	}
	if q.fut != &q.own && (q.out == nil || q.fut != &q.out.fut) {
		return
	}
	idx, plans := q.rows.idx, q.rows.plans[:0]
	q.x, q.t, q.ctx, q.sql, q.args, q.fut, q.out = nil, nil, nil, "", nil, nil, nil
	q.attempts, q.start, q.c, q.rerouted, q.whole = 0, 0, nil, false, false
	q.endTag, q.endErr = CommandTag{}, nil
	q.tctx, q.traced, q.batch, q.stopWatch = nil, false, nil, nil
	q.cmd.Reset()
	q.own = futures.Future[*Rows]{}
	q.rows = Rows{idx: idx, plans: plans}
	queryPool.Put(q)
}

// releaseRows takes over the rows of a query whose caller gave up waiting
// for them (see futures.Future.SetRelease): nobody will read or close them,
// so they must not hold up the connection.
func releaseRows(r *Rows) { r.abandon() }

// pendingQuery is one Query until its rows future is resolved; it can be
// dispatched again when a connection died before sending it. The command,
// the future and the rows live in it, so a query costs one allocation
// here.
type pendingQuery struct {
	x        *common
	t        target
	ctx      context.Context
	sql      string
	args     []any
	fut      *futures.Future[*Rows] // the caller's: own, or the first attempt's
	start    time.Duration          // monoNow() when first sent, for tracing
	c        *conn
	attempts int32
	rerouted bool         // sent again as another pendingQuery, which resolves fut
	holders  atomic.Int32 // see letGo
	// stopWatch stops the watch of ctx that a query sent again keeps for
	// its caller (retry).
	stopWatch func() bool
	whole     bool // described without a stream: Done resolves fut
	// The outcome of a query whose rows came on a stream, recorded by Done
	// before the stream ends (Rows.completion reads it after the end).
	endTag CommandTag
	endErr error

	// Tracing: traced while a QueryTracer's end is owed, with the context
	// its start returned; batch when the query is a traced batch's command.
	tctx   context.Context
	traced bool
	batch  *pendingBatch

	cmd  actor.Command
	own  futures.Future[*Rows]
	rows Rows
	// out, when set, holds the caller's future and rows instead of own and
	// rows (Query: see queryOut).
	out *queryOut
}

func (q *pendingQuery) dispatch() {
	q.attempts++
	q.cmd.WantRows = true // a stream only if the result outgrows a batch
	q.cmd.Observer = q
	q.cmd.Reroute = multiplexed(q.t) && q.attempts <= bounceAttempts
	if q.attempts == 1 {
		q.traceStart()
	}
	sendTo(q.ctx, q.t, &q.cmd, &q.c)
}

// retry sends the query again as a fresh command (the old one is spent).
// Its caller may be waiting without watching the context (Row.scan), so
// until the new command is answered, the end of the context answers the
// caller here.
func (q *pendingQuery) retry() {
	n := &pendingQuery{x: q.x, t: q.t, ctx: q.ctx, sql: q.sql, args: q.args, fut: q.fut, attempts: q.attempts, start: q.start, tctx: q.tctx, traced: q.traced}
	n.cmd = actor.Command{Kind: q.cmd.Kind, SQL: q.sql, Args: q.args, Params: q.cmd.Params, Stmt: q.cmd.Stmt}
	if q.stopWatch != nil {
		q.stopWatch() // q was itself sent again: n watches from now on
	}
	ctx, fut := q.ctx, q.fut
	n.stopWatch = context.AfterFunc(ctx, func() {
		fut.Resolve(nil, wrapCtx(ctx, fmt.Errorf("%w: %w", actor.ErrCanceled, context.Cause(ctx))))
	})
	n.dispatch()
}

// resolve hands the caller r, or err; rows nobody will get (the context's
// end answered the caller first, see retry) are let go.
func (q *pendingQuery) resolve(r *Rows, err error) {
	if q.stopWatch != nil {
		q.stopWatch()
	}
	if !q.fut.Resolve(r, err) && r != nil {
		r.abandon()
	}
}

// Described implements actor.Observer: the rows begin, or the query failed.
func (q *pendingQuery) Described(_ *actor.Command, rd *wire.RowDescription, err error) {
	if err != nil {
		if rerouted(q.t, q.ctx, err, q.attempts) {
			q.rerouted = true
			go q.retry() // not on the connection's goroutine
			return
		}
		if oid, ok := q.x.unknownParamType(err); ok {
			if retriesAfterLoad(q.t) && q.attempts < maxAttempts {
				q.rerouted = true
				go q.loadThen(oid, err) // the lookup must not run on the connection's goroutine
				return
			}
			q.x.types.start([]uint32{oid}) // for the next attempt
		}
		err = noteTxFailure(q.t, &q.cmd, err)
		werr := wrapCtx(q.ctx, err)
		q.c.countCancel(err)
		q.traceEnd(CommandTag{}, werr)
		q.resolve(nil, werr)
		if watched(q.t) {
			watchFailure(q.x, q.ctx, q.fut, firstWords(q.sql, 3), werr, nil)
		}
		return
	}
	r := &q.rows
	if q.out != nil {
		r = &q.out.rows
	}
	idx, plans := r.idx, r.plans // buffers of a recycled query
	*r = Rows{ctx: q.ctx, cmd: &q.cmd, a: q.c.a, stream: q.cmd.Rows, cols: rd, reg: q.x.reg, types: q.x.types, opts: q.x.options(q.c), idx: idx, plans: plans, q: q}
	if q.cmd.Rows == nil {
		// No stream: the whole result is here, and the command's outcome
		// follows at once (Done). The rows go out with it, so that the
		// caller is woken once, not once for each.
		q.whole = true
		return
	}
	q.resolve(r, nil)
}

// loadThen looks up the parameter type oid that the arguments could not
// be encoded for, then sends the query again; if the lookup fails, the
// caller gets err.
func (q *pendingQuery) loadThen(oid uint32, err error) {
	if q.x.types.resolve(q.ctx, []uint32{oid}) == nil {
		q.retry()
		return
	}
	werr := wrapCtx(q.ctx, err)
	q.traceEnd(CommandTag{}, werr)
	q.resolve(nil, werr)
}

// Done implements actor.Observer, the one place the query's outcome
// arrives: it goes out with the rows of a small result, or is recorded for
// the Rows of a stream to read at its end (which ends the query's trace);
// a batch's tracer hears of it here.
func (q *pendingQuery) Done(_ *actor.Command, comp actor.Completion, err error) {
	if q.batch != nil {
		q.batch.batchItem(q.sql, q.args, tagOf(comp), wrapCtx(q.ctx, err))
	}
	q.endTag, q.endErr = tagOf(comp), err
	if q.whole {
		q.whole = false
		r := &q.rows
		if q.out != nil {
			r = &q.out.rows
		}
		// What Next would take from the completion, taken now.
		r.batch, r.i, r.tail = comp.Batch, 0, true
		r.tag, r.compErr, r.compSet = tagOf(comp), err, true
		q.resolve(r, nil)
	}
}

// exec runs sql on t and returns a future of its command tag; rows are
// discarded.
func (x *common) exec(ctx context.Context, t target, sql string, args []any) *futures.Future[CommandTag] {
	e := x.newExec(ctx, t, sql, args)
	f := e.fut // e may be recycled as soon as it was sent
	if e.bad == nil {
		// As in query: an exec sent again is watched by retry.
		e.cmd.WatchedAtSend = f.WatchedContext(ctx.Done())
	}
	e.dispatch()
	return f
}

// newExec prepares an exec of sql on t without sending it yet; a bad
// argument gives an exec that fails when dispatched.
func (x *common) newExec(ctx context.Context, t target, sql string, args []any) *pendingExec {
	sql, args, err := prepareArgs(sql, args)
	if err != nil {
		e := &pendingExec{x: x, t: t, ctx: ctx, sql: sql, bad: err}
		e.fut = &e.own
		return e
	}
	kind := actor.CmdQuery
	if len(args) == 0 {
		// No parameters: the simple protocol runs it in one message and
		// allows several statements, as users of database/sql expect.
		kind = actor.CmdSimple
	}
	e := getExec()
	e.x, e.t, e.ctx, e.sql, e.args = x, t, ctx, sql, args
	e.cmd.Kind, e.cmd.SQL, e.cmd.Args = kind, sql, args
	return e
}

// execPinned sends sql (no arguments) on t, taking the connection for pin
// as the actor admits it.
func (x *common) execPinned(ctx context.Context, t target, sql string, pin actor.Token) *futures.Future[CommandTag] {
	e := x.newExec(ctx, t, sql, nil)
	e.cmd.Pin = pin
	f := e.fut
	e.dispatch()
	return f
}

type pendingExec struct {
	x        *common
	t        target
	ctx      context.Context
	sql      string
	args     []any
	fut      *futures.Future[CommandTag]
	attempts int32
	start    time.Duration // monoNow() when first sent, for tracing
	c        *conn         // where it was sent

	// Tracing, as in pendingQuery.
	tctx   context.Context
	traced bool
	batch  *pendingBatch

	bad error // the arguments could not be prepared
	// stopWatch stops the watch of ctx that an exec sent again keeps for
	// its caller (retry).
	stopWatch func() bool

	// pooled: taken from execPool, with a future of its own, and given
	// back once the actor is done with it (Released, or for a batch's
	// command the batch's Released). handedOff: a goroutine took the exec
	// over (retry, loadThen), so it is not given back.
	pooled    bool
	item      bool // a batch's command
	handedOff bool

	cmd actor.Command
	own futures.Future[CommandTag] // the future of an exec not pooled
}

// execPool keeps the memory of Exec's commands for the next ones: the
// caller holds only the future, so the rest can be used again as soon as
// the actor is done with it.
var execPool = sync.Pool{New: func() any { return new(pendingExec) }}

// getExec returns an exec of execPool with a new future.
func getExec() *pendingExec {
	e := execPool.Get().(*pendingExec)
	e.pooled = true
	e.fut = new(futures.Future[CommandTag])
	return e
}

// Released implements actor.Releaser: an exec sent on its own goes back to
// execPool (a batch's goes with its batch).
func (e *pendingExec) Released(*actor.Command) {
	if !e.item {
		e.recycle()
	}
}

// recycle gives e back to execPool if it came from there, nobody took it
// over, and the actor is done with its command.
func (e *pendingExec) recycle() {
	if !e.pooled || e.handedOff || !e.cmd.Reusable() {
		return
	}
	e.x, e.t, e.ctx, e.sql, e.args, e.fut = nil, nil, nil, "", nil, nil
	e.attempts, e.start, e.c = 0, 0, nil
	e.tctx, e.traced, e.batch, e.bad, e.stopWatch = nil, false, nil, nil, nil
	e.pooled, e.item, e.handedOff = false, false, false
	e.cmd.Reset()
	execPool.Put(e)
}

func (e *pendingExec) dispatch() {
	if e.bad != nil {
		e.fut.Resolve(CommandTag{}, e.bad)
		if watched(e.t) {
			watchFailure(e.x, e.ctx, e.fut, firstWords(e.sql, 3), e.bad, nil)
		}
		return
	}
	e.attempts++
	e.cmd.Observer = e
	e.cmd.Reroute = multiplexed(e.t) && e.attempts <= bounceAttempts
	if e.attempts == 1 {
		e.traceStart()
	}
	sendTo(e.ctx, e.t, &e.cmd, &e.c)
}

func (e *pendingExec) retry() {
	n := &pendingExec{x: e.x, t: e.t, ctx: e.ctx, sql: e.sql, args: e.args, fut: e.fut, attempts: e.attempts, start: e.start, tctx: e.tctx, traced: e.traced}
	n.cmd = actor.Command{Kind: e.cmd.Kind, SQL: e.sql, Args: e.args, Params: e.cmd.Params, Stmt: e.cmd.Stmt}
	if e.stopWatch != nil {
		e.stopWatch() // e was itself sent again: n watches from now on
	}
	// The caller may wait for the future alone (WatchedContext): until the
	// connection watches the context again, this does.
	ctx, fut := e.ctx, e.fut
	n.stopWatch = context.AfterFunc(ctx, func() {
		fut.Resolve(CommandTag{}, wrapCtx(ctx, fmt.Errorf("%w: %w", actor.ErrCanceled, context.Cause(ctx))))
	})
	n.dispatch()
}

// resolve hands the caller the outcome, ending retry's watch.
func (e *pendingExec) resolve(tag CommandTag, err error) {
	if e.stopWatch != nil {
		e.stopWatch()
	}
	e.fut.Resolve(tag, err)
}

// Described implements actor.Observer.
func (e *pendingExec) Described(*actor.Command, *wire.RowDescription, error) {}

// Done implements actor.Observer.
func (e *pendingExec) Done(_ *actor.Command, comp actor.Completion, err error) {
	if err != nil && rerouted(e.t, e.ctx, err, e.attempts) {
		e.handedOff = true
		go e.retry()
		return
	}
	if oid, ok := e.x.unknownParamType(err); ok {
		if retriesAfterLoad(e.t) && e.attempts < maxAttempts {
			e.handedOff = true
			go e.loadThen(oid, comp, err) // not on the connection's goroutine
			return
		}
		e.x.types.start([]uint32{oid}) // for the next attempt
	}
	if !e.cmd.Unpin {
		err = noteTxFailure(e.t, &e.cmd, err)
	}
	tag, werr := tagOf(comp), wrapCtx(e.ctx, err)
	e.c.countCancel(err)
	e.traceEnd(tag, werr)
	if e.batch != nil {
		e.batch.batchItem(e.sql, e.args, tag, werr)
	}
	e.resolve(tag, werr)
	if werr != nil && watched(e.t) {
		watchFailure(e.x, e.ctx, e.fut, firstWords(e.sql, 3), werr, nil)
	}
}

// loadThen is pendingQuery.loadThen for an exec.
func (e *pendingExec) loadThen(oid uint32, comp actor.Completion, err error) {
	if e.x.types.resolve(e.ctx, []uint32{oid}) == nil {
		e.retry()
		return
	}
	tag, werr := tagOf(comp), wrapCtx(e.ctx, err)
	e.traceEnd(tag, werr)
	e.resolve(tag, werr)
}
