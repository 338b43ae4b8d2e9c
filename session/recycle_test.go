package session_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pgactor/pgactor/futures"
	"github.com/pgactor/pgactor/internal/pgtest"
	"github.com/pgactor/pgactor/session"
	"github.com/pgactor/pgactor/wire"
)

// TestRecycledCommandsKeepTheirAnswers checks the memory that Exec, Query,
// a Batch and a transaction recycle once the connection is done with a
// command: every answer a caller got must be the one to its own command,
// and must stay so while the memory behind it serves other callers'
// commands. Each command asks for a value only its caller knows (a row
// count, a number); a share of them have contexts that end while they
// are queued or running, which must leave their memory alone. At the end
// every future kept along the way is read again.
func TestRecycledCommandsKeepTheirAnswers(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	p := newPool(t, dsn(t, pgtest.Trust), &session.PoolOptions{MaxConns: 3})

	type keptExec struct {
		f    *futures.Future[session.CommandTag]
		want int64
	}
	type keptRows struct {
		rows *session.Rows
		want int64
	}
	const workers, rounds = 24, 60
	var (
		mu       sync.Mutex
		execs    []keptExec
		closed   []keptRows
		failures []error
	)
	fail := func(format string, args ...any) {
		mu.Lock()
		failures = append(failures, fmt.Errorf(format, args...))
		mu.Unlock()
	}
	// checkTag reports a tag that is not the answer to "SELECT n rows".
	checkTag := func(what string, tag session.CommandTag, want int64) {
		if tag.String() != fmt.Sprintf("SELECT %d", want) || tag.RowsAffected() != want {
			fail("%s: tag %q (%d rows), want SELECT %d", what, tag, tag.RowsAffected(), want)
		}
	}
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(w), 7))
			for r := range rounds {
				base := int64(w*1000 + r*10 + 1)
				cctx, stop := ctx, context.CancelFunc(func() {})
				short := rng.IntN(4) == 0
				if short {
					// Ends while the commands are queued or running: they
					// fail, or answer rightly; either way nothing strays.
					cctx, stop = context.WithTimeout(ctx, time.Duration(rng.IntN(300))*time.Microsecond)
				}
				// Exec: the tag's row count is the caller's own number.
				fe := p.Exec(cctx, "SELECT generate_series(1, $1::int4)", base)
				// Query futures, fired before any is read.
				fq1 := p.Query(cctx, "SELECT $1::int8, g FROM generate_series(1, 2) g", base)
				fq2 := p.SimpleQuery(cctx, fmt.Sprintf("SELECT %d::int8", base+1))
				// A batch of execs and a query on one connection.
				b := &session.Batch{}
				be := b.Exec("SELECT generate_series(1, $1::int4)", base+2)
				bq := b.Query("SELECT $1::int8", base+3)
				fb := p.SendBatch(cctx, b)
				// A transaction committed in one round trip.
				var tx1, tx2 *futures.Future[session.CommandTag]
				var row *session.Row
				terr := session.BeginFunc(cctx, p, session.TxOptions{}, func(tx *session.Tx) error {
					tx1 = tx.Exec(cctx, "SELECT generate_series(1, $1::int4)", base+4)
					row = tx.QueryRow(cctx, "SELECT $1::int8", base+5)
					tx2 = tx.Exec(cctx, "SELECT generate_series(1, $1::int4)", base+6)
					return nil
				})

				tag, err := fe.Await(ctx)
				switch {
				case err == nil:
					checkTag("Exec", tag, base)
					mu.Lock()
					execs = append(execs, keptExec{fe, base})
					mu.Unlock()
				case !short:
					fail("Exec: %v", err)
				}
				for i, f := range []*futures.Future[*session.Rows]{fq1, fq2} {
					want := base + int64(i)
					rows, err := f.Await(ctx)
					if err != nil {
						if !short {
							fail("Query %d: %v", i, err)
						}
						continue
					}
					n := int64(0)
					for rows.Next() {
						vals, err := rows.Values()
						if err != nil {
							fail("Query %d: %v", i, err)
							break
						}
						if got := vals[0].(int64); got != want {
							fail("Query %d: got %d, want %d", i, got, want)
						}
						n++
					}
					if err := rows.Close(); err != nil {
						if !short {
							fail("Query %d: close: %v", i, err)
						}
						continue
					}
					if n != 2-int64(i) {
						fail("Query %d: %d rows", i, n)
					}
					checkTag(fmt.Sprintf("Query %d", i), rows.CommandTag(), 2-int64(i))
					mu.Lock()
					closed = append(closed, keptRows{rows, 2 - int64(i)})
					mu.Unlock()
				}
				if _, err := fb.Await(ctx); err == nil {
					tag, err := be.Await(ctx)
					if err != nil {
						fail("batch Exec: %v", err)
					} else {
						checkTag("batch Exec", tag, base+2)
						mu.Lock()
						execs = append(execs, keptExec{be, base + 2})
						mu.Unlock()
					}
					rows, err := bq.Await(ctx)
					if err != nil {
						fail("batch Query: %v", err)
					} else {
						var v int64
						if !rows.Next() || rows.Scan(&v) != nil || v != base+3 {
							fail("batch Query: got %d (%v), want %d", v, rows.Err(), base+3)
						}
						rows.Close()
					}
				} else if !short {
					fail("batch: %v", err)
				}
				if terr == nil {
					for i, f := range []*futures.Future[session.CommandTag]{tx1, tx2} {
						want := base + 4 + 2*int64(i)
						tag, err := f.Await(ctx)
						if err != nil {
							fail("tx Exec %d: %v", i, err)
							continue
						}
						checkTag("tx Exec", tag, want)
						mu.Lock()
						execs = append(execs, keptExec{f, want})
						mu.Unlock()
					}
					var v int64
					if err := row.Scan(&v); err != nil || v != base+5 {
						fail("tx QueryRow: got %d (%v), want %d", v, err, base+5)
					}
				} else if !short {
					fail("tx: %v", terr)
				}
				stop()
			}
		})
	}
	wg.Wait()
	for _, err := range failures {
		t.Error(err)
	}
	if len(execs) < workers*rounds {
		t.Fatalf("only %d execs answered of %d sent", len(execs), 4*workers*rounds)
	}
	// What the callers were given stays theirs.
	for _, k := range execs {
		tag, err, ok := k.f.Result()
		if !ok || err != nil {
			t.Fatalf("a kept Exec future changed: ok %v, %v", ok, err)
		}
		checkTag("kept Exec", tag, k.want)
	}
	for _, k := range closed {
		if k.rows.Next() || k.rows.Err() != nil {
			t.Fatalf("closed rows came back to life: %v", k.rows.Err())
		}
		checkTag("kept rows", k.rows.CommandTag(), k.want)
	}
}

