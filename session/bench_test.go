package session_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/pgactor/pgactor/futures"
	"github.com/pgactor/pgactor/internal/pgtest"
	"github.com/pgactor/pgactor/session"
)

// BenchmarkPoolQuery runs SELECT $1::int8 through a pool of 4 connections
// from 1, 64 and 1,024 goroutines; ns/op is per query.
func BenchmarkPoolQuery(b *testing.B) {
	for _, g := range []int{1, 64, 1024} {
		b.Run(fmt.Sprintf("goroutines=%d", g), func(b *testing.B) {
			p := newPool(b, dsn(b, pgtest.Trust), &session.PoolOptions{MaxConns: 4})
			ctx := context.Background()
			b.ReportAllocs()
			work := make(chan int64, 1024)
			var wg sync.WaitGroup
			for range g {
				wg.Go(func() {
					var v int64
					for n := range work {
						if err := p.QueryRow(ctx, "SELECT $1::int8", n).Scan(&v); err != nil || v != n {
							b.Error(err)
							return
						}
					}
				})
			}
			var n int64
			for b.Loop() {
				n++
				work <- n
			}
			close(work)
			wg.Wait()
		})
	}
}

// BenchmarkPoolQueryAwait is BenchmarkPoolQuery's 1,024 goroutines using
// Query futures awaited on the context they were sent with, one context
// shared by all: what the connection watching that context from Send spares
// every waiter (futures.Future.WatchedContext).
func BenchmarkPoolQueryAwait(b *testing.B) {
	p := newPool(b, dsn(b, pgtest.Trust), &session.PoolOptions{MaxConns: 4})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	b.ReportAllocs()
	work := make(chan int64, 1024)
	var wg sync.WaitGroup
	for range 1024 {
		wg.Go(func() {
			for n := range work {
				rows, err := p.Query(ctx, "SELECT $1::int8", n).Await(ctx)
				if err != nil {
					b.Error(err)
					return
				}
				v, err := session.CollectOne(rows, session.RowTo[int64])
				if err != nil || v != n {
					b.Error(v, err)
					return
				}
			}
		})
	}
	var n int64
	for b.Loop() {
		n++
		work <- n
	}
	close(work)
	wg.Wait()
}

// BenchmarkSessionQueryRow is one goroutine on one session: the sequential
// round trip, all layers included.
func BenchmarkSessionQueryRow(b *testing.B) {
	s := connect(b, dsn(b, pgtest.Trust))
	ctx := context.Background()
	b.ReportAllocs()
	var v, n int64
	for b.Loop() {
		n++
		if err := s.QueryRow(ctx, "SELECT $1::int8", n).Scan(&v); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRowsStream reads 100k rows of (int8, text, float8, timestamptz)
// per op; allocs/op divided by 100k is the per-row cost.
func BenchmarkRowsStream(b *testing.B) {
	s := connect(b, dsn(b, pgtest.Trust))
	ctx := context.Background()
	b.ReportAllocs()
	var id int64
	var name string
	var f float64
	for b.Loop() {
		rows, err := s.Query(ctx, "SELECT g::int8, 'name ' || g, g::float8 / 3, now() FROM generate_series(1, 100000) g").Await(ctx)
		if err != nil {
			b.Fatal(err)
		}
		var t0 time.Time
		for rows.Next() {
			if err := rows.Scan(&id, &name, &f, &t0); err != nil {
				b.Fatal(err)
			}
		}
		if rows.Err() != nil {
			b.Fatal(rows.Err())
		}
	}
}

// BenchmarkRowsScanFixed reads 100k rows of fixed-size types per op into
// typed destinations: allocs/op stays flat, nothing per row.
func BenchmarkRowsScanFixed(b *testing.B) {
	s := connect(b, dsn(b, pgtest.Trust))
	ctx := context.Background()
	b.ReportAllocs()
	var id int64
	var f float64
	var ok bool
	var at time.Time
	for b.Loop() {
		rows, err := s.Query(ctx, "SELECT g::int8, g::float8 / 3, g % 2 = 0, now() FROM generate_series(1, 100000) g").Await(ctx)
		if err != nil {
			b.Fatal(err)
		}
		for rows.Next() {
			if err := rows.Scan(&id, &f, &ok, &at); err != nil {
				b.Fatal(err)
			}
		}
		if rows.Err() != nil {
			b.Fatal(rows.Err())
		}
	}
}

// BenchmarkPipeline1000 fires 1,000 queries on one session before awaiting
// any; ns/op is per query.
func BenchmarkPipeline1000(b *testing.B) {
	s := connect(b, dsn(b, pgtest.Trust))
	ctx, cancel := context.WithTimeout(context.Background(), time.Hour)
	defer cancel()
	futs := make([]*futures.Future[*session.Rows], 1000)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		futs[i] = s.Query(ctx, "SELECT $1::int8", int64(i))
		i++
		if i == len(futs) {
			for _, f := range futs {
				rows, err := f.Await(ctx)
				if err != nil {
					b.Fatal(err)
				}
				rows.Close()
			}
			i = 0
		}
	}
}

// BenchmarkBatch1000 sends 1,000 queries as one Batch; ns/op is per query.
func BenchmarkBatch1000(b *testing.B) {
	s := connect(b, dsn(b, pgtest.Trust))
	ctx, cancel := context.WithTimeout(context.Background(), time.Hour)
	defer cancel()
	rows := make([]*session.Row, 1000)
	batch := &session.Batch{}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		rows[i] = batch.QueryRow("SELECT $1::int8", int64(i))
		i++
		if i == len(rows) {
			s.SendBatch(ctx, batch)
			for _, r := range rows {
				var v int64
				if err := r.Scan(&v); err != nil {
					b.Fatal(err)
				}
			}
			batch, i = &session.Batch{}, 0
		}
	}
}

