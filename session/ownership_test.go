package session_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pgactor/pgactor/futures"
	"github.com/pgactor/pgactor/internal/pgtest"
	"github.com/pgactor/pgactor/session"
)

// The tests here guard the promise that any number of goroutines may share
// a Session or a Pool: nothing of one caller's transaction (or acquired
// connection) is seen by, or runs for, anyone else. Their load carries
// markers, so a command that strays into someone else's transaction is
// seen: a SET LOCAL that only that transaction made, and rows that only
// that transaction inserted and never commits.

// runner is what the isolation stress needs of a Session or a Pool.
type runner interface {
	Exec(ctx context.Context, sql string, args ...any) *futureTag
	QueryRow(ctx context.Context, sql string, args ...any) *session.Row
	Begin(ctx context.Context, opts session.TxOptions) (*session.Tx, error)
}

type futureTag = futures.Future[session.CommandTag]

// lockedBuffer is a log destination several goroutines write to.
type lockedBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func newTextLogger(w *lockedBuffer) *slog.Logger {
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// isolationStats counts what one stress run did and found.
type isolationStats struct {
	commands   atomic.Int64 // commands sent and answered
	acked      atomic.Int64 // autocommit INSERTs answered without error
	strays     atomic.Int64 // reads that saw another caller's marker or row
	unexpected atomic.Int64 // errors nothing in the test should cause
	firstErr   atomic.Pointer[error]
}

func (s *isolationStats) fail(err error) {
	s.unexpected.Add(1)
	s.firstErr.CompareAndSwap(nil, &err)
}

func (s *isolationStats) check(t *testing.T, table string, admin func(ctx context.Context, sql string) (int64, error), minCommands int64) {
	t.Helper()
	ctx := context.Background()
	rows, err := admin(ctx, "SELECT count(*) FROM "+table+" WHERE who LIKE 'w%'")
	if err != nil {
		t.Fatal(err)
	}
	txRows, err := admin(ctx, "SELECT count(*) FROM "+table+" WHERE who NOT LIKE 'w%'")
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d commands, %d acknowledged autocommit INSERTs, %d rows; %d strays, %d unexpected errors",
		s.commands.Load(), s.acked.Load(), rows, s.strays.Load(), s.unexpected.Load())
	if p := s.firstErr.Load(); p != nil {
		t.Errorf("first unexpected error: %v", *p)
	}
	if s.strays.Load() != 0 || s.unexpected.Load() != 0 {
		t.Errorf("%d strays, %d unexpected errors", s.strays.Load(), s.unexpected.Load())
	}
	if rows != s.acked.Load() {
		t.Errorf("%d acknowledged INSERTs but %d rows: acknowledged writes were lost", s.acked.Load(), rows)
	}
	if txRows != 0 {
		t.Errorf("%d rows of rolled-back transactions were committed", txRows)
	}
	if s.commands.Load() < minCommands {
		t.Errorf("only %d commands ran, want at least %d", s.commands.Load(), minCommands)
	}
}

// autocommitLoad inserts rows marked with who and, after each, reads the
// session marker and the count of rows no committed transaction made: both
// must be empty, or the read ran inside someone's transaction.
func autocommitLoad(ctx context.Context, r runner, st *isolationStats, table, who string, n int) {
	for i := range n {
		_, err := r.Exec(ctx, "INSERT INTO "+table+" (who, n) VALUES ($1, $2)", who, i).Await(ctx)
		st.commands.Add(1)
		if err != nil {
			st.fail(fmt.Errorf("%s insert %d: %w", who, i, err))
			continue
		}
		st.acked.Add(1)
		var marker string
		var foreign int64
		err = r.QueryRow(ctx, "SELECT coalesce(current_setting('pgactor.marker', true), ''), (SELECT count(*) FROM "+table+" WHERE who NOT LIKE 'w%')").Scan(&marker, &foreign)
		st.commands.Add(1)
		if err != nil {
			st.fail(fmt.Errorf("%s read %d: %w", who, i, err))
			continue
		}
		if marker != "" || foreign != 0 {
			st.strays.Add(1)
		}
	}
}

