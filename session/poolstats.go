package session

import (
	"context"
	"errors"
	"math/bits"
	"sync/atomic"
	"time"

	"github.com/pgactor/pgactor/actor"
)

// Stats describe a pool at one moment. The counters (Opened, Closed,
// Canceled, Rerouted, Batches, Commands, Wait) count from the pool's start.
type Stats struct {
	MaxConns      int
	TotalConns    int
	IdleConns     int // alive, unpinned, nothing in flight
	PinnedConns   int
	InFlight      int // commands on the wire, over all connections
	Queued        int // commands waiting in connection mailboxes
	Routed        int64
	AcquireCount  int64
	AcquireWait   time.Duration
	EmptyAcquires int64 // acquires that had to wait for a connection

	Opened     OpenedConns
	OpenFailed int64 // connection attempts that failed (including AfterConnect)
	Closed     ClosedConns
	// Canceled counts commands that ended because their context ended;
	// CancelsSent the cancel requests sent to the server for those of them
	// it was running.
	Canceled    int64
	CancelsSent int64
	// Rerouted counts multiplexed commands sent again on another
	// connection (they bounced off a pinned one, or their connection died
	// before sending them).
	Rerouted int64
	// Batches counts SendBatch calls on the pool's connections.
	Batches int64
	// Commands counts the commands (a batch is one) handed to the actors
	// of the pool's connections, and Wait how long those that were
	// written waited for it after being handed over: behind the commands
	// queued before them, a Prepare they needed, a holder of the
	// connection, or the coalescing of writes (the time a command waits to
	// be routed, or for a held connection, is AcquireWait's). Wait[i]
	// counts waits below WaitBucketBound(i) (and at least the bound
	// before); the last bucket has no upper bound.
	Commands int64
	Wait     [WaitBuckets]int64
}

// OpenedConns counts the connections a pool opened, by why.
type OpenedConns struct {
	Min    int64 // to keep MinConns or MinIdleConns
	Grow   int64 // every connection was busy, so the pool added one
	Demand int64 // none was usable for a command, Begin or Acquire
}

// ClosedConns counts the connections a pool closed, by why.
type ClosedConns struct {
	Dead         int64 // the connection had died (server gone, backend terminated)
	Lifetime     int64 // MaxConnLifetime
	Idle         int64 // MaxConnIdleTime
	Refused      int64 // PrepareConn refused it
	AfterRelease int64 // AfterRelease asked for it
	PoolClosed   int64 // Close
}

// WaitBuckets is the number of buckets of Stats.Wait.
const WaitBuckets = 24

// WaitBucketBound returns the upper bound of bucket i of Stats.Wait:
// 1µs (1024ns) doubling per bucket, up to about 8.6 seconds; the last
// bucket's bound is the largest Duration.
func WaitBucketBound(i int) time.Duration {
	if i >= WaitBuckets-1 {
		return time.Duration(1<<63 - 1)
	}
	return time.Duration(1024) << i
}

// WaitPercentile returns the bound of the bucket where fraction q (0 to 1)
// of the counted commands had been handed over: an upper bound of the q
// quantile, within a factor of two. Zero when nothing was counted.
func (s *Stats) WaitPercentile(q float64) time.Duration {
	var n int64
	for _, c := range s.Wait {
		n += c
	}
	if n == 0 {
		return 0
	}
	want := int64(q * float64(n))
	if want < 1 {
		want = 1
	}
	var sum int64
	for i, c := range s.Wait {
		sum += c
		if sum >= want {
			return WaitBucketBound(i)
		}
	}
	return WaitBucketBound(WaitBuckets - 1)
}

// poolStats are a pool's counters, shared by its connections (conn.stats).
type poolStats struct {
	opened      [openReasons]atomic.Int64
	openFailed  atomic.Int64
	closed      [closeReasons]atomic.Int64
	canceled    atomic.Int64
	cancelsGone atomic.Int64 // CancelsSent of connections closed since
	rerouted    atomic.Int64
	batches     atomic.Int64
	wait        [WaitBuckets]atomic.Int64
	commands    atomic.Int64
}

