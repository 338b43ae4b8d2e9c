package futures_test

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/pgactor/pgactor/futures"
)

// produce sends n values in batches of size per batch the way the actor does:
// TrySend first, and when the stream is full, keep the batch and select on
// In() and Canceled(). It returns how many values it handed over and whether
// it saw the consumer cancel.
func produce(s *futures.Stream[int], n, size int) (sent int, sawCancel bool) {
	for i := 0; i < n; {
		b := s.Batch(size)
		for ; i < n && len(b) < size; i++ {
			b = append(b, i)
		}
		if !s.TrySend(b) {
			select {
			case s.In() <- b:
			case <-s.Canceled():
				return sent, true
			}
		}
		sent += len(b)
	}
	s.Finish(nil)
	return sent, false
}

func TestStreamDeliversEverythingInOrder(t *testing.T) {
	tests := []struct {
		name              string
		maxBatches, n, sz int
		recycle           bool
	}{
		{name: "one batch buffer", maxBatches: 1, n: 1000, sz: 7},
		{name: "deep buffer", maxBatches: 16, n: 1000, sz: 64},
		{name: "zero maxBatches means one", maxBatches: 0, n: 50, sz: 3},
		{name: "recycling", maxBatches: 2, n: 5000, sz: 32, recycle: true},
		{name: "empty stream", maxBatches: 4, n: 0, sz: 8},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := futures.NewStream[int](tt.maxBatches)
			done := make(chan struct{})
			go func() {
				defer close(done)
				produce(s, tt.n, tt.sz)
			}()
			var got []int
			for {
				b, ok := s.Next(context.Background())
				if !ok {
					break
				}
				if len(b) == 0 || len(b) > tt.sz {
					t.Errorf("batch of %d values, want 1..%d", len(b), tt.sz)
				}
				got = append(got, b...)
				if tt.recycle {
					s.Recycle(b)
				}
			}
			<-done
			if err := s.Err(); err != nil {
				t.Fatalf("Err = %v", err)
			}
			if len(got) != tt.n {
				t.Fatalf("got %d values, want %d", len(got), tt.n)
			}
			for i, v := range got {
				if v != i {
					t.Fatalf("value %d is %d", i, v)
				}
			}
		})
	}
}

func TestStreamFinishError(t *testing.T) {
	s := futures.NewStream[string](4)
	if !s.TrySend([]string{"a", "b"}) {
		t.Fatal("TrySend into empty stream reported false")
	}
	if !s.Finish(errBoom) {
		t.Fatal("Finish reported false")
	}
	if s.Finish(nil) {
		t.Fatal("second Finish reported true")
	}
	// Batches sent before Finish are still delivered.
	b, ok := s.Next(context.Background())
	if !ok || !slices.Equal(b, []string{"a", "b"}) {
		t.Fatalf("Next = %v, %v", b, ok)
	}
	if _, ok := s.Next(context.Background()); ok {
		t.Fatal("Next after the last batch reported true")
	}
	if err := s.Err(); err != errBoom {
		t.Fatalf("Err = %v, want boom", err)
	}
	// The consumer closing its rows after the end does not change Err.
	s.Cancel()
	if err := s.Err(); err != errBoom {
		t.Fatalf("Err after Cancel = %v, want boom", err)
	}
	// A send after Finish is discarded, never a panic.
	if !s.TrySend([]string{"late"}) {
		t.Fatal("TrySend after Finish reported false")
	}
}

func TestStreamBackpressure(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const maxBatches = 3
		s := futures.NewStream[int](maxBatches)
		for i := range maxBatches {
			if !s.TrySend([]int{i}) {
				t.Fatalf("TrySend %d refused below the bound", i)
			}
		}
		held := []int{maxBatches}
		if s.TrySend(held) {
			t.Fatal("TrySend accepted beyond maxBatches")
		}
		sent := make(chan struct{})
		go func() {
			select {
			case s.In() <- held:
				close(sent)
			case <-s.Canceled():
				t.Error("producer saw a cancel")
			}
		}()
		synctest.Wait()
		if isClosed(sent) {
			t.Fatal("producer got room without a read")
		}
		if b, ok := s.Next(context.Background()); !ok || b[0] != 0 {
			t.Fatalf("Next = %v, %v", b, ok)
		}
		synctest.Wait()
		if !isClosed(sent) {
			t.Fatal("producer not woken after the consumer made room")
		}
		for want := 1; want <= maxBatches; want++ {
			if b, ok := s.Next(context.Background()); !ok || b[0] != want {
				t.Fatalf("Next = %v, %v; want [%d]", b, ok, want)
			}
		}
		s.Finish(nil)
		if _, ok := s.Next(context.Background()); ok || s.Err() != nil {
			t.Fatalf("end: ok %v, Err %v", ok, s.Err())
		}
	})
}

