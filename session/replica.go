package session

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pgactor/pgactor/futures"
)

// ReplicaOptions configure a ReplicaPool.
type ReplicaOptions struct {
	// PoolOptions configure the pool kept for each host (so MaxConns is
	// per host). MinConns is opened on the hosts reachable at start.
	PoolOptions

	// CheckPeriod is how often each host is asked for its role, its WAL
	// position and its replay lag; 0 means one second. While no primary
	// is known the hosts are asked five times as often.
	CheckPeriod time.Duration
	// MaxReplayLag, when positive, keeps reads away from a standby whose
	// replay lag, as the last check measured it, exceeds it (or is
	// unknown). 0 reads from any standby.
	MaxReplayLag time.Duration
	// FailoverWait is how long a command waits for a primary when none is
	// known (the primary died and no standby was promoted yet) before it
	// fails with ErrNoPrimary; 0 means 30 seconds. The command's context
	// may end the wait sooner.
	FailoverWait time.Duration
}

// Errors of a ReplicaPool, to test with errors.Is.
var (
	// ErrNoPrimary is returned by a ReplicaPool's commands when no host
	// accepted writes within FailoverWait.
	ErrNoPrimary = errors.New("pgactor: no primary among the hosts")
	// ErrNoStandby is returned by reads through ReplicaPool.Standby when
	// no standby is up (and within MaxReplayLag).
	ErrNoStandby = errors.New("pgactor: no usable standby among the hosts")
	// ErrHostLost wraps the error of a command whose server was lost
	// after the command was sent: it may or may not have taken effect, so
	// it is not sent again.
	ErrHostLost = errors.New("pgactor: server lost after the command was sent; it may or may not have taken effect")
)

// ReplicaPool spreads work over a primary and its streaming standbys, the
// hosts of one multi-host connection string (host=a,b,c). It keeps a Pool
// per host and knows each host's role: from the in_hot_standby the
// server reports, and from a check every CheckPeriod that also measures
// each standby's replay position and lag.
//
// Query, Exec, QueryRow, SimpleQuery, SendBatch, Begin and Acquire go to
// the primary. Standby and PreferStandby return read views that send
// multiplexed reads to the standbys, each read to the one with the least
// work in flight; Causal adds read-your-writes on top.
//
// Failover: when the primary dies and a standby is promoted, the next
// check sees it (at most one CheckPeriod later, sooner once commands fail)
// and writes go to it, with no restart. A multiplexed command (Query,
// Exec, QueryRow, SimpleQuery) that provably never reached the dead
// primary waits for the new one (up to FailoverWait) and runs there; one
// that was sent fails with ErrHostLost. Batches, transactions and
// acquired connections are not moved: they fail as on a Pool.
//
// Two hosts that both accept writes (the old primary restarted without
// being made a standby) cannot be told apart by the client: the pool keeps
// writing to the one it had, or to the first in the connection string.
//
// Each multiplexed command is watched by a goroutine of its own until it
// resolves, so that it can be moved; a plain Pool has no such cost.
type ReplicaPool struct {
	cfg   *Config
	opts  ReplicaOptions
	hosts []*replicaHost

	mu      sync.Mutex                  // serializes recompute
	topo    atomic.Pointer[replicaTopo] // the current primary, copy on write
	rr      atomic.Uint64               // breaks ties between standbys
	gate    sync.RWMutex                // held to read closed and count a follower, and to close
	closed  atomic.Bool
	ctx     context.Context // canceled by Close, for the checks
	cancel  context.CancelFunc
	stop    chan struct{}
	checks  sync.WaitGroup // the hosts' check loops
	follows sync.WaitGroup // goroutines watching commands
}

// replicaTopo is what routing needs to know at one moment: which host takes
// writes, and a channel closed when that (or any host's state) changes.
type replicaTopo struct {
	primary *replicaHost // nil while no host accepts writes
	changed chan struct{}
}

// NewReplicaPool parses dsn and opens a ReplicaPool over its hosts.
func NewReplicaPool(ctx context.Context, dsn string, opts *ReplicaOptions) (*ReplicaPool, error) {
	cfg, err := ParseConfig(dsn)
	if err != nil {
		return nil, err
	}
	return NewReplicaPoolConfig(ctx, cfg, opts)
}

