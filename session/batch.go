package session

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/pgactor/pgactor/actor"
	"github.com/pgactor/pgactor/futures"
	"github.com/pgactor/pgactor/wire"
)

// Batch collects commands that one caller sends together: in one round
// trip, with one Sync, so the server runs them as one implicit transaction
// (pgx's batch). Either all of their work persists or none does: when one
// fails, it gets the server's error, the ones before it an error wrapping
// ErrBatchRolledBack and the ones after it ErrBatchNotRun.
//
// Queue commands with Query, QueryRow and Exec, which return futures at
// once, then send the batch with SendBatch on a Session, Tx, Conn or Pool
// (a Pool sends the whole batch on one connection). The futures resolve
// once the whole batch was answered. A batch is sent once, and its
// arguments are read when it is sent.
//
// Pick a Batch for one unit of work from one caller: it costs the server
// one transaction and one flush for all of its commands. Pick futures
// (Query, Exec) for independent commands: each is its own implicit
// transaction, and an error touches only its own command.
type Batch struct {
	cmds []*actor.Command
	qs   []*pendingQuery
	es   []*pendingExec
	rows []*Row
	bad  error // the first command whose arguments could not be prepared
	sent bool
	// watch is set by SendBatch: a failure nobody reads is reported
	// (unobserved.go).
	watch *common

	traced bool // sent by SendBatch: a BatchTracer hears of it
}

// Errors of the commands of a failed batch, for errors.Is.
var (
	// ErrBatchNotRun answers the commands after the one that failed.
	ErrBatchNotRun = actor.ErrBatchNotRun
	// ErrBatchRolledBack answers the commands before the one that failed.
	ErrBatchRolledBack = actor.ErrBatchRolledBack
)

// Len returns the number of commands queued.
func (b *Batch) Len() int { return len(b.cmds) }

// Query queues a query; its future gives the rows.
func (b *Batch) Query(sql string, args ...any) *futures.Future[*Rows] {
	return b.query(&pendingQuery{}, sql, args).fut
}

func (b *Batch) query(q *pendingQuery, sql string, args []any) *pendingQuery {
	q.attempts = 1 // sent once, with the batch
	q.fut = &q.own
	q.own.SetRelease(releaseRows)
	q.sql, q.args = b.prepare(sql, args)
	q.cmd.Kind, q.cmd.SQL, q.cmd.Args = actor.CmdQuery, q.sql, q.args
	q.cmd.WantRows = true
	q.cmd.Observer = q
	b.cmds = append(b.cmds, &q.cmd)
	b.qs = append(b.qs, q)
	if q.x != nil {
		q.traceStart() // a transaction's command, held: traced as a query
	}
	return q
}

// QueryRow queues a query whose first row Scan reads once the batch was
// sent.
func (b *Batch) QueryRow(sql string, args ...any) *Row {
	q := b.query(getQuery(), sql, args)
	r := &Row{fut: q.fut, q: q}
	b.rows = append(b.rows, r)
	return r
}

// Exec queues a command; its future gives the command tag.
func (b *Batch) Exec(sql string, args ...any) *futures.Future[CommandTag] {
	return b.exec(getExec(), sql, args).fut
}

// exec queues e; e was taken from execPool (its future made) or is new.
func (b *Batch) exec(e *pendingExec, sql string, args []any) *pendingExec {
	if e.fut == nil {
		e.fut = &e.own
	}
	e.item = true
	e.sql, e.args = b.prepare(sql, args)
	e.cmd.Kind, e.cmd.SQL, e.cmd.Args = actor.CmdQuery, e.sql, e.args
	e.cmd.Observer = e
	e.attempts = 1 // sent once, with the batch
	b.cmds = append(b.cmds, &e.cmd)
	b.es = append(b.es, e)
	if e.x != nil {
		e.traceStart() // a transaction's command, held: traced as a query
	}
	return e
}

// unnamed runs e on the unnamed statement, not through the statement
// cache: for BEGIN and COMMIT in a transaction's batch, which would cost
// a Prepare round trip the first time and a cache entry for nothing.
func (e *pendingExec) unnamed() *pendingExec {
	e.cmd.Unnamed = true
	return e
}

// takeLive moves the commands of held (a transaction's, not sent yet) to
// b, in order. One whose context ended meanwhile is answered with that
// error, unsent, and reported to tx; a held batch whose arguments could
// not be prepared fails all its commands.
func (b *Batch) takeLive(held *Batch, tx *Tx) {
	if b.bad == nil {
		b.bad = held.bad
	}
	gone := func(c *actor.Command, ctx context.Context) {
		if ctx != nil && ctx.Err() != nil {
			err := fmt.Errorf("%w: %w", actor.ErrCanceled, context.Cause(ctx))
			tx.noteFailure(err)
			c.Fail(err)
		}
	}
	for _, q := range held.qs {
		gone(&q.cmd, q.ctx)
	}
	for _, e := range held.es {
		gone(&e.cmd, e.ctx)
	}
	for _, c := range held.cmds {
		if !c.Answered() {
			b.cmds = append(b.cmds, c)
		}
	}
	b.qs = append(b.qs, held.qs...)
	b.es = append(b.es, held.es...)
	b.rows = append(b.rows, held.rows...)
}

// live reports whether every command of b (a transaction's held batch)
// can still be sent: none was answered, none's context ended. takeLive is
// then a copy for nothing.
func (b *Batch) live() bool {
	for _, c := range b.cmds {
		if c.Answered() {
			return false
		}
	}
	for _, q := range b.qs {
		if q.ctx != nil && q.ctx.Err() != nil {
			return false
		}
	}
	for _, e := range b.es {
		if e.ctx != nil && e.ctx.Err() != nil {
			return false
		}
	}
	return true
}

