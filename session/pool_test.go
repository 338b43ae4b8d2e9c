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

	"github.com/pgactor/pgactor/futures"
	"github.com/pgactor/pgactor/internal/pgtest"
	"github.com/pgactor/pgactor/session"
)

// TestPoolTenThousandGoroutines: 10,000 goroutines share a pool of 4.
func TestPoolTenThousandGoroutines(t *testing.T) {
	p := newPool(t, dsn(t, pgtest.Trust), &session.PoolOptions{MaxConns: 4})
	ctx := context.Background()
	var wg sync.WaitGroup
	var bad, failed atomic.Int64
	for g := range 10_000 {
		wg.Go(func() {
			var v int64
			if err := p.QueryRow(ctx, "SELECT $1::int8", int64(g)).Scan(&v); err != nil {
				failed.Add(1)
			} else if v != int64(g) {
				bad.Add(1)
			}
		})
	}
	wg.Wait()
	if failed.Load() != 0 || bad.Load() != 0 {
		t.Fatalf("%d failed, %d wrong", failed.Load(), bad.Load())
	}
	if st := p.Stats(); st.TotalConns > 4 || st.TotalConns < 1 {
		t.Fatalf("stats %+v", st)
	}
}

func TestPoolRecoversFromTerminatedBackends(t *testing.T) {
	if cluster.External {
		t.Skip("needs pg_terminate_backend on the harness's own server")
	}
	p := newPool(t, dsn(t, pgtest.Trust, "application_name", "terminate_me"), &session.PoolOptions{MaxConns: 4, HealthCheckPeriod: 50 * time.Millisecond})
	ctx := context.Background()
	for i := range 50 {
		p.Exec(ctx, "SELECT $1::int4", int32(i)).Await(ctx)
	}
	// Long commands in flight when the backends die.
	var futs []error
	var mu sync.Mutex
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			_, err := p.Exec(ctx, "SELECT pg_sleep(2)").Await(ctx)
			mu.Lock()
			futs = append(futs, err)
			mu.Unlock()
		})
	}
	time.Sleep(200 * time.Millisecond)
	if _, err := cluster.Exec(ctx, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'terminate_me'"); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	// A command the server was running fails with the cause; one still
	// waiting in a dying connection's actor behind it was never written
	// and is routed to a new connection, where it succeeds.
	killed := 0
	for _, err := range futs {
		if err == nil {
			continue
		}
		killed++
		if !errors.Is(err, session.ErrClosed) {
			t.Fatalf("in-flight command: %v", err)
		}
		var pe *session.PgError
		if !errors.As(err, &pe) || pe.SQLState() != "57P01" {
			t.Fatalf("cause: %v", err)
		}
	}
	if killed == 0 {
		t.Fatal("no command saw its backend die")
	}
	// The pool replaces the dead connections.
	deadline := time.Now().Add(10 * time.Second)
	for {
		var v int
		err := p.QueryRow(ctx, "SELECT 1").Scan(&v)
		if err == nil && v == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("pool did not recover: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestPoolPinnedTransactionsUnderLoad(t *testing.T) {
	p := newPool(t, dsn(t, pgtest.Trust), &session.PoolOptions{MaxConns: 4})
	ctx := context.Background()
	if _, err := p.Exec(ctx, "CREATE TABLE IF NOT EXISTS pinned (worker int, v int)").Await(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Exec(context.Background(), "DROP TABLE pinned").Await(context.Background()) })
	stop := make(chan struct{})
	var load sync.WaitGroup
	var loadErr atomic.Value
	for range 32 {
		load.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				var v int
				if err := p.QueryRow(ctx, "SELECT 1").Scan(&v); err != nil {
					loadErr.Store(err)
					return
				}
			}
		})
	}
	var txs sync.WaitGroup
	for w := range 3 {
		txs.Go(func() {
			for round := range 10 {
				tx, err := p.Begin(ctx, session.TxOptions{})
				if err != nil {
					t.Error(err)
					return
				}
				// Inside a pinned transaction we must see our own writes and
				// nobody else's commands.
				for i := range 5 {
					tx.Exec(ctx, "INSERT INTO pinned VALUES ($1, $2)", int32(w), int32(round*10+i))
				}
				var n int64
				if err := tx.QueryRow(ctx, "SELECT count(*) FROM pinned WHERE worker = $1 AND v >= $2", int32(w), int32(round*10)).Scan(&n); err != nil || n != 5 {
					t.Errorf("worker %d round %d: %d %v", w, round, n, err)
				}
				if round%2 == 0 {
					tx.Rollback(ctx)
				} else if err := tx.Commit(ctx); err != nil {
					t.Error(err)
				}
			}
		})
	}
	txs.Wait()
	close(stop)
	load.Wait()
	if err := loadErr.Load(); err != nil {
		t.Fatal(err)
	}
	var n int64
	p.QueryRow(ctx, "SELECT count(*) FROM pinned").Scan(&n)
	if n != 3*5*5 {
		t.Fatalf("%d rows committed, want 75", n)
	}
}

