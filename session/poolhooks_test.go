package session_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pgactor/pgactor/internal/pgtest"
	"github.com/pgactor/pgactor/session"
)

// waitFor polls cond until it holds or 10 seconds passed.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func backendPID(t *testing.T, ctx context.Context, s *session.Session) uint32 {
	t.Helper()
	var pid int32
	if err := s.QueryRow(ctx, "SELECT pg_backend_pid()").Scan(&pid); err != nil {
		t.Fatal(err)
	}
	return uint32(pid)
}

// TestPoolPrepareConnRefuses: PrepareConn sees each connection before its
// holder does; the one it refuses is closed and another one handed out.
func TestPoolPrepareConnRefuses(t *testing.T) {
	var mu sync.Mutex
	var seen []uint32
	refuse := true
	var closed []uint32
	p := newPool(t, dsn(t, pgtest.Trust), &session.PoolOptions{
		MaxConns: 2,
		PrepareConn: func(ctx context.Context, s *session.Session) error {
			pid := backendPID(t, ctx, s) // the hook may use the connection
			if pid != s.BackendPID() {
				return fmt.Errorf("hook's session on %d, connection %d", pid, s.BackendPID())
			}
			mu.Lock()
			defer mu.Unlock()
			seen = append(seen, pid)
			if refuse {
				refuse = false
				return errors.New("not this one")
			}
			return nil
		},
		BeforeClose: func(s *session.Session) {
			mu.Lock()
			closed = append(closed, s.BackendPID())
			mu.Unlock()
		},
	})
	ctx := context.Background()
	c, err := p.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	got := c.BackendPID()
	c.Release()
	mu.Lock()
	if len(seen) != 2 || seen[1] != got || seen[0] == got {
		t.Fatalf("PrepareConn saw %v, holder got %d", seen, got)
	}
	first := seen[0]
	mu.Unlock()
	waitFor(t, "the refused connection to close", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(closed) == 1 && closed[0] == first
	})
	if st := p.Stats(); st.Closed.Refused != 1 || st.TotalConns != 1 {
		t.Fatalf("stats %+v", st)
	}
	// A transaction that takes a connection (its first command cannot be
	// held) goes through PrepareConn too.
	tx, err := p.Begin(ctx, session.TxOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(ctx, "SELECT 1").Await(ctx); err != nil {
		t.Fatal(err)
	}
	if err := tx.Rollback(ctx); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	n := len(seen)
	mu.Unlock()
	if n != 3 {
		t.Fatalf("PrepareConn saw %d connections after Begin; want 3", n)
	}

	// A hook that refuses everything: Acquire ends with ctx, naming why.
	q := newPool(t, dsn(t, pgtest.Trust), &session.PoolOptions{MaxConns: 1,
		PrepareConn: func(context.Context, *session.Session) error { return errors.New("never") }})
	actx, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
	defer cancel()
	if _, err := q.Acquire(actx); !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "never") {
		t.Fatalf("acquire with every connection refused: %v", err)
	}
	if st := q.Stats(); st.Closed.Refused < 1 {
		t.Fatalf("stats %+v", st)
	}
}

