package actor

import (
	"context"
	"sync/atomic"
)

// Contexts. A command's context is watched by the loop from the moment it
// takes the command until the command is answered, and a context ending
// cancels every command of the loop's that carries it (cancel: dropped if
// not written yet, a CancelRequest if the server is running it). The loop
// keeps one watch (one context.AfterFunc) per context, not per command:
// callers that share a context (a request's, a server's) share the watch,
// and a watch outlives its last command for a while, so a caller issuing
// one command after another on the same context registers it once. That
// saves every command an AfterFunc and its removal, which take a lock of
// the context shared by every goroutine using it.

// ctxWatch is the loop's watch of one context.
type ctxWatch struct {
	l     *loop
	ctx   context.Context
	stop  func() bool
	users int  // commands of the loop's carrying ctx, not yet answered
	ended bool // ctx ended: the watch is no longer in l.watches

	// Commands it took in from Send (watchFromSend) not yet taken by the
	// loop; while there are any, the loop keeps the watch. dropping is
	// set while the loop decides whether to let go of it.
	sent     atomic.Int32
	dropping atomic.Bool
}

// Watching from Send. A caller awaiting a command that the loop has not
// taken yet must watch the context itself, and with many callers sharing
// a context (a server's, a fan-out's), each of them then queues on that
// context's channel, under its one lock. So when the loop already watches
// the context of a command being sent (the watch it used last,
// Actor.lastWatch), the watch takes the command in at once: ContextWatched
// holds from Send, and the caller waits for the answer alone. The loop
// then owes the command a prompt answer should the context end while the
// command is still in the mailbox, behind commands it cannot take yet (a
// full pipeline, a Prepare under way, a consumer that stopped reading):
// when such a context ends, the loop moves what waits in the mailbox into
// its backlog, in order, answers the commands whose context ended, and
// takes the backlog before the mailbox from then on. Only commands of
// nobody in particular are taken in so (a holder's commands keep their
// order with respect to each other when one fails; see own.go), and only
// while the backlog is empty, which bounds it by what one mailbox holds.

// watchFromSend returns the watch that takes cmd in as it is sent, or nil.
func (a *Actor) watchFromSend(ctx context.Context, cmd *Command) *ctxWatch {
	switch cmd.Kind {
	case CmdQuery, CmdSimple, CmdExecute, CmdBatch:
	default:
		return nil
	}
	if cmd.Owner != 0 || cmd.Pin != 0 || cmd.Unpin || ctx.Done() == nil {
		return nil
	}
	w := a.lastWatch.Load()
	if w == nil || w.ctx != ctx || a.backlog.Load() > 0 {
		return nil
	}
	// Paired with letGo: either the loop sees this command counted and
	// keeps the watch, or this sees the loop letting go and does without.
	w.sent.Add(1)
	if w.dropping.Load() {
		w.sent.Add(-1)
		return nil
	}
	a.sentWatched.Add(1)
	cmd.sentWatched = w
	cmd.watched.Store(true)
	if p := cmd.WatchedAtSend; p != nil {
		p.Store(true)
	}
	return w
}

// unwatchUnsent undoes watchFromSend for a command that was not queued.
func (a *Actor) unwatchUnsent(cmd *Command, w *ctxWatch) {
	cmd.watched.Store(false)
	if p := cmd.WatchedAtSend; p != nil {
		p.Store(false) // the sender fails the command itself
	}
	cmd.sentWatched = nil
	a.sentWatched.Add(-1)
	w.sent.Add(-1)
}

// wantDrain asks the loop to answer the commands taken in from Send whose
// context ended; one request at a time is outstanding.
func (a *Actor) wantDrain() {
	if a.drainAsked.CompareAndSwap(false, true) {
		a.sendControl(message{ctl: ctlDrain})
	}
}

// takeSent is called as the loop takes c: a watch that took it in from
// Send hands it over.
func (l *loop) takeSent(c *Command) {
	if w := c.sentWatched; w != nil {
		c.sentWatched = nil
		l.a.sentWatched.Add(-1)
		w.sent.Add(-1)
	}
}