// txLoad runs transactions that mark themselves with SET LOCAL and an
// uncommitted row, check that they see exactly their own marks, and roll
// back.
func txLoad(ctx context.Context, begin func(context.Context) (*session.Tx, error), st *isolationStats, table, who string, n int) {
	for i := range n {
		mark := fmt.Sprintf("%s-%d", who, i)
		tx, err := begin(ctx)
		st.commands.Add(1)
		if err != nil {
			st.fail(fmt.Errorf("%s begin: %w", mark, err))
			continue
		}
		set := tx.Exec(ctx, "SELECT set_config('pgactor.marker', $1, true)", mark)
		ins := tx.Exec(ctx, "INSERT INTO "+table+" (who, n) VALUES ($1, $2)", mark, i)
		var marker string
		var own, all int64
		err = tx.QueryRow(ctx, "SELECT current_setting('pgactor.marker', true), (SELECT count(*) FROM "+table+" WHERE who = $1), (SELECT count(*) FROM "+table+" WHERE who NOT LIKE 'w%')", mark).Scan(&marker, &own, &all)
		_, serr := set.Await(ctx)
		_, ierr := ins.Await(ctx)
		st.commands.Add(3)
		switch {
		case errors.Join(err, serr, ierr) != nil:
			st.fail(fmt.Errorf("%s: %w", mark, errors.Join(err, serr, ierr)))
		case marker != mark || own != 1 || all != 1:
			st.strays.Add(1)
		}
		if err := tx.Rollback(ctx); err != nil {
			st.fail(fmt.Errorf("%s rollback: %w", mark, err))
		}
		st.commands.Add(1)
	}
}

func createMarked(t *testing.T, table string) func(ctx context.Context, sql string) (int64, error) {
	t.Helper()
	ctx := context.Background()
	admin := connect(t, dsn(t, pgtest.Trust))
	if _, err := admin.Exec(ctx, "DROP TABLE IF EXISTS "+table+"; CREATE TABLE "+table+" (id bigserial PRIMARY KEY, who text NOT NULL, n int NOT NULL)").Await(ctx); err != nil {
		t.Fatal(err)
	}
	return func(ctx context.Context, sql string) (int64, error) {
		var n int64
		err := admin.QueryRow(ctx, sql).Scan(&n)
		return n, err
	}
}

// stressIsolation runs 40 autocommit writer-readers of perWriter INSERTs
// each beside txs goroutines of perTx transactions each on r, and checks
// what they saw and left.
func stressIsolation(t *testing.T, table string, admin func(context.Context, string) (int64, error), r runner, perWriter, txs, perTx int) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	var st isolationStats
	var wg sync.WaitGroup
	for g := range 40 {
		wg.Go(func() { autocommitLoad(ctx, r, &st, table, fmt.Sprintf("w%d", g), perWriter) })
	}
	for g := range txs {
		wg.Go(func() {
			txLoad(ctx, func(ctx context.Context) (*session.Tx, error) { return r.Begin(ctx, session.TxOptions{}) },
				&st, table, fmt.Sprintf("tx%d", g), perTx)
		})
	}
	wg.Wait()
	st.check(t, table, admin, 20_000)
}

// TestIsolationStressPool: autocommit writers and readers beside
// transactions on a 4-connection pool. Every acknowledged INSERT is a row,
// no read sees a transaction's marker or uncommitted row, and no
// transaction sees anything but its own.
func TestIsolationStressPool(t *testing.T) {
	admin := createMarked(t, "iso_pool")
	p := newPool(t, dsn(t, pgtest.Trust), &session.PoolOptions{MaxConns: 4})
	stressIsolation(t, "iso_pool", admin, poolRunner{p}, 200, 10, 100)
}

// TestIsolationStressSession: the same on one Session, where other
// goroutines' commands wait inside the actor while a transaction holds it.
func TestIsolationStressSession(t *testing.T) {
	admin := createMarked(t, "iso_session")
	s := connect(t, dsn(t, pgtest.Trust))
	stressIsolation(t, "iso_session", admin, sessionRunner{s}, 220, 6, 120)
}

