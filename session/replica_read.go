package session

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync/atomic"

	"github.com/pgactor/pgactor/futures"
)

// LSN is a position in PostgreSQL's write-ahead log (pg_lsn).
type LSN uint64

// ParseLSN parses the text form of a pg_lsn, such as "16/B374D848". An
// empty string is 0.
func ParseLSN(s string) (LSN, error) {
	if s == "" {
		return 0, nil
	}
	hi, lo, ok := strings.Cut(s, "/")
	if !ok || hi == "" || lo == "" || len(hi) > 8 || len(lo) > 8 {
		return 0, fmt.Errorf("pgactor: %q is not an LSN (want hex/hex)", s)
	}
	h, err := strconv.ParseUint(hi, 16, 32)
	if err != nil {
		return 0, fmt.Errorf("pgactor: %q is not an LSN (want hex/hex)", s)
	}
	l, err := strconv.ParseUint(lo, 16, 32)
	if err != nil {
		return 0, fmt.Errorf("pgactor: %q is not an LSN (want hex/hex)", s)
	}
	return LSN(h<<32 | l), nil
}

// String returns the LSN as PostgreSQL writes it.
func (l LSN) String() string {
	return fmt.Sprintf("%X/%X", uint64(l)>>32, uint64(l)&0xFFFFFFFF)
}

// ReadView sends a ReplicaPool's multiplexed reads to its standbys: each
// to the standby with the least work queued or in flight among those up,
// within MaxReplayLag and, for a view made by After, past its LSN. What
// happens when there is none depends on the view: PreferStandby's reads
// go to the primary (libpq's prefer-standby), Standby's fail with
// ErrNoStandby.
//
// A read whose standby could not be reached before it was sent is sent
// again to the host chosen then; one that was sent when its server was
// lost fails with ErrHostLost. The standby refuses writes, so use the
// ReplicaPool itself for them.
type ReadView struct {
	rp       *ReplicaPool
	fallback bool // prefer-standby: the primary when no standby will do
	after    LSN  // only servers that replayed this far
}

// Standby returns the view whose reads run only on standbys.
func (rp *ReplicaPool) Standby() *ReadView { return &ReadView{rp: rp} }

// PreferStandby returns the view whose reads run on standbys, or on the
// primary when no standby is usable.
func (rp *ReplicaPool) PreferStandby() *ReadView { return &ReadView{rp: rp, fallback: true} }

// After returns a view like v whose reads go only to a standby that has
// replayed the WAL up to lsn, as its last check saw it (the primary
// always has). A view from Standby fails its reads with ErrNoStandby
// until one has; see Causal for the usual way to get lsn.
func (v *ReadView) After(lsn LSN) *ReadView {
	w := *v
	w.after = lsn
	return &w
}

// Query is a multiplexed Pool.Query on a standby.
func (v *ReadView) Query(ctx context.Context, sql string, args ...any) *futures.Future[*Rows] {
	out := futures.New[*Rows]()
	out.SetRelease(releaseRows)
	route(v.rp, ctx, out, true, v.pick, func(p *Pool) *futures.Future[*Rows] { return p.Query(ctx, sql, args...) })
	return out
}

// SimpleQuery is a multiplexed Pool.SimpleQuery on a standby.
func (v *ReadView) SimpleQuery(ctx context.Context, sql string) *futures.Future[*Rows] {
	out := futures.New[*Rows]()
	out.SetRelease(releaseRows)
	route(v.rp, ctx, out, true, v.pick, func(p *Pool) *futures.Future[*Rows] { return p.SimpleQuery(ctx, sql) })
	return out
}

// QueryRow is a multiplexed Pool.QueryRow on a standby.
func (v *ReadView) QueryRow(ctx context.Context, sql string, args ...any) *Row {
	return &Row{fut: v.Query(ctx, sql, args...), ctx: ctx}
}

