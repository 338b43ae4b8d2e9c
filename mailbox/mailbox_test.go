package mailbox_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"testing/synctest"
	"time"

	"github.com/pgactor/pgactor/mailbox"
)

func isClosed(ch <-chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}

// receiveAll takes everything queued from lane without waiting.
func receiveAll(lane <-chan int) (vs []int, closed bool) {
	for {
		select {
		case v, ok := <-lane:
			if !ok {
				return vs, true
			}
			vs = append(vs, v)
		default:
			return vs, false
		}
	}
}

func TestSendReceiveInOrder(t *testing.T) {
	mb := mailbox.New[int](8)
	ctx := context.Background()
	for i := range 8 {
		if err := mb.Send(ctx, i); err != nil {
			t.Fatalf("Send %d: %v", i, err)
		}
	}
	if n := mb.Len(); n != 8 {
		t.Fatalf("Len = %d, want 8", n)
	}
	got, _ := receiveAll(mb.Receive())
	if want := []int{0, 1, 2, 3, 4, 5, 6, 7}; !slices.Equal(got, want) {
		t.Fatalf("received %v, want %v", got, want)
	}
}

func TestCapacity(t *testing.T) {
	tests := []struct {
		name              string
		data, ctl         int
		wantData, wantCtl int
	}{
		{name: "New uses one capacity for both", data: 4, ctl: -1, wantData: 4, wantCtl: 4},
		{name: "separate control capacity", data: 64, ctl: 2, wantData: 64, wantCtl: 2},
		{name: "zero means one", data: 0, ctl: 0, wantData: 1, wantCtl: 1},
		{name: "negative means one", data: -5, ctl: -5, wantData: 1, wantCtl: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var mb *mailbox.Mailbox[int]
			if tt.ctl == -1 {
				mb = mailbox.New[int](tt.data)
			} else {
				mb = mailbox.NewWithControl[int](tt.data, tt.ctl)
			}
			d, c := mb.Cap()
			if d != tt.wantData || c != tt.wantCtl {
				t.Fatalf("Cap = %d, %d; want %d, %d", d, c, tt.wantData, tt.wantCtl)
			}
			// The bounds are real: exactly that many fit.
			for i := range d {
				if err := mb.TrySend(i); err != nil {
					t.Fatalf("TrySend %d: %v", i, err)
				}
			}
			if err := mb.TrySend(d); err != mailbox.ErrFull {
				t.Fatalf("TrySend beyond capacity = %v, want ErrFull", err)
			}
			for i := range c {
				if err := mb.SendControl(i); err != nil {
					t.Fatalf("SendControl %d: %v", i, err)
				}
			}
			if err := mb.SendControl(c); err != mailbox.ErrFull {
				t.Fatalf("SendControl beyond capacity = %v, want ErrFull", err)
			}
			if n := mb.Len(); n != d+c {
				t.Fatalf("Len = %d, want %d", n, d+c)
			}
		})
	}
}

func TestSendWaitsForRoom(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		mb := mailbox.New[int](1)
		ctx := context.Background()
		if err := mb.Send(ctx, 1); err != nil {
			t.Fatal(err)
		}
		errc := make(chan error, 1)
		go func() { errc <- mb.Send(ctx, 2) }()
		synctest.Wait()
		if len(errc) != 0 {
			t.Fatal("Send returned while the mailbox was full")
		}
		if v := <-mb.Receive(); v != 1 {
			t.Fatalf("received %d, want 1", v)
		}
		if err := <-errc; err != nil {
			t.Fatalf("Send after room appeared: %v", err)
		}
		if v := <-mb.Receive(); v != 2 {
			t.Fatalf("received %d, want 2", v)
		}
	})
}

func TestSendContext(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		mb := mailbox.New[int](1)
		mb.TrySend(0)
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		start := time.Now()
		if err := mb.Send(ctx, 1); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("Send = %v, want deadline exceeded", err)
		}
		if d := time.Since(start); d != time.Second {
			t.Fatalf("Send gave up after %v, want 1s", d)
		}
		// A context that ended already never enqueues, even with room.
		<-mb.Receive()
		canceled, cancel2 := context.WithCancel(context.Background())
		cancel2()
		if err := mb.Send(canceled, 2); err != context.Canceled {
			t.Fatalf("Send with ended ctx = %v, want context.Canceled itself", err)
		}
		if n := mb.Len(); n != 0 {
			t.Fatalf("Len = %d after a canceled Send, want 0", n)
		}
	})
}

