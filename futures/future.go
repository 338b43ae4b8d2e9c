package futures

import (
	"context"
	"errors"
	"runtime"
	"sync"
	"sync/atomic"
)

// ErrAbandoned is what Await and Result report for a future with a release
// function once an earlier Await gave up on it: its value went to release.
var ErrAbandoned = errors.New("futures: result abandoned: an earlier Await gave up waiting for it")

// Future states. resolving is held only between the winning Resolve's
// compare-and-swap and its publication of the result, so readers that see
// resolved may read val and err.
const (
	pending uint32 = iota
	resolving
	resolved
)

// closedChan is what Done returns for futures resolved before anyone asked
// for a channel: one shared closed channel spares each of them an allocation.
var closedChan = func() chan struct{} {
	c := make(chan struct{})
	close(c)
	return c
}()

// Future is a result of type T delivered once. The zero Future is pending and
// ready to use; it must not be copied after first use.
type Future[T any] struct {
	state atomic.Uint32
	// seen holds the bits of unobserved.go: observed and watched (cleanup
	// is the report armed by ReportUnobserved, written before watched is
	// set), waitedOn and releasedTo.
	seen atomic.Uint32
	// done is the channel made by the first waiter that finds the future
	// pending, under mu; Resolve closes it. A lock, not an atomic.Value: the
	// first store into an atomic.Value makes a concurrent Swap spin until
	// it completes, and on a busy machine the storing thread may be
	// descheduled meanwhile (a tenth and more of a pipeline's CPU went to
	// that spin).
	mu   sync.Mutex
	done chan struct{}
	// val and err are written once, before state becomes resolved: guarded by
	// state and done, never by a lock.
	val T
	err error

	// release, set before the future is shared, takes over a value nobody
	// will read; abandoned is set when an Await gave up, and the releasedTo
	// bit makes sure release runs once.
	release   func(T)
	abandoned atomic.Bool
	// ctxWatched holds true once the producer answers the end of the
	// context whose Done channel is ctxDone by itself (WatchedContext).
	ctxWatched atomic.Bool
	ctxDone    <-chan struct{}
	// onWait, when set, runs the first time someone waits (SetOnWait).
	onWait func(context.Context)

	cleanup runtime.Cleanup
}

// SetOnWait makes fn run, once, the first time someone waits for the
// future while it is pending (Await, Done, AwaitAll): for results produced
// on demand, such as a transaction's commands that are held until one of
// their results is wanted. fn gets the waiter's context (Await's,
// AwaitAll's; context.Background() for Done), so that it waits for
// nothing longer than the waiter would. Call it before the future is
// shared.
func (f *Future[T]) SetOnWait(fn func(ctx context.Context)) { f.onWait = fn }

// WatchedContext records done, the Done channel of the context the
// result depends on, and returns the flag by which the producer says it
// watches that context: once the flag holds true, the producer resolves
// the future as soon as done is closed, wherever the work stands. Await
// with a context of that Done channel then waits for the result alone
// instead of selecting on the context as well, which matters when many
// goroutines wait on one context: a select on its channel takes that
// channel's lock, so they would all queue there. What Await returns is
// unchanged: an Await that was waiting when the context ended returns the
// context's error, the producer's answer to that end notwithstanding (a
// future already resolved returns its result, as always). Call it before
// the future is shared; the flag may be set at any time after, from any
// goroutine, and must never be set while the producer could leave the
// future pending after done closes.
func (f *Future[T]) WatchedContext(done <-chan struct{}) *atomic.Bool {
	f.ctxDone = done
	return &f.ctxWatched
}

// ContextWatched reports whether the producer said it watches the
// context of the future's result (see WatchedContext).
func (f *Future[T]) ContextWatched() bool { return f.ctxWatched.Load() }

// wait runs onWait if this is the first wait on a pending future.
func (f *Future[T]) wait(ctx context.Context) {
	if f.onWait != nil && f.state.Load() != resolved && f.setOnce(waitedOn) {
		f.onWait(ctx)
	}
}

// SetRelease makes the future's value belong to whoever awaits it, for
// values that hold something (a stream that holds up a connection until it
// is read). If an Await gives up because its context ended before the
// result was ready, the future is abandoned: release receives the value as
// soon as it is resolved (when it is resolved without an error), and every
// later Await or Result reports ErrAbandoned. Call SetRelease before the
// future is shared; release must not block. The function should not be a
// new closure per future if allocations matter: a package-level function
// costs nothing.
func (f *Future[T]) SetRelease(release func(T)) { f.release = release }

