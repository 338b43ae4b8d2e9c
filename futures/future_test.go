package futures_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/pgactor/pgactor/futures"
)

var errBoom = errors.New("boom")

// isClosed reports whether ch is closed, without blocking.
func isClosed(ch <-chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}

func TestResolveFirstCallWins(t *testing.T) {
	tests := []struct {
		name            string
		firstV, secondV int
		firstE, secondE error
		awaitDoneBefore bool // ask for Done before resolving, so a real channel exists
	}{
		{name: "value then value", firstV: 1, secondV: 2},
		{name: "value then error", firstV: 7, secondE: errBoom},
		{name: "error then value", firstE: errBoom, secondV: 3},
		{name: "value and error", firstV: 5, firstE: errBoom, secondV: 6},
		{name: "with waiter channel", firstV: 9, secondV: 10, awaitDoneBefore: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := futures.New[int]()
			var done <-chan struct{}
			if tt.awaitDoneBefore {
				done = f.Done()
				if isClosed(done) {
					t.Fatal("Done closed before Resolve")
				}
			}
			if !f.Resolve(tt.firstV, tt.firstE) {
				t.Fatal("first Resolve reported false")
			}
			if f.Resolve(tt.secondV, tt.secondE) {
				t.Fatal("second Resolve reported true")
			}
			if done != nil && !isClosed(done) {
				t.Fatal("Done channel taken before Resolve is still open")
			}
			if !isClosed(f.Done()) {
				t.Fatal("Done not closed after Resolve")
			}
			v, err := f.Await(context.Background())
			if v != tt.firstV || err != tt.firstE {
				t.Fatalf("Await = %v, %v; want %v, %v", v, err, tt.firstV, tt.firstE)
			}
			v, err, ok := f.Result()
			if !ok || v != tt.firstV || err != tt.firstE {
				t.Fatalf("Result = %v, %v, %v; want %v, %v, true", v, err, ok, tt.firstV, tt.firstE)
			}
		})
	}
}

func TestConcurrentResolveOneWinner(t *testing.T) {
	const resolvers, awaiters = 16, 16
	for range 200 {
		f := futures.New[int]()
		var wins atomic.Int32
		var winner atomic.Int64
		var wg sync.WaitGroup
		got := make([]int, awaiters)
		for i := range awaiters {
			wg.Go(func() {
				v, err := f.Await(context.Background())
				if err != nil {
					t.Errorf("Await error %v", err)
				}
				got[i] = v
			})
		}
		for i := range resolvers {
			wg.Go(func() {
				if f.Resolve(i+1, nil) {
					wins.Add(1)
					winner.Store(int64(i + 1))
				}
			})
		}
		wg.Wait()
		if n := wins.Load(); n != 1 {
			t.Fatalf("%d resolvers won, want 1", n)
		}
		for i, v := range got {
			if int64(v) != winner.Load() {
				t.Fatalf("awaiter %d got %d, winner resolved %d", i, v, winner.Load())
			}
		}
	}
}

func TestAwaitReadyResultWinsOverCanceledContext(t *testing.T) {
	tests := []struct {
		name  string
		setup func(f *futures.Future[string]) // resolves f somehow before Await
	}{
		{name: "resolved before any waiter", setup: func(f *futures.Future[string]) { f.Resolve("row", nil) }},
		{name: "resolved after Done was taken", setup: func(f *futures.Future[string]) {
			f.Done()
			f.Resolve("row", nil)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			cancel()
			f := futures.New[string]()
			tt.setup(f)
			for range 100 { // select would pick at random if Await relied on it
				v, err := f.Await(ctx)
				if v != "row" || err != nil {
					t.Fatalf("Await = %q, %v; want row, nil", v, err)
				}
			}
		})
	}
	t.Run("Resolved constructor", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		v, err := futures.Resolved(0, errBoom).Await(ctx)
		if v != 0 || err != errBoom {
			t.Fatalf("Await = %v, %v; want 0, boom", v, err)
		}
	})
}

func TestAwaitContextEnds(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := futures.New[int]()
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		start := time.Now()
		v, err := f.Await(ctx)
		if !errors.Is(err, context.DeadlineExceeded) || v != 0 {
			t.Fatalf("Await = %v, %v; want 0, deadline exceeded", v, err)
		}
		if d := time.Since(start); d != time.Second {
			t.Fatalf("Await returned after %v, want 1s", d)
		}
		if _, _, ok := f.Result(); ok {
			t.Fatal("future resolved by a context ending")
		}
		// The future is still usable after a waiter gave up.
		go func() {
			time.Sleep(time.Minute)
			f.Resolve(42, nil)
		}()
		v, err = f.Await(context.Background())
		if v != 42 || err != nil {
			t.Fatalf("second Await = %v, %v; want 42, nil", v, err)
		}
		if d := time.Since(start); d != time.Second+time.Minute {
			t.Fatalf("resolved after %v, want 1m1s", d)
		}
	})
}