func TestSendsAfterCloseFail(t *testing.T) {
	mb := mailbox.New[int](4)
	mb.Close()
	tests := []struct {
		name string
		send func() error
	}{
		{name: "Send", send: func() error { return mb.Send(context.Background(), 1) }},
		{name: "Send with ended ctx", send: func() error {
			ctx, cancel := context.WithCancel(context.Background())
			cancel()
			return mb.Send(ctx, 1)
		}},
		{name: "TrySend", send: func() error { return mb.TrySend(1) }},
		{name: "SendControl", send: func() error { return mb.SendControl(1) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.send(); err != mailbox.ErrClosed {
				t.Fatalf("%s after Close = %v, want ErrClosed", tt.name, err)
			}
		})
	}
	if n := mb.Len(); n != 0 {
		t.Fatalf("Len = %d, want 0", n)
	}
}

func TestCloseFailsWaitingSendersAndKeepsQueued(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const capacity, waiting = 3, 5
		mb := mailbox.New[int](capacity)
		for i := range capacity {
			mb.TrySend(i)
		}
		mb.SendControl(100)
		errc := make(chan error, waiting)
		for i := range waiting {
			go func() { errc <- mb.Send(context.Background(), capacity+i) }()
		}
		synctest.Wait() // every sender is waiting for room
		mb.Close()
		for range waiting {
			if err := <-errc; err != mailbox.ErrClosed {
				t.Fatalf("waiting Send = %v, want ErrClosed", err)
			}
		}
		if !isClosed(mb.Done()) {
			t.Fatal("Done open after Close")
		}
		got := mb.Drain()
		if want := []int{100, 0, 1, 2}; !slices.Equal(got, want) {
			t.Fatalf("Drain = %v, want %v", got, want)
		}
		if got := mb.Drain(); len(got) != 0 {
			t.Fatalf("second Drain = %v, want nothing", got)
		}
		// Both lanes are closed, so a ranging owner stops.
		for v := range mb.Receive() {
			t.Fatalf("received %d after Drain", v)
		}
		if _, ok := <-mb.Control(); ok {
			t.Fatal("control lane not closed")
		}
	})
}

func TestOwnerReceivesQueuedAfterClose(t *testing.T) {
	mb := mailbox.New[int](4)
	for i := range 4 {
		mb.TrySend(i)
	}
	mb.Close()
	var got []int
	for v := range mb.Receive() {
		got = append(got, v)
	}
	if want := []int{0, 1, 2, 3}; !slices.Equal(got, want) {
		t.Fatalf("received %v, want %v", got, want)
	}
}

func TestCloseIsIdempotentAndConcurrent(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		mb := mailbox.New[int](2)
		returned := make(chan struct{}, 8)
		for range 8 {
			go func() {
				mb.Close()
				// Whoever returns from Close finds the lanes closed.
				if _, closed := receiveAll(mb.Receive()); !closed {
					t.Error("Close returned before the data lane was closed")
				}
				returned <- struct{}{}
			}()
		}
		for range 8 {
			<-returned
		}
		mb.Close()
	})
}

func TestControlLaneIsSeparate(t *testing.T) {
	mb := mailbox.NewWithControl[string](1, 2)
	mb.TrySend("query")
	if err := mb.TrySend("query 2"); err != mailbox.ErrFull {
		t.Fatalf("TrySend = %v, want ErrFull", err)
	}
	// A full data lane does not hold back control messages.
	if err := mb.SendControl("cancel"); err != nil {
		t.Fatalf("SendControl with full data lane: %v", err)
	}
	if v := <-mb.Control(); v != "cancel" {
		t.Fatalf("control lane gave %q", v)
	}
	if v := <-mb.Receive(); v != "query" {
		t.Fatalf("data lane gave %q", v)
	}
}

func TestSendControlNeverWaits(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		mb := mailbox.NewWithControl[int](1, 1)
		mb.SendControl(1)
		start := time.Now()
		if err := mb.SendControl(2); err != mailbox.ErrFull {
			t.Fatalf("SendControl on full lane = %v, want ErrFull", err)
		}
		if time.Since(start) != 0 {
			t.Fatal("SendControl waited")
		}
	})
}