// waited counts one command written to its server d after it was handed
// to its actor (actor.OnWritten).
func (s *poolStats) waited(d time.Duration) {
	i := 0
	if d > 0 {
		i = bits.Len64(uint64(d) >> 10)
	}
	if i >= WaitBuckets {
		i = WaitBuckets - 1
	}
	s.wait[i].Add(1)
}

// countCancel counts a command of a pool connection that ended because its
// context did.
func (c *conn) countCancel(err error) {
	if c != nil && c.stats != nil && err != nil && errors.Is(err, actor.ErrCanceled) {
		c.stats.canceled.Add(1)
	}
}

// Why a pool opens a connection (carried in the context given to puddle).
type openReason int32

const (
	openDemand openReason = iota // the default: puddle opened it for an acquire
	openMin
	openGrow
	openReasons
)

type openReasonKey struct{}

func withOpenReason(ctx context.Context, r openReason) context.Context {
	return context.WithValue(ctx, openReasonKey{}, r)
}

func openReasonOf(ctx context.Context) openReason {
	r, _ := ctx.Value(openReasonKey{}).(openReason)
	return r
}

// Why a pool closes a connection (conn.closeWhy, read by the destructor).
type closeReason int32

const (
	closePool closeReason = iota // the default: the pool is closing
	closeDead
	closeLifetime
	closeIdle
	closeRefused
	closeAfterRelease
	closeReasons
)

// statsInto copies the counters into s.
func (ps *poolStats) statsInto(s *Stats) {
	s.Opened = OpenedConns{Min: ps.opened[openMin].Load(), Grow: ps.opened[openGrow].Load(), Demand: ps.opened[openDemand].Load()}
	s.OpenFailed = ps.openFailed.Load()
	s.Closed = ClosedConns{
		Dead: ps.closed[closeDead].Load(), Lifetime: ps.closed[closeLifetime].Load(), Idle: ps.closed[closeIdle].Load(),
		Refused: ps.closed[closeRefused].Load(), AfterRelease: ps.closed[closeAfterRelease].Load(), PoolClosed: ps.closed[closePool].Load(),
	}
	s.Canceled = ps.canceled.Load()
	s.Rerouted = ps.rerouted.Load()
	s.Batches = ps.batches.Load()
	for i := range s.Wait {
		s.Wait[i] = ps.wait[i].Load()
	}
	s.Commands = ps.commands.Load()
}

// Stats returns current statistics.
func (p *Pool) Stats() Stats {
	s := Stats{MaxConns: p.opts.MaxConns}
	for _, c := range *p.conns.Load() {
		s.TotalConns++
		s.CancelsSent += c.a.CancelsSent()
		inflight, queued := c.a.InFlight(), c.a.Queued()
		s.InFlight += inflight
		s.Queued += queued
		switch {
		case c.a.Pinned():
			s.PinnedConns++
		case inflight == 0 && queued == 0 && c.a.Alive():
			s.IdleConns++
		}
	}
	st := p.p.Stat()
	s.Routed = p.routed.Load()
	s.AcquireCount = st.AcquireCount()
	s.AcquireWait = time.Duration(p.acquireWait.Load())
	s.EmptyAcquires = st.EmptyAcquireCount()
	p.stats.statsInto(&s)
	s.CancelsSent += p.stats.cancelsGone.Load()
	return s
}

// logLimiter lets one warning through per interval and counts the rest,
// so a failing server does not flood the log.
type logLimiter struct {
	last       atomic.Int64 // unix nanoseconds of the last warning let through
	suppressed atomic.Int64
}

// allow reports whether to log now, and how many were suppressed since
// the last one logged.
func (l *logLimiter) allow(every time.Duration) (bool, int64) {
	now := time.Now().UnixNano()
	last := l.last.Load()
	if last != 0 && now-last < int64(every) || !l.last.CompareAndSwap(last, now) {
		l.suppressed.Add(1)
		return false, 0
	}
	return true, l.suppressed.Swap(0)
}