// NewReplicaPoolConfig opens a ReplicaPool from a parsed configuration:
// a Pool per host (target_session_attrs and load_balance_hosts do not
// apply: every host is used for what it is), then checks every host once.
// It fails only when no host can be reached.
func NewReplicaPoolConfig(ctx context.Context, cfg *Config, opts *ReplicaOptions) (*ReplicaPool, error) {
	rp := &ReplicaPool{cfg: cfg, stop: make(chan struct{})}
	rp.ctx, rp.cancel = context.WithCancel(context.Background())
	if opts != nil {
		rp.opts = *opts
	}
	if rp.opts.CheckPeriod <= 0 {
		rp.opts.CheckPeriod = time.Second
	}
	if rp.opts.FailoverWait <= 0 {
		rp.opts.FailoverWait = 30 * time.Second
	}
	rp.topo.Store(&replicaTopo{changed: make(chan struct{})})
	for _, h := range cfg.Hosts {
		hc, hp, err := rp.hostPool(ctx, h)
		if err != nil {
			rp.Close()
			return nil, err
		}
		rh := &replicaHost{addr: hostLabel(h), pool: hp, cfg: hc, kick: make(chan struct{}, 1)}
		rh.state.Store(&hostState{role: RoleUnknown, err: errors.New("not checked yet")})
		rp.hosts = append(rp.hosts, rh)
	}
	// One check of every host, at once, before the pool is used.
	var wg sync.WaitGroup
	for _, h := range rp.hosts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rp.check(ctx, h)
		}()
	}
	wg.Wait()
	var errs []error
	for _, h := range rp.hosts {
		if st := h.state.Load(); st.up {
			errs = nil
			break
		} else {
			errs = append(errs, fmt.Errorf("%s: %w", h.addr, st.err))
		}
	}
	if errs != nil {
		rp.Close()
		return nil, fmt.Errorf("pgactor: no host could be reached: %w", errors.Join(errs...))
	}
	for _, h := range rp.hosts {
		rp.checks.Add(1)
		go rp.checkLoop(rp.ctx, h)
	}
	return rp, nil
}

// hostPool opens the Pool for one host: the configuration narrowed to h,
// with a dialer that marks failures to dial (nothing was sent).
func (rp *ReplicaPool) hostPool(ctx context.Context, h HostConfig) (*Config, *Pool, error) {
	c := *rp.cfg
	c.Hosts = []HostConfig{h}
	c.TargetSessionAttrs = TargetSessionAttrsAny
	c.LoadBalanceHosts = ""
	po := rp.opts.PoolOptions
	var inner contextDialer = &net.Dialer{}
	if po.Dialer != nil {
		inner = po.Dialer
	}
	po.Dialer = markingDialer{inner}
	p, err := NewPoolConfig(ctx, &c, &po)
	if err != nil && po.MinConns > 0 {
		// Down now, perhaps up later: open connections on demand.
		po.MinConns = 0
		p, err = NewPoolConfig(ctx, &c, &po)
	}
	return &c, p, err
}

// contextDialer is the dialer Options.Dialer holds.
type contextDialer = interface {
	DialContext(ctx context.Context, network, address string) (net.Conn, error)
}

// markingDialer wraps dial failures in dialError.
type markingDialer struct{ d contextDialer }

func (m markingDialer) DialContext(ctx context.Context, network, address string) (net.Conn, error) {
	c, err := m.d.DialContext(ctx, network, address)
	if err != nil {
		return nil, &dialError{err}
	}
	return c, nil
}

// dialError is a failure to reach a host: no command was sent.
type dialError struct{ err error }

func (e *dialError) Error() string { return e.err.Error() }
func (e *dialError) Unwrap() error { return e.err }

// neverSent reports whether a command that failed with err provably did not
// reach the server: the connection died before it was written, or none
// could be opened (the dial failed, or the server refused new sessions:
// 57P03 cannot_connect_now, which it sends only at startup).
func neverSent(err error) bool {
	if SafeToRetry(err) {
		return true
	}
	var de *dialError
	if errors.As(err, &de) {
		return true
	}
	var pe *PgError
	return errors.As(err, &pe) && pe.Code == "57P03"
}