func TestPoolAcquire(t *testing.T) {
	p := newPool(t, dsn(t, pgtest.Trust), &session.PoolOptions{MaxConns: 2})
	ctx := context.Background()
	c, err := p.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	c.Exec(ctx, "SET application_name = 'mine'").Await(ctx)
	var name string
	c.QueryRow(ctx, "SHOW application_name").Scan(&name)
	if name != "mine" {
		t.Fatalf("%q", name)
	}
	for range 20 {
		var pid uint32
		p.QueryRow(ctx, "SELECT pg_backend_pid()::int8").Scan(new(int64))
		_ = pid
	}
	if st := p.Stats(); st.PinnedConns != 1 {
		t.Fatalf("stats %+v", st)
	}
	c.Release()
	c.Release() // twice is harmless
}

func TestPoolStatementInvalidation(t *testing.T) {
	p := newPool(t, dsn(t, pgtest.Trust), &session.PoolOptions{MaxConns: 1})
	ctx := context.Background()
	p.Exec(ctx, "DROP TABLE IF EXISTS inval; CREATE TABLE inval (a int)").Await(ctx)
	t.Cleanup(func() { p.Exec(context.Background(), "DROP TABLE inval").Await(context.Background()) })
	p.Exec(ctx, "INSERT INTO inval VALUES (1)").Await(ctx)
	rows, err := p.Query(ctx, "SELECT * FROM inval WHERE a = $1", 1).Await(ctx)
	if err != nil {
		t.Fatal(err)
	}
	rows.Close()
	p.Exec(ctx, "ALTER TABLE inval ADD COLUMN b text DEFAULT 'x'").Await(ctx)
	rows, err = p.Query(ctx, "SELECT * FROM inval WHERE a = $1", 1).Await(ctx)
	if err != nil {
		t.Fatal(err)
	}
	vals := []any{}
	for rows.Next() {
		vals, _ = rows.Values()
	}
	if rows.Err() != nil || len(vals) != 2 || vals[1] != "x" {
		t.Fatalf("after ALTER TABLE: %v %v", vals, rows.Err())
	}
}

func TestPoolClosed(t *testing.T) {
	p, err := session.NewPool(context.Background(), dsn(t, pgtest.Trust), &session.PoolOptions{MinConns: 2, MaxConns: 2})
	if err != nil {
		t.Fatal(err)
	}
	p.Close()
	p.Close()
	var v int
	if err := p.QueryRow(context.Background(), "SELECT 1").Scan(&v); !errors.Is(err, session.ErrClosed) {
		t.Fatalf("after close: %v", err)
	}
}