// TestIsolationStressAcquire: acquired connections set a session-level
// marker (plain SET, not LOCAL) and run transactions of their own; the
// multiplexed load must never see either, also after Release.
func TestIsolationStressAcquire(t *testing.T) {
	admin := createMarked(t, "iso_acquire")
	p := newPool(t, dsn(t, pgtest.Trust), &session.PoolOptions{MaxConns: 4})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	var st isolationStats
	var wg sync.WaitGroup
	for g := range 40 {
		wg.Go(func() { autocommitLoad(ctx, poolRunner{p}, &st, "iso_acquire", fmt.Sprintf("w%d", g), 200) })
	}
	for g := range 6 {
		wg.Go(func() {
			for i := range 100 {
				who := fmt.Sprintf("acq%d-%d", g, i)
				c, err := p.Acquire(ctx)
				st.commands.Add(1)
				if err != nil {
					st.fail(err)
					continue
				}
				_, err = c.Exec(ctx, "SELECT set_config('pgactor.marker', $1, false)", who).Await(ctx)
				st.commands.Add(1)
				if err != nil {
					st.fail(err)
				}
				// A transaction on the acquired connection, rolled back.
				txLoad(ctx, func(ctx context.Context) (*session.Tx, error) { return c.Begin(ctx, session.TxOptions{}) },
					&st, "iso_acquire", who+"tx", 1)
				_, err = c.Exec(ctx, "RESET pgactor.marker").Await(ctx)
				st.commands.Add(1)
				if err != nil {
					st.fail(err)
				}
				// Left in a transaction with an uncommitted row on purpose
				// every fourth time: Release must not hand that on.
				if i%4 == 0 {
					c.Exec(ctx, "BEGIN").Await(ctx)
					c.Exec(ctx, "INSERT INTO iso_acquire (who, n) VALUES ($1, 0)", who).Await(ctx)
					st.commands.Add(2)
				}
				c.Release()
				if _, err := c.Exec(ctx, "SELECT 1").Await(ctx); !errors.Is(err, session.ErrConnReleased) {
					st.fail(fmt.Errorf("a command on a released Conn: %v", err))
				}
			}
		})
	}
	wg.Wait()
	st.check(t, "iso_acquire", admin, 20_000)
}

// poolRunner and sessionRunner adapt both to runner.
type poolRunner struct{ p *session.Pool }

func (r poolRunner) Exec(ctx context.Context, sql string, args ...any) *futureTag {
	return r.p.Exec(ctx, sql, args...)
}
func (r poolRunner) QueryRow(ctx context.Context, sql string, args ...any) *session.Row {
	return r.p.QueryRow(ctx, sql, args...)
}
func (r poolRunner) Begin(ctx context.Context, o session.TxOptions) (*session.Tx, error) {
	return r.p.Begin(ctx, o)
}

type sessionRunner struct{ s *session.Session }

func (r sessionRunner) Exec(ctx context.Context, sql string, args ...any) *futureTag {
	return r.s.Exec(ctx, sql, args...)
}
func (r sessionRunner) QueryRow(ctx context.Context, sql string, args ...any) *session.Row {
	return r.s.QueryRow(ctx, sql, args...)
}
func (r sessionRunner) Begin(ctx context.Context, o session.TxOptions) (*session.Tx, error) {
	return r.s.Begin(ctx, o)
}

// TestSavepointOutlivesNoParent: a savepoint whose parent committed or
// rolled back is dead; its commands are refused unsent, also when another
// caller's transaction now holds the same connection.
func TestSavepointOutlivesNoParent(t *testing.T) {
	for _, end := range []string{"commit", "rollback"} {
		for _, kind := range []string{"session", "pool"} {
			t.Run(end+"/"+kind, func(t *testing.T) {
				table := "sp_" + end + "_" + kind
				admin := createMarked(t, table)
				ctx := context.Background()
				var begin func() (*session.Tx, error)
				if kind == "session" {
					s := connect(t, dsn(t, pgtest.Trust))
					begin = func() (*session.Tx, error) { return s.Begin(ctx, session.TxOptions{}) }
				} else {
					p := newPool(t, dsn(t, pgtest.Trust), &session.PoolOptions{MaxConns: 1})
					begin = func() (*session.Tx, error) { return p.Begin(ctx, session.TxOptions{}) }
				}
				tx, err := begin()
				if err != nil {
					t.Fatal(err)
				}
				child, err := tx.Begin(ctx)
				if err != nil {
					t.Fatal(err)
				}
				if end == "commit" {
					err = tx.Commit(ctx)
				} else {
					err = tx.Rollback(ctx)
				}
				if err != nil {
					t.Fatal(err)
				}
				other, err := begin()
				if err != nil {
					t.Fatal(err)
				}
				if _, err := child.Exec(ctx, "INSERT INTO "+table+" (who, n) VALUES ('child', 1)").Await(ctx); !errors.Is(err, session.ErrTxClosed) {
					t.Fatalf("child Exec after its parent ended: %v, want ErrTxClosed", err)
				}
				if err := child.Commit(ctx); !errors.Is(err, session.ErrTxClosed) {
					t.Fatalf("child Commit after its parent ended: %v, want ErrTxClosed", err)
				}
				if _, err := other.Exec(ctx, "INSERT INTO "+table+" (who, n) VALUES ('w-other', 1)").Await(ctx); err != nil {
					t.Fatal(err)
				}
				if err := other.Commit(ctx); err != nil {
					t.Fatal(err)
				}
				if n, err := admin(ctx, "SELECT count(*) FROM "+table+" WHERE who = 'child'"); err != nil || n != 0 {
					t.Fatalf("the dead savepoint's row: %d rows, %v", n, err)
				}
				if n, err := admin(ctx, "SELECT count(*) FROM "+table+" WHERE who = 'w-other'"); err != nil || n != 1 {
					t.Fatalf("the other transaction's row: %d rows, %v", n, err)
				}
			})
		}
	}
}