// pick chooses the standby for one read (see ReadView).
func (v *ReadView) pick(ctx context.Context, wait bool) (*replicaHost, error) {
	rp := v.rp
	var best *replicaHost
	bestLoad, behind := 0, false
	n := len(rp.hosts)
	start := int(rp.rr.Add(1) % uint64(n))
	for i := range n {
		h := rp.hosts[(start+i)%n]
		st := h.state.Load()
		if !st.up || st.role != RoleStandby {
			continue
		}
		if m := rp.opts.MaxReplayLag; m > 0 && (!st.lagKnown || st.lag > m) {
			continue
		}
		if st.lsn < v.after {
			behind = true
			h.kickCheck() // learn its replay position sooner
			continue
		}
		if load := h.load(); best == nil || load < bestLoad {
			best, bestLoad = h, load
		}
	}
	if best != nil {
		if c := best.pool.anyConn(); c != nil && c.a.ServerParameter("in_hot_standby") == "off" {
			best.kickCheck() // promoted (ParameterStatus said so): learn it now
		}
		return best, nil
	}
	if !v.fallback {
		if behind {
			return nil, fmt.Errorf("%w: none has replayed up to %v yet", ErrNoStandby, v.after)
		}
		return nil, ErrNoStandby
	}
	return rp.primaryRoute(ctx, wait)
}

// Causal gives one line of work (a user, a request, a goroutine)
// read-your-writes over a ReplicaPool: after a write of its own has
// committed, its reads run on a standby only once that standby has
// replayed the write, and on the primary until then.
//
// It costs, per write, one more round trip to the primary after the write
// returns (to learn the WAL position, pg_current_wal_insert_lsn), and
// reads on the primary until a check sees a standby past that position:
// a read that finds every standby behind has them checked at once, so
// the primary serves the reads of about one replication delay plus one
// round trip after each write. Between writes, reads go to standbys as
// through PreferStandby. The position is pessimistic (it may cover other
// sessions' later writes too), never too early. With synchronous_commit
// off, the primary ships a commit only once its WAL writer flushes it
// (wal_writer_delay, 200ms by default), and the reads stay on the
// primary that much longer.
//
// A Causal may be used by many goroutines; its position only moves
// forward. LSN and Observe carry it across processes (in a cookie, say).
type Causal struct {
	rp  *ReplicaPool
	lsn atomic.Uint64
}

// Causal returns a new read-your-writes tracker with no writes yet.
func (rp *ReplicaPool) Causal() *Causal { return &Causal{rp: rp} }

// Exec runs a write on the primary, waits for it and records its WAL
// position (see Wrote).
func (c *Causal) Exec(ctx context.Context, sql string, args ...any) (CommandTag, error) {
	tag, err := c.rp.Exec(ctx, sql, args...).Await(ctx)
	if err != nil {
		return tag, err
	}
	return tag, c.Wrote(ctx)
}

// Commit commits tx (begun on the ReplicaPool) and records its WAL
// position.
func (c *Causal) Commit(ctx context.Context, tx *Tx) error {
	if err := tx.Commit(ctx); err != nil {
		return err
	}
	return c.Wrote(ctx)
}

// Wrote records that a write of this line of work has committed (one made
// through the ReplicaPool's own methods, a batch or COPY): later reads
// wait for it to be replayed. It asks the primary for its WAL position.
func (c *Causal) Wrote(ctx context.Context) error {
	var s string
	if err := c.rp.QueryRow(ctx, "SELECT pg_current_wal_insert_lsn()::text").Scan(&s); err != nil {
		return fmt.Errorf("pgactor: reading the primary's WAL position for read-your-writes: %w", err)
	}
	lsn, err := ParseLSN(s)
	if err != nil {
		return err
	}
	c.Observe(lsn)
	return nil
}

// Observe moves the position reads must wait for to lsn, if that is later.
func (c *Causal) Observe(lsn LSN) {
	for {
		old := c.lsn.Load()
		if uint64(lsn) <= old || c.lsn.CompareAndSwap(old, uint64(lsn)) {
			return
		}
	}
}

// LSN returns the position reads wait for: the latest write recorded.
func (c *Causal) LSN() LSN { return LSN(c.lsn.Load()) }

// Reader returns the read view for the writes recorded so far.
func (c *Causal) Reader() *ReadView {
	return &ReadView{rp: c.rp, fallback: true, after: c.LSN()}
}

// Query reads through Reader.
func (c *Causal) Query(ctx context.Context, sql string, args ...any) *futures.Future[*Rows] {
	return c.Reader().Query(ctx, sql, args...)
}

// QueryRow reads through Reader.
func (c *Causal) QueryRow(ctx context.Context, sql string, args ...any) *Row {
	return c.Reader().QueryRow(ctx, sql, args...)
}