// Query is a multiplexed Pool.Query on the primary.
func (rp *ReplicaPool) Query(ctx context.Context, sql string, args ...any) *futures.Future[*Rows] {
	out := futures.New[*Rows]()
	out.SetRelease(releaseRows)
	route(rp, ctx, out, false, rp.primaryRoute, func(p *Pool) *futures.Future[*Rows] { return p.Query(ctx, sql, args...) })
	return out
}

// SimpleQuery is a multiplexed Pool.SimpleQuery on the primary.
func (rp *ReplicaPool) SimpleQuery(ctx context.Context, sql string) *futures.Future[*Rows] {
	out := futures.New[*Rows]()
	out.SetRelease(releaseRows)
	route(rp, ctx, out, false, rp.primaryRoute, func(p *Pool) *futures.Future[*Rows] { return p.SimpleQuery(ctx, sql) })
	return out
}

// QueryRow is a multiplexed Pool.QueryRow on the primary.
func (rp *ReplicaPool) QueryRow(ctx context.Context, sql string, args ...any) *Row {
	return &Row{fut: rp.Query(ctx, sql, args...), ctx: ctx}
}

// Exec is a multiplexed Pool.Exec on the primary.
func (rp *ReplicaPool) Exec(ctx context.Context, sql string, args ...any) *futures.Future[CommandTag] {
	out := futures.New[CommandTag]()
	route(rp, ctx, out, false, rp.primaryRoute, func(p *Pool) *futures.Future[CommandTag] { return p.Exec(ctx, sql, args...) })
	return out
}

// Primary returns the Pool of the host that takes writes now, waiting for
// one (up to FailoverWait, or until ctx ends) while none is known: for
// what the ReplicaPool does not forward (COPY, Listen, LoadTypes, Stats).
// It stays that host's pool after a failover.
func (rp *ReplicaPool) Primary(ctx context.Context) (*Pool, error) {
	h, err := rp.waitPrimary(ctx)
	if err != nil {
		return nil, err
	}
	h.writes.Add(1)
	return h.pool, nil
}

// Begin starts a transaction on the primary (see Pool.Begin).
func (rp *ReplicaPool) Begin(ctx context.Context, opts TxOptions) (*Tx, error) {
	p, err := rp.Primary(ctx)
	if err != nil {
		return nil, err
	}
	return p.Begin(ctx, opts)
}

// Acquire pins a connection to the primary (see Pool.Acquire).
func (rp *ReplicaPool) Acquire(ctx context.Context) (*Conn, error) {
	p, err := rp.Primary(ctx)
	if err != nil {
		return nil, err
	}
	return p.Acquire(ctx)
}

// SendBatch sends b to the primary (see Pool.SendBatch). A batch is not
// moved to another host.
func (rp *ReplicaPool) SendBatch(ctx context.Context, b *Batch) *futures.Future[struct{}] {
	p, err := rp.Primary(ctx)
	if err != nil {
		return futures.Resolved(struct{}{}, err)
	}
	return p.SendBatch(ctx, b)
}

// Ping checks that the primary answers.
func (rp *ReplicaPool) Ping(ctx context.Context) error {
	_, err := rp.Exec(ctx, ";").Await(ctx)
	return err
}

// Close stops the checks, closes every host's pool (waiting for the
// commands in flight) and returns once all goroutines have exited.
func (rp *ReplicaPool) Close() {
	rp.gate.Lock()
	if rp.closed.Load() {
		rp.gate.Unlock()
		return
	}
	rp.closed.Store(true)
	rp.gate.Unlock()
	close(rp.stop)
	rp.cancel()
	rp.checks.Wait()
	for _, h := range rp.hosts {
		h.pool.Close()
		if h.mon != nil {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			h.mon.Close(ctx)
			cancel()
		}
	}
	rp.follows.Wait()
}

// closedErr is what a command of a closed ReplicaPool gets.
func (rp *ReplicaPool) closedErr() error {
	if rp.closed.Load() {
		return ErrPoolClosed
	}
	return nil
}
