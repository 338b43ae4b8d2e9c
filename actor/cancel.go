package actor

import (
	"context"
	"time"

	"github.com/pgactor/pgactor/wire"
)

// cancel handles a command whose context ended. The caller is answered at
// once; the server is told to stop only while it runs exactly that command.
func (l *loop) cancel(c *Command) {
	if c.answered || c.abandoned {
		return
	}
	e := c.entry
	if e == nil || e.cmd != c {
		// Not on the wire: still in the mailbox or the backlog (accept
		// drops it: cancelAsked is set),
		// waiting for the connection's holder, or waiting for its
		// statement's Prepare.
		if l.dropHeld(c) || l.dropDeferred(c) || l.dropWaiter(c) {
			l.finishCanceled(c)
		}
		return
	}
	l.finishCanceled(c)
	if l.copying == c {
		// Ending the copy with CopyFail stops the server as surely as a
		// CancelRequest, without a second connection.
		l.copying = nil
		l.wbuf, _ = l.client.EndCopy(l.wbuf, "canceled by the client")
		l.urgent = true
		return
	}
	e.cancelWanted = true
	l.tryCancel(e)
}

// tryCancel sends a CancelRequest for e's command if its caller gave up on
// it and the request can stop nothing else (cancelable). A command that
// the server runs with another's written behind it is not cancelled: it
// runs to its end, and its answer is discarded.
func (l *loop) tryCancel(e *entry) {
	if e.cancelWanted && !e.cancelSent && l.cancelable(e) {
		l.sendCancel(e)
	}
}

// A CancelRequest can be lost: the server ignores one that arrives while
// the backend waits for input, and a backend may not yet have read the
// command written just before. The caller was answered already, but the
// connection would stay busy until the command ends on its own (a
// minute, for pg_sleep(60)). So once the server has acted on a request
// (closed its connection), a head that still runs after
// cancelRetryAfter is sent another, and so on at doubling intervals, up to
// maxCancels in all; lingering keeps it cancelable meanwhile by writing
// nothing behind it.
const (
	defaultCancelRetryAfter = time.Second
	maxCancels              = 5
)

// armCancelRetry starts the wait before e, a head whose cancel the server
// acted on, is cancelled again.
func (l *loop) armCancelRetry(e *entry) {
	if !e.cancelWanted || e.cancels >= maxCancels {
		return
	}
	d := l.a.cfg.cancelRetryAfter << (e.cancels - 1)
	if l.cancelRetry == nil {
		l.cancelRetry = time.NewTimer(d)
	} else {
		l.cancelRetry.Reset(d)
	}
	l.retryC, l.retrySeq = l.cancelRetry.C, e.seq
}

// retryCancel sends another CancelRequest if the head it was armed for
// still runs and can still be cancelled alone.
func (l *loop) retryCancel() {
	h := l.head()
	if h == nil || h.seq != l.retrySeq || !h.cancelWanted || !h.cancelSent {
		return
	}
	h.cancelSent = false
	l.tryCancel(h)
	if !h.cancelSent {
		h.cancelSent = true // not sendable now: its first request stands
	}
}

// cancelable reports whether a CancelRequest sent now can only stop e's
// command: e is the head, it was written, nothing of another command was
// written behind it, and no earlier CancelRequest is still on its way.
// The server runs a connection's commands in order and ignores a cancel
// that arrives while it waits for the next command; writes are held while
// a cancel is on its way (cancelOut), so if e's command ends before the
// cancel arrives, the server is waiting when it does.
func (l *loop) cancelable(e *entry) bool {
	return l.head() == e && e.seq <= l.wroteUpTo && l.cancelOut == 0 && !l.writtenBehind(e)
}

// writtenBehind reports whether something of another command than the
// head e's was written behind it.
func (l *loop) writtenBehind(e *entry) bool {
	for i := 1; i < l.inFlight(); i++ {
		b := l.at(i)
		if b != nil && b.seq > l.wroteUpTo {
			return false
		}
		if b == nil || b.cmd != e.cmd {
			return true
		}
	}
	return false
}

// dropDeferred removes c from the commands waiting behind a Prepare.
func (l *loop) dropDeferred(c *Command) bool {
	for i, w := range l.deferred {
		if w == c {
			l.deferred = append(l.deferred[:i], l.deferred[i+1:]...)
			return true
		}
	}
	return false
}

// dropWaiter removes c from the statement it waits for.
func (l *loop) dropWaiter(c *Command) bool {
	if c.Kind != CmdQuery && c.Kind != CmdBatch {
		return false
	}
	for i := range l.inFlight() {
		e := l.at(i)
		if e.op != opPrepare || e.stmt == nil {
			continue
		}
		for i, w := range e.stmt.waiters {
			if w == c {
				e.stmt.waiters = append(e.stmt.waiters[:i], e.stmt.waiters[i+1:]...)
				return true
			}
		}
	}
	return false
}

// sendCancel sends a CancelRequest for the session on a new connection.
func (l *loop) sendCancel(e *entry) {
	if e.cancelSent {
		return
	}
	e.cancelSent = true
	e.cancels++
	l.cancelOut++
	a := l.a
	a.cancelWG.Add(1)
	go func() {
		defer a.cancelWG.Done()
		defer func() {
			// Acted on, refused or never sent: writing may go on.
			select {
			case l.cancelDone <- struct{}{}:
			case <-l.ctx.Done():
			}
		}()
		// Bounded in time, and cut short when the actor shuts down.
		ctx, cancel := context.WithTimeout(l.ctx, 10*time.Second)
		defer cancel()
		conn, err := a.dialer.DialContext(ctx, a.cfg.Network, a.cfg.Address)
		if err != nil {
			return // best effort: the command will finish on its own
		}
		defer conn.Close()
		if dl, ok := ctx.Deadline(); ok {
			conn.SetDeadline(dl)
		}
		if _, err := conn.Write(wire.CancelRequest(a.pid, a.secret)); err != nil {
			return
		}
		a.cancels.Add(1)
		// The server closes the connection when it has acted on the request.
		var b [1]byte
		conn.Read(b[:])
	}()
}
