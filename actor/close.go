package actor

import (
	"errors"
)

// errClosedByUser is the cause recorded when Close ended the actor.
var errClosedByUser = errors.New("connection closed by Close")

// terminate ends a graceful close: everything accepted has run, so say
// goodbye and let shutdown release the rest.
func (l *loop) terminate() error {
	if l.client.Dead() {
		return errClosedByUser
	}
	select {
	case l.writec <- l.client.Terminate():
		select {
		case <-l.wdone:
		case <-l.killc:
		}
	case <-l.killc:
	}
	return errClosedByUser
}

// shutdown fails every command the actor still holds, stops the reader and
// writer, closes the socket and marks the actor done.
func (l *loop) shutdown(cause error) {
	a := l.a
	if cause == nil {
		cause = errClosedByUser
	}
	a.deathErr.Store(&cause)
	a.alive.Store(false)
	close(l.quit)
	l.stopCtx()
	l.unwatchAll()
	a.conn.Close()

	// Commands on the wire may have run: not safe to retry.
	if l.paused != nil {
		l.paused.cmd.fail(&ConnError{Cause: cause})
		l.paused = nil
	}
	for i := range l.inFlight() {
		e := l.at(i)
		if e.stmt != nil {
			for _, w := range e.stmt.waiters {
				// Waiting for a Prepare: their own bytes were never sent.
				w.fail(&ConnError{Cause: cause, SafeToRetry: true})
			}
			e.stmt.waiters = nil
		}
		if c := e.cmd; c != nil && !c.abandoned {
			c.fail(&ConnError{Cause: cause, SafeToRetry: e.seq > l.wroteUpTo})
		}
	}
	a.inFlight.Store(0)
	for _, c := range l.deferred {
		c.fail(&ConnError{Cause: cause, SafeToRetry: true})
	}
	l.deferred = nil
	for _, c := range l.held {
		c.fail(&ConnError{Cause: cause, SafeToRetry: true})
	}
	l.held = nil
	a.held.Store(0)

	// Commands still in the backlog or the mailbox never left them.
	for _, c := range l.backlog {
		c.fail(&ConnError{Cause: cause, SafeToRetry: true})
	}
	l.backlog = nil
	a.backlog.Store(0)
	a.mb.Close()
	for _, m := range a.mb.Drain() {
		if m.cmd != nil && m.ctl == ctlNone {
			m.cmd.fail(&ConnError{Cause: cause, SafeToRetry: true})
		}
	}
	l.wg.Wait()
	a.cancelWG.Wait()
	close(a.done)
}
