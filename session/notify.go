package session

import (
	"context"
	"sync/atomic"

	"github.com/pgactor/pgactor/wire"
)

// Notification is a NOTIFY delivered to a connection that LISTENs.
type Notification struct {
	PID     uint32 // the server process that sent it
	Channel string
	Payload string
}

// notifyBuffer bounds the notifications a connection keeps for a reader
// that has not asked for them yet.
const notifyBuffer = 1024

// notes is a connection's notification queue; conn embeds it.
type notes struct {
	ch      chan *Notification
	dropped atomic.Int64
}

func newConn() *conn {
	return &conn{notes: notes{ch: make(chan *Notification, notifyBuffer)}}
}

// notify runs on the connection's loop goroutine and must not block: when
// nobody reads and the buffer is full, the notification is dropped and
// counted.
func (n *notes) notify(w *wire.NotificationResponse) {
	select {
	case n.ch <- &Notification{PID: w.PID, Channel: w.Channel, Payload: w.Payload}:
	default:
		n.dropped.Add(1)
	}
}

func (c *conn) waitForNotification(ctx context.Context) (*Notification, error) {
	select {
	case n := <-c.notes.ch:
		return n, nil
	default:
	}
	select {
	case n := <-c.notes.ch:
		return n, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-c.a.Done():
		select {
		case n := <-c.notes.ch:
			return n, nil
		default:
		}
		return nil, &closedError{cause: c.a.Err()}
	}
}

// closedError reports a connection that ended while someone waited on it.
type closedError struct{ cause error }

func (e *closedError) Error() string   { return "pgactor: connection closed: " + e.cause.Error() }
func (e *closedError) Unwrap() []error { return []error{ErrClosed, e.cause} }

// Listen subscribes the session to channel (LISTEN).
func (s *Session) Listen(ctx context.Context, channel string) error {
	_, err := s.Exec(ctx, "LISTEN "+Identifier{channel}.Sanitize()).Await(ctx)
	return err
}

// Unlisten ends a subscription (UNLISTEN; "*" for all).
func (s *Session) Unlisten(ctx context.Context, channel string) error {
	name := "*"
	if channel != "*" {
		name = Identifier{channel}.Sanitize()
	}
	_, err := s.Exec(ctx, "UNLISTEN "+name).Await(ctx)
	return err
}

// WaitForNotification returns the next notification for a channel the
// session listens on, waiting for one until ctx ends. Notifications arrive
// whatever else the session is doing; up to 1,024 are kept for a reader
// who is not waiting, and later ones are dropped (NotificationsDropped
// counts them).
func (s *Session) WaitForNotification(ctx context.Context) (*Notification, error) {
	return s.c.waitForNotification(ctx)
}

// NotificationsDropped returns how many notifications were dropped because
// nobody read them.
func (s *Session) NotificationsDropped() int64 { return s.c.notes.dropped.Load() }

// Listen, Unlisten and WaitForNotification on an acquired pool connection
// work as on a Session. Notifications sent to a pooled connection are lost
// once it is released, which is why only Conn has them.
func (c *Conn) Listen(ctx context.Context, channel string) error {
	c.listened = true
	_, err := c.Exec(ctx, "LISTEN "+Identifier{channel}.Sanitize()).Await(ctx)
	return err
}

func (c *Conn) Unlisten(ctx context.Context, channel string) error {
	name := "*"
	if channel != "*" {
		name = Identifier{channel}.Sanitize()
	}
	_, err := c.Exec(ctx, "UNLISTEN "+name).Await(ctx)
	return err
}

func (c *Conn) WaitForNotification(ctx context.Context) (*Notification, error) {
	return c.c.waitForNotification(ctx)
}