// drainEnded answers every command taken in from Send whose context ended,
// wherever it waits before the loop takes it: in the backlog, or in the
// mailbox, which it then empties into the backlog.
func (l *loop) drainEnded() {
	l.a.drainAsked.Store(false) // before looking: a later ask brings another look
	if len(l.backlog) > 0 {
		kept := l.backlog[:0]
		for _, c := range l.backlog {
			if c.sentWatched != nil && c.ctx.Err() != nil {
				l.takeSent(c)
				l.finishCanceled(c)
				continue
			}
			kept = append(kept, c)
		}
		clear(l.backlog[len(kept):])
		l.backlog = kept
	}
	if l.a.sentWatched.Load() > 0 {
		data := l.a.mb.Receive()
		for {
			m, ok, got := tryRecv(data)
			if !got || !ok {
				break // empty, or closed: run finds that out itself
			}
			c := m.cmd
			if c.sentWatched != nil && c.ctx.Err() != nil {
				l.takeSent(c)
				l.finishCanceled(c)
				continue
			}
			l.backlog = append(l.backlog, c)
		}
	}
	l.a.backlog.Store(int64(len(l.backlog)))
}

// letGo stops watching w, which no command uses, unless a command being
// sent was just taken in by it; it reports whether it let go.
func (l *loop) letGo(w *ctxWatch) bool {
	w.dropping.Store(true)
	if w.sent.Load() > 0 {
		w.dropping.Store(false)
		return false
	}
	l.a.lastWatch.CompareAndSwap(w, nil)
	w.stop()
	return true
}

// maxIdleWatches bounds the watches kept with no command using them; past
// it the loop lets go of all idle ones.
const maxIdleWatches = 16

// watch starts watching c's context, or counts c in its existing watch.
// Only on the loop goroutine.
func (l *loop) watch(c *Command) {
	ctx := c.ctx
	if ctx.Done() == nil {
		return
	}
	w := l.watches[ctx]
	if w == nil {
		if l.watches == nil {
			l.watches = make(map[context.Context]*ctxWatch)
		}
		w = &ctxWatch{l: l, ctx: ctx}
		a := l.a
		w.stop = context.AfterFunc(ctx, func() {
			// The control lane holds more than can ever be queued, so this
			// cannot fail for lack of room; after Close it fails and the
			// loop's final cleanup answers the commands anyway.
			a.sendControl(message{ctl: ctlCancelCtx, ctx: ctx})
		})
		l.watches[ctx] = w
	} else if w.users == 0 {
		l.idleWatches--
	}
	w.users++
	c.watchedBy = w
	c.watched.Store(true)
	if l.a.lastWatch.Load() != w {
		l.a.lastWatch.Store(w)
	}
}

// release is called as a command of the watch is answered (on the loop
// goroutine: only the loop answers a command it took).
func (w *ctxWatch) release() {
	w.users--
	if w.users > 0 || w.ended {
		return
	}
	l := w.l
	l.idleWatches++
	if l.idleWatches > maxIdleWatches {
		l.idleWatches = 0
		for ctx, w := range l.watches {
			if w.users == 0 {
				if l.letGo(w) {
					delete(l.watches, ctx)
				} else {
					l.idleWatches++
				}
			}
		}
	}
}

// contextEnded cancels every command of the loop's that carries ctx.
func (l *loop) contextEnded(ctx context.Context) {
	l.drainEnded()
	w := l.watches[ctx]
	if w == nil {
		return // let go of while idle, or a stale message
	}
	delete(l.watches, ctx)
	w.ended = true
	l.a.lastWatch.CompareAndSwap(w, nil)
	if w.users == 0 {
		l.idleWatches--
		return
	}
	var hit []*Command
	for i := range l.inFlight() {
		e := l.at(i)
		if e == nil {
			continue
		}
		// An abandoned command was answered already (and, being
		// abandoned, is not reused: see Reusable), so reading it is safe;
		// any other command in flight is not answered yet.
		if c := e.cmd; c != nil && !c.abandoned && c.watchedBy == w {
			hit = append(hit, c)
		}
		if e.stmt != nil {
			for _, c := range e.stmt.waiters {
				if c.watchedBy == w {
					hit = append(hit, c)
				}
			}
		}
	}
	for _, c := range l.held {
		if c.watchedBy == w {
			hit = append(hit, c)
		}
	}
	for _, c := range l.deferred {
		if c.watchedBy == w {
			hit = append(hit, c)
		}
	}
	for _, c := range hit {
		if c.watchedBy == w {
			c.ctxEnded.Store(true) // before the answer publishes it
		}
		l.cancel(c) // answers a command once, however often it is listed
	}
}

// unwatchAll lets go of every watch, as the loop exits.
func (l *loop) unwatchAll() {
	l.a.lastWatch.Store(nil)
	for ctx, w := range l.watches {
		w.stop()
		w.ended = true
		delete(l.watches, ctx)
	}
}
