package session

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/puddle/v2"

	"github.com/pgactor/pgactor/actor"
	"github.com/pgactor/pgactor/futures"
	"github.com/pgactor/pgactor/wire/codec"
)

// PoolOptions configure a pool. Zero values take the connection string's
// pool_* settings (or their defaults).
type PoolOptions struct {
	Options

	MaxConns, MinConns    int
	MaxConnLifetime       time.Duration
	MaxConnLifetimeJitter time.Duration
	MaxConnIdleTime       time.Duration
	HealthCheckPeriod     time.Duration
	// MinIdleConns is how many idle connections (alive, unpinned, nothing
	// in flight) the health check keeps, opening more up to MaxConns;
	// 0 keeps none beyond MinConns. It needs a HealthCheckPeriod.
	MinIdleConns int

	// PrepareConn, when set, runs before Begin or Acquire hands a
	// connection to its holder. An error refuses the connection: it is
	// closed and another is tried (until ctx ends; the last refusal is
	// then returned).
	PrepareConn func(ctx context.Context, s *Session) error
	// AfterRelease, when set, runs after a holder gave a connection back
	// (Commit, Rollback, Release); false closes the connection.
	AfterRelease func(s *Session) bool
	// BeforeClose, when set, runs before the pool closes a connection,
	// whatever the reason (it may be dead already).
	BeforeClose func(s *Session)
}

// Pool is a set of connections shared by any number of goroutines.
//
// Query, Exec and QueryRow are multiplexed: each command goes to the live
// connection with the least work queued that no transaction holds, and is
// pipelined there behind whatever else that connection is doing; the
// caller holds no connection while waiting for its answer. When every
// connection is busy and there are fewer than MaxConns, the pool opens
// another. Multiplexed commands that are not awaited one after another may
// run in any order (they may be on different connections); await a command
// before sending one that depends on it, or use a transaction.
//
// Acquire pins a connection until Release, and a transaction (Begin) pins
// one from its BEGIN until Commit or Rollback (a transaction committed in
// one batch pins none: see Tx). The pin is the connection actor's own state, taken in the order commands
// reach it: a multiplexed command that reaches a pinned connection is
// handed back unsent and routed again, so it never runs inside someone
// else's transaction, and a command of a transaction or Conn that ended is
// refused unsent (ErrTxClosed, ErrConnReleased). A connection whose holder
// left a transaction open is rolled back before anything else runs on it.
//
// Because multiplexed commands share connections, session state set by one
// of them (SET, temporary tables, advisory locks, LISTEN) is visible to
// whichever commands land on the same connection later, and invisible to
// the rest. Use Acquire (or a transaction) for anything that depends on
// session state.
//
// puddle owns each connection's life: creation, idle and lifetime limits,
// health checks, and destruction on Close, which waits until every
// connection's goroutines have exited.
type Pool struct {
	common
	cfg  *Config
	opts PoolOptions
	p    *puddle.Pool[*conn]

	mu       sync.Mutex              // guards changes to conns
	createMu sync.Mutex              // serializes opening a connection when none is usable
	conns    atomic.Pointer[[]*conn] // the live connections, copy on write
	grows    atomic.Int32            // connections being opened in the background

	closed atomic.Bool
	ctx    context.Context // canceled by Close, for the pool's own work
	cancel context.CancelFunc
	stop   chan struct{}
	reap   chan struct{}
	wg     sync.WaitGroup

	stmts *actor.StatementMode // shared by every connection: named or unnamed statements

	routed      atomic.Int64
	acquireWait atomic.Int64 // nanoseconds callers spent waiting in Begin/Acquire
	stats       poolStats
	warn        logLimiter // for failures to open a connection
}

// NewPool parses dsn and opens a pool (and its MinConns connections).
func NewPool(ctx context.Context, dsn string, opts *PoolOptions) (*Pool, error) {
	cfg, err := ParseConfig(dsn)
	if err != nil {
		return nil, err
	}
	return NewPoolConfig(ctx, cfg, opts)
}

