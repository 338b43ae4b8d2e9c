package session_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pgactor/pgactor/internal/pgtest"
	"github.com/pgactor/pgactor/session"
)

// replicaPair starts a fresh primary and a streaming hot standby of it,
// closed when t ends.
func replicaPair(t *testing.T) (primary, standby *pgtest.Cluster) {
	t.Helper()
	cluster.RequireLocal(t, "a primary and a standby of its own")
	primary, err := pgtest.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { primary.Close() })
	standby, err = primary.StartStandby()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { standby.Close() })
	return primary, standby
}

// multiHostDSN is one connection string naming every cluster, in order.
func multiHostDSN(cs ...*pgtest.Cluster) string {
	p := cs[0].Params(pgtest.Trust)
	hosts, ports := "", ""
	for i, c := range cs {
		if i > 0 {
			hosts, ports = hosts+",", ports+","
		}
		hosts += c.Host
		ports += strconv.Itoa(c.Port)
	}
	p["host"], p["port"] = hosts, ports
	return pgtest.FormatKeyValue(p)
}

func newReplicaPool(t *testing.T, dsn string, opts *session.ReplicaOptions) *session.ReplicaPool {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	rp, err := session.NewReplicaPool(ctx, dsn, opts)
	if err != nil {
		t.Fatalf("NewReplicaPool: %v", err)
	}
	t.Cleanup(rp.Close)
	return rp
}

// where runs a query through q reporting which server answered.
type rowQuerier interface {
	QueryRow(ctx context.Context, sql string, args ...any) *session.Row
}

// serverOf returns pg_is_in_recovery() and inet_server_port() of the
// server q sent the query to.
func serverOf(ctx context.Context, q rowQuerier) (recovery bool, port int, err error) {
	err = q.QueryRow(ctx, "SELECT pg_is_in_recovery(), inet_server_port()").Scan(&recovery, &port)
	return recovery, port, err
}