func TestPoolContextCanceledWhileWaiting(t *testing.T) {
	p := newPool(t, dsn(t, pgtest.Trust), &session.PoolOptions{MaxConns: 1})
	ctx := context.Background()
	tx, err := p.Begin(ctx, session.TxOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	// Without arguments the command cannot be held: the transaction takes
	// the pool's only connection.
	if _, err := tx.Exec(ctx, "SELECT 1").Await(ctx); err != nil {
		t.Fatal(err)
	}
	short, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	// Begin takes no connection; the second transaction's first command
	// that must go out waits for one, as long as its context allows.
	tx2, err := p.Begin(short, session.TxOptions{})
	if err != nil {
		t.Fatalf("second Begin on a pool of one: %v", err)
	}
	if _, err := tx2.Exec(short, "SELECT 1").Await(short); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("command of a second transaction on a pool of one: %v", err)
	}
	if err := tx2.Rollback(ctx); err != nil {
		t.Fatalf("rollback of a transaction that never began: %v", err)
	}
	var v int
	if err := p.QueryRow(short, "SELECT 1").Scan(&v); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("query with every connection pinned: %v", err)
	}
	_ = fmt.Sprint()
}

func TestPoolRetiresOldConnections(t *testing.T) {
	p := newPool(t, dsn(t, pgtest.Trust), &session.PoolOptions{MaxConns: 1, MaxConnLifetime: 100 * time.Millisecond, HealthCheckPeriod: 20 * time.Millisecond})
	ctx := context.Background()
	var first, later int64
	p.QueryRow(ctx, "SELECT pg_backend_pid()::int8").Scan(&first)
	deadline := time.Now().Add(5 * time.Second)
	for {
		if err := p.QueryRow(ctx, "SELECT pg_backend_pid()::int8").Scan(&later); err != nil {
			t.Fatal(err)
		}
		if later != first {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("connection outlived MaxConnLifetime")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestPoolReroutesUnsentCommands: commands queued on a connection that dies
// before they were written go to another connection and succeed; the one
// that was running fails.
func TestPoolReroutesUnsentCommands(t *testing.T) {
	if cluster.External {
		t.Skip("needs pg_terminate_backend on the harness's own server")
	}
	p := newPool(t, dsn(t, pgtest.Trust), &session.PoolOptions{MinConns: 2, MaxConns: 2})
	ctx := context.Background()
	// Pin one connection so everything below lands on the other.
	other, err := p.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	sleep := p.Exec(ctx, "SELECT pg_sleep(30)")
	var pid int64
	pidRow := p.QueryRow(ctx, "SELECT pg_backend_pid()::int8")
	// A statement nobody prepared yet: the first query prepares it (behind
	// the sleep), the rest wait for that Prepare without being sent.
	var futs []*futures.Future[*session.Rows]
	for i := range 20 {
		futs = append(futs, p.Query(ctx, "SELECT $1::int8 + 1000", int64(i)))
	}
	other.Release()
	go func() {
		// The pid query is behind the sleep; ask the server instead.
		time.Sleep(200 * time.Millisecond)
		cluster.Exec(ctx, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query = 'SELECT pg_sleep(30)'")
	}()
	if _, err := sleep.Await(ctx); !errors.Is(err, session.ErrClosed) || session.SafeToRetry(err) {
		t.Fatalf("the running command: %v", err)
	}
	pidRow.Scan(&pid) // sent behind the sleep: it fails or is re-routed; either is fine
	for i, f := range futs {
		rows, err := f.Await(ctx)
		if err != nil {
			t.Fatalf("#%d was not re-routed: %v", i, err)
		}
		v, err := session.CollectOne(rows, session.RowTo[int64])
		if err != nil || v != int64(i+1000) {
			t.Fatalf("#%d: %d %v", i, v, err)
		}
	}
}

// TestAwaitAfterRerouteWhenContextEnds: Exec futures whose commands the
// connection watched from Send are awaited without watching their context.
// Their connection dies before writing them; sent again, they wait in
// another connection's mailbox behind a slow command, where nothing
// watched their context at Send. The retry watches it instead: when it
// ends, every Await returns at once with the context's error.
func TestAwaitAfterRerouteWhenContextEnds(t *testing.T) {
	if cluster.External {
		t.Skip("needs pg_terminate_backend on the harness's own server")
	}
	p := newPool(t, dsn(t, pgtest.Trust, "max_in_flight", "1"), &session.PoolOptions{MinConns: 1, MaxConns: 2})
	bg := context.Background()
	shared, cancel := context.WithCancel(bg)
	defer cancel()
	other, err := p.Acquire(bg) // everything below lands on the other one
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Exec(shared, "SELECT 1").Await(shared); err != nil {
		t.Fatal(err)
	}
	doomed := p.Exec(bg, "SELECT pg_sleep(30)")
	var futs []*futures.Future[session.CommandTag]
	for i := range 8 {
		f := p.Exec(shared, "SELECT $1::int8", int64(i))
		if !f.ContextWatched() {
			t.Fatalf("#%d: not watched from Send; the test cannot see what it guards", i)
		}
		futs = append(futs, f)
	}
	other.Release()
	waitFor(t, "the release", func() bool { return p.Stats().PinnedConns == 0 })
	blocker := p.Exec(bg, "SELECT pg_sleep(1.5)") // on the released one: it is idle
	time.Sleep(100 * time.Millisecond)
	before := p.Stats().Rerouted
	if _, err := cluster.Exec(bg, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query = 'SELECT pg_sleep(30)'"); err != nil {
		t.Fatal(err)
	}
	if _, err := doomed.Await(bg); err == nil {
		t.Fatal("the command whose backend was terminated succeeded")
	}
	waitFor(t, "the commands to be routed again", func() bool { return p.Stats().Rerouted >= before+int64(len(futs)) })
	time.Sleep(50 * time.Millisecond)
	// Those sent again to a connection the pool opened meanwhile may have
	// run already; the rest wait behind the blocker.
	var waiting []*futures.Future[session.CommandTag]
	for i, f := range futs {
		if _, err, ok := f.Result(); !ok {
			waiting = append(waiting, f)
		} else if err != nil {
			t.Fatalf("#%d: %v", i, err)
		}
	}
	if len(waiting) == 0 {
		t.Fatalf("every command ran on a new connection: none waited behind the blocker (%+v)", p.Stats())
	}
	start := time.Now()
	cancel()
	for i, f := range waiting {
		if _, err := f.Await(shared); !errors.Is(err, context.Canceled) {
			t.Fatalf("#%d: %v; want context.Canceled", i, err)
		}
	}
	if elapsed := time.Since(start); elapsed > 700*time.Millisecond {
		t.Fatalf("callers returned %v after their context ended, behind the slow command", elapsed)
	}
	if _, err := blocker.Await(bg); err != nil {
		t.Fatal(err)
	}
}

// TestPoolSurvivesServerRestart: every connection dies with the server;
// callers see clean errors, and once the server is back the pool serves
// again without being recreated.
func TestPoolSurvivesServerRestart(t *testing.T) {
	cluster.RequireLocal(t, "restarting the harness's server")
	p := newPool(t, dsn(t, pgtest.Trust), &session.PoolOptions{MaxConns: 4, MinConns: 2, HealthCheckPeriod: 50 * time.Millisecond})
	ctx := context.Background()
	var v int
	if err := p.QueryRow(ctx, "SELECT 1").Scan(&v); err != nil {
		t.Fatal(err)
	}
	if err := cluster.Restart(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(15 * time.Second)
	for {
		err := p.QueryRow(ctx, "SELECT 2").Scan(&v)
		if err == nil && v == 2 {
			break
		}
		if err != nil && !errors.Is(err, session.ErrClosed) {
			var pe *session.PgError
			if !errors.As(err, &pe) && !strings.Contains(err.Error(), "connect") {
				t.Fatalf("unexpected error while the server restarts: %v", err)
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("pool did not recover after a restart: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestPoolGrowsBehindSlowCommands: eight goroutines issue commands of a few
// milliseconds each. No queue reaches the length that opens a connection,
// and a connection finishes one every few milliseconds, so none looks
// stalled; but a command joining a queue would wait for all of them, so the
// pool opens more connections. Each caller's answer is its own.
func TestPoolGrowsBehindSlowCommands(t *testing.T) {
	p := newPool(t, dsn(t, pgtest.Trust), &session.PoolOptions{MaxConns: 8})
	ctx := context.Background()
	var wg sync.WaitGroup
	var bad atomic.Int64
	for g := range 8 {
		wg.Go(func() {
			for i := range 15 {
				want := int64(g*1000 + i)
				var got int64
				err := p.QueryRow(ctx, "SELECT $1::int8 FROM pg_sleep(0.004)", want).Scan(&got)
				if err != nil || got != want {
					t.Errorf("goroutine %d: %d, %v; want %d", g, got, err, want)
					bad.Add(1)
				}
			}
		})
	}
	wg.Wait()
	if bad.Load() > 0 {
		return
	}
	st := p.Stats()
	if st.Opened.Grow < 1 || st.TotalConns < 2 {
		t.Fatalf("slow commands queued on one connection: %+v", st.Opened)
	}
}

// TestPoolDoesNotOpenForContention: commands that turn slow together
// because they contend (here, for one advisory lock, as they would for the
// CPUs of a saturated machine) do not open connections: another connection
// would only wait for the same lock. The connection's time per command
// rose far above its floor, which is what tells contention from commands
// slow in themselves (TestPoolGrowsBehindSlowCommands).
func TestPoolDoesNotOpenForContention(t *testing.T) {
	p := newPool(t, dsn(t, pgtest.Trust), &session.PoolOptions{MaxConns: 8})
	ctx := context.Background()
	run := func(sql string, perCaller int) {
		var wg sync.WaitGroup
		for g := range 16 {
			wg.Go(func() {
				for i := range perCaller {
					want := int64(g*1000 + i)
					var got int64
					if err := p.QueryRow(ctx, sql, want).Scan(&got); err != nil || got != want {
						t.Errorf("goroutine %d: %d, %v; want %d", g, got, err, want)
						return
					}
				}
			})
		}
		wg.Wait()
	}
	run("SELECT $1::int8", 100)
	before := p.Stats()
	run("SELECT $1::int8 FROM pg_advisory_xact_lock(42), pg_sleep(0.002)", 4)
	after := p.Stats()
	// One may open should the machine pause the connection for the
	// stall rule's 10 ms; waiting on the lock opened five.
	if after.Opened.Grow > before.Opened.Grow+1 {
		t.Fatalf("commands waiting for one lock opened %d connections (%d before them)",
			after.Opened.Grow-before.Opened.Grow, before.TotalConns)
	}
}

// TestScanWhenSharedContextEnds: many goroutines share one context on a
// connection whose pipeline is full behind a slow command. Their commands
// are watched by the connection from the moment they are sent, and Scan
// waits for the answer alone; when the context ends, every Scan returns at
// once with the context's error, not after the slow command. Callers on
// other contexts queued among them get their own values.
// TestAwaitWhenSharedContextEnds is TestScanWhenSharedContextEnds for the
// futures of Query and Exec awaited on their own context: the connection
// watches the shared context from Send, so Await waits for the answer
// alone, and the answer must still come as soon as the context ends, not
// after the slow command in front. Await returns the context's error
// itself, as when it selected on the context.
func TestAwaitWhenSharedContextEnds(t *testing.T) {
	p := newPool(t, dsn(t, pgtest.Trust, "max_in_flight", "1"), &session.PoolOptions{MaxConns: 1})
	bg := context.Background()
	shared, cancel := context.WithCancel(bg)
	defer cancel()
	if _, err := p.Exec(shared, "SELECT 1").Await(shared); err != nil {
		t.Fatal(err)
	}
	slow := p.Exec(bg, "SELECT pg_sleep(0.6)")
	time.Sleep(50 * time.Millisecond)
	var wg sync.WaitGroup
	errs := make([]error, 32)
	var watched atomic.Int32
	sent := make(chan struct{}, len(errs))
	finished := make(chan struct{}, len(errs))
	for i := range errs {
		wg.Go(func() {
			defer func() { finished <- struct{}{} }()
			if i%2 == 0 {
				f := p.Query(shared, "SELECT $1::int8", int64(i))
				if f.ContextWatched() {
					watched.Add(1)
				}
				sent <- struct{}{}
				rows, err := f.Await(shared)
				if err == nil {
					rows.Close()
				}
				errs[i] = err
				return
			}
			f := p.Exec(shared, "SELECT $1::int8", int64(i))
			if f.ContextWatched() {
				watched.Add(1)
			}
			sent <- struct{}{}
			_, errs[i] = f.Await(shared)
		})
	}
	vals := make([]int64, 8)
	for i := range vals {
		wg.Go(func() {
			rows, err := p.Query(bg, "SELECT $1::int8", int64(100+i)).Await(bg)
			if err == nil {
				vals[i], err = session.CollectOne(rows, session.RowTo[int64])
			}
			if err != nil {
				t.Errorf("caller %d on its own context: %v", i, err)
			}
		})
	}
	for range errs {
		<-sent
	}
	time.Sleep(50 * time.Millisecond)
	start := time.Now()
	cancel()
	for range errs {
		<-finished
	}
	elapsed := time.Since(start)
	wg.Wait()
	for i, err := range errs {
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("caller %d on the shared context: %v; want context.Canceled", i, err)
		}
	}
	if watched.Load() == 0 {
		t.Fatal("no future was watched from Send: the test did not exercise the path it guards")
	}
	if elapsed > 400*time.Millisecond {
		t.Fatalf("callers on the ended context returned after %v, behind the slow command", elapsed)
	}
	for i, v := range vals {
		if v != int64(100+i) {
			t.Fatalf("caller %d on its own context got %d", i, v)
		}
	}
	if _, err := slow.Await(bg); err != nil {
		t.Fatal(err)
	}
}

func TestScanWhenSharedContextEnds(t *testing.T) {
	p := newPool(t, dsn(t, pgtest.Trust, "max_in_flight", "1"), &session.PoolOptions{MaxConns: 1})
	bg := context.Background()
	shared, cancel := context.WithCancel(bg)
	defer cancel()
	var one int
	if err := p.QueryRow(shared, "SELECT 1").Scan(&one); err != nil {
		t.Fatal(err)
	}
	slow := p.Exec(bg, "SELECT pg_sleep(0.6)")
	time.Sleep(50 * time.Millisecond)
	var wg sync.WaitGroup
	errs := make([]error, 32)
	vals := make([]int64, 8)
	finished := make(chan struct{}, len(errs))
	for i := range errs {
		wg.Go(func() {
			var v int64
			errs[i] = p.QueryRow(shared, "SELECT $1::int8", int64(i)).Scan(&v)
			finished <- struct{}{}
		})
	}
	for i := range vals {
		wg.Go(func() {
			if err := p.QueryRow(bg, "SELECT $1::int8", int64(100+i)).Scan(&vals[i]); err != nil {
				t.Errorf("caller %d on its own context: %v", i, err)
			}
		})
	}
	time.Sleep(50 * time.Millisecond)
	start := time.Now()
	cancel()
	for range errs {
		<-finished
	}
	elapsed := time.Since(start)
	wg.Wait()
	for i, err := range errs {
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("caller %d on the shared context: %v", i, err)
		}
	}
	if elapsed > 400*time.Millisecond {
		t.Fatalf("callers on the ended context returned after %v, behind the slow command", elapsed)
	}
	for i, v := range vals {
		if v != int64(100+i) {
			t.Fatalf("caller %d on its own context got %d", i, v)
		}
	}
	if _, err := slow.Await(bg); err != nil {
		t.Fatal(err)
	}
}
