package session

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pgactor/pgactor/actor"
	"github.com/pgactor/pgactor/futures"
	"github.com/pgactor/pgactor/wire"
	"github.com/pgactor/pgactor/wire/codec"
)

// target is where commands go: a Session, a Tx, a pinned Conn or the Pool.
// pick chooses the connection for one command; the caller queues the
// command on it and then calls done (which may release a gate).
type target interface {
	pick(ctx context.Context) (c *conn, done func(), err error)
}

// sendTo queues cmd on a connection t picks, or fails cmd.
func sendTo(ctx context.Context, t target, cmd *actor.Command, picked **conn) {
	c, done, err := t.pick(ctx)
	if err != nil {
		cmd.Fail(err)
		return
	}
	*picked = c
	c.a.Do(ctx, cmd)
	if done != nil {
		done()
	}
}

// conn is one connection with what sessions need next to its actor.
type conn struct {
	a *actor.Actor

	tzMu   sync.Mutex
	tzName string
	tzLoc  *time.Location

	// Pool bookkeeping.
	pinned   atomic.Bool  // a transaction or Acquire owns it: route nothing else here
	retiring atomic.Bool  // the pool is closing it: route nothing new here
	lastUsed atomic.Int64 // unix nanoseconds of the last command routed here
	expires  time.Time    // MaxConnLifetime plus jitter; zero: never
	created  time.Time
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
	reg        *codec.Registry
	ignoreUnk  bool
	tracer     Tracer
	logger     *slog.Logger
	logQueries bool
	retryRoute bool // re-route commands that never reached a server (pools)
}

func (x *common) options(c *conn) codec.Options {
	o := codec.Options{IgnoreUnknownTypes: x.ignoreUnk}
	if c != nil {
		o.Location = c.location()
	}
	return o
}

// prepareArgs rewrites :name parameters when args is a single Named value
// or Struct, and resolves a QueryMode argument.
func prepareArgs(sql string, args []any) (string, []any, error) {
	if len(args) == 1 {
		switch a := args[0].(type) {
		case Named:
			return codec.RewriteNamed(sql, map[string]any(a))
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
		return futures.Resolved[*Rows](nil, err)
	}
	f := futures.New[*Rows]()
	q := &pendingQuery{x: x, t: t, ctx: ctx, kind: kind, sql: sql, args: args, fut: f, start: time.Now()}
	q.dispatch()
	return f
}

// pendingQuery is one Query until its rows future is resolved; it can be
// dispatched again when a connection died before sending it.
type pendingQuery struct {
	x        *common
	t        target
	ctx      context.Context
	kind     actor.Kind
	sql      string
	args     []any
	fut      *futures.Future[*Rows]
	attempts int
	start    time.Time
}

func (q *pendingQuery) dispatch() {
	q.attempts++
	cmd := &actor.Command{Kind: q.kind, SQL: q.sql, Args: q.args, Rows: actor.NewRowStream(4)}
	var c *conn
	cmd.OnDescribe = func(rd *wire.RowDescription, err error) {
		if err != nil {
			if q.x.retryRoute && SafeToRetry(err) && q.attempts < 3 && q.ctx.Err() == nil {
				go q.dispatch() // not on the dying connection's goroutine
				return
			}
			q.x.traceEnd(q.ctx, q.sql, q.start, err)
			q.fut.Resolve(nil, wrapCtx(q.ctx, err))
			return
		}
		q.x.traceEnd(q.ctx, q.sql, q.start, nil)
		q.fut.Resolve(newRows(q.ctx, cmd, rd, q.x.reg, q.x.options(c)), nil)
	}
	q.x.traceStart(q.ctx, q.sql, q.args)
	sendTo(q.ctx, q.t, cmd, &c)
}

// exec runs sql on t and returns a future of its command tag; rows are
// discarded.
func (x *common) exec(ctx context.Context, t target, sql string, args []any) *futures.Future[CommandTag] {
	sql, args, err := prepareArgs(sql, args)
	if err != nil {
		return futures.Resolved(CommandTag{}, err)
	}
	kind := actor.CmdQuery
	if len(args) == 0 {
		// No parameters: the simple protocol runs it in one message and
		// allows several statements, as users of database/sql expect.
		kind = actor.CmdSimple
	}
	f := futures.New[CommandTag]()
	e := &pendingExec{x: x, t: t, ctx: ctx, kind: kind, sql: sql, args: args, fut: f, start: time.Now()}
	e.dispatch()
	return f
}

type pendingExec struct {
	x        *common
	t        target
	ctx      context.Context
	kind     actor.Kind
	sql      string
	args     []any
	fut      *futures.Future[CommandTag]
	attempts int
	start    time.Time
}

func (e *pendingExec) dispatch() {
	e.attempts++
	cmd := &actor.Command{Kind: e.kind, SQL: e.sql, Args: e.args}
	cmd.OnDone = func(comp actor.Completion, err error) {
		if err != nil && e.x.retryRoute && SafeToRetry(err) && e.attempts < 3 && e.ctx.Err() == nil {
			go e.dispatch()
			return
		}
		e.x.traceEnd(e.ctx, e.sql, e.start, err)
		e.fut.Resolve(tagOf(comp), wrapCtx(e.ctx, err))
	}
	e.x.traceStart(e.ctx, e.sql, e.args)
	var c *conn
	sendTo(e.ctx, e.t, cmd, &c)
}