// NewPoolConfig opens a pool from a parsed configuration.
func NewPoolConfig(ctx context.Context, cfg *Config, opts *PoolOptions) (*Pool, error) {
	p := &Pool{cfg: cfg, stop: make(chan struct{}), reap: make(chan struct{}, 1)}
	p.ctx, p.cancel = context.WithCancel(context.Background())
	if opts != nil {
		p.opts = *opts
	}
	o := &p.opts
	if o.MaxConns <= 0 {
		o.MaxConns = cfg.PoolMaxConns
	}
	if o.MaxConns <= 0 {
		o.MaxConns = 4
	}
	if o.MinConns <= 0 {
		o.MinConns = cfg.PoolMinConns
	}
	if o.MinConns > o.MaxConns {
		o.MinConns = o.MaxConns
	}
	if o.MaxConnLifetime == 0 {
		o.MaxConnLifetime = cfg.PoolMaxConnLifetime
	}
	if o.MaxConnLifetimeJitter == 0 {
		o.MaxConnLifetimeJitter = cfg.PoolMaxConnLifetimeJitter
	}
	if o.MaxConnIdleTime == 0 {
		o.MaxConnIdleTime = cfg.PoolMaxConnIdleTime
	}
	if o.HealthCheckPeriod == 0 {
		o.HealthCheckPeriod = cfg.PoolHealthCheckPeriod
	}
	p.common = newCommon(&o.Options)
	o.Options.Types = p.setupTypes(cfg, &o.Options)
	p.stmts = &actor.StatementMode{OnSwitch: p.poolerSeen}
	empty := []*conn{}
	p.conns.Store(&empty)
	pp, err := puddle.NewPool(&puddle.Config[*conn]{
		Constructor: p.construct,
		Destructor:  p.destruct,
		MaxSize:     int32(o.MaxConns),
	})
	if err != nil {
		return nil, err
	}
	p.p = pp
	if o.MinIdleConns <= 0 {
		o.MinIdleConns = cfg.PoolMinIdleConns
	}
	if o.MinIdleConns > o.MaxConns {
		o.MinIdleConns = o.MaxConns
	}
	for range o.MinConns {
		if err := p.p.CreateResource(withOpenReason(ctx, openMin)); err != nil {
			p.Close()
			return nil, err
		}
	}
	if o.HealthCheckPeriod > 0 {
		p.wg.Add(1)
		go p.healthLoop()
	}
	return p, nil
}

func (p *Pool) construct(ctx context.Context) (*conn, error) {
	c := newConn()
	a, err := connectAny(ctx, p.cfg, &p.opts.Options, c.notes.notify, p.stmts)
	if err != nil {
		p.stats.openFailed.Add(1)
		return nil, err
	}
	c.a, c.created, c.stats = a, time.Now(), &p.stats
	a.OnWritten(p.stats.waited)
	if lt := p.opts.MaxConnLifetime; lt > 0 {
		j := time.Duration(0)
		if p.opts.MaxConnLifetimeJitter > 0 {
			j = rand.N(p.opts.MaxConnLifetimeJitter)
		}
		c.expires = c.created.Add(lt + j)
	}
	if err := p.types.refresh(ctx, &Session{c: c, cfg: p.cfg, common: p.common}); err != nil && p.logger != nil {
		p.logger.WarnContext(ctx, "pgactor: checking loaded types against pg_type failed", "err", err)
	}
	if p.opts.AfterConnect != nil {
		s := &Session{c: c, cfg: p.cfg, common: p.common}
		if err := p.opts.AfterConnect(ctx, s); err != nil {
			a.Close(ctx)
			p.stats.openFailed.Add(1)
			return nil, err
		}
	}
	p.stats.opened[openReasonOf(ctx)].Add(1)
	p.mu.Lock()
	list := append(append([]*conn(nil), *p.conns.Load()...), c)
	p.conns.Store(&list)
	p.mu.Unlock()
	return c, nil
}

