package futures_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/pgactor/pgactor/futures"
)

// holder is a value that must be let go of by whoever ends up with it.
type holder struct{ released atomic.Int32 }

func releaseHolder(h *holder) { h.released.Add(1) }

func TestReleaseAfterAbandonedAwait(t *testing.T) {
	f := futures.New[*holder]()
	f.SetRelease(releaseHolder)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := f.Await(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("await: %v", err)
	}
	h := &holder{}
	f.Resolve(h, nil)
	if h.released.Load() != 1 {
		t.Fatal("the value of an abandoned future was not released")
	}
	if _, err := f.Await(context.Background()); !errors.Is(err, futures.ErrAbandoned) {
		t.Fatalf("a later Await: %v, want ErrAbandoned", err)
	}
	if _, err, ok := f.Result(); !ok || !errors.Is(err, futures.ErrAbandoned) {
		t.Fatalf("Result: %v %v", err, ok)
	}
}

func TestReleaseNotCalledWhenAwaited(t *testing.T) {
	f := futures.New[*holder]()
	f.SetRelease(releaseHolder)
	h := &holder{}
	f.Resolve(h, nil)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	// A ready result wins over an ended context: the caller has it.
	if got, err := f.Await(ctx); got != h || err != nil {
		t.Fatalf("await: %v %v", got, err)
	}
	if h.released.Load() != 0 {
		t.Fatal("released a value its caller received")
	}
}

func TestReleaseNotCalledForErrors(t *testing.T) {
	f := futures.New[*holder]()
	f.SetRelease(func(*holder) { t.Error("release called for a failed future") })
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	f.Await(ctx)
	f.Resolve(nil, errors.New("failed"))
}

func TestWithoutReleaseAwaitCanRetry(t *testing.T) {
	f := futures.New[int]()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	f.Await(ctx)
	f.Resolve(7, nil)
	if v, err := f.Await(context.Background()); v != 7 || err != nil {
		t.Fatalf("%v %v", v, err)
	}
}

// TestReleaseRacesResolve: however an abandoning Await and Resolve
// interleave, the value is released exactly once, or received.
func TestReleaseRacesResolve(t *testing.T) {
	for range 2000 {
		f := futures.New[*holder]()
		f.SetRelease(releaseHolder)
		h := &holder{}
		ctx, cancel := context.WithCancel(context.Background())
		var got *holder
		var wg sync.WaitGroup
		wg.Go(func() { got, _ = f.Await(ctx) })
		wg.Go(func() { f.Resolve(h, nil) })
		wg.Go(cancel)
		wg.Wait()
		received := 0
		if got == h {
			received = 1
		}
		if n := int(h.released.Load()) + received; n != 1 {
			t.Fatalf("released %d times, received %d", h.released.Load(), received)
		}
	}
}
