package futures

import (
	"context"
	"errors"
	"sync/atomic"
)

// ErrCanceled is what Err reports after the consumer called Cancel before the
// producer finished.
var ErrCanceled = errors.New("futures: stream canceled by consumer")

// How a stream ended. The first terminal event wins: a consumer that cancels
// after the producer finished still sees the producer's error, and a producer
// that finishes after the consumer left does not overwrite the cancel cause.
const (
	open uint32 = iota
	finished
	canceled
)

// Stream is a bounded channel of batches from one producer to a consumer; see
// the package documentation for the protocol and batch ownership. Create it
// with NewStream.
type Stream[T any] struct {
	c        chan []T      // batches; closed by Finish
	free     chan []T      // recycled batches waiting for the producer
	canceled chan struct{} // closed by Cancel

	outcome     atomic.Uint32 // open, finished or canceled: the first terminal event
	didFinish   atomic.Bool   // Finish has run; makes it idempotent
	didCancel   atomic.Bool   // Cancel has run; makes it idempotent
	finishErr   error         // written by Finish before outcome can read finished
	cancelCause error         // written by Cancel before outcome can read canceled
}

// NewStream returns a stream that buffers at most maxBatches batches between
// producer and consumer; values below 1 mean 1.
func NewStream[T any](maxBatches int) *Stream[T] {
	maxBatches = max(maxBatches, 1)
	return &Stream[T]{
		c: make(chan []T, maxBatches),
		// Room for every batch that can be in circulation at once: the
		// buffered ones, one being filled and one being read.
		free:     make(chan []T, maxBatches+2),
		canceled: make(chan struct{}),
	}
}

// Producer side. TrySend, In, Batch and Finish belong to one producer
// goroutine at a time.

// Batch returns an empty slice with capacity of at least capHint for the
// producer to fill, reusing a recycled batch when one is waiting.
func (s *Stream[T]) Batch(capHint int) []T {
	select {
	case b := <-s.free:
		if cap(b) >= capHint {
			return b[:0]
		}
	default:
	}
	return make([]T, 0, capHint)
}

// TrySend offers batch to the consumer without blocking and reports whether
// the stream took it. It reports false only when maxBatches batches are
// already buffered; the producer then still owns batch and can wait for room
// by selecting on In() <- batch. After Cancel, or after Finish, the batch is
// discarded (kept for Batch) and TrySend reports true, so a producer that only
// calls TrySend never stalls on a consumer that left.
func (s *Stream[T]) TrySend(batch []T) bool {
	if s.didCancel.Load() || s.didFinish.Load() {
		s.Recycle(batch)
		return true
	}
	select {
	case s.c <- batch:
		return true
	default:
		return false
	}
}

// In is the stream's sending end, for a producer holding a batch that TrySend
// refused. Select on a send to it together with Canceled(), so that a
// consumer who leaves releases the producer. Sending after Finish panics.
func (s *Stream[T]) In() chan<- []T {
	return s.c
}

// Canceled returns a channel that is closed once the consumer has canceled
// the stream. The producer watches it to stop producing; a select-based
// consumer may watch it when another goroutine can cancel.
func (s *Stream[T]) Canceled() <-chan struct{} {
	return s.canceled
}

// Finish ends the stream with err, nil meaning the producer delivered
// everything. Batches already sent stay readable; after them Next reports
// false and C is closed. Only the first call has an effect and reports true.
func (s *Stream[T]) Finish(err error) bool {
	if !s.didFinish.CompareAndSwap(false, true) {
		return false
	}
	s.finishErr = err
	s.outcome.CompareAndSwap(open, finished)
	close(s.c)
	return true
}

// Consumer side. Next, C, Err and Recycle are for the consumer; Cancel may be
// called from any goroutine.

// Next returns the next batch, waiting for one if needed. It reports false at
// the end of the stream: after Finish once every batch was read, after Cancel,
// or when ctx ends, which cancels the stream with ctx's error as the cause. A
// batch that is already buffered wins over an ended ctx.
func (s *Stream[T]) Next(ctx context.Context) ([]T, bool) {
	if s.didCancel.Load() {
		return nil, false
	}
	select {
	case b, ok := <-s.c:
		return s.received(b, ok)
	default:
	}
	select {
	case b, ok := <-s.c:
		return s.received(b, ok)
	case <-s.canceled:
		return nil, false
	case <-ctx.Done():
		s.CancelCause(ctx.Err())
		return nil, false
	}
}

// received hands out a batch unless a Cancel came meanwhile: Cancel drops
// what is buffered, so a batch that slipped in after it would arrive after
// a gap.
func (s *Stream[T]) received(b []T, ok bool) ([]T, bool) {
	if ok && s.didCancel.Load() {
		s.Recycle(b)
		return nil, false
	}
	return b, ok
}

// C returns the receiving end for consumers that select. It is closed after
// Finish once every batch was received; it is not closed by Cancel.
func (s *Stream[T]) C() <-chan []T {
	return s.c
}

// Recycle hands a consumed batch back so that Batch can reuse its memory. It
// clears the whole backing array, so that recycled batches keep nothing
// reachable; the consumer must not use batch, or anything sliced from it,
// afterwards. Recycling is optional, and a batch that finds no room is left
// to the garbage collector.
func (s *Stream[T]) Recycle(batch []T) {
	if cap(batch) == 0 {
		return
	}
	batch = batch[:cap(batch)]
	clear(batch)
	select {
	case s.free <- batch[:0]:
	default:
	}
}

// Cancel tells the producer that the consumer is gone: Canceled() closes,
// buffered batches are dropped, later sends are discarded and Next reports
// false. It is idempotent and safe concurrently with the producer and with
// Next. If the producer had not finished yet, Err reports ErrCanceled.
func (s *Stream[T]) Cancel() {
	s.CancelCause(ErrCanceled)
}

// CancelCause is Cancel with cause as what Err reports; a nil cause means
// ErrCanceled.
func (s *Stream[T]) CancelCause(cause error) {
	if !s.didCancel.CompareAndSwap(false, true) {
		return
	}
	if cause == nil {
		cause = ErrCanceled
	}
	s.cancelCause = cause
	s.outcome.CompareAndSwap(open, canceled)
	close(s.canceled)
	// Release what was buffered; a send that races past the didCancel check
	// may still land a batch afterwards, which only costs its memory until
	// the stream is collected.
	for {
		select {
		case b, ok := <-s.c:
			if !ok {
				return
			}
			s.Recycle(b)
		default:
			return
		}
	}
}

// Err reports how the stream ended: the error given to Finish (nil for
// success) if the producer finished first, the cancel cause if the consumer
// canceled first, and nil while the stream is still open. Call it after Next
// reported false.
func (s *Stream[T]) Err() error {
	switch s.outcome.Load() {
	case finished:
		return s.finishErr
	case canceled:
		return s.cancelCause
	}
	return nil
}
