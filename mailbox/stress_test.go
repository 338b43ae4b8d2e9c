package mailbox_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/pgactor/pgactor/mailbox"
)

// TestStressCloseAccountsForEveryValue runs many producers against one owner
// and closes the mailbox while they are sending. Every value that a send
// accepted must reach the owner exactly once, through a lane or Drain, and no
// value that a send refused may appear.
func TestStressCloseAccountsForEveryValue(t *testing.T) {
	const producers, perProducer = 16, 1500
	tests := []struct {
		name          string
		closeByOwner  bool // otherwise a third goroutine closes while the owner keeps receiving
		receiveBefore int  // values the owner takes before the close
	}{
		{name: "owner closes early", closeByOwner: true, receiveBefore: 10},
		{name: "owner closes late", closeByOwner: true, receiveBefore: 10000},
		{name: "bystander closes while owner receives", receiveBefore: 3000},
		{name: "close before any receive", closeByOwner: true, receiveBefore: 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for round := range 8 {
				stressRound(t, producers, perProducer, tt.closeByOwner, tt.receiveBefore+round)
			}
		})
	}
}

func stressRound(t *testing.T, producers, perProducer int, closeByOwner bool, receiveBefore int) {
	mb := mailbox.NewWithControl[int](8, 2)
	accepted := make([][]int, producers)
	var wg sync.WaitGroup
	for p := range producers {
		wg.Go(func() {
			closed := false
			for i := range perProducer {
				v := p*perProducer + i
				var err error
				switch i % 8 {
				case 0:
					err = mb.TrySend(v)
				case 1:
					err = mb.SendControl(v)
				case 2: // a context that may end while the send waits
					ctx, cancel := context.WithTimeout(context.Background(), time.Microsecond)
					err = mb.Send(ctx, v)
					cancel()
				default:
					err = mb.Send(context.Background(), v)
				}
				switch {
				case err == nil:
					if closed {
						t.Errorf("value %d accepted after this producer saw ErrClosed", v)
					}
					accepted[p] = append(accepted[p], v)
				case err == mailbox.ErrClosed:
					closed = true
				case err == mailbox.ErrFull && i%8 < 2:
				case errors.Is(err, context.DeadlineExceeded) && i%8 == 2:
				default:
					t.Errorf("send of %d: unexpected error %v", v, err)
				}
			}
		})
	}

	seen := make(map[int]int)
	take := func(v int) { seen[v]++ }
	ctl, data := mb.Control(), mb.Receive()
	for n := 0; n < receiveBefore; n++ {
		select {
		case v := <-ctl:
			take(v)
		case v := <-data:
			take(v)
		case <-time.After(time.Second):
			n = receiveBefore // producers are done; nothing more to wait for
		}
	}
	if closeByOwner {
		mb.Close()
		for _, v := range mb.Drain() {
			take(v)
		}
	} else {
		closer := make(chan struct{})
		go func() {
			mb.Close()
			close(closer)
		}()
		// Keep receiving until both lanes report closed.
		for ctl != nil || data != nil {
			select {
			case v, ok := <-ctl:
				if !ok {
					ctl = nil
					continue
				}
				take(v)
			case v, ok := <-data:
				if !ok {
					data = nil
					continue
				}
				take(v)
			}
		}
		<-closer
	}
	wg.Wait()
	// Nothing may appear after Close returned and the lanes were emptied.
	if late := mb.Drain(); len(late) != 0 {
		t.Fatalf("values appeared after Close: %v", late)
	}

	total := 0
	for p, vs := range accepted {
		for _, v := range vs {
			total++
			switch seen[v] {
			case 1:
			case 0:
				t.Fatalf("producer %d: accepted value %d was lost", p, v)
			default:
				t.Fatalf("producer %d: value %d delivered %d times", p, v, seen[v])
			}
		}
	}
	if len(seen) != total {
		t.Fatalf("owner got %d distinct values, senders had %d accepted: %s",
			len(seen), total, extra(seen, accepted))
	}
}

// extra names a received value no send accepted.
func extra(seen map[int]int, accepted [][]int) string {
	ok := make(map[int]bool)
	for _, vs := range accepted {
		for _, v := range vs {
			ok[v] = true
		}
	}
	for v := range seen {
		if !ok[v] {
			return fmt.Sprintf("value %d was never accepted", v)
		}
	}
	return "none extra"
}