// waitFor polls cond until it holds or d passes.
func waitUntil(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(d); !cond(); {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %v", what, d)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestParseLSN(t *testing.T) {
	for _, c := range []struct {
		in   string
		want session.LSN
	}{{"0/0", 0}, {"16/B374D848", 0x16_B374D848}, {"FFFFFFFF/FFFFFFFF", 1<<64 - 1}, {"", 0}} {
		got, err := session.ParseLSN(c.in)
		if err != nil || got != c.want {
			t.Errorf("ParseLSN(%q) = %v, %v; want %v", c.in, got, err, c.want)
		}
		if c.in != "" && got.String() != c.in {
			t.Errorf("%q round trips as %q", c.in, got.String())
		}
	}
	for _, bad := range []string{"16", "/1", "1/", "G/1", "1/2/3", "100000000/0", "-1/0"} {
		if l, err := session.ParseLSN(bad); err == nil {
			t.Errorf("ParseLSN(%q) = %v; want an error", bad, l)
		}
	}
}

// TestReplicaRouting sends reads through the read views to the standby
// and writes to the primary, checking with pg_is_in_recovery() and the
// server port; then stops the standby: strict reads fail clearly,
// prefer-standby reads fall back to the primary.
func TestReplicaRouting(t *testing.T) {
	primary, standby := replicaPair(t)
	rp := newReplicaPool(t, multiHostDSN(primary, standby), &session.ReplicaOptions{CheckPeriod: 100 * time.Millisecond})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	hs := rp.Hosts()
	if len(hs) != 2 || hs[0].Role != session.RolePrimary || hs[1].Role != session.RoleStandby || !hs[0].Up || !hs[1].Up || hs[0].ReadOnly || !hs[1].ReadOnly {
		t.Fatalf("hosts: %+v; want an up primary then an up standby", hs)
	}
	if _, err := rp.Exec(ctx, "CREATE TABLE routed (id int PRIMARY KEY, v text)").Await(ctx); err != nil {
		t.Fatal(err)
	}

	// Concurrent reads through both views land on the standby; writes
	// and the pool's own reads on the primary.
	var wg sync.WaitGroup
	for i := range 40 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			view := rp.Standby()
			if i%2 == 1 {
				view = rp.PreferStandby()
			}
			rec, port, err := serverOf(ctx, view)
			if err != nil || !rec || port != standby.Port {
				t.Errorf("read %d: recovery %v port %d, %v; want the standby (port %d)", i, rec, port, err, standby.Port)
			}
			if tag, err := rp.Exec(ctx, "INSERT INTO routed VALUES ($1, $2)", i, fmt.Sprint("row", i)).Await(ctx); err != nil || tag.RowsAffected() != 1 {
				t.Errorf("write %d: %v, %v", i, tag, err)
			}
			rec, port, err = serverOf(ctx, rp)
			if err != nil || rec || port != primary.Port {
				t.Errorf("pool query %d: recovery %v port %d, %v; want the primary (port %d)", i, rec, port, err, primary.Port)
			}
		}()
	}
	wg.Wait()
	var n int
	if err := rp.QueryRow(ctx, "SELECT count(*) FROM routed").Scan(&n); err != nil || n != 40 {
		t.Fatalf("rows on the primary: %d, %v; want 40", n, err)
	}
	// The rows reach the standby, and a read there sees them.
	waitUntil(t, 10*time.Second, "rows reach the standby", func() bool {
		var v string
		err := rp.Standby().QueryRow(ctx, "SELECT v FROM routed WHERE id = 39").Scan(&v)
		return err == nil && v == "row39"
	})
	// The standby refuses a write sent through a read view.
	var pe *session.PgError
	if err := rp.Standby().QueryRow(ctx, "INSERT INTO routed VALUES (100, 'x') RETURNING id").Scan(new(int)); !errors.As(err, &pe) || pe.SQLState() != "25006" {
		t.Errorf("write on the standby: %v; want 25006 read_only_sql_transaction", err)
	}
	hs = rp.Hosts()
	if hs[1].Reads < 20 || hs[0].Writes < 40 {
		t.Errorf("counters: %+v; want ≥20 reads on the standby, ≥40 writes on the primary", hs)
	}

	// A pool over the standby alone has no primary: writes fail with
	// ErrNoPrimary after FailoverWait, or when their context ends, while
	// reads work.
	only := newReplicaPool(t, multiHostDSN(standby), &session.ReplicaOptions{CheckPeriod: 100 * time.Millisecond, FailoverWait: 300 * time.Millisecond})
	began := time.Now()
	if _, err := only.Exec(ctx, "SELECT 1").Await(ctx); !errors.Is(err, session.ErrNoPrimary) {
		t.Errorf("write without a primary: %v; want ErrNoPrimary", err)
	}
	if took := time.Since(began); took < 300*time.Millisecond || took > 3*time.Second {
		t.Errorf("write without a primary failed after %v; want FailoverWait (300ms)", took)
	}
	short, shortCancel := context.WithTimeout(ctx, 100*time.Millisecond)
	_, err := only.Exec(short, "SELECT 1").Await(ctx)
	shortCancel()
	if !errors.Is(err, session.ErrNoPrimary) || !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("write without a primary, short context: %v; want ErrNoPrimary and DeadlineExceeded", err)
	}
	if rec, port, err := serverOf(ctx, only.PreferStandby()); err != nil || !rec || port != standby.Port {
		t.Errorf("read on a standby-only pool: recovery %v port %d, %v", rec, port, err)
	}
	if _, err := only.Primary(short); !errors.Is(err, session.ErrNoPrimary) {
		t.Errorf("Primary without a primary: %v; want ErrNoPrimary", err)
	}

	// Without a standby: strict reads fail with ErrNoStandby, preferred
	// ones go to the primary, writes are unaffected.
	if err := standby.Stop(); err != nil {
		t.Fatal(err)
	}
	rec, port, err := serverOf(ctx, rp.PreferStandby())
	if err != nil || rec || port != primary.Port {
		t.Errorf("prefer-standby read without a standby: recovery %v port %d, %v; want the primary", rec, port, err)
	}
	waitUntil(t, 5*time.Second, "the stopped standby is seen down", func() bool { return !rp.Hosts()[1].Up })
	if _, _, err := serverOf(ctx, rp.Standby()); !errors.Is(err, session.ErrNoStandby) {
		t.Errorf("standby read without a standby: %v; want ErrNoStandby", err)
	}

	// Back again: reads return to it.
	if err := standby.Restart(); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, 10*time.Second, "reads return to the restarted standby", func() bool {
		rec, port, err := serverOf(ctx, rp.Standby())
		return err == nil && rec && port == standby.Port
	})
}