func (p *Pool) destruct(c *conn) {
	p.forget(c)
	p.stats.closed[c.closeWhy.Load()].Add(1)
	defer func() { p.stats.cancelsGone.Add(c.a.CancelsSent()) }() // once it stopped sending them
	if p.opts.BeforeClose != nil {
		p.opts.BeforeClose(p.session(c))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c.a.Close(ctx) // waits for the commands on it, then for its goroutines
}

// session is a Session over the pool connection c, for the hooks: its
// commands go to c as a Session's would, outside any pin.
func (p *Pool) session(c *conn) *Session {
	return &Session{c: c, cfg: p.cfg, common: p.common}
}

// destroy closes the pool connection res for why.
func (p *Pool) destroy(res *puddle.Resource[*conn], why closeReason) {
	c := res.Value()
	c.closeWhy.Store(int32(why))
	p.forget(c)
	res.Destroy()
}

// forget takes c out of routing.
func (p *Pool) forget(c *conn) {
	c.retiring.Store(true)
	p.mu.Lock()
	defer p.mu.Unlock()
	old := *p.conns.Load()
	list := make([]*conn, 0, len(old))
	for _, x := range old {
		if x != c {
			list = append(list, x)
		}
	}
	p.conns.Store(&list)
}

// Routing. A connection is cheap to share while it makes progress:
// pipelining puts many commands on it at little cost, and every extra
// connection costs a server process. So the pool opens another (while under
// MaxConns) only when even the least busy connection has a queue of growAt,
// or a new command would wait growWait or more behind its queue (the queue
// times the connection's recent time per command, actor.ServiceTime) and
// the connection is not merely contended (waitsLong), or every connection
// is stalled behind a command that has run for stallAfter without anything
// finishing; stalled connections get new work last.
//
// Measured on 2 cores with 64 goroutines issuing one-row queries: 3 or 4
// connections served best (6 to 8 cost 10–20% more per query, in writes,
// reads and the server's switching between backends); growAt 24 opens 3.
// stallAfter is above the few milliseconds a busy machine may leave a
// process or a backend unscheduled: at 2 ms such pauses opened 3 to 16
// connections at random, and throughput fell with each beyond 4. Slow
// commands still open connections early, through growWait.
const (
	growAt     = 24
	growWait   = 5 * time.Millisecond
	stallAfter = 10 * time.Millisecond
	contended  = 4
)

// waitsLong reports whether a command joining c's queue of load would wait
// growWait or more, unless c is slowed by contention: its time per command
// contended times its floor or more. A machine at the limit of its CPUs
// slows every connection at once. With 64 goroutines on 2 cores shared
// with the server, a connection's time per command rose from its floor of
// some microseconds to 300 and more for stretches, and a command joining a
// queue of 20 would have waited 6 ms; opening on that gave a fourth
// connection, then a fifth and sixth, each as slow as the rest, for
// another connection only shares the same CPUs. Commands slow in
// themselves are slow from the floor up, and open as many connections as
// they need: 64 goroutines running 10 ms commands open 64.
func waitsLong(c *conn, load int) bool {
	svc := c.a.ServiceTime()
	return time.Duration(load)*svc >= growWait && svc < contended*c.a.ServiceFloor()
}

// pick routes one multiplexed command.
func (p *Pool) pick(ctx context.Context) (picked, error) {
	for {
		if p.closed.Load() {
			return picked{}, ErrPoolClosed
		}
		list := *p.conns.Load()
		var best, lettingGo *conn
		bestLoad, bestStalled := 0, true
		var now int64 // one clock reading for the whole list, taken when first needed
		sawDead := false
		for _, c := range list {
			if c.retiring.Load() {
				continue
			}
			if c.a.Pinned() {
				if lettingGo == nil && c.letGo.Load() {
					lettingGo = c
				}
				continue
			}
			if !c.a.Alive() {
				sawDead = true
				continue
			}
			load := c.a.InFlight() + c.a.Queued()
			stalled := false
			if load > 0 {
				if now == 0 {
					now = actor.Now()
				}
				stalled = c.a.SinceProgressAt(now) > stallAfter
			}
			if best == nil || (bestStalled && !stalled) || (stalled == bestStalled && load < bestLoad) {
				best, bestLoad, bestStalled = c, load, stalled
				if load == 0 {
					break
				}
			}
		}
		if sawDead {
			p.kickReaper()
		}
		open := len(list) + int(p.grows.Load())
		if best == nil && lettingGo != nil {
			// Its holder just gave it back and the actor is finishing the
			// release: wait for that rather than open a connection. Should
			// someone pin it first, the command bounces and is routed again.
			best, bestLoad, bestStalled = lettingGo, 0, false
		}
		if best != nil {
			// Pipelining makes a busy connection cheap to share: open
			// another only when even the least busy one has a queue.
			if open < p.opts.MaxConns && (bestLoad >= growAt || bestStalled || waitsLong(best, bestLoad)) {
				p.grow()
			}
			p.routed.Add(1)
			return picked{c: best}, nil
		}
		if open < p.opts.MaxConns {
			// No usable connection: open one, one caller at a time, so a
			// burst of callers on an empty pool opens one, not MaxConns.
			p.createMu.Lock()
			if n := len(*p.conns.Load()); n != len(list) {
				p.createMu.Unlock()
				continue // someone else opened one meanwhile
			}
			err := p.p.CreateResource(withOpenReason(ctx, openDemand))
			p.createMu.Unlock()
			if err == nil {
				continue
			}
			if !errors.Is(err, puddle.ErrNotAvailable) {
				return picked{}, err
			}
			// puddle is at MaxConns, counting connections being opened for
			// Begin or Acquire: wait for one of them as below.
		}
		// Every connection is held: wait for one to come back.
		res, _, err := p.acquire(ctx, "route")
		if err != nil {
			return picked{}, err
		}
		return picked{c: res.Value(), res: res}, nil
	}
}

// anyConn returns a live connection of the pool, held or not, or nil.
func (p *Pool) anyConn() *conn {
	for _, c := range *p.conns.Load() {
		if c.a.Alive() {
			return c
		}
	}
	return nil
}

// grow opens one more connection in the background.
func (p *Pool) grow() {
	if !p.grows.CompareAndSwap(0, 1) {
		return
	}
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		defer p.grows.Store(0)
		ctx, cancel := context.WithTimeout(p.ctx, 30*time.Second)
		defer cancel()
		p.warnOpen(p.p.CreateResource(withOpenReason(ctx, openGrow)))
	}()
}

