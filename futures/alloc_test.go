//go:build !race

package futures_test

import (
	"context"
	"testing"

	"github.com/pgactor/pgactor/futures"
)

// The race detector allocates on its own, so these run only without it.

func TestStreamSteadyStateAllocatesNothing(t *testing.T) {
	s := futures.NewStream[int](2)
	ctx := context.Background()
	allocs := testing.AllocsPerRun(1000, func() {
		b := s.Batch(64)
		for i := range 64 {
			b = append(b, i)
		}
		if !s.TrySend(b) {
			t.Fatal("full")
		}
		got, _ := s.Next(ctx)
		s.Recycle(got)
	})
	if allocs != 0 {
		t.Fatalf("%v allocations per batch, want 0", allocs)
	}
}

func TestFutureAllocations(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name string
		want float64
		run  func()
	}{
		{name: "resolve then await", want: 1, run: func() {
			f := futures.New[int]()
			f.Resolve(1, nil)
			f.Await(ctx)
		}},
		{name: "Resolved then Done", want: 1, run: func() {
			<-futures.Resolved(1, nil).Done()
		}},
		{name: "waiter channel", want: 2, run: func() {
			f := futures.New[int]()
			f.Done()
			f.Resolve(1, nil)
			f.Await(ctx)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := testing.AllocsPerRun(1000, tt.run); got != tt.want {
				t.Fatalf("%v allocations, want %v", got, tt.want)
			}
		})
	}
}