// TestReplicaLagBound pauses replay on the standby and keeps writing on
// the primary: once the measured lag passes MaxReplayLag, reads fall back
// to the primary (and strict ones fail); after resuming they return.
func TestReplicaLagBound(t *testing.T) {
	primary, standby := replicaPair(t)
	const bound = 300 * time.Millisecond
	rp := newReplicaPool(t, multiHostDSN(primary, standby), &session.ReplicaOptions{CheckPeriod: 50 * time.Millisecond, MaxReplayLag: bound})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if _, err := rp.Exec(ctx, "CREATE TABLE ticks (at timestamptz)").Await(ctx); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, 10*time.Second, "reads on the caught-up standby", func() bool {
		rec, port, err := serverOf(ctx, rp.PreferStandby())
		return err == nil && rec && port == standby.Port
	})

	// Write traffic, so that the paused standby falls behind.
	stop := make(chan struct{})
	var writer sync.WaitGroup
	writer.Add(1)
	go func() {
		defer writer.Done()
		for {
			select {
			case <-stop:
				return
			case <-time.After(10 * time.Millisecond):
			}
			if _, err := rp.Exec(ctx, "INSERT INTO ticks VALUES (now())").Await(ctx); err != nil {
				t.Errorf("write: %v", err)
				return
			}
		}
	}()
	defer func() {
		close(stop)
		writer.Wait()
	}()

	// Pause once the standby replays the ticks, so that its last
	// replayed transaction is a moment before the pause.
	waitUntil(t, 10*time.Second, "ticks reach the standby", func() bool {
		var n int
		err := rp.Standby().QueryRow(ctx, "SELECT count(*) FROM ticks").Scan(&n)
		return err == nil && n > 0
	})
	if out, err := standby.Exec(ctx, "SELECT pg_wal_replay_pause()"); err != nil {
		t.Fatalf("pause: %q, %v", out, err)
	}
	paused := time.Now()
	waitUntil(t, 10*time.Second, "reads leave the lagging standby", func() bool {
		rec, port, err := serverOf(ctx, rp.PreferStandby())
		return err == nil && !rec && port == primary.Port
	})
	// The harness runs with synchronous_commit=off, so the last tick the
	// standby replayed may be a wal_writer_delay (200ms) older than the
	// pause.
	if since := time.Since(paused); since < bound-250*time.Millisecond {
		t.Errorf("reads left the standby %v after the pause, before the bound %v could be exceeded", since, bound)
	}
	if hs := rp.Hosts(); hs[1].LagKnown && hs[1].ReplayLag <= bound {
		t.Errorf("standby lag %v (known %v); want more than %v", hs[1].ReplayLag, hs[1].LagKnown, bound)
	}
	// Every read keeps going to the primary while the standby lags.
	for i := range 20 {
		rec, port, err := serverOf(ctx, rp.PreferStandby())
		if err != nil || rec || port != primary.Port {
			t.Fatalf("read %d with the standby lagging: recovery %v port %d, %v; want the primary", i, rec, port, err)
		}
	}
	if _, _, err := serverOf(ctx, rp.Standby()); !errors.Is(err, session.ErrNoStandby) {
		t.Errorf("strict standby read with the standby lagging: %v; want ErrNoStandby", err)
	}

	if out, err := standby.Exec(ctx, "SELECT pg_wal_replay_resume()"); err != nil {
		t.Fatalf("resume: %q, %v", out, err)
	}
	waitUntil(t, 10*time.Second, "reads return to the resumed standby", func() bool {
		rec, port, err := serverOf(ctx, rp.PreferStandby())
		return err == nil && rec && port == standby.Port
	})
}

