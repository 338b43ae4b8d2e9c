package session

import (
	"context"
	"errors"
	"fmt"

	"github.com/pgactor/pgactor/futures"
)

// hostPicker chooses the host for one command of a ReplicaPool. Without
// wait it answers at once, nil when it would have to wait.
type hostPicker func(ctx context.Context, wait bool) (*replicaHost, error)

// Commands that never reached their host are sent again, to the host the
// picker chooses then, at most this many times in all.
const replicaAttempts = 8

// route sends one multiplexed command through rp and resolves out with its
// result. The first send happens in the caller's goroutine when a host is
// known (the arguments are encoded there, as on a Pool); a goroutine then
// watches the result, and sends the command again elsewhere if it
// provably never reached its host. read says which counter a success
// adds to.
func route[T any](rp *ReplicaPool, ctx context.Context, out *futures.Future[T], read bool, pick hostPicker, send func(*Pool) *futures.Future[T]) {
	var zero T
	rp.gate.RLock()
	if rp.closed.Load() {
		rp.gate.RUnlock()
		out.Resolve(zero, ErrPoolClosed)
		return
	}
	rp.follows.Add(1)
	rp.gate.RUnlock()
	h, err := pick(ctx, false)
	if err != nil {
		rp.follows.Done()
		out.Resolve(zero, err)
		return
	}
	var f *futures.Future[T]
	if h != nil {
		f = send(h.pool)
	}
	go follow(rp, ctx, out, read, h, f, pick, send)
}

// follow awaits f, the command sent to h (or, when f is nil, picks a
// host and sends it first), and resolves out.
func follow[T any](rp *ReplicaPool, ctx context.Context, out *futures.Future[T], read bool, h *replicaHost, f *futures.Future[T], pick hostPicker, send func(*Pool) *futures.Future[T]) {
	defer rp.follows.Done()
	var zero T
	var lastErr error
	for attempt := 0; ; attempt++ {
		if f == nil {
			if attempt >= replicaAttempts {
				out.Resolve(zero, lastErr)
				return
			}
			var err error
			h, err = pick(ctx, true)
			if err != nil {
				if lastErr != nil {
					err = fmt.Errorf("%w (the command never reached %v)", err, lastErr)
				}
				out.Resolve(zero, err)
				return
			}
			f = send(h.pool)
		}
		v, err := f.Await(ctx)
		switch {
		case err == nil:
			if read {
				h.reads.Add(1)
			} else {
				h.writes.Add(1)
			}
			out.Resolve(v, nil)
			return
		case ctx.Err() != nil || rp.closed.Load():
			out.Resolve(v, err)
			return
		case neverSent(err):
			rp.suspect(h, err)
			lastErr = fmt.Errorf("%s: %w", h.addr, err)
			f = nil
			continue
		case hostLost(err):
			rp.suspect(h, err)
			err = fmt.Errorf("%w (%s): %w", ErrHostLost, h.addr, err)
		}
		out.Resolve(v, err)
		return
	}
}

// hostLost reports whether err says the connection died under a command
// that had been sent: the connection closed, or the server ended the
// session (57P01 admin_shutdown, 57P02 crash_shutdown).
func hostLost(err error) bool {
	var pe *PgError
	if errors.As(err, &pe) && (pe.Code == "57P01" || pe.Code == "57P02") {
		return true
	}
	return errors.Is(err, ErrClosed)
}
