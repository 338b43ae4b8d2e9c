package futures_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/pgactor/pgactor/futures"
)

// TestWatchedContext: once the producer says it watches the context, an
// Await on that context (or one sharing its Done channel) waits for the
// answer, not for the context; the answer of an ended context comes back as
// the context's error, as from a select. Before the flag is set, and for a
// context of another Done channel, Await still returns when its context
// ends.
func TestWatchedContext(t *testing.T) {
	t.Run("not yet watched", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		var f futures.Future[int]
		f.WatchedContext(ctx.Done())
		cancel()
		if _, err := f.Await(ctx); err != context.Canceled {
			t.Fatalf("Await = %v; want the context's error at once", err)
		}
		if f.ContextWatched() {
			t.Fatal("ContextWatched before the producer said so")
		}
	})

	t.Run("watched", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		var f futures.Future[int]
		f.WatchedContext(ctx.Done()).Store(true)
		if !f.ContextWatched() {
			t.Fatal("ContextWatched = false after the producer said so")
		}
		cancel()
		got := make(chan error, 1)
		go func() {
			_, err := f.Await(context.WithValue(ctx, ctxKey{}, 1)) // same Done channel
			got <- err
		}()
		select {
		case err := <-got:
			t.Fatalf("Await returned %v before the producer answered", err)
		case <-time.After(50 * time.Millisecond):
		}
		// The producer's answer wraps the context's error.
		f.Resolve(0, fmt.Errorf("command canceled: %w", context.Cause(ctx)))
		if err := <-got; err != context.Canceled {
			t.Fatalf("Await = %v; want context.Canceled itself", err)
		}
	})

	t.Run("watched, answered otherwise", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		var f futures.Future[int]
		f.WatchedContext(ctx.Done()).Store(true)
		boom := errors.New("boom")
		go f.Resolve(5, boom)
		if v, err := f.Await(ctx); v != 5 || err != boom {
			t.Fatalf("Await = %d, %v; want the producer's answer", v, err)
		}
	})

	t.Run("another context", func(t *testing.T) {
		watched, stop := context.WithCancel(context.Background())
		defer stop()
		other, cancel := context.WithCancel(watched) // a Done channel of its own
		var f futures.Future[int]
		f.WatchedContext(watched.Done()).Store(true)
		cancel()
		if _, err := f.Await(other); err != context.Canceled {
			t.Fatalf("Await = %v; want its own context's end", err)
		}
	})
}
