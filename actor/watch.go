package actor

import "context"

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
		for ctx, w := range l.watches {
			if w.users == 0 {
				w.stop()
				delete(l.watches, ctx)
			}
		}
		l.idleWatches = 0
	}
}

// contextEnded cancels every command of the loop's that carries ctx.
func (l *loop) contextEnded(ctx context.Context) {
	w := l.watches[ctx]
	if w == nil {
		return // let go of while idle, or a stale message
	}
	delete(l.watches, ctx)
	w.ended = true
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
	for ctx, w := range l.watches {
		w.stop()
		w.ended = true
		delete(l.watches, ctx)
	}
}