// TestWholeResultError: a small result that fails after some rows reports
// the failure, on a Session and a Pool, through Query and QueryRow: as the
// future's error when the failure came before any row was handed over (the
// rows of a failed statement are dropped), or as the rows handed over and
// then Err. Never rows without the error. The connection goes on.
func TestWholeResultError(t *testing.T) {
	ctx := context.Background()
	s := connect(t, dsn(t, pgtest.Trust))
	p := newPool(t, dsn(t, pgtest.Trust), &session.PoolOptions{MaxConns: 2})
	divByZero := func(err error) bool { return err != nil && strings.Contains(err.Error(), "division by zero") }
	for _, q := range []interface {
		Query(context.Context, string, ...any) *futures.Future[*session.Rows]
		QueryRow(context.Context, string, ...any) *session.Row
	}{s, p} {
		for range 20 {
			rows, err := q.Query(ctx, "SELECT 10 / (g - $1::int4) FROM generate_series(1, 5) g", 3).Await(ctx)
			if err != nil {
				if !divByZero(err) {
					t.Fatalf("Query: %v", err)
				}
				continue
			}
			var got []int
			for rows.Next() {
				var v int
				if err := rows.Scan(&v); err != nil {
					t.Fatal(err)
				}
				got = append(got, v)
			}
			if len(got) > 2 || (len(got) > 0 && got[0] != -5) || (len(got) > 1 && got[1] != -10) {
				t.Fatalf("rows before the failure: %v", got)
			}
			if err := rows.Err(); !divByZero(err) {
				t.Fatalf("Err: %v", err)
			}
			if err := rows.Close(); !divByZero(err) {
				t.Fatalf("Close: %v", err)
			}
			if tag := rows.CommandTag(); tag.String() != "" {
				t.Fatalf("a failed command has tag %q", tag)
			}
		}
		var v int
		if err := q.QueryRow(ctx, "SELECT 10 / (g - 1) FROM generate_series(1, 2) g").Scan(&v); !divByZero(err) {
			t.Fatalf("QueryRow: %d %v", v, err)
		}
		if err := q.QueryRow(ctx, "SELECT $1::int4", 7).Scan(&v); err != nil || v != 7 {
			t.Fatalf("after: %d %v", v, err)
		}
	}
}