// TestSavepointEnds: a released or rolled-back savepoint refuses its
// commands; its parent goes on.
func TestSavepointEnds(t *testing.T) {
	s := connect(t, dsn(t, pgtest.Trust))
	ctx := context.Background()
	tx, err := s.Begin(ctx, session.TxOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, "CREATE TEMP TABLE spe (v int) ON COMMIT DROP").Await(ctx); err != nil {
		t.Fatal(err)
	}
	sp, err := tx.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	sp.Exec(ctx, "INSERT INTO spe VALUES (1)")
	if err := sp.Rollback(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := sp.Exec(ctx, "INSERT INTO spe VALUES (2)").Await(ctx); !errors.Is(err, session.ErrTxClosed) {
		t.Fatalf("after rollback to savepoint: %v", err)
	}
	sp2, err := tx.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	sp2.Exec(ctx, "INSERT INTO spe VALUES (3)")
	if err := sp2.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	var sum int
	if err := tx.QueryRow(ctx, "SELECT coalesce(sum(v), 0) FROM spe").Scan(&sum); err != nil || sum != 3 {
		t.Fatalf("sum %d, %v: want only the released savepoint's row", sum, err)
	}
}

// TestAbandonedAwait: a caller whose Await gave up holds no Rows to close;
// the connection must not stay wedged behind the result nobody reads.
func TestAbandonedAwait(t *testing.T) {
	const big = "WITH s AS MATERIALIZED (SELECT pg_sleep(0.3)) SELECT generate_series(1, 50000000) FROM s"
	for _, kind := range []string{"session", "pool"} {
		t.Run(kind, func(t *testing.T) {
			ctx := context.Background()
			var r runner
			var closeIt func()
			if kind == "session" {
				s, err := session.Connect(ctx, dsn(t, pgtest.Trust))
				if err != nil {
					t.Fatal(err)
				}
				r, closeIt = sessionRunner{s}, func() { s.Close(ctx) }
			} else {
				p := newPool(t, dsn(t, pgtest.Trust), &session.PoolOptions{MaxConns: 1})
				r, closeIt = poolRunner{p}, p.Close
			}
			var q interface {
				Await(context.Context) (*session.Rows, error)
			}
			switch x := r.(type) {
			case sessionRunner:
				q = x.s.Query(ctx, big)
			case poolRunner:
				q = x.p.Query(ctx, big)
			}
			short, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
			_, err := q.Await(short)
			cancel()
			if !errors.Is(err, context.DeadlineExceeded) {
				t.Fatalf("await: %v", err)
			}
			next, cancel := context.WithTimeout(ctx, time.Second)
			defer cancel()
			var v int
			if err := r.QueryRow(next, "SELECT 42").Scan(&v); err != nil || v != 42 {
				t.Fatalf("the next query after an abandoned Await: %d, %v", v, err)
			}
			done := make(chan struct{})
			go func() { closeIt(); close(done) }()
			select {
			case <-done:
			case <-time.After(10 * time.Second):
				t.Fatal("Close did not return")
			}
			if _, err := q.Await(ctx); err == nil {
				t.Fatal("an abandoned future gave rows to a later Await")
			}
		})
	}
}

// TestPgBouncerDefaults: through PgBouncer in transaction mode with the
// default statement cache, callers whose statement texts differ get their
// own answers: statement names derive from the SQL, and the first sign of
// the pooler switches every connection to unnamed statements. A Pool gives
// no errors either; on one Session, a command that was on the wire with
// others behind it when the pooler showed may fail, retryably.
func TestPgBouncerDefaults(t *testing.T) {
	b := startPgBouncer(t, 4)
	for _, kind := range []string{"pool", "session"} {
		t.Run(kind, func(t *testing.T) {
			var r runner
			var logs lockedBuffer
			if kind == "pool" {
				r = poolRunner{newPool(t, b.DSN(cluster.Database), &session.PoolOptions{MaxConns: 4, MinConns: 4,
					Options: session.Options{Logger: newTextLogger(&logs)}})}
			} else {
				r = sessionRunner{connect(t, b.DSN(cluster.Database))}
			}
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			var wg sync.WaitGroup
			var wrong, failed, retryable, ran atomic.Int64
			var first atomic.Pointer[error]
			for g := range 50 {
				wg.Go(func() {
					for i := range 40 {
						// Each caller's own texts: the same name in two
						// callers' caches would mean two statements.
						var got int64
						var who string
						err := r.QueryRow(ctx, fmt.Sprintf("SELECT $1::int8 + %d, 'caller %d'", g*7+i%3, g), int64(i)).Scan(&got, &who)
						ran.Add(1)
						if err != nil {
							failed.Add(1)
							if session.SafeToRetry(err) {
								retryable.Add(1)
							}
							first.CompareAndSwap(nil, &err)
							continue
						}
						if got != int64(i+g*7+i%3) || who != fmt.Sprintf("caller %d", g) {
							wrong.Add(1)
						}
					}
				})
			}
			wg.Wait()
			t.Logf("%d queries: %d wrong, %d errors (%d retryable)", ran.Load(), wrong.Load(), failed.Load(), retryable.Load())
			if wrong.Load() != 0 {
				t.Fatalf("%d wrong answers", wrong.Load())
			}
			if kind == "pool" && failed.Load() != 0 {
				t.Fatalf("%d errors, first: %v", failed.Load(), *first.Load())
			}
			n := strings.Count(logs.String(), "a pooler in transaction mode")
			t.Logf("the switch to unnamed statements was logged %d times", n)
			if n > 1 {
				t.Fatalf("the switch to unnamed statements was logged %d times, want at most once:\n%s", n, logs.String())
			}
			if failed.Load() != retryable.Load() {
				t.Fatalf("an error that is not retryable: %v", *first.Load())
			}
		})
	}
}

// TestPoolLogsNoWarningsAtMaxConns: a pool at MaxConns under normal load
// has nothing to warn about.
func TestPoolLogsNoWarningsAtMaxConns(t *testing.T) {
	var buf lockedBuffer
	p := newPool(t, dsn(t, pgtest.Trust), &session.PoolOptions{MaxConns: 2, Options: session.Options{Logger: newTextLogger(&buf)}})
	ctx := context.Background()
	var wg sync.WaitGroup
	for g := range 64 {
		wg.Go(func() {
			for i := range 50 {
				p.Exec(ctx, "SELECT pg_sleep(0.0001), $1::int", g*100+i).Await(ctx)
			}
		})
	}
	wg.Wait()
	if strings.Contains(buf.String(), "WARN") {
		t.Fatalf("the pool warned under normal load:\n%s", buf.String())
	}
}

// TestSessionWaitHonoursContext: a command waiting for another goroutine's
// transaction gives up when its context ends, and is never sent.
func TestSessionWaitHonoursContext(t *testing.T) {
	admin := createMarked(t, "wait_ctx")
	s := connect(t, dsn(t, pgtest.Trust))
	ctx := context.Background()
	tx, err := s.Begin(ctx, session.TxOptions{})
	if err != nil {
		t.Fatal(err)
	}
	// BEGIN goes out with the transaction's first command.
	if _, err := tx.Exec(ctx, "SELECT 1").Await(ctx); err != nil {
		t.Fatal(err)
	}
	short, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err = s.Exec(short, "INSERT INTO wait_ctx (who, n) VALUES ('late', 1)").Await(ctx)
	if !errors.Is(err, context.DeadlineExceeded) || time.Since(start) > 2*time.Second {
		t.Fatalf("a command waiting behind a transaction: %v after %v", err, time.Since(start))
	}
	// Another transaction's BEGIN waits the same way (Begin returns at
	// once; its first command carries BEGIN and waits).
	short2, cancel2 := context.WithTimeout(ctx, 100*time.Millisecond)
	defer cancel2()
	tx2, err := s.Begin(short2, session.TxOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx2.Exec(short2, "SELECT 1").Await(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("a BEGIN waiting behind a transaction: %v", err)
	}
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	if n, err := admin(ctx, "SELECT count(*) FROM wait_ctx"); err != nil || n != 0 {
		t.Fatalf("the abandoned command ran: %d rows, %v", n, err)
	}
	var one int
	if err := s.QueryRow(ctx, "SELECT 1").Scan(&one); err != nil {
		t.Fatal(err)
	}
	// The Begin that gave up left nothing pinned.
	if _, err := s.Exec(ctx, "INSERT INTO wait_ctx (who, n) VALUES ('w', 1)").Await(ctx); err != nil {
		t.Fatal(err)
	}
}

// TestCopyFromStdinThroughExec: COPY FROM STDIN through Exec, with other
// commands pipelined behind it, fails alone; the connection lives on.
func TestCopyFromStdinThroughExec(t *testing.T) {
	s := connect(t, dsn(t, pgtest.Trust))
	ctx := context.Background()
	if _, err := s.Exec(ctx, "CREATE TEMP TABLE cpx (v int)").Await(ctx); err != nil {
		t.Fatal(err)
	}
	cp := s.Exec(ctx, "COPY cpx FROM STDIN")
	var futs []*futures.Future[*session.Rows]
	for i := range 20 {
		futs = append(futs, s.Query(ctx, "SELECT $1::int", i))
	}
	if _, err := cp.Await(ctx); err == nil || !strings.Contains(err.Error(), "CopyFrom") {
		t.Fatalf("COPY FROM STDIN through Exec: %v", err)
	}
	for i, f := range futs {
		rows, err := f.Await(ctx)
		if err != nil {
			t.Fatalf("command %d behind the copy: %v", i, err)
		}
		var v int
		for rows.Next() {
			rows.Scan(&v)
		}
		if rows.Err() != nil || v != i {
			t.Fatalf("command %d behind the copy: %d, %v", i, v, rows.Err())
		}
	}
	if !s.Alive() {
		t.Fatal("the connection died")
	}
}

// TestFailedCommandsReleaseTheirContext: a command that fails stops
// watching its context, so failures on one long-lived context retain
// nothing.
func TestFailedCommandsReleaseTheirContext(t *testing.T) {
	s := connect(t, dsn(t, pgtest.Trust))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	measure := func() uint64 {
		runtime.GC()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		return m.HeapAlloc
	}
	before := measure()
	const n = 20_000
	futs := make([]*futures.Future[session.CommandTag], 0, 500)
	for i := range n {
		futs = append(futs, s.Exec(ctx, "SELECT 1/$1::int", 0))
		if len(futs) == cap(futs) || i == n-1 {
			for _, f := range futs {
				if _, err := f.Await(ctx); err == nil {
					t.Fatal("division by zero succeeded")
				}
			}
			futs = futs[:0]
		}
	}
	after := measure()
	if grown := int64(after) - int64(before); grown > 4<<20 {
		t.Fatalf("%d failed commands on one context retained %d bytes", n, grown)
	}
}

// TestPoolRawBeginIsRolledBack: a BEGIN sent through a multiplexed Exec
// would open a transaction nobody owns, and other callers' commands would
// run in it. The pool fails it and everything that ran behind it, rolls
// back, and no acknowledged write is lost.
func TestPoolRawBeginIsRolledBack(t *testing.T) {
	admin := createMarked(t, "raw_begin")
	p := newPool(t, dsn(t, pgtest.Trust), &session.PoolOptions{MaxConns: 1})
	ctx := context.Background()
	// The sleep makes sure the inserts are on the wire behind it.
	begin := p.Exec(ctx, "BEGIN; SELECT pg_sleep(0.05)")
	var futs []*futures.Future[session.CommandTag]
	for i := range 20 {
		futs = append(futs, p.Exec(ctx, fmt.Sprintf("INSERT INTO raw_begin (who, n) VALUES ('w', %d)", i)))
	}
	if _, err := begin.Await(ctx); !errors.Is(err, session.ErrTxLeftOpen) {
		t.Fatalf("raw BEGIN on a pool: %v, want ErrTxLeftOpen", err)
	}
	var acked, refused int64
	for _, f := range futs {
		_, err := f.Await(ctx)
		switch {
		case err == nil:
			acked++
		case errors.Is(err, session.ErrTxLeftOpen):
			refused++
		default:
			t.Fatalf("insert: %v", err)
		}
	}
	if _, err := p.Exec(ctx, "INSERT INTO raw_begin (who, n) VALUES ('w', 100)").Await(ctx); err != nil {
		t.Fatal(err)
	}
	acked++
	if n, err := admin(ctx, "SELECT count(*) FROM raw_begin"); err != nil || n != acked {
		t.Fatalf("%d acknowledged inserts, %d rows (%v)", acked, n, err)
	}
	t.Logf("%d inserts refused, %d acknowledged", refused, acked)
	if refused == 0 {
		t.Fatal("no insert was pipelined behind the BEGIN: the test did not test anything")
	}
	// A whole transaction in one string leaves none open: it is fine.
	if _, err := p.Exec(ctx, "BEGIN; INSERT INTO raw_begin (who, n) VALUES ('w', 200); COMMIT").Await(ctx); err != nil {
		t.Fatal(err)
	}
}

// TestTxCommitRacesItsCommands: goroutines fire commands into a
// transaction while another commits it. Whatever was acknowledged is
// committed; whatever came after the COMMIT is refused unsent; nothing runs
// outside the transaction.
func TestTxCommitRacesItsCommands(t *testing.T) {
	for _, kind := range []string{"session", "pool"} {
		t.Run(kind, func(t *testing.T) {
			table := "race_commit_" + kind
			admin := createMarked(t, table)
			ctx := context.Background()
			var r runner
			if kind == "session" {
				r = sessionRunner{connect(t, dsn(t, pgtest.Trust))}
			} else {
				r = poolRunner{newPool(t, dsn(t, pgtest.Trust), &session.PoolOptions{MaxConns: 2})}
			}
			tx, err := r.Begin(ctx, session.TxOptions{})
			if err != nil {
				t.Fatal(err)
			}
			var acked, refused atomic.Int64
			var wg sync.WaitGroup
			start := make(chan struct{})
			for g := range 8 {
				wg.Go(func() {
					<-start
					for i := range 100 {
						_, err := tx.Exec(ctx, "INSERT INTO "+table+" (who, n) VALUES ($1, $2)", fmt.Sprintf("w%d", g), i).Await(ctx)
						switch {
						case err == nil:
							acked.Add(1)
						case errors.Is(err, session.ErrTxClosed):
							refused.Add(1)
						default:
							t.Errorf("insert: %v", err)
						}
					}
				})
			}
			close(start)
			time.Sleep(5 * time.Millisecond)
			if err := tx.Commit(ctx); err != nil {
				t.Fatal(err)
			}
			wg.Wait()
			n, err := admin(ctx, "SELECT count(*) FROM "+table)
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("%d acknowledged, %d refused, %d rows", acked.Load(), refused.Load(), n)
			if n != acked.Load() || acked.Load()+refused.Load() != 800 {
				t.Fatalf("%d acknowledged, %d refused, %d rows", acked.Load(), refused.Load(), n)
			}
			// The connection serves others afterwards.
			if _, err := r.Exec(ctx, "INSERT INTO "+table+" (who, n) VALUES ('after', 0)").Await(ctx); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// TestSessionCloseWithTransactionOpen: Close does not wait for a
// transaction its holder never ends; commands waiting for it fail as
// unsent.
func TestSessionCloseWithTransactionOpen(t *testing.T) {
	ctx := context.Background()
	s, err := session.Connect(ctx, dsn(t, pgtest.Trust))
	if err != nil {
		t.Fatal(err)
	}
	tx, err := s.Begin(ctx, session.TxOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(ctx, "SELECT 1").Await(ctx); err != nil { // BEGIN goes out with it
		t.Fatal(err)
	}
	waiting := s.Exec(ctx, "SELECT 1")
	time.Sleep(20 * time.Millisecond)
	closeCtx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := s.Close(closeCtx); err != nil {
		t.Fatalf("close: %v", err)
	}
	if _, err := waiting.Await(ctx); !errors.Is(err, session.ErrClosed) || !session.SafeToRetry(err) {
		t.Fatalf("the waiting command: %v", err)
	}
}
