package session

import (
	"context"
	"fmt"
	"sync/atomic"
	"time"
)

// HostRole is what a host of a ReplicaPool is, as last seen.
type HostRole string

// Host roles.
const (
	RoleUnknown HostRole = "unknown" // not reached yet
	RolePrimary HostRole = "primary" // accepts writes (not in recovery)
	RoleStandby HostRole = "standby" // a hot standby (in recovery)
)

// HostStatus is one host of a ReplicaPool as its last check saw it.
type HostStatus struct {
	Addr string
	Role HostRole
	// Up is false when the last check, or a command since, could not
	// reach the host; Err says why.
	Up  bool
	Err error
	// ReadOnly is true on a standby, and on a primary whose
	// default_transaction_read_only is on (it still takes writes that ask
	// for a read-write transaction; this is reported, not routed on).
	ReadOnly bool
	// LSN is the primary's WAL insert position, or the standby's replay
	// position.
	LSN LSN
	// ReplayLag is how far a standby's replay was behind (0 when it had
	// replayed all it received and all the primary had written at its
	// last check, else now() minus the time of the last transaction it
	// replayed); LagKnown is false when it could not be told.
	ReplayLag time.Duration
	LagKnown  bool
	Checked   time.Time
	// Reads and Writes count the commands this host answered through the
	// read views and as the primary.
	Reads, Writes int64
}

// replicaHost is one host of a ReplicaPool: its Pool and what the checks
// learnt about it.
type replicaHost struct {
	addr  string
	pool  *Pool
	state atomic.Pointer[hostState] // written by the check loop and by suspect
	kick  chan struct{}             // asks the check loop to check now
	cfg   *Config                   // the configuration narrowed to this host

	// mon is the host's own connection for the checks, apart from the
	// pool so that a pool full of transactions cannot delay them; owned
	// by the check loop (by NewReplicaPoolConfig before it starts, and by
	// Close after it ended).
	mon *Session

	reads, writes atomic.Int64
}

// hostState is one observation of a host; never changed once stored.
type hostState struct {
	up       bool
	role     HostRole
	readOnly bool
	lsn      LSN
	lag      time.Duration
	lagKnown bool
	checked  time.Time
	err      error
}

// checkSQL asks a host what it is and where its WAL is. On a standby the
// lag is 0 when it replayed everything it received and what the primary
// had written at its own last check (the caller compares); otherwise it
// is the age of the last replayed transaction.
const checkSQL = `SELECT pg_is_in_recovery(),
	coalesce((CASE WHEN pg_is_in_recovery() THEN pg_last_wal_replay_lsn() ELSE pg_current_wal_insert_lsn() END)::text, ''),
	coalesce(pg_last_wal_receive_lsn()::text, ''),
	coalesce(extract(epoch FROM now() - pg_last_xact_replay_timestamp())::float8, -1),
	current_setting('default_transaction_read_only')::bool`

// check asks h for its role and WAL position and stores what it learnt.
func (rp *ReplicaPool) check(ctx context.Context, h *replicaHost) {
	ctx, cancel := context.WithTimeout(ctx, max(2*rp.opts.CheckPeriod, 2*time.Second))
	defer cancel()
	var (
		recovery  bool
		readOnly  bool
		lsn, recv string
		lagSecs   float64
	)
	st := &hostState{checked: time.Now(), role: RoleUnknown}
	err := rp.monitor(ctx, h)
	if err == nil {
		err = h.mon.QueryRow(ctx, checkSQL).Scan(&recovery, &lsn, &recv, &lagSecs, &readOnly)
	}
	if err == nil {
		st.lsn, err = ParseLSN(lsn)
	}
	if err != nil {
		st.err = err
		if old := h.state.Load(); old != nil {
			st.role = old.role
		}
		h.state.Store(st)
		rp.recompute()
		return
	}
	st.up, st.role, st.lagKnown, st.readOnly = true, RolePrimary, true, readOnly || recovery
	if recovery {
		st.role = RoleStandby
		received, _ := ParseLSN(recv) // empty when not streaming: 0
		var primaryAt LSN
		if p := rp.topo.Load().primary; p != nil && p != h {
			primaryAt = p.state.Load().lsn
		}
		switch {
		case st.lsn >= received && st.lsn >= primaryAt:
			st.lag = 0
		case lagSecs >= 0:
			st.lag = time.Duration(lagSecs * float64(time.Second))
		case st.lsn >= received:
			st.lag = 0 // nothing committed replayed yet, nothing waiting
		default:
			st.lagKnown = false
		}
	}
	h.state.Store(st)
	rp.recompute()
}

// monitor makes sure h has a live connection for the checks.
func (rp *ReplicaPool) monitor(ctx context.Context, h *replicaHost) error {
	if h.mon != nil && h.mon.Alive() {
		return nil
	}
	if h.mon != nil {
		h.mon.Close(ctx)
		h.mon = nil
	}
	// The checks are the pool's own business: no hooks, tracer or query
	// log of the caller's.
	o := rp.opts.Options
	o.AfterConnect, o.Tracer, o.LogQueries, o.Logger = nil, nil, false, nil
	s, err := ConnectConfig(ctx, h.cfg, &o)
	if err != nil {
		return err
	}
	h.mon = s
	return nil
}