// TestReplicaReadYourWrites runs 20 writers, each reading its own row
// back through a Causal right after writing it: every read must see it,
// wherever it ran. With replay paused, the Causal's reads see a new row
// while a plain standby read does not, which shows the gate is what makes
// them right.
func TestReplicaReadYourWrites(t *testing.T) {
	primary, standby := replicaPair(t)
	rp := newReplicaPool(t, multiHostDSN(primary, standby), &session.ReplicaOptions{CheckPeriod: 50 * time.Millisecond})
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if _, err := rp.Exec(ctx, "CREATE TABLE ryw (w int, i int, v text, PRIMARY KEY (w, i))").Await(ctx); err != nil {
		t.Fatal(err)
	}

	const writers, rounds = 20, 8
	var onStandby, reads atomic.Int64
	var wg sync.WaitGroup
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := rp.Causal()
			for i := range rounds {
				v := fmt.Sprintf("w%d-i%d", w, i)
				if _, err := c.Exec(ctx, "INSERT INTO ryw VALUES ($1, $2, $3)", w, i, v); err != nil {
					t.Errorf("writer %d: %v", w, err)
					return
				}
				// Read it back twice: at once, and a moment later, when a
				// standby has usually replayed it (the harness runs with
				// synchronous_commit=off: WAL leaves the primary when the
				// WAL writer flushes it, every 200ms).
				for _, pause := range []time.Duration{0, 300 * time.Millisecond} {
					time.Sleep(pause)
					var got string
					var rec bool
					err := c.QueryRow(ctx, "SELECT v, pg_is_in_recovery() FROM ryw WHERE w = $1 AND i = $2", w, i).Scan(&got, &rec)
					if err != nil || got != v {
						t.Errorf("writer %d round %d: read %q, %v; want its own row %q", w, i, got, err, v)
						return
					}
					reads.Add(1)
					if rec {
						onStandby.Add(1)
					}
				}
			}
		}()
	}
	wg.Wait()
	t.Logf("read-your-writes: %d of %d reads served by the standby", onStandby.Load(), reads.Load())
	if onStandby.Load() == 0 {
		t.Errorf("no read went to the standby: the gate sends everything to the primary")
	}

	// With replay paused, the standby cannot have a new row: the Causal
	// must read it from the primary.
	if _, err := standby.Exec(ctx, "SELECT pg_wal_replay_pause()"); err != nil {
		t.Fatal(err)
	}
	c := rp.Causal()
	if _, err := c.Exec(ctx, "INSERT INTO ryw VALUES (-1, -1, 'paused')"); err != nil {
		t.Fatal(err)
	}
	if c.LSN() == 0 {
		t.Fatal("Causal recorded no WAL position")
	}
	var n int
	if err := rp.Standby().QueryRow(ctx, "SELECT count(*) FROM ryw WHERE w = -1").Scan(&n); err != nil || n != 0 {
		t.Fatalf("paused standby: count %d, %v; want 0 (the row must not have arrived)", n, err)
	}
	for range 10 {
		var v string
		var rec bool
		if err := c.QueryRow(ctx, "SELECT v, pg_is_in_recovery() FROM ryw WHERE w = -1").Scan(&v, &rec); err != nil || v != "paused" || rec {
			t.Fatalf("causal read with replay paused: %q recovery %v, %v; want 'paused' from the primary", v, rec, err)
		}
	}
	if err := rp.Standby().After(c.LSN()).QueryRow(ctx, "SELECT 1").Scan(new(int)); !errors.Is(err, session.ErrNoStandby) {
		t.Errorf("strict read after the paused LSN: %v; want ErrNoStandby", err)
	}
	if _, err := standby.Exec(ctx, "SELECT pg_wal_replay_resume()"); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, 10*time.Second, "causal reads return to the standby", func() bool {
		var v string
		var rec bool
		err := c.QueryRow(ctx, "SELECT v, pg_is_in_recovery() FROM ryw WHERE w = -1").Scan(&v, &rec)
		if err == nil && v != "paused" {
			t.Fatalf("causal read: %q; want 'paused'", v)
		}
		return err == nil && rec
	})
}

