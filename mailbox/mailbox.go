// Package mailbox is the bounded, multi-producer queue in front of a
// connection actor. Any number of goroutines send; one owner receives, from
// channels it can put in its own select.
//
// # Lanes
//
// A mailbox has two lanes. The data lane holds up to capacity values: Send
// waits for room, TrySend does not. The control lane is small and separate,
// for messages that must not queue behind ordinary work (cancel a command,
// close the connection). SendControl never waits: when the control lane is
// full it fails with ErrFull at once, so its bound is the control capacity
// given to NewWithControl (New uses the data capacity). Go's select picks
// among ready cases at random, so an owner that wants control messages first
// checks Control() without blocking before its main select:
//
//	for {
//		select {
//		case c := <-mb.Control():
//			handle(c)
//			continue
//		default:
//		}
//		select {
//		case c, ok := <-mb.Control(): ...
//		case v, ok := <-mb.Receive(): ...
//		case ev := <-reader: ...
//		}
//	}
//
// # Close
//
// Close never loses a value and never makes a sender panic. It first closes
// Done(), so that every sender waiting for room returns ErrClosed, then waits
// for the senders that were already inside a send to finish (they finish at
// once), and finally closes both lanes. From then on no value can arrive, and
// every value that a send accepted (returned nil for) is still in a lane or
// was already received: the owner gets each exactly once, by receiving until
// a lane reports closed or by calling Drain. Sends that start after Close
// return ErrClosed without touching the lanes.
//
// A send waiting for room when Close is called returns ErrClosed, unless the
// owner makes room at that moment and the send takes it; then the send
// returns nil and its value is accounted for like any other. An owner that
// calls Close itself, and so is not receiving, sees every waiting send fail.
package mailbox

import (
	"context"
	"errors"
	"sync/atomic"
)

var (
	// ErrClosed is returned by sends on a closed mailbox.
	ErrClosed = errors.New("mailbox: closed")
	// ErrFull is returned by TrySend and SendControl when their lane has no
	// room.
	ErrFull = errors.New("mailbox: full")
)

// closedBit marks a closed mailbox in state; the bits below count senders
// inside a send.
const closedBit = 1 << 62

// Mailbox is a bounded multi-producer mailbox with a data lane and a control
// lane. Create it with New or NewWithControl.
type Mailbox[T any] struct {
	data chan T
	ctl  chan T
	done chan struct{} // closed first thing in Close: wakes waiting senders

	// state is closedBit plus the number of senders between enter and leave.
	// A sender touches a lane only between enter and leave, and Close closes
	// the lanes only after it set closedBit and the count drained to zero,
	// so no send can ever meet a closed channel.
	state  atomic.Int64
	idle   chan struct{} // capacity 1: the last sender out after closedBit wakes Close
	sealed chan struct{} // closed when Close has closed the lanes
}

// New returns a mailbox whose data lane and control lane each hold capacity
// values; capacities below 1 mean 1.
func New[T any](capacity int) *Mailbox[T] {
	return NewWithControl[T](capacity, capacity)
}

// NewWithControl returns a mailbox whose data lane holds capacity values and
// whose control lane holds controlCapacity; capacities below 1 mean 1.
func NewWithControl[T any](capacity, controlCapacity int) *Mailbox[T] {
	return &Mailbox[T]{
		data:   make(chan T, max(capacity, 1)),
		ctl:    make(chan T, max(controlCapacity, 1)),
		done:   make(chan struct{}),
		idle:   make(chan struct{}, 1),
		sealed: make(chan struct{}),
	}
}

// enter registers a sender; it reports false, having registered nothing, if
// the mailbox is closed.
func (m *Mailbox[T]) enter() bool {
	if m.state.Add(1)&closedBit != 0 {
		m.leave()
		return false
	}
	return true
}

// leave ends what enter began and wakes Close if this was the last sender it
// was waiting for.
func (m *Mailbox[T]) leave() {
	if m.state.Add(-1) == closedBit {
		select {
		case m.idle <- struct{}{}:
		default: // a wake-up is already pending
		}
	}
}

// Send puts v on the data lane, waiting while the lane is full. It returns
// ErrClosed if the mailbox is or becomes closed, and ctx's error, unchanged,
// if ctx ends first; a ctx that has already ended never enqueues. It never
// panics.
func (m *Mailbox[T]) Send(ctx context.Context, v T) error {
	if !m.enter() {
		return ErrClosed
	}
	defer m.leave()
	ctxDone := ctx.Done()
	if ctxDone != nil {
		select {
		case <-ctxDone:
			return ctx.Err()
		default:
		}
	}
	select {
	case m.data <- v:
		return nil
	default:
	}
	select {
	case m.data <- v:
		return nil
	case <-m.done:
		return ErrClosed
	case <-ctxDone:
		return ctx.Err()
	}
}

// TrySend puts v on the data lane if there is room, and otherwise returns
// ErrFull at once; ErrClosed if the mailbox is closed.
func (m *Mailbox[T]) TrySend(v T) error {
	if !m.enter() {
		return ErrClosed
	}
	defer m.leave()
	select {
	case m.data <- v:
		return nil
	default:
		return ErrFull
	}
}

// SendControl puts v on the control lane without waiting: ErrFull if the
// control lane holds its capacity already, ErrClosed if the mailbox is
// closed.
func (m *Mailbox[T]) SendControl(v T) error {
	if !m.enter() {
		return ErrClosed
	}
	defer m.leave()
	select {
	case m.ctl <- v:
		return nil
	default:
		return ErrFull
	}
}

// Receive returns the data lane for the owner's select. It is closed once
// Close has run and every value in it has been received.
func (m *Mailbox[T]) Receive() <-chan T {
	return m.data
}

// Control returns the control lane for the owner's select. It is closed once
// Close has run and every value in it has been received.
func (m *Mailbox[T]) Control() <-chan T {
	return m.ctl
}

// Done returns a channel that is closed as soon as Close is called.
func (m *Mailbox[T]) Done() <-chan struct{} {
	return m.done
}

// Close stops the mailbox from accepting values. It returns once no send can
// deliver anything more and both lanes are closed; values already in them
// stay there for the owner. Close is idempotent and safe from any goroutine;
// every call returns only after the lanes are closed.
func (m *Mailbox[T]) Close() {
	old := m.state.Or(closedBit)
	if old&closedBit != 0 {
		<-m.sealed
		return
	}
	close(m.done)
	if old != 0 {
		<-m.idle
	}
	close(m.ctl)
	close(m.data)
	close(m.sealed)
}

// Drain removes and returns every value queued right now, control lane first,
// each lane in arrival order, without waiting. After Close nothing can
// arrive any more, so Drain then hands the owner everything it has not
// received yet: the values to fail when the actor dies.
func (m *Mailbox[T]) Drain() []T {
	var out []T
	for _, lane := range [...]chan T{m.ctl, m.data} {
	drain:
		for {
			select {
			case v, ok := <-lane:
				if !ok {
					break drain
				}
				out = append(out, v)
			default:
				break drain
			}
		}
	}
	return out
}

// Len returns how many values are queued in both lanes, for observability;
// it may be stale as soon as it returns.
func (m *Mailbox[T]) Len() int {
	return len(m.data) + len(m.ctl)
}

// Cap returns the capacities of the data lane and the control lane.
func (m *Mailbox[T]) Cap() (data, control int) {
	return cap(m.data), cap(m.ctl)
}