// TestRowScanContextEnds: Scan waits for the row without watching the
// context itself once the connection took the query (the connection
// watches it); the end of the context still answers Scan at once, with
// the context's error, and the connection goes on.
func TestRowScanContextEnds(t *testing.T) {
	s := connect(t, dsn(t, pgtest.Trust))
	p := newPool(t, dsn(t, pgtest.Trust), &session.PoolOptions{MaxConns: 2})
	for _, q := range []interface {
		QueryRow(context.Context, string, ...any) *session.Row
	}{s, p} {
		ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		start := time.Now()
		var v int
		err := q.QueryRow(ctx, "SELECT 1 FROM pg_sleep(30)").Scan(&v)
		cancel()
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("Scan: %v", err)
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Fatalf("Scan returned after %v", d)
		}
		if err := q.QueryRow(context.Background(), "SELECT $1::int4", 9).Scan(&v); err != nil || v != 9 {
			t.Fatalf("after: %d %v", v, err)
		}
	}
}

// TestStreamedOutcome: a result long enough to come on a stream gets its
// outcome from the query's observer, recorded before the stream ends. Each
// caller asks for a row count only it knows, reads to the end, stops early
// (Close), or meets an error after rows were handed over; the tag, the
// error and the connection's next answers must all be its own.
func TestStreamedOutcome(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	p := newPool(t, dsn(t, pgtest.Trust), &session.PoolOptions{MaxConns: 2})
	const workers, rounds = 8, 12
	errs := make(chan error, workers*rounds)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for r := range rounds {
				n := int64(600 + w*37 + r) // more than one batch of rows
				switch r % 3 {
				case 0: // to the end
					rows, err := p.Query(ctx, "SELECT g::int8 FROM generate_series(1, $1::int4) g", n).Await(ctx)
					if err != nil {
						errs <- err
						continue
					}
					var got int64
					for rows.Next() {
						var v int64
						if err := rows.Scan(&v); err != nil || v != got+1 {
							errs <- fmt.Errorf("row %d: %d %v", got+1, v, err)
							break
						}
						got++
					}
					if err := rows.Err(); err != nil || got != n || rows.CommandTag().String() != fmt.Sprintf("SELECT %d", n) {
						errs <- fmt.Errorf("read %d of %d rows, tag %q: %v", got, n, rows.CommandTag(), err)
					}
				case 1: // Close after a few rows
					rows, err := p.Query(ctx, "SELECT g::int8 FROM generate_series(1, $1::int4) g", n).Await(ctx)
					if err != nil {
						errs <- err
						continue
					}
					for i := 0; i < 10 && rows.Next(); i++ {
					}
					if err := rows.Close(); err != nil {
						errs <- fmt.Errorf("close: %v", err)
					}
				case 2: // an error after rows were handed over
					rows, err := p.Query(ctx, "SELECT 1/($1::int8 - g) FROM generate_series(1, $1::int4) g", n).Await(ctx)
					if err != nil {
						errs <- err
						continue
					}
					var got int64
					for rows.Next() {
						got++
					}
					var pe *wire.ErrorOrNoticeResponse
					if err := rows.Err(); !errors.As(err, &pe) || pe.Code != "22012" || got >= n {
						errs <- fmt.Errorf("division by zero at row %d: %d rows, %v", n, got, err)
					}
				}
				var v int64
				if err := p.QueryRow(ctx, "SELECT $1::int8", n).Scan(&v); err != nil || v != n {
					errs <- fmt.Errorf("the next query: %d, %v", v, err)
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// TestRawValuesAcrossBatches: the current row's raw values (NULL as nil, an
// empty string as empty), right on every row of a result spanning several
// batches, and none once the rows ended.
func TestRawValuesAcrossBatches(t *testing.T) {
	s := connect(t, dsn(t, pgtest.Trust))
	ctx := context.Background()
	rows, err := s.Query(ctx, "SELECT g::text, CASE WHEN g % 3 = 0 THEN NULL ELSE '' END, repeat('x', g % 5) FROM generate_series(1, 1000) g").Await(ctx)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for rows.Next() {
		n++
		raw := rows.RawValues()
		if len(raw) != 3 || string(raw[0]) != fmt.Sprint(n) || (raw[1] == nil) != (n%3 == 0) || len(raw[1]) != 0 || string(raw[2]) != strings.Repeat("x", n%5) {
			t.Fatalf("row %d: %q", n, raw)
		}
	}
	if err := rows.Err(); err != nil || n != 1000 {
		t.Fatalf("%d rows: %v", n, err)
	}
	if raw := rows.RawValues(); raw != nil {
		t.Fatalf("after the end: %q", raw)
	}
}
