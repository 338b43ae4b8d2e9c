package session

import (
	"context"
	"errors"
	"iter"
	"maps"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// A Listener receives notifications on a connection of its own and keeps
// doing so through failures: when the connection is lost (the server
// restarted, the backend was terminated, a failover), it connects again
// with backoff (following the configuration's hosts and
// target_session_attrs), LISTENs on every channel again, and delivers a
// Reconnected event before anything that arrived after the gap, because
// notifications sent while it was away are lost: the application should
// resynchronise. Open one with Pool.Listen or NewListener.
//
// Events arrive on C (or through All). The buffer is bounded: when the
// reader falls behind by more than listenBuffer events, notifications are
// dropped and counted (Dropped); a Reconnected event is never dropped.
type Listener struct {
	cfg  *Config
	opts *Options

	mu       sync.Mutex
	channels map[string]bool
	s        *Session // the current connection; nil while reconnecting

	out        chan ListenEvent
	dropped    atomic.Int64
	reconnects atomic.Int64

	ctx    context.Context
	cancel context.CancelFunc
	done   chan struct{}
}

// ListenEvent is a notification, or the news that the listener lost its
// connection and connected again (Reconnected, with the cause of the gap):
// notifications sent during the gap were missed.
type ListenEvent struct {
	Notification *Notification
	Reconnected  bool
	Gap          error
}

// listenBuffer bounds the events a Listener keeps for a slow reader.
const listenBuffer = 1024

// Backoff between reconnection attempts: it doubles from the first to the
// last.
var (
	listenBackoffMin = 50 * time.Millisecond
	listenBackoffMax = 5 * time.Second
)

// Listen opens a Listener on a connection of its own (not one of the
// pool's), configured as the pool's, and LISTENs on channels.
func (p *Pool) Listen(ctx context.Context, channels ...string) (*Listener, error) {
	return NewListener(ctx, p.cfg, &p.opts.Options, channels...)
}

// NewListener connects with cfg and opts (nil for the defaults) and
// LISTENs on channels.
func NewListener(ctx context.Context, cfg *Config, opts *Options, channels ...string) (*Listener, error) {
	l := &Listener{cfg: cfg, opts: opts, channels: map[string]bool{}, out: make(chan ListenEvent, listenBuffer), done: make(chan struct{})}
	for _, c := range channels {
		l.channels[c] = true
	}
	s, err := l.connect(ctx)
	if err != nil {
		return nil, err
	}
	l.s = s
	l.ctx, l.cancel = context.WithCancel(context.Background())
	go l.run(s)
	return l, nil
}

// connect opens a session and LISTENs on every channel.
func (l *Listener) connect(ctx context.Context) (*Session, error) {
	s, err := ConnectConfig(ctx, l.cfg, l.opts)
	if err != nil {
		return nil, err
	}
	l.mu.Lock()
	chans := slices.Sorted(maps.Keys(l.channels))
	l.mu.Unlock()
	for _, c := range chans {
		if err := s.Listen(ctx, c); err != nil {
			s.Close(context.WithoutCancel(ctx))
			return nil, err
		}
	}
	return s, nil
}

// run moves notifications from the current session to C, and replaces the
// session when it dies.
func (l *Listener) run(s *Session) {
	defer close(l.done)
	defer close(l.out)
	for {
		n, err := s.WaitForNotification(l.ctx)
		if err == nil {
			select {
			case l.out <- ListenEvent{Notification: n}:
			default:
				l.dropped.Add(1)
			}
			continue
		}
		closeQuietly(s)
		if l.ctx.Err() != nil {
			return
		}
		l.mu.Lock()
		l.s = nil
		l.mu.Unlock()
		if s = l.reconnect(); s == nil {
			return
		}
		l.reconnects.Add(1)
		select {
		case l.out <- ListenEvent{Reconnected: true, Gap: err}:
		case <-l.ctx.Done():
			closeQuietly(s)
			return
		}
	}
}

// reconnect connects again, with backoff, until it succeeds or the
// listener is closed (nil).
func (l *Listener) reconnect() *Session {
	wait := listenBackoffMin
	for {
		select {
		case <-time.After(wait):
		case <-l.ctx.Done():
			return nil
		}
		ctx, cancel := context.WithTimeout(l.ctx, 30*time.Second)
		s, err := l.connect(ctx)
		cancel()
		if err == nil {
			l.mu.Lock()
			if l.ctx.Err() != nil {
				l.mu.Unlock()
				closeQuietly(s)
				return nil
			}
			l.s = s
			l.mu.Unlock()
			return s
		}
		if l.opts != nil && l.opts.Logger != nil {
			l.opts.Logger.Warn("pgactor: listener could not reconnect", "err", err, "retry_in", wait)
		}
		wait = min(2*wait, listenBackoffMax)
	}
}

func closeQuietly(s *Session) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	s.Close(ctx)
}

// C delivers the events; it is closed once the listener is closed.
func (l *Listener) C() <-chan ListenEvent { return l.out }

// All iterates over the events until ctx ends or the listener is closed.
func (l *Listener) All(ctx context.Context) iter.Seq[ListenEvent] {
	return func(yield func(ListenEvent) bool) {
		for {
			select {
			case ev, ok := <-l.out:
				if !ok || !yield(ev) {
					return
				}
			case <-ctx.Done():
				return
			}
		}
	}
}

// Add LISTENs on channel, now and after every reconnection.
func (l *Listener) Add(ctx context.Context, channel string) error {
	return l.change(ctx, channel, true)
}

// Remove stops listening on channel.
func (l *Listener) Remove(ctx context.Context, channel string) error {
	return l.change(ctx, channel, false)
}

func (l *Listener) change(ctx context.Context, channel string, add bool) error {
	l.mu.Lock()
	if add {
		l.channels[channel] = true
	} else {
		delete(l.channels, channel)
	}
	s := l.s
	l.mu.Unlock()
	if l.ctx.Err() != nil {
		return ErrListenerClosed
	}
	if s == nil {
		return nil // reconnecting: the new connection LISTENs on the new set
	}
	var err error
	if add {
		err = s.Listen(ctx, channel)
	} else {
		err = s.Unlisten(ctx, channel)
	}
	if err != nil && errors.Is(err, ErrClosed) {
		return nil // the connection died meanwhile: the next one has the new set
	}
	return err
}

// Channels returns the channels listened on.
func (l *Listener) Channels() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Sorted(maps.Keys(l.channels))
}

// Dropped returns how many notifications were dropped because the reader
// fell behind.
func (l *Listener) Dropped() int64 { return l.dropped.Load() }

// Reconnects returns how many times the listener connected again.
func (l *Listener) Reconnects() int64 { return l.reconnects.Load() }

// BackendPID returns the server process of the current connection (0
// while reconnecting).
func (l *Listener) BackendPID() uint32 {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.s == nil {
		return 0
	}
	return l.s.BackendPID()
}

// Close stops the listener, closes its connection and C, and waits for its
// goroutine.
func (l *Listener) Close() error {
	l.cancel()
	<-l.done
	return nil
}

// ErrListenerClosed is returned by Add and Remove after Close.
var ErrListenerClosed = errors.New("pgactor: listener closed")