// warnOpen logs a failure to open a connection, at most once a second. A
// pool at MaxConns (puddle.ErrNotAvailable: a Begin or Acquire opened the
// last one meanwhile) or closing has not failed.
func (p *Pool) warnOpen(err error) {
	if err == nil || p.logger == nil || p.closed.Load() || errors.Is(err, puddle.ErrNotAvailable) || errors.Is(err, puddle.ErrClosedPool) {
		return
	}
	if ok, suppressed := p.warn.allow(time.Second); ok {
		p.logger.Warn("pgactor: pool could not open a connection", "err", err, "suppressed", suppressed)
	}
}

// acquire takes a connection exclusively, skipping dead ones, for a
// holder (why is "begin" or "acquire", which PrepareConn sees first) or
// for routing ("route"). It returns the PoolTracer's context for the
// release.
func (p *Pool) acquire(ctx context.Context, why string) (*puddle.Resource[*conn], context.Context, error) {
	start := time.Now()
	tctx := ctx
	if t := p.trace.pool; t != nil {
		tctx = t.TraceAcquireStart(ctx, AcquireStartData{For: why})
	}
	var refused error
	for {
		res, err := p.p.Acquire(ctx)
		if err != nil {
			if errors.Is(err, puddle.ErrClosedPool) {
				err = ErrPoolClosed
			}
			if refused != nil {
				err = fmt.Errorf("%w (the last connection PrepareConn refused: %w)", err, refused)
			}
			err = wrapCtx(ctx, err)
			p.traceAcquire(tctx, start, 0, err)
			return nil, tctx, err
		}
		c := res.Value()
		if !c.a.Alive() || c.retiring.Load() {
			p.destroy(res, closeDead)
			continue
		}
		if p.opts.PrepareConn != nil && why != "route" {
			if err := p.opts.PrepareConn(ctx, p.session(c)); err != nil {
				refused = err
				p.destroy(res, closeRefused)
				continue
			}
		}
		c.letGo.Store(false) // a holder again, until it gives the connection back
		p.acquireWait.Add(int64(time.Since(start)))
		p.traceAcquire(tctx, start, c.a.BackendPID(), nil)
		return res, tctx, nil
	}
}

func (p *Pool) traceAcquire(ctx context.Context, start time.Time, pid uint32, err error) {
	if t := p.trace.pool; t != nil {
		t.TraceAcquireEnd(ctx, AcquireEndData{PID: pid, Err: err, Duration: time.Since(start)})
	}
}

// releaser returns what gives res back after a pin that began now, telling
// the PoolTracer (with tctx, its acquire's context).
func (p *Pool) releaser(res *puddle.Resource[*conn], tctx context.Context) func() {
	since := time.Now()
	return func() {
		if t := p.trace.pool; t != nil {
			t.TraceRelease(tctx, ReleaseData{PID: res.Value().a.BackendPID(), Held: time.Since(since)})
		}
		p.release(res)
	}
}

// release gives a connection a holder had back, or retires it when it
// died or AfterRelease wants it closed. One left inside a transaction
// needs nothing here: its actor rolls that back before anyone else's
// command runs.
func (p *Pool) release(res *puddle.Resource[*conn]) {
	c := res.Value()
	if !c.a.Alive() {
		p.destroy(res, closeDead)
		return
	}
	if p.opts.AfterRelease != nil && !p.opts.AfterRelease(p.session(c)) {
		p.destroy(res, closeAfterRelease)
		return
	}
	c.letGo.Store(true)
	res.Release()
}