func TestAwaitCanceledReturnsContextErrorAsIs(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := futures.New[int]()
		ctx, cancel := context.WithCancel(context.Background())
		errc := make(chan error, 1)
		go func() {
			_, err := f.Await(ctx)
			errc <- err
		}()
		synctest.Wait()
		select {
		case err := <-errc:
			t.Fatalf("Await returned %v before cancel", err)
		default:
		}
		cancel()
		if err := <-errc; err != context.Canceled {
			t.Fatalf("Await error = %v, want context.Canceled itself", err)
		}
	})
}

func TestResultIsNonBlocking(t *testing.T) {
	f := futures.New[int]()
	if v, err, ok := f.Result(); ok || v != 0 || err != nil {
		t.Fatalf("pending Result = %v, %v, %v", v, err, ok)
	}
	f.Resolve(3, errBoom)
	if v, err, ok := f.Result(); !ok || v != 3 || err != errBoom {
		t.Fatalf("resolved Result = %v, %v, %v", v, err, ok)
	}
}

func TestZeroFutureIsUsable(t *testing.T) {
	type command struct {
		sql    string
		result futures.Future[int64]
	}
	synctest.Test(t, func(t *testing.T) {
		c := &command{sql: "select 1"}
		go func() {
			time.Sleep(time.Millisecond)
			c.result.Resolve(1, nil)
		}()
		n, err := c.result.Await(context.Background())
		if n != 1 || err != nil {
			t.Fatalf("Await = %v, %v", n, err)
		}
	})
}

func TestDoneIsStable(t *testing.T) {
	f := futures.New[int]()
	a, b := f.Done(), f.Done()
	if a != b {
		t.Fatal("two Done calls on a pending future returned different channels")
	}
	f.Resolve(1, nil)
	if !isClosed(a) || !isClosed(f.Done()) {
		t.Fatal("Done not closed after Resolve")
	}
	if !isClosed(futures.Resolved(1, nil).Done()) {
		t.Fatal("Resolved future's Done is open")
	}
}

func TestDoneRacesResolve(t *testing.T) {
	// Done making its channel and Resolve publishing must never leave a
	// waiter on a channel nobody closes.
	for range 2000 {
		f := futures.New[int]()
		var wg sync.WaitGroup
		chans := make([]<-chan struct{}, 4)
		for i := range chans {
			wg.Go(func() { chans[i] = f.Done() })
		}
		wg.Go(func() { f.Resolve(1, nil) })
		wg.Wait()
		for i, ch := range chans {
			select {
			case <-ch:
			case <-time.After(10 * time.Second):
				t.Fatalf("Done channel %d never closed", i)
			}
		}
	}
}

func TestManyAwaiters(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := futures.New[string]()
		const n = 100
		results := make(chan string, n)
		for range n {
			go func() {
				v, _ := f.Await(context.Background())
				results <- v
			}()
		}
		synctest.Wait()
		if len(results) != 0 {
			t.Fatal("an awaiter returned before Resolve")
		}
		f.Resolve("ok", nil)
		for range n {
			if v := <-results; v != "ok" {
				t.Fatalf("awaiter got %q", v)
			}
		}
	})
}

func TestAwaitAll(t *testing.T) {
	errA, errB := errors.New("a"), errors.New("b")
	tests := []struct {
		name    string
		results []error // nil: succeeds
		want    error
	}{
		{name: "empty", want: nil},
		{name: "all succeed", results: []error{nil, nil, nil}, want: nil},
		{name: "first failure in slice order", results: []error{nil, errB, errA}, want: errB},
		{name: "single failure", results: []error{errA}, want: errA},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				fs := make([]*futures.Future[int], len(tt.results))
				for i := range fs {
					fs[i] = futures.New[int]()
				}
				// Resolve in reverse order, later ones first, so that
				// slice order and resolution order differ.
				go func() {
					for i := len(fs) - 1; i >= 0; i-- {
						time.Sleep(time.Millisecond)
						fs[i].Resolve(i, tt.results[i])
					}
				}()
				if err := futures.AwaitAll(context.Background(), fs...); err != tt.want {
					t.Fatalf("AwaitAll = %v, want %v", err, tt.want)
				}
				for i, f := range fs {
					if v, _, ok := f.Result(); !ok || v != i {
						t.Fatalf("future %d: Result = %v, ok %v", i, v, ok)
					}
				}
			})
		})
	}
}

func TestAwaitAllContext(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ready := futures.Resolved(1, nil)
		stuck := futures.New[int]()
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		if err := futures.AwaitAll(ctx, ready, stuck); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("AwaitAll = %v, want deadline exceeded", err)
		}
		// Everything resolved: an ended context does not matter.
		stuck.Resolve(2, errBoom)
		if err := futures.AwaitAll(ctx, ready, stuck); err != errBoom {
			t.Fatalf("AwaitAll after resolve = %v, want boom", err)
		}
	})
}
