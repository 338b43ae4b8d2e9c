package actor

import (
	"errors"
	"sync/atomic"

	"github.com/pgactor/pgactor/wire"
)

// Who may use the connection is the loop's state, changed only by commands
// as the loop admits them, in mailbox order. Nobody checks "is it free?"
// and then sends: that check and the send are two steps, and another
// goroutine can pin the connection between them.
//
// A pin is a command carrying Pin, a fresh Token: once the loop admits it,
// the connection belongs to that token. Nested pins (savepoints, a
// transaction on an acquired connection) push their token on a stack. A
// command whose Owner is on the stack runs; one whose Owner is not (the
// transaction ended, the savepoint was released) is refused unwritten with
// its OwnerErr. A command without an Owner that meets a held connection
// waits inside the actor (a Session: it runs once the holder lets go,
// unless its context ends first) or, with Reroute, is handed back
// unwritten so a pool can send it elsewhere.
//
// A command with Unpin drops its Owner's token (and every token above it).
// When the stack empties the connection is released, but non-owners keep
// waiting until every command of the last holder has been answered and the
// server reports no open transaction; if the holder left one open, the
// actor rolls it back first. Only then do waiting commands run.

// Token identifies one holder of a connection. The zero Token is no holder.
type Token uint64

var lastToken atomic.Uint64

// NewToken returns a token never returned before in this process.
func NewToken() Token { return Token(lastToken.Add(1)) }

// Errors of ownership.
var (
	// ErrOwnerEnded is the default error for a command whose Owner no
	// longer holds the connection.
	ErrOwnerEnded = errors.New("actor: the owner of this command no longer holds the connection")
	// ErrTxLeftOpen fails an Autocommit command that left a transaction
	// open, and every command that was written behind it.
	ErrTxLeftOpen = errors.New("actor: a command of no transaction left one open (use Begin for transactions); it and the commands behind it were rolled back")
	// ErrHeld is the cause of the RetryError a Reroute command gets when
	// another owner holds the connection.
	ErrHeld = errors.New("actor: connection held by another owner")
)

// RetryError reports a command that had no effect on the server (it was
// never written, or it failed before doing anything) and may be sent again.
// SafeToRetry reports true for it.
type RetryError struct {
	Cause error
}

func (e *RetryError) Error() string {
	return "actor: command not run, safe to retry: " + e.Cause.Error()
}

func (e *RetryError) Unwrap() error { return e.Cause }

// reserved reports whether commands without an owner must wait.
func (l *loop) reserved() bool { return len(l.owners) > 0 || l.releasing }

func (l *loop) owns(t Token) bool {
	for _, o := range l.owners {
		if o == t {
			return true
		}
	}
	return false
}

// admit decides whether c may use the connection now. It answers c (or
// holds it) and reports false when c must not be encoded.
func (l *loop) admit(c *Command) bool {
	switch {
	case c.Owner != 0:
		if !l.owns(c.Owner) {
			err := c.OwnerErr
			if err == nil {
				err = ErrOwnerEnded
			}
			c.fail(err)
			return false
		}
	case l.reserved():
		if c.Reroute {
			c.fail(&RetryError{Cause: ErrHeld})
			return false
		}
		l.held = append(l.held, c)
		l.a.held.Store(int64(len(l.held)))
		return false
	}
	if c.Pin != 0 {
		l.owners = append(l.owners, c.Pin)
		l.a.pinned.Store(true)
	}
	return true
}

// unpin drops c's Owner token and those above it, after c itself was
// encoded. The last token out starts the release: it completes at the
// answer of the command now last in the FIFO.
func (l *loop) unpin(c *Command) {
	t := c.Owner
	if c.Pin != 0 {
		t = c.Pin // took the connection and lets go in one command
	}
	for i, o := range l.owners {
		if o == t {
			l.owners = l.owners[:i]
			break
		}
	}
	kept := l.lost[:0]
	for _, t := range l.lost {
		if l.owns(t) {
			kept = append(kept, t)
		}
	}
	l.lost = kept
	if len(l.owners) > 0 || l.releasing {
		return
	}
	l.releasing = true
	if n := l.inFlight(); n > 0 {
		l.at(n - 1).releaseAfter = true
		return
	}
	l.settleRelease()
}

// markLost records that a command of a holder failed without the server
// seeing it fail, so that the holder's COMMIT becomes its RollbackSQL.
func (l *loop) markLost(c *Command) {
	if c.Owner == 0 || !l.owns(c.Owner) {
		return
	}
	for _, t := range l.lost {
		if t == c.Owner {
			return
		}
	}
	l.lost = append(l.lost, c.Owner)
}

// lostFrom reports whether t, or a holder nested in it, lost a command.
func (l *loop) lostFrom(t Token) bool {
	for i, o := range l.owners {
		if o != t {
			continue
		}
		for _, above := range l.owners[i:] {
			for _, x := range l.lost {
				if x == above {
					return true
				}
			}
		}
	}
	return false
}

// settleRelease runs once every command of the last holder was answered:
// it rolls back a transaction the holder left open, or frees the
// connection and runs what waited for it, in the order it arrived.
func (l *loop) settleRelease() {
	if l.client.Dead() {
		return
	}
	if l.client.TxStatus() != wire.TxIdle {
		b, err := l.client.AppendSimpleQuery(l.wbuf, "ROLLBACK")
		if err == nil {
			l.wbuf = b
			e := l.newEntry()
			e.op, e.releaseAfter = opSimple, true
			l.push(e)
			return
		}
	}
	l.releasing = false
	if len(l.owners) > 0 {
		return // a pin admitted meanwhile holds the connection now
	}
	l.a.pinned.Store(false)
	held := l.held
	l.held = nil
	l.a.held.Store(0)
	for i, c := range held {
		l.accept(c)
		if l.reserved() {
			// A pin among them took the connection: the rest wait again,
			// still in order.
			l.held = append(l.held, held[i+1:]...)
			l.a.held.Store(int64(len(l.held)))
			return
		}
	}
}

// dropHeld removes c from the commands waiting for the connection.
func (l *loop) dropHeld(c *Command) bool {
	for i, w := range l.held {
		if w == c {
			l.held = append(l.held[:i], l.held[i+1:]...)
			l.a.held.Store(int64(len(l.held)))
			return true
		}
	}
	return false
}

// strayTransaction handles an Autocommit command h that left the server in
// a transaction: every command on the wire behind it runs inside that
// transaction, so all of them are failed, and a ROLLBACK behind them undoes
// their work before the connection is anyone's again.
func (l *loop) strayTransaction(h *entry) {
	h.poisoned = true
	for i := range l.inFlight() {
		e := l.at(i)
		e.poisoned = true
	}
	b, err := l.client.AppendSimpleQuery(l.wbuf, "ROLLBACK")
	if err != nil {
		return // the client is dead; everything fails anyway
	}
	l.wbuf = b
	e := l.newEntry()
	e.op = opSimple
	l.push(e)
	if !l.releasing {
		l.releasing = true
		l.a.pinned.Store(true)
		e.releaseAfter = true
	}
}