// TestReplicaFailover kills the primary under 32 goroutines of mixed load
// and promotes the standby: writes must succeed again within 5 s of the
// promote, no answer may be wrong, no command may outlive its context by
// more than a little, and every failure must be one the pool documents.
func TestReplicaFailover(t *testing.T) {
	primary, standby := replicaPair(t)
	rp := newReplicaPool(t, multiHostDSN(primary, standby), &session.ReplicaOptions{
		CheckPeriod:  250 * time.Millisecond,
		FailoverWait: 20 * time.Second,
		PoolOptions:  session.PoolOptions{MaxConns: 4},
	})
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if _, err := rp.Exec(ctx, "CREATE TABLE fo (id bigint PRIMARY KEY, v bigint)").Await(ctx); err != nil {
		t.Fatal(err)
	}

	const workers, cmdTimeout = 32, 3 * time.Second
	var (
		stop                          atomic.Bool
		promoted                      atomic.Int64 // unix nanoseconds when Promote returned
		firstWriteAfter               atomic.Int64 // unix nanoseconds of the first write acked after it
		writesOK, writesLost, noPrim  atomic.Int64
		readsOK, readsStandby, readsE atomic.Int64
		timedOut                      atomic.Int64
	)
	// allowed reports failures the pool documents for a failover: a
	// command lost with the server, no primary yet, or its own deadline.
	allowed := func(err error) bool {
		return errors.Is(err, session.ErrHostLost) || errors.Is(err, session.ErrNoPrimary) || errors.Is(err, context.DeadlineExceeded)
	}
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := int64(0); !stop.Load(); i++ {
				id := int64(w)<<32 | i
				cctx, ccancel := context.WithTimeout(ctx, cmdTimeout)
				began := time.Now()
				var err error
				if w%2 == 0 {
					var v int64
					err = rp.QueryRow(cctx, "INSERT INTO fo VALUES ($1, $2) RETURNING v", id, 2*id).Scan(&v)
					switch {
					case err == nil && v != 2*id:
						t.Errorf("write %d returned %d; want %d", id, v, 2*id)
					case err == nil:
						writesOK.Add(1)
						if promoted.Load() != 0 {
							firstWriteAfter.CompareAndSwap(0, time.Now().UnixNano())
						}
					case errors.Is(err, session.ErrHostLost):
						writesLost.Add(1)
					case errors.Is(err, session.ErrNoPrimary):
						noPrim.Add(1)
					}
				} else {
					var v int64
					var rec bool
					err = rp.PreferStandby().QueryRow(cctx, "SELECT $1::bigint * 3, pg_is_in_recovery()", id).Scan(&v, &rec)
					switch {
					case err == nil && v != 3*id:
						t.Errorf("read %d returned %d; want %d", id, v, 3*id)
					case err == nil:
						readsOK.Add(1)
						if rec {
							readsStandby.Add(1)
						}
					default:
						readsE.Add(1)
					}
				}
				took := time.Since(began)
				ccancel()
				if took > cmdTimeout+time.Second {
					t.Errorf("worker %d: a command took %v, past its %v context", w, took, cmdTimeout)
				}
				if errors.Is(err, context.DeadlineExceeded) {
					timedOut.Add(1)
				}
				if err != nil && !allowed(err) {
					t.Errorf("worker %d: unexpected error: %v", w, err)
				}
				if err != nil {
					time.Sleep(10 * time.Millisecond)
				}
			}
		}()
	}

	time.Sleep(time.Second)
	before := writesOK.Load()
	if before == 0 {
		t.Errorf("no write succeeded before the failover")
	}
	readsBefore, standbyBefore := readsOK.Load(), readsStandby.Load()
	killed := time.Now()
	if err := primary.Kill(); err != nil {
		t.Fatal(err)
	}
	// A write sent once the old primary's connections are gone cannot
	// reach it: it must wait for the new primary and run there.
	time.Sleep(100 * time.Millisecond)
	gapCtx, gapCancel := context.WithTimeout(ctx, 10*time.Second)
	defer gapCancel()
	gapWrite := rp.QueryRow(gapCtx, "INSERT INTO fo VALUES (-1, -2) RETURNING v, pg_is_in_recovery()")
	time.Sleep(200 * time.Millisecond)
	if err := standby.Promote(ctx); err != nil {
		t.Fatal(err)
	}
	promoted.Store(time.Now().UnixNano())
	var gapV int64
	var gapRec bool
	if err := gapWrite.Scan(&gapV, &gapRec); err != nil || gapV != -2 || gapRec {
		t.Errorf("write sent between kill and promote: %d recovery %v, %v; want it re-routed to the new primary", gapV, gapRec, err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for firstWriteAfter.Load() == 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	time.Sleep(time.Second) // load on the new primary for a while
	stop.Store(true)
	wg.Wait()

	first := firstWriteAfter.Load()
	if first == 0 {
		t.Fatalf("no write succeeded within 5 s of the promote")
	}
	sincePromote := time.Duration(first - promoted.Load())
	t.Logf("failover: primary killed, standby promoted %v later; first write acked %v after the promote (%v after the kill)",
		time.Duration(promoted.Load()-killed.UnixNano()), sincePromote, time.Duration(first-killed.UnixNano()))
	t.Logf("writes: %d ok (%d before the kill), %d lost with the old primary (ErrHostLost), %d without a primary (ErrNoPrimary); %d commands hit their own deadline",
		writesOK.Load(), before, writesLost.Load(), noPrim.Load(), timedOut.Load())
	t.Logf("reads: %d ok, %d of them (%.0f%%) served by the standby (before the kill: %d of %d, %.0f%%; after the promote there is no standby), %d failed",
		readsOK.Load(), readsStandby.Load(), 100*float64(readsStandby.Load())/float64(max(readsOK.Load(), 1)),
		standbyBefore, readsBefore, 100*float64(standbyBefore)/float64(max(readsBefore, 1)), readsE.Load())
	if standbyBefore == 0 {
		t.Errorf("no read went to the standby before the failover")
	}
	if sincePromote > 5*time.Second {
		t.Errorf("writes resumed %v after the promote; want within 5 s", sincePromote)
	}
	hs := rp.Hosts()
	if hs[1].Role != session.RolePrimary || !hs[1].Up || hs[0].Up {
		t.Errorf("hosts after the failover: %+v; want the old primary down and the old standby primary", hs)
	}
	// Every acknowledged write after the promote is on the new primary.
	var n int64
	if err := rp.QueryRow(ctx, "SELECT count(*) FROM fo WHERE v = 2 * id").Scan(&n); err != nil || n == 0 {
		t.Errorf("rows on the new primary: %d, %v", n, err)
	}
	var bad int64
	if err := rp.QueryRow(ctx, "SELECT count(*) FROM fo WHERE v <> 2 * id").Scan(&bad); err != nil || bad != 0 {
		t.Errorf("wrong rows on the new primary: %d, %v", bad, err)
	}
}

// TestReplicaUnreachable refuses a pool none of whose hosts answers, and
// names the host.
func TestReplicaUnreachable(t *testing.T) {
	cluster.RequireLocal(t, "a port nobody listens on")
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().(*net.TCPAddr)
	l.Close()
	p := cluster.Params(pgtest.Trust)
	p["port"] = strconv.Itoa(addr.Port)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	rp, err := session.NewReplicaPool(ctx, pgtest.FormatKeyValue(p), nil)
	if err == nil {
		rp.Close()
		t.Fatal("NewReplicaPool over a closed port succeeded")
	}
	if !strings.Contains(err.Error(), addr.String()) {
		t.Errorf("error %q does not name %s", err, addr)
	}
}