// TestPoolAfterRelease: called after each release; false closes the
// connection, and BeforeClose hears of it.
func TestPoolAfterRelease(t *testing.T) {
	var released, beforeClose atomic.Int32
	var drop atomic.Uint32
	p := newPool(t, dsn(t, pgtest.Trust), &session.PoolOptions{
		MaxConns: 1,
		AfterRelease: func(s *session.Session) bool {
			released.Add(1)
			return s.BackendPID() != drop.Load()
		},
		BeforeClose: func(*session.Session) { beforeClose.Add(1) },
	})
	ctx := context.Background()
	c, err := p.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	keep := c.BackendPID()
	c.Release()
	if released.Load() != 1 {
		t.Fatalf("AfterRelease ran %d times", released.Load())
	}
	c, err = p.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if c.BackendPID() != keep {
		t.Fatalf("kept connection %d, got %d", keep, c.BackendPID())
	}
	drop.Store(keep)
	c.Release()
	tx, err := p.Begin(ctx, session.TxOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var pid int32
	if err := tx.QueryRow(ctx, "SELECT pg_backend_pid()").Scan(&pid); err != nil {
		t.Fatal(err)
	}
	if uint32(pid) == keep {
		t.Fatal("the connection AfterRelease refused was handed out again")
	}
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	if released.Load() != 3 {
		t.Fatalf("AfterRelease ran %d times, want 3", released.Load())
	}
	waitFor(t, "BeforeClose", func() bool { return beforeClose.Load() == 1 })
	st := p.Stats()
	if st.Closed.AfterRelease != 1 || st.Opened.Demand != 2 || st.OpenFailed != 0 {
		t.Fatalf("stats %+v", st)
	}
	p.Close()
	if beforeClose.Load() != 2 {
		t.Fatalf("BeforeClose ran %d times after Close, want 2", beforeClose.Load())
	}
	if st := p.Stats(); st.Closed.PoolClosed != 1 {
		t.Fatalf("stats after Close %+v", st)
	}
}

// TestPoolMinIdleConns: the health check keeps MinIdleConns idle
// connections, also after their backends were terminated.
func TestPoolMinIdleConns(t *testing.T) {
	if cluster.External {
		t.Skip("needs pg_terminate_backend on the harness's own server")
	}
	// pool_min_idle_conns from the connection string, as pgx's.
	p := newPool(t, dsn(t, pgtest.Trust, "application_name", "min_idle", "pool_min_idle_conns", "2"), &session.PoolOptions{
		MaxConns: 4, HealthCheckPeriod: 20 * time.Millisecond,
	})
	ctx := context.Background()
	waitFor(t, "two idle connections", func() bool { return p.Stats().IdleConns >= 2 })
	if st := p.Stats(); st.TotalConns > 2 || st.Opened.Min != 2 {
		t.Fatalf("stats %+v", st)
	}
	n, err := cluster.Exec(ctx, "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = 'min_idle'")
	if err != nil {
		t.Fatal(err)
	}
	if strings.TrimSpace(n) != "2" {
		t.Fatalf("terminated %q backends", n)
	}
	waitFor(t, "the dead connections replaced", func() bool {
		st := p.Stats()
		return st.Closed.Dead == 2 && st.IdleConns == 2 && st.Opened.Min == 4
	})
	waitFor(t, "two live backends", func() bool {
		live, err := cluster.Exec(ctx, "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'min_idle'")
		return err == nil && strings.TrimSpace(live) == "2"
	})
	if err := p.Ping(ctx); err != nil {
		t.Fatal(err)
	}
}

// TestPoolNoWarningAtMaxConns: a pool that is full under load logs
// nothing; a server that is down is logged, at most once a second.
func TestPoolNoWarningAtMaxConns(t *testing.T) {
	var logs lockedBuffer
	var dropping atomic.Bool
	p := newPool(t, dsn(t, pgtest.Trust), &session.PoolOptions{
		Options:  session.Options{Logger: newTextLogger(&logs)},
		MaxConns: 2,
		// The first connection given back is closed slowly: puddle counts
		// it until it is gone, so the pool is full while routing sees one
		// connection, stalled by slow commands, and keeps wanting another.
		AfterRelease: func(*session.Session) bool { return !dropping.Load() },
		BeforeClose: func(*session.Session) {
			if dropping.CompareAndSwap(true, false) {
				time.Sleep(500 * time.Millisecond)
			}
		},
	})
	ctx := context.Background()
	c, err := p.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	dropping.Store(true)
	c.Release()
	var wg sync.WaitGroup
	var failed atomic.Int32
	for range 64 {
		wg.Go(func() {
			for range 10 {
				if _, err := p.Exec(ctx, "SELECT pg_sleep(0.005)").Await(ctx); err != nil {
					failed.Add(1)
				}
			}
		})
	}
	wg.Wait()
	st := p.Stats()
	if failed.Load() != 0 || st.TotalConns > 2 || st.MaxConns != 2 || st.Closed.AfterRelease != 1 {
		t.Fatalf("%d failed, stats %+v", failed.Load(), st)
	}
	if strings.Contains(logs.String(), "level=WARN") {
		t.Fatalf("warnings at MaxConns: %s", logs.String())
	}

	// A server that is not there: every Ping fails, the log has one line
	// a second.
	var down lockedBuffer
	q := newPool(t, dsn(t, pgtest.Trust, "host", "127.0.0.1", "port", "1"), &session.PoolOptions{
		Options: session.Options{Logger: newTextLogger(&down)}, MaxConns: 2,
	})
	start := time.Now()
	pings := 0
	for time.Since(start) < 1500*time.Millisecond {
		if err := q.Ping(ctx); err == nil {
			t.Fatal("ping reached port 1")
		}
		pings++
		time.Sleep(20 * time.Millisecond)
	}
	warned := strings.Count(down.String(), "level=WARN")
	if warned < 1 || warned > 2 || pings < 20 {
		t.Fatalf("%d pings, %d warnings: %s", pings, warned, down.String())
	}
	if st := q.Stats(); st.OpenFailed != int64(pings) {
		t.Fatalf("%d pings, stats %+v", pings, st)
	}
}

// TestPoolStatsCounters: commands, batches, cancels, re-routed commands
// and the wait distribution are counted.
func TestPoolStatsCounters(t *testing.T) {
	if cluster.External {
		t.Skip("needs pg_terminate_backend on the harness's own server")
	}
	p := newPool(t, dsn(t, pgtest.Trust, "application_name", "stats_me", "max_in_flight", "1"), &session.PoolOptions{MaxConns: 1})
	ctx := context.Background()
	for i := range 20 {
		var v int32
		if err := p.QueryRow(ctx, "SELECT $1::int4", int32(i)).Scan(&v); err != nil || v != int32(i) {
			t.Fatal(v, err)
		}
	}
	b := &session.Batch{}
	b.Exec("SELECT 1")
	b.Exec("SELECT 2")
	if _, err := p.SendBatch(ctx, b).Await(ctx); err != nil {
		t.Fatal(err)
	}
	cctx, cancel := context.WithTimeout(ctx, 30*time.Millisecond)
	if _, err := p.Exec(cctx, "SELECT pg_sleep(5)").Await(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("want a deadline, got %v", err)
	}
	cancel()
	// The cancel request goes out from a goroutine of its own: wait for it.
	waitFor(t, "the cancel request to be sent", func() bool { return p.Stats().CancelsSent == 1 })
	st := p.Stats()
	if st.Commands != 22 || st.Batches != 1 || st.Canceled != 1 || st.CancelsSent != 1 || st.MaxConns != 1 || st.Opened.Demand != 1 {
		t.Fatalf("stats %+v", st)
	}
	var sum int64
	for _, n := range st.Wait {
		sum += n
	}
	if sum != st.Commands {
		t.Fatalf("wait buckets hold %d, commands %d", sum, st.Commands)
	}
	p50, p99 := st.WaitPercentile(0.5), st.WaitPercentile(0.99)
	if p50 <= 0 || p99 < p50 || p99 > 10*time.Second {
		t.Fatalf("p50 %v, p99 %v", p50, p99)
	}
	// A command queued behind a slow one (max_in_flight=1) is written only
	// once that one is answered: its wait shows it.
	before := p.Stats().Wait
	slow := p.Exec(ctx, "SELECT pg_sleep(0.3)")
	time.Sleep(20 * time.Millisecond)
	if _, err := p.Exec(ctx, "SELECT 1").Await(ctx); err != nil {
		t.Fatal(err)
	}
	slow.Await(ctx)
	after := p.Stats().Wait
	longest := -1
	for i := range after {
		if after[i] > before[i] {
			longest = i
		}
	}
	if longest < 0 || session.WaitBucketBound(longest) < 200*time.Millisecond {
		t.Fatalf("the command behind pg_sleep(0.3) waited under %v to be written", session.WaitBucketBound(longest))
	}

	// Commands queued behind one whose backend dies were never written:
	// they are routed again, and counted.
	var wg sync.WaitGroup
	errs := make([]error, 4)
	for i := range errs {
		wg.Go(func() { _, errs[i] = p.Exec(ctx, "SELECT pg_sleep(0.5)").Await(ctx) })
	}
	// One runs, the others wait behind it (max_in_flight=1).
	waitFor(t, "the commands to be sent", func() bool { return p.Stats().Commands == 28 })
	time.Sleep(100 * time.Millisecond)
	if _, err := cluster.Exec(ctx, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'stats_me'"); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	ok := 0
	for _, err := range errs {
		if err == nil {
			ok++
		}
	}
	st = p.Stats()
	if ok == 0 || st.Rerouted < 1 {
		t.Fatalf("%d succeeded, stats %+v (errors %v)", ok, st, errs)
	}
}

// TestPoolNoConnectionForALettingGoHolder: right after a holder gives its
// connection back, the actor may still be finishing the release; a
// multiplexed command then waits for it instead of opening a connection
// (MaxConns leaves room for one).
func TestPoolNoConnectionForALettingGoHolder(t *testing.T) {
	p := newPool(t, dsn(t, pgtest.Trust), &session.PoolOptions{MaxConns: 2})
	ctx := context.Background()
	for i := range 100 {
		if i%2 == 0 {
			c, err := p.Acquire(ctx)
			if err != nil {
				t.Fatal(err)
			}
			c.Release()
		} else {
			tx, err := p.Begin(ctx, session.TxOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := tx.Exec(ctx, "SELECT 1").Await(ctx); err != nil { // takes the connection
				t.Fatal(err)
			}
			if err := tx.Commit(ctx); err != nil {
				t.Fatal(err)
			}
		}
		var v int32
		if err := p.QueryRow(ctx, "SELECT $1::int4", int32(i)).Scan(&v); err != nil || v != int32(i) {
			t.Fatal(v, err)
		}
	}
	if st := p.Stats(); st.Opened.Demand+st.Opened.Grow+st.Opened.Min != 1 {
		t.Fatalf("a pool used by one goroutine at a time opened %d connections: %+v", st.Opened.Demand+st.Opened.Grow+st.Opened.Min, st.Opened)
	}
}
