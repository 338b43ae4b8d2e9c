package futures_test

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/pgactor/pgactor/futures"
)

// streamModel is what a Stream should do, written the obvious way.
type streamModel struct {
	max      int
	queue    [][]int
	finished bool
	canceled bool
	err      error // the outcome once decided
	decided  bool
}

// FuzzStream drives one stream with a sequence of producer and consumer
// operations taken from the input and checks every answer against
// streamModel. One goroutine does everything, so operations that would wait
// run only when the model says they return at once.
func FuzzStream(f *testing.F) {
	f.Add(uint8(1), []byte{0, 0, 2, 3, 0, 5})
	f.Add(uint8(2), []byte{0, 0, 0, 4, 0, 1, 2})
	f.Add(uint8(3), []byte{0, 1, 0, 0, 0, 0, 2, 2, 0x15, 1, 1})
	f.Add(uint8(0), []byte{1, 0, 2, 0x05, 4, 2})
	f.Add(uint8(4), []byte{0, 0, 0x05, 2, 3, 2, 3, 2, 4, 0})
	errFinish := errors.New("finish")
	expired, cancel := context.WithCancel(context.Background())
	cancel()
	f.Fuzz(func(t *testing.T, maxBatches uint8, ops []byte) {
		s := futures.NewStream[int](int(maxBatches % 8))
		m := &streamModel{max: max(int(maxBatches%8), 1)}
		decide := func(err error) {
			if !m.decided {
				m.decided, m.err = true, err
			}
		}
		var held []int // last batch the consumer received
		next := 0      // value for the next produced element
		for i, op := range ops {
			switch op % 6 {
			case 0: // produce a batch of 1..4 values
				b := s.Batch(4)
				for range int(op>>3)%4 + 1 {
					b = append(b, next)
					next++
				}
				want := true
				switch {
				case m.canceled || m.finished:
				case len(m.queue) < m.max:
					m.queue = append(m.queue, slices.Clone(b))
				default:
					want = false
				}
				if got := s.TrySend(b); got != want {
					t.Fatalf("op %d: TrySend = %v, want %v", i, got, want)
				}
			case 1, 2: // Next with an expired context, or one that cannot wait
				ctx := expired
				if op%6 == 2 {
					if !m.canceled && !m.finished && len(m.queue) == 0 {
						continue // would block
					}
					ctx = context.Background()
				}
				b, ok := s.Next(ctx)
				switch {
				case m.canceled:
					if ok {
						t.Fatalf("op %d: Next after Cancel returned %v", i, b)
					}
				case len(m.queue) > 0:
					if !ok || !slices.Equal(b, m.queue[0]) {
						t.Fatalf("op %d: Next = %v, %v; want %v", i, b, ok, m.queue[0])
					}
					m.queue = m.queue[1:]
					held = b
				case m.finished:
					if ok {
						t.Fatalf("op %d: Next at end returned %v", i, b)
					}
				default: // only the expired context gets here
					if ok {
						t.Fatalf("op %d: Next on an empty stream returned %v", i, b)
					}
					m.canceled = true
					m.queue = nil
					decide(context.Canceled)
				}
			case 3:
				s.Recycle(held)
				held = nil
			case 4:
				s.Cancel()
				if !m.canceled {
					m.canceled = true
					m.queue = nil
					decide(futures.ErrCanceled)
				}
			case 5:
				var err error
				if op&8 != 0 {
					err = errFinish
				}
				if got := s.Finish(err); got == m.finished {
					t.Fatalf("op %d: Finish = %v after finished=%v", i, got, m.finished)
				}
				if !m.finished {
					m.finished = true
					decide(err)
				}
			}
			if got := s.Err(); got != m.err {
				t.Fatalf("op %d: Err = %v, want %v", i, got, m.err)
			}
			if got := isClosed(s.Canceled()); got != m.canceled {
				t.Fatalf("op %d: Canceled closed = %v, want %v", i, got, m.canceled)
			}
		}
	})
}
