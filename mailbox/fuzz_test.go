package mailbox_test

import (
	"context"
	"slices"
	"testing"

	"github.com/pgactor/pgactor/mailbox"
)

// FuzzMailbox drives one mailbox from a single goroutine with a sequence of
// operations taken from the input and checks every answer against two plain
// queues. Sends that would wait run only when the model says they return at
// once.
func FuzzMailbox(f *testing.F) {
	f.Add(uint8(2), uint8(1), []byte{0, 0, 0, 1, 1, 3, 4, 5, 6})
	f.Add(uint8(1), uint8(1), []byte{2, 2, 3, 7, 0, 1, 6, 4})
	f.Add(uint8(3), uint8(2), []byte{0, 1, 0, 1, 6, 5, 0, 3, 4, 6, 7})
	f.Add(uint8(0), uint8(0), []byte{6, 0, 1, 2, 3, 4, 5, 7})
	expired, cancel := context.WithCancel(context.Background())
	cancel()
	f.Fuzz(func(t *testing.T, dataCap, ctlCap uint8, ops []byte) {
		mb := mailbox.NewWithControl[int](int(dataCap%8), int(ctlCap%8))
		wantData, wantCtl := max(int(dataCap%8), 1), max(int(ctlCap%8), 1)
		if d, c := mb.Cap(); d != wantData || c != wantCtl {
			t.Fatalf("Cap = %d, %d; want %d, %d", d, c, wantData, wantCtl)
		}
		var data, ctl []int
		closed := false
		check := func(i int, op string, got, want error) {
			if got != want {
				t.Fatalf("op %d %s = %v, want %v", i, op, got, want)
			}
		}
		for i, op := range ops {
			v := i
			switch op % 8 {
			case 0:
				want := error(nil)
				switch {
				case closed:
					want = mailbox.ErrClosed
				case len(data) == wantData:
					want = mailbox.ErrFull
				default:
					data = append(data, v)
				}
				check(i, "TrySend", mb.TrySend(v), want)
			case 1:
				want := error(nil)
				switch {
				case closed:
					want = mailbox.ErrClosed
				case len(ctl) == wantCtl:
					want = mailbox.ErrFull
				default:
					ctl = append(ctl, v)
				}
				check(i, "SendControl", mb.SendControl(v), want)
			case 2: // Send that cannot wait: closed, or room
				if !closed && len(data) == wantData {
					continue
				}
				want := error(nil)
				if closed {
					want = mailbox.ErrClosed
				} else {
					data = append(data, v)
				}
				check(i, "Send", mb.Send(context.Background(), v), want)
			case 3: // Send with an ended context never enqueues
				want := context.Canceled
				if closed {
					want = mailbox.ErrClosed
				}
				check(i, "Send(expired)", mb.Send(expired, v), want)
			case 4, 5: // the owner takes one value from a lane, if any
				lane, q := mb.Receive(), &data
				if op%8 == 5 {
					lane, q = mb.Control(), &ctl
				}
				select {
				case got, ok := <-lane:
					switch {
					case len(*q) > 0:
						if !ok || got != (*q)[0] {
							t.Fatalf("op %d: received %d, %v; want %d", i, got, ok, (*q)[0])
						}
						*q = (*q)[1:]
					case !closed || ok:
						t.Fatalf("op %d: received %d, %v from an empty lane", i, got, ok)
					}
				default:
					if len(*q) > 0 || closed {
						t.Fatalf("op %d: lane would block with %d queued, closed %v", i, len(*q), closed)
					}
				}
			case 6:
				mb.Close()
				closed = true
				if !isClosed(mb.Done()) {
					t.Fatalf("op %d: Done open after Close", i)
				}
			case 7:
				got := mb.Drain()
				want := append(slices.Clone(ctl), data...)
				if !slices.Equal(got, want) {
					t.Fatalf("op %d: Drain = %v, want %v", i, got, want)
				}
				data, ctl = nil, nil
			}
			if n := mb.Len(); n != len(data)+len(ctl) {
				t.Fatalf("op %d: Len = %d, want %d", i, n, len(data)+len(ctl))
			}
		}
	})
}