func TestStreamCancelReleasesBlockedProducer(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := futures.NewStream[int](2)
		result := make(chan bool, 1)
		go func() {
			_, sawCancel := produce(s, 1_000_000, 10)
			result <- sawCancel
		}()
		if b, ok := s.Next(context.Background()); !ok || len(b) != 10 {
			t.Fatalf("Next = %v, %v", b, ok)
		}
		synctest.Wait() // the producer fills the buffer and blocks
		s.Cancel()
		if !<-result {
			t.Fatal("producer finished instead of seeing the cancel")
		}
		if _, ok := s.Next(context.Background()); ok {
			t.Fatal("Next after Cancel reported true")
		}
		if err := s.Err(); err != futures.ErrCanceled {
			t.Fatalf("Err = %v, want ErrCanceled", err)
		}
		// The producer's later sends are taken and dropped, never blocking.
		for i := range 10 {
			if !s.TrySend([]int{i}) {
				t.Fatal("TrySend after Cancel reported false")
			}
		}
		if !s.Finish(errBoom) {
			t.Fatal("Finish after Cancel reported false")
		}
		if err := s.Err(); err != futures.ErrCanceled {
			t.Fatalf("Err after a late Finish = %v, want ErrCanceled", err)
		}
	})
}

func TestStreamCancelWakesWaitingConsumer(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := futures.NewStream[int](1)
		cause := errors.New("rows closed")
		ended := make(chan bool, 1)
		go func() {
			_, ok := s.Next(context.Background())
			ended <- ok
		}()
		synctest.Wait()
		s.CancelCause(cause)
		s.CancelCause(errBoom) // idempotent: the first cause stays
		if <-ended {
			t.Fatal("Next reported true after Cancel")
		}
		if err := s.Err(); err != cause {
			t.Fatalf("Err = %v, want %v", err, cause)
		}
		if !isClosed(s.Canceled()) {
			t.Fatal("Canceled not closed")
		}
	})
}

func TestStreamNextContext(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := futures.NewStream[int](1)
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		if _, ok := s.Next(ctx); ok {
			t.Fatal("Next reported true with nothing sent")
		}
		if err := s.Err(); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("Err = %v, want deadline exceeded", err)
		}
		if !isClosed(s.Canceled()) {
			t.Fatal("an ended ctx did not cancel the stream for the producer")
		}
	})
}

func TestStreamBufferedBatchWinsOverEndedContext(t *testing.T) {
	s := futures.NewStream[int](1)
	s.TrySend([]int{1})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if b, ok := s.Next(ctx); !ok || b[0] != 1 {
		t.Fatalf("Next = %v, %v; want the buffered batch", b, ok)
	}
}

func TestStreamSelectConsumer(t *testing.T) {
	s := futures.NewStream[int](2)
	go produce(s, 100, 9)
	var got []int
	for b := range s.C() {
		got = append(got, b...)
	}
	if len(got) != 100 || s.Err() != nil {
		t.Fatalf("got %d values, Err %v", len(got), s.Err())
	}
}

func TestStreamRecycleReusesAndClears(t *testing.T) {
	s := futures.NewStream[*int](1)
	x := 1
	b := s.Batch(4)
	if len(b) != 0 || cap(b) < 4 {
		t.Fatalf("Batch = len %d cap %d", len(b), cap(b))
	}
	b = append(b, &x, &x)
	s.TrySend(b)
	got, _ := s.Next(context.Background())
	s.Recycle(got)
	again := s.Batch(4)
	if &again[:1][0] != &b[:1][0] {
		t.Fatal("Batch did not reuse the recycled backing array")
	}
	if again[:2][0] != nil || again[:2][1] != nil {
		t.Fatal("recycled batch still references old values")
	}
	// A recycled batch that is too small is not handed out.
	s.Recycle(make([]*int, 0, 2))
	if big := s.Batch(8); cap(big) < 8 {
		t.Fatalf("Batch(8) returned cap %d", cap(big))
	}
	s.Recycle(nil) // nothing to keep, no panic
}

func TestStreamConcurrentCancelStress(t *testing.T) {
	// A consumer goroutine, a producer goroutine and a third goroutine that
	// cancels at a random point: nothing blocks, nothing panics, the race
	// detector sees no unsynchronized access, and values arrive in order.
	for i := range 300 {
		s := futures.NewStream[int](2)
		var wg sync.WaitGroup
		wg.Go(func() { produce(s, 500, 5) })
		wg.Go(func() {
			next := 0
			for {
				b, ok := s.Next(context.Background())
				if !ok {
					return
				}
				for _, v := range b {
					if v != next {
						t.Errorf("got %d, want %d", v, next)
						return
					}
					next++
				}
				s.Recycle(b)
			}
		})
		wg.Go(func() {
			for range i % 20 {
				time.Sleep(time.Microsecond)
			}
			s.Cancel()
		})
		wg.Wait()
		if err := s.Err(); err != nil && err != futures.ErrCanceled {
			t.Fatalf("Err = %v", err)
		}
	}
}