// BenchmarkCopyFrom copies 100k rows of (int8, text, float8) per op in
// COPY's binary format; allocs/op divided by 100k is the per-row cost.
func BenchmarkCopyFrom(b *testing.B) {
	s := connect(b, dsn(b, pgtest.Trust))
	ctx := context.Background()
	if _, err := s.Exec(ctx, "CREATE TEMP TABLE bench_copy (id int8, name text, val float8)").Await(ctx); err != nil {
		b.Fatal(err)
	}
	const rows = 100_000
	names := []string{"alpha", "beta", "gamma"}
	vals := make([]any, 3)
	b.ReportAllocs()
	for b.Loop() {
		n, err := s.CopyFrom(ctx, session.Identifier{"bench_copy"}, []string{"id", "name", "val"},
			session.CopyFromSlice(rows, func(i int) ([]any, error) {
				vals[0], vals[1], vals[2] = int64(i), names[i%3], float64(i)*0.5
				return vals, nil
			}))
		if err != nil || n != rows {
			b.Fatal(n, err)
		}
		b.StopTimer()
		s.Exec(ctx, "TRUNCATE bench_copy").Await(ctx)
		b.StartTimer()
	}
}

// BenchmarkTxOneBatch runs transactions of five statements fired as
// futures and committed (one implicit-transaction batch each) from 64
// goroutines over a pool of 8 connections; ns/op is per transaction.
func BenchmarkTxOneBatch(b *testing.B) {
	p := newPool(b, dsn(b, pgtest.Trust), &session.PoolOptions{MaxConns: 8})
	ctx := context.Background()
	b.ReportAllocs()
	work := make(chan int64, 1024)
	var wg sync.WaitGroup
	for range 64 {
		wg.Go(func() {
			for n := range work {
				var row *session.Row
				err := session.BeginFunc(ctx, p, session.TxOptions{}, func(tx *session.Tx) error {
					tx.Exec(ctx, "SELECT $1::int8", n)
					row = tx.QueryRow(ctx, "SELECT $1::int8 + 1", n)
					tx.Exec(ctx, "SELECT $1::int8", n)
					tx.Exec(ctx, "SELECT $1::int8", n)
					tx.Exec(ctx, "SELECT $1::int8, $2::int8", n, n)
					return nil
				})
				var v int64
				if err == nil {
					err = row.Scan(&v)
				}
				if err != nil || v != n+1 {
					b.Error(v, err)
					return
				}
			}
		})
	}
	var n int64
	for b.Loop() {
		n++
		work <- n
	}
	close(work)
	wg.Wait()
}