// prepare rewrites named parameters, remembering the first failure: the
// whole batch fails with it when sent.
func (b *Batch) prepare(sql string, args []any) (string, []any) {
	s, a, err := prepareArgs(sql, args)
	if err != nil {
		if b.bad == nil {
			b.bad = err
		}
		return sql, args
	}
	return s, a
}

// pendingBatch is one sent batch until it is answered. The caller holds
// only its future: once the actor is done with the batch, it goes back to
// batchPool, and its pooled execs to execPool.
type pendingBatch struct {
	cmd actor.Command
	fut *futures.Future[struct{}]
	ctx context.Context
	b   *Batch
	es  []*pendingExec // b's execs when it was sent

	// With a BatchTracer: the context its start returned, and when.
	x     *common
	tctx  context.Context
	start time.Duration
}

var batchPool = sync.Pool{New: func() any { return new(pendingBatch) }}

// Described implements actor.Observer.
func (p *pendingBatch) Described(*actor.Command, *wire.RowDescription, error) {}

// Released implements actor.Releaser: the batch and its execs are used
// again, unless the actor may still look at them (the batch's context
// ended while it was on the wire).
func (p *pendingBatch) Released(c *actor.Command) {
	if !c.Reusable() {
		return
	}
	for _, e := range p.es {
		e.recycle()
	}
	p.cmd.Reset()
	p.fut, p.ctx, p.b, p.es = nil, nil, nil, nil
	p.x, p.tctx, p.start = nil, nil, 0
	batchPool.Put(p)
}

// Done implements actor.Observer.
func (p *pendingBatch) Done(_ *actor.Command, _ actor.Completion, err error) {
	err = wrapCtx(p.ctx, err)
	if p.x != nil {
		p.x.trace.batch.TraceBatchEnd(p.tctx, BatchEndData{Err: err, Duration: monoNow() - p.start})
	}
	p.fut.Resolve(struct{}{}, err)
	if x := p.b.watch; err != nil && x != nil {
		if peers, ok := batchPeers(p.b); ok {
			watchFailure(x, p.ctx, p.fut, batchHead(p.b), err, peers)
		}
	}
}

var errBatchSent = errors.New("pgactor: batch already sent")

// sendBatch sends b on a connection t picks; every command of b is
// answered there.
func (x *common) sendBatch(ctx context.Context, t target, b *Batch) *futures.Future[struct{}] {
	if b.sent {
		return futures.Resolved(struct{}{}, errBatchSent)
	}
	b.traced = true
	p, err := t.pick(ctx)
	b.watch = x
	return x.deliverBatch(ctx, t, p, err, b, nil, nil)
}

// deliverBatch sends b on the connection p; items is where its commands
// report (nil: nowhere in particular), and adjust, when set, changes the
// batch command before it is sent (a transaction's BEGIN pins, its COMMIT
// unpins).
func (x *common) deliverBatch(ctx context.Context, t target, p picked, err error, b *Batch, items target, adjust func(*actor.Command)) *futures.Future[struct{}] {
	b.sent = true
	pb := batchPool.Get().(*pendingBatch)
	fut := new(futures.Future[struct{}]) // pb may be recycled as soon as it was sent
	pb.fut, pb.ctx, pb.b, pb.es = fut, ctx, b, b.es
	pb.cmd.Kind, pb.cmd.Batch, pb.cmd.Observer = actor.CmdBatch, b.cmds, pb
	if t := x.trace.batch; t != nil && b.traced {
		pb.x, pb.start = x, monoNow()
		pb.tctx = t.TraceBatchStart(ctx, BatchStartData{Len: len(b.cmds)})
		for _, q := range b.qs {
			q.batch = pb
		}
		for _, e := range b.es {
			e.batch = pb
		}
	}
	// The commands are answered on p.c, never routed again one by one.
	if items == nil {
		items = direct{c: p.c}
	}
	for _, q := range b.qs {
		q.x, q.t, q.ctx, q.c = x, items, ctx, p.c
	}
	for _, e := range b.es {
		e.x, e.t, e.ctx, e.c = x, items, ctx, p.c
	}
	for _, r := range b.rows {
		r.ctx = ctx
	}
	switch {
	case b.bad != nil:
		err = b.bad
	case err == nil:
		if adjust != nil {
			adjust(&pb.cmd)
		}
		if st := p.c.stats; st != nil && b.traced {
			st.batches.Add(1)
		}
		deliver(ctx, t, p, &pb.cmd)
		return fut
	}
	if p.res != nil {
		p.res.Release()
	}
	pb.cmd.Fail(err)
	return fut
}

// SendBatch sends b's commands in one round trip, as one implicit
// transaction; it returns at once. The returned future resolves once the
// batch was answered, with the first error; each command's own future
// holds its result.
func (s *Session) SendBatch(ctx context.Context, b *Batch) *futures.Future[struct{}] {
	return s.sendBatch(ctx, s, b)
}

// SendBatch is Session.SendBatch inside the transaction.
func (tx *Tx) SendBatch(ctx context.Context, b *Batch) *futures.Future[struct{}] {
	return tx.x.sendBatch(ctx, tx, b)
}

// SendBatch is Session.SendBatch on the acquired connection.
func (c *Conn) SendBatch(ctx context.Context, b *Batch) *futures.Future[struct{}] {
	return c.p.sendBatch(ctx, c, b)
}

// SendBatch sends the whole batch on one multiplexed connection.
func (p *Pool) SendBatch(ctx context.Context, b *Batch) *futures.Future[struct{}] {
	return p.sendBatch(ctx, p, b)
}