// abandon runs when an Await of a future with a release function gave up.
func (f *Future[T]) abandon() {
	f.abandoned.Store(true)
	if f.state.Load() == resolved {
		f.giveUp()
	}
}

func (f *Future[T]) giveUp() {
	if f.setOnce(releasedTo) && f.err == nil {
		f.release(f.val)
	}
}

// New returns a pending future.
func New[T any]() *Future[T] {
	return new(Future[T])
}

// Resolved returns a future that already holds v and err, for results known
// before any work was queued (a bad argument, a closed connection).
func Resolved[T any](v T, err error) *Future[T] {
	f := &Future[T]{val: v, err: err}
	f.state.Store(resolved)
	return f
}

// Resolve stores v and err as the future's result and wakes every waiter. Only
// the first call has an effect; it reports true, and every later call reports
// false and leaves the result alone.
func (f *Future[T]) Resolve(v T, err error) bool {
	if !f.state.CompareAndSwap(pending, resolving) {
		return false
	}
	f.val, f.err = v, err
	f.state.Store(resolved)
	f.mu.Lock()
	d := f.done
	f.mu.Unlock()
	if d != nil {
		close(d) // a waiter made it before it could see resolved
	}
	if f.release != nil && f.abandoned.Load() {
		f.giveUp()
	}
	return true
}

// Done returns a channel that is closed once the future is resolved, for use
// in select. Every call returns a channel with the same meaning; after
// resolution it may be a shared, already closed one.
func (f *Future[T]) Done() <-chan struct{} {
	f.observe()
	f.wait(context.Background())
	return f.doneChan()
}

// doneChan is Done once the waiting was seen to.
func (f *Future[T]) doneChan() <-chan struct{} {
	if f.state.Load() == resolved {
		return closedChan
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.done == nil {
		if f.state.Load() == resolved {
			// Resolve stored resolved before it looked for a channel
			// under mu: it found none, and closes none.
			return closedChan
		}
		f.done = make(chan struct{})
	}
	return f.done
}

// Await waits for the result or for ctx to end. A result that is ready wins
// over an ended context; otherwise the context's error is returned unchanged,
// so errors.Is(err, context.Canceled) works. An ended context leaves the
// future pending: it can still be resolved and awaited again, unless it has
// a release function (see SetRelease).
func (f *Future[T]) Await(ctx context.Context) (T, error) {
	f.observe()
	if f.release != nil && f.abandoned.Load() {
		var zero T
		return zero, ErrAbandoned
	}
	if f.state.Load() == resolved {
		return f.val, f.err
	}
	f.wait(ctx)
	done := f.doneChan()
	ctxDone := ctx.Done()
	if ctxDone == nil {
		<-done
		return f.val, f.err
	}
	if ctxDone == f.ctxDone && f.ctxWatched.Load() {
		// The producer answers when ctx ends: no need to watch it here.
		<-done
		if f.err != nil && ctx.Err() != nil && errors.Is(f.err, ctx.Err()) {
			var zero T
			return zero, ctx.Err()
		}
		return f.val, f.err
	}
	select {
	case <-done:
		return f.val, f.err
	case <-ctxDone:
		// Both may have become ready at once; select chose at random.
		if f.state.Load() == resolved {
			return f.val, f.err
		}
		if f.release != nil {
			f.abandon()
		}
		var zero T
		return zero, ctx.Err()
	}
}

// Result returns the result without waiting; ok is false while the future is
// pending.
func (f *Future[T]) Result() (v T, err error, ok bool) {
	if f.state.Load() != resolved {
		return v, nil, false
	}
	f.observe()
	if f.release != nil && f.abandoned.Load() {
		return v, ErrAbandoned, true
	}
	return f.val, f.err, true
}

// AwaitAll waits until every future in fs is resolved and returns the error
// of the first one, in slice order, that failed, or nil if none did. It
// returns ctx's error if ctx ends first, unless every future is resolved by
// then. The values stay in the futures (read them with Result). It is meant
// for a batch of pipelined commands fired together and awaited once.
func AwaitAll[T any](ctx context.Context, fs ...*Future[T]) error {
	ctxDone := ctx.Done()
	for _, f := range fs {
		f.observe()
		if f.state.Load() == resolved {
			continue
		}
		f.wait(ctx)
		select {
		case <-f.doneChan():
		case <-ctxDone:
			if f.state.Load() != resolved {
				return ctx.Err()
			}
		}
	}
	for _, f := range fs {
		if f.err != nil {
			return f.err
		}
	}
	return nil
}