// poolerSeen logs, once per pool, the switch to unnamed statements.
func (p *Pool) poolerSeen(evidence error) {
	if p.logger != nil {
		p.logger.Warn("pgactor: a pooler in transaction mode hands this pool's connections to other clients between commands; using unnamed statements from now on (set statement_cache_mode=unnamed to start that way)", "evidence", evidence)
	}
}

// Query is a multiplexed Session.Query.
func (p *Pool) Query(ctx context.Context, sql string, args ...any) *futures.Future[*Rows] {
	return p.query(ctx, p, actor.CmdQuery, sql, args)
}

// SimpleQuery is a multiplexed Session.SimpleQuery.
func (p *Pool) SimpleQuery(ctx context.Context, sql string) *futures.Future[*Rows] {
	return p.query(ctx, p, actor.CmdSimple, sql, nil)
}

// QueryRow is a multiplexed Session.QueryRow.
func (p *Pool) QueryRow(ctx context.Context, sql string, args ...any) *Row {
	return p.queryRow(ctx, p, sql, args)
}

// Exec is a multiplexed Session.Exec.
func (p *Pool) Exec(ctx context.Context, sql string, args ...any) *futures.Future[CommandTag] {
	return p.exec(ctx, p, sql, args)
}

// Begin starts a transaction and returns at once, without taking a
// connection: the transaction's commands are held, and a transaction
// committed without waiting for any of their results goes out as one
// multiplexed batch. It takes a connection (pinned until Commit or
// Rollback) only when it must send BEGIN; see Tx.
func (p *Pool) Begin(ctx context.Context, opts TxOptions) (*Tx, error) {
	// No connection is taken yet (see Tx): one to encode arguments against
	// is enough until the transaction must go out with BEGIN, and a held
	// one will do.
	c := p.anyConn()
	if c == nil {
		pk, err := p.pick(ctx)
		if err != nil {
			return nil, err
		}
		if pk.res != nil {
			pk.res.Release()
		}
		c = pk.c
	}
	tx, err := begin(ctx, &p.common, c, 0, opts, nil)
	if err != nil {
		return nil, err
	}
	tx.home, tx.pool = p, p
	return tx, nil
}

// Ping checks that the pool can reach the server: an empty statement
// goes to a multiplexed connection (opening one if none is open) and
// back.
func (p *Pool) Ping(ctx context.Context) error {
	_, err := p.exec(ctx, p, ";", nil).Await(ctx)
	return err
}

// Conn is a connection taken from the pool with Acquire: only its holder
// sends commands on it, until Release. After Release its commands are
// refused with ErrConnReleased, unsent.
type Conn struct {
	p        *Pool
	res      *puddle.Resource[*conn]
	c        *conn
	tok      actor.Token
	once     sync.Once
	released atomic.Bool
	listened bool   // Listen was called: clean up on Release
	release  func() // gives res back (p.releaser)
}

// Acquire pins a connection for the caller's exclusive use (session state,
// LISTEN, advisory locks). Release it when done.
func (p *Pool) Acquire(ctx context.Context) (*Conn, error) {
	res, tctx, err := p.acquire(ctx, "acquire")
	if err != nil {
		return nil, err
	}
	c := &Conn{p: p, res: res, c: res.Value(), tok: actor.NewToken(), release: p.releaser(res, tctx)}
	pin := &actor.Command{Kind: actor.CmdPin, Pin: c.tok}
	c.c.a.Do(ctx, pin)
	if _, err := pin.Result.Await(ctx); err != nil {
		c.Release() // undoes the pin if the actor took it meanwhile
		return nil, wrapCtx(ctx, err)
	}
	return c, nil
}

func (c *Conn) pick(context.Context) (picked, error) {
	if c.released.Load() {
		return picked{}, ErrConnReleased
	}
	return picked{c: c.c, owner: c.tok, ownerErr: ErrConnReleased}, nil
}

// Query, SimpleQuery, QueryRow and Exec run on the acquired connection.
func (c *Conn) Query(ctx context.Context, sql string, args ...any) *futures.Future[*Rows] {
	return c.p.query(ctx, c, actor.CmdQuery, sql, args)
}

