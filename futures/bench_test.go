package futures_test

import (
	"context"
	"testing"

	"github.com/pgactor/pgactor/futures"
)

func BenchmarkFutureResolveAwait(b *testing.B) {
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		f := futures.New[int]()
		f.Resolve(1, nil)
		if v, err := f.Await(ctx); v != 1 || err != nil {
			b.Fatal(v, err)
		}
	}
}

// BenchmarkFutureAwaitBeforeResolve is the actor's case: the caller waits
// first and another goroutine resolves.
func BenchmarkFutureAwaitBeforeResolve(b *testing.B) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	work := make(chan *futures.Future[int])
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		for f := range work {
			f.Resolve(1, nil)
		}
	}()
	b.ReportAllocs()
	for b.Loop() {
		f := futures.New[int]()
		f.Done() // make the waiter's channel before the resolver can win
		work <- f
		if v, err := f.Await(ctx); v != 1 || err != nil {
			b.Fatal(v, err)
		}
	}
	close(work)
	<-stopped
}

const benchBatch = 256

type benchRow struct {
	id    int64
	score float64
	name  []byte
}

func BenchmarkStreamBatch(b *testing.B) {
	s := futures.NewStream[benchRow](4)
	ctx := context.Background()
	name := []byte("row")
	b.ReportAllocs()
	for b.Loop() {
		batch := s.Batch(benchBatch)
		for i := range benchBatch {
			batch = append(batch, benchRow{id: int64(i), score: 1, name: name})
		}
		if !s.TrySend(batch) {
			b.Fatal("full")
		}
		got, ok := s.Next(ctx)
		if !ok || len(got) != benchBatch {
			b.Fatal("short batch")
		}
		s.Recycle(got)
	}
	b.ReportMetric(float64(b.N*benchBatch)/b.Elapsed().Seconds(), "rows/s")
}

// BenchmarkStreamBatchTwoGoroutines streams between a producer and a
// consumer goroutine, with the producer following the actor's protocol.
func BenchmarkStreamBatchTwoGoroutines(b *testing.B) {
	s := futures.NewStream[benchRow](4)
	ctx := context.Background()
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		name := []byte("row")
		for {
			batch := s.Batch(benchBatch)
			for i := range benchBatch {
				batch = append(batch, benchRow{id: int64(i), score: 1, name: name})
			}
			if !s.TrySend(batch) {
				select {
				case s.In() <- batch:
				case <-s.Canceled():
					return
				}
			}
		}
	}()
	b.ReportAllocs()
	for b.Loop() {
		got, ok := s.Next(ctx)
		if !ok || len(got) != benchBatch {
			b.Fatal("short batch")
		}
		s.Recycle(got)
	}
	b.ReportMetric(float64(b.N*benchBatch)/b.Elapsed().Seconds(), "rows/s")
	s.Cancel()
	<-stopped
}