// checkLoop checks h every CheckPeriod (five times as often while no
// primary is known), and at once when kicked, but not more than once
// every minKickGap.
func (rp *ReplicaPool) checkLoop(ctx context.Context, h *replicaHost) {
	defer rp.checks.Done()
	const minKickGap = 5 * time.Millisecond
	t := time.NewTimer(rp.opts.CheckPeriod)
	defer t.Stop()
	for {
		select {
		case <-rp.stop:
			return
		case <-t.C:
		case <-h.kick:
		}
		rp.check(ctx, h)
		next := rp.opts.CheckPeriod
		if rp.topo.Load().primary == nil {
			next /= 5
		}
		t.Reset(next)
		select {
		case <-rp.stop:
			return
		case <-time.After(minKickGap):
		}
	}
}

// recompute chooses the primary after a host's state changed: the one it
// had while that still accepts writes, else the first in the connection
// string that does. Waiters on the old topology are woken either way.
func (rp *ReplicaPool) recompute() {
	rp.mu.Lock()
	defer rp.mu.Unlock()
	old := rp.topo.Load()
	prim := old.primary
	if prim != nil && !prim.isPrimary() {
		prim = nil
	}
	if prim == nil {
		for _, h := range rp.hosts {
			if h.isPrimary() {
				prim = h
				break
			}
		}
	}
	rp.topo.Store(&replicaTopo{primary: prim, changed: make(chan struct{})})
	close(old.changed)
}

func (h *replicaHost) isPrimary() bool {
	st := h.state.Load()
	return st.up && st.role == RolePrimary
}

// demoted reports whether a connection to h says it is a hot standby now
// (in_hot_standby, reported at startup and by ParameterStatus), though
// the last check found a primary.
func (h *replicaHost) demoted() bool {
	c := h.pool.anyConn()
	return c != nil && c.a.ServerParameter("in_hot_standby") == "on"
}

// load is the work queued or in flight on h's connections.
func (h *replicaHost) load() int {
	n := 0
	for _, c := range *h.pool.conns.Load() {
		n += c.a.InFlight() + c.a.Queued()
	}
	return n
}

// suspect marks h down after a command found it unreachable, and has it
// checked at once.
func (rp *ReplicaPool) suspect(h *replicaHost, err error) {
	old := h.state.Load()
	st := *old
	st.up, st.err, st.checked = false, err, time.Now()
	h.state.Store(&st)
	rp.recompute()
	h.kickCheck()
}

func (h *replicaHost) kickCheck() {
	select {
	case h.kick <- struct{}{}:
	default:
	}
}

// waitPrimary returns the host that takes writes, waiting up to
// FailoverWait (or until ctx ends) while there is none.
func (rp *ReplicaPool) waitPrimary(ctx context.Context) (*replicaHost, error) {
	var timeout <-chan time.Time
	for {
		if err := rp.closedErr(); err != nil {
			return nil, err
		}
		t := rp.topo.Load()
		if h := t.primary; h != nil {
			if !h.demoted() {
				return h, nil
			}
			h.kickCheck()
		} else {
			for _, h := range rp.hosts {
				h.kickCheck()
			}
		}
		if timeout == nil {
			tm := time.NewTimer(rp.opts.FailoverWait)
			defer tm.Stop()
			timeout = tm.C
		}
		select {
		case <-t.changed:
		case <-ctx.Done():
			return nil, fmt.Errorf("%w: %w", ctx.Err(), ErrNoPrimary)
		case <-timeout:
			return nil, fmt.Errorf("%w (waited %v)", ErrNoPrimary, rp.opts.FailoverWait)
		case <-rp.stop:
			return nil, ErrPoolClosed
		}
	}
}

// primaryRoute picks the primary for a command; without wait it returns
// nil rather than wait for one.
func (rp *ReplicaPool) primaryRoute(ctx context.Context, wait bool) (*replicaHost, error) {
	if !wait {
		h := rp.topo.Load().primary
		if h == nil || h.demoted() {
			return nil, nil
		}
		return h, nil
	}
	return rp.waitPrimary(ctx)
}

// Hosts reports every host's state as last seen, in connection string
// order.
func (rp *ReplicaPool) Hosts() []HostStatus {
	out := make([]HostStatus, len(rp.hosts))
	for i, h := range rp.hosts {
		st := h.state.Load()
		out[i] = HostStatus{
			Addr: h.addr, Role: st.role, Up: st.up, Err: st.err, ReadOnly: st.readOnly, LSN: st.lsn,
			ReplayLag: st.lag, LagKnown: st.lagKnown, Checked: st.checked,
			Reads: h.reads.Load(), Writes: h.writes.Load(),
		}
	}
	return out
}