func (c *Conn) SimpleQuery(ctx context.Context, sql string) *futures.Future[*Rows] {
	return c.p.query(ctx, c, actor.CmdSimple, sql, nil)
}

func (c *Conn) QueryRow(ctx context.Context, sql string, args ...any) *Row {
	return c.p.queryRow(ctx, c, sql, args)
}

func (c *Conn) Exec(ctx context.Context, sql string, args ...any) *futures.Future[CommandTag] {
	return c.p.exec(ctx, c, sql, args)
}

// Begin starts a transaction on the acquired connection.
func (c *Conn) Begin(ctx context.Context, opts TxOptions) (*Tx, error) {
	if c.released.Load() {
		return nil, ErrConnReleased
	}
	tx, err := begin(ctx, &c.p.common, c.c, c.tok, opts, nil)
	if err == nil {
		tx.home = c
	}
	return tx, err
}

// BackendPID returns the server process of the connection.
func (c *Conn) BackendPID() uint32 { return c.c.a.BackendPID() }

// Release gives the connection back to the pool (once). A connection that
// listened is unsubscribed first, and its undelivered notifications are
// discarded, so the next holder starts clean.
func (c *Conn) Release() {
	c.once.Do(func() {
		if c.listened {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			c.Exec(ctx, "UNLISTEN *").Await(ctx)
			cancel()
			for drained := false; !drained; {
				select {
				case <-c.c.notes.ch:
				default:
					drained = true
				}
			}
		}
		c.released.Store(true)
		unpin := &actor.Command{Kind: actor.CmdUnpin, Owner: c.tok, Unpin: true, OwnerErr: ErrConnReleased}
		c.c.a.Do(context.Background(), unpin)
		c.release()
	})
}

func (p *Pool) kickReaper() {
	select {
	case p.reap <- struct{}{}:
	default:
	}
}

// healthLoop retires dead, expired and idle connections and keeps MinConns.
func (p *Pool) healthLoop() {
	defer p.wg.Done()
	t := time.NewTicker(p.opts.HealthCheckPeriod)
	defer t.Stop()
	for {
		select {
		case <-p.stop:
			return
		case <-t.C:
		case <-p.reap:
		}
		p.checkHealth()
	}
}

func (p *Pool) checkHealth() {
	now := time.Now()
	total := len(*p.conns.Load())
	for _, res := range p.p.AcquireAllIdle() {
		c := res.Value()
		idle := c.a.InFlight() == 0 && c.a.Queued() == 0
		idleFor := c.a.IdleFor()
		switch {
		case !c.a.Alive():
			p.destroy(res, closeDead)
			total--
		case !c.expires.IsZero() && now.After(c.expires):
			p.destroy(res, closeLifetime)
			total--
		case p.opts.MaxConnIdleTime > 0 && idle && idleFor > p.opts.MaxConnIdleTime && total > p.opts.MinConns && p.idleConns() > p.opts.MinIdleConns:
			p.destroy(res, closeIdle)
			total--
		default:
			res.ReleaseUnused()
		}
	}
	for !p.closed.Load() && (total < p.opts.MinConns || total < p.opts.MaxConns && p.idleConns() < p.opts.MinIdleConns) {
		ctx, cancel := context.WithTimeout(p.ctx, 30*time.Second)
		err := p.p.CreateResource(withOpenReason(ctx, openMin))
		cancel()
		if err != nil {
			p.warnOpen(err)
			break
		}
		total++
	}
}

// idleConns counts the connections that are alive, unpinned and have
// nothing in flight or queued.
func (p *Pool) idleConns() int {
	n := 0
	for _, c := range *p.conns.Load() {
		if c.a.Alive() && !c.a.Pinned() && !c.retiring.Load() && c.a.InFlight() == 0 && c.a.Queued() == 0 {
			n++
		}
	}
	return n
}

// Close stops routing, waits for commands in flight, closes every
// connection and returns once all their goroutines have exited.
func (p *Pool) Close() {
	if !p.closed.CompareAndSwap(false, true) {
		return
	}
	close(p.stop)
	p.cancel()
	p.wg.Wait()
	p.types.close()
	p.p.Close()
}

// Types returns the registry the pool decodes and encodes with: its own,
// in front of Options.Types (or codec.Default()), holding the types loaded
// from pg_type.
func (p *Pool) Types() *codec.Registry { return p.reg }

// Closed reports whether Close was called.
func (p *Pool) Closed() bool { return p.closed.Load() }
