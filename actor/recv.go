package actor

import (
	"slices"
	"strings"
	"time"

	"github.com/pgactor/pgactor/futures"
	"github.com/pgactor/pgactor/wire"
)

// processEvents hands every event the wire client can produce to the
// command it belongs to. It stops early while a consumer has no room, and
// returns the cause when the connection died.
func (l *loop) processEvents() error {
	for l.paused == nil {
		ev := l.client.NextEvent()
		if ev == wire.NeedData {
			// About to wait for the socket: let consumers see what came so far.
			if h := l.head(); h != nil {
				if c := h.current(); c != nil && len(c.batch) > 0 && !c.abandoned {
					l.sendBatch(c, false)
				}
			}
			break
		}
		switch e := ev.(type) {
		case *wire.ProtocolError:
			return e
		case *wire.ErrorOrNoticeResponse:
			if e.Notice {
				if l.a.cfg.OnNotice != nil {
					l.a.cfg.OnNotice(e)
				}
				continue
			}
			if l.client.Dead() {
				return e
			}
			if h := l.head(); h != nil && h.err == nil {
				h.err = e
				if l.copying != nil && l.copying == h.cmd {
					l.copying = nil // the server drops any data still coming
				}
			}
		case *wire.ParameterStatus:
			l.publishParams()
		case *wire.NotificationResponse:
			if l.a.cfg.OnNotification != nil {
				l.a.cfg.OnNotification(e)
			}
		case *wire.ReadyForQuery:
			l.finishHead(e)
		default:
			l.headEvent(ev)
		}
	}
	if l.finished > 0 {
		// Once per chunk of server data, not per command: a clock reading
		// is not free.
		now := monotonic()
		l.noteService(now-l.a.progress.Load(), l.finished)
		l.finished = 0
		l.a.progress.Store(now)
	}
	if l.client.Dead() {
		return l.client.Err()
	}
	return nil
}

// minReading is the least reading the floor takes: the clock's reading of a
// chunk of many completions can come out at zero.
const minReading = int64(time.Microsecond)

// noteService takes a reading of the time per command: n completions over
// elapsed nanoseconds since the previous reading (or the start of work).
func (l *loop) noteService(elapsed int64, n int) {
	r := max(elapsed, 0) / int64(n)
	l.svcRing[l.svcN%svcReadings] = r
	l.svcN++
	// The floor forgets slowly, so that commands that became slower for
	// good raise it within some hundred readings.
	if f := l.svcFloor + l.svcFloor>>6 + 1; l.svcN == 1 || max(r, minReading) < f {
		l.svcFloor = max(r, minReading)
	} else {
		l.svcFloor = f
	}
	if l.svcN >= svcReadings {
		l.a.svc.Store(slices.Min(l.svcRing[:]))
		l.a.svcFloor.Store(l.svcFloor)
	}
}

func (l *loop) head() *entry { return l.at(0) }

// headEvent gives an event to the entry at the head of the FIFO.
func (l *loop) headEvent(ev wire.Event) {
	h := l.head()
	if h == nil {
		return // the wire client refuses events with nothing in flight
	}
	c := h.current()
	switch e := ev.(type) {
	case *wire.RowDescription:
		switch {
		case c == nil:
		case c.Kind == CmdSimple && c.completion.Columns != nil:
			// A later statement of a multi-statement simple query: its
			// description goes among the rows, marking where its result
			// set begins (see RawRow).
			l.addRow(c, e, nil)
		default:
			c.completion.Columns = e
			l.describe(c, e)
		}
	case *wire.BindComplete:
		info := h.info
		if h.op == opBatch {
			info = h.items[h.pos].Info
		}
		if c != nil && info != nil {
			c.completion.Columns = info.Columns
			l.describe(c, info.Columns)
		}
	case *wire.DataRow:
		l.addRow(c, e.Columns, e.Raw)
	case *wire.CopyData:
		if c != nil && c.Kind == CmdCopyOut {
			l.addRow(c, nil, e.Data)
		}
	case *wire.CommandComplete:
		if c != nil {
			c.completion.Tag = e.Tag
			c.completion.Rows = e.Rows
		}
		if h.op == opBatch && c != nil {
			l.batchItemDone(h, c)
		}
	case *wire.EmptyQueryResponse:
		if h.op == opBatch && c != nil {
			l.batchItemDone(h, c)
		}
	case *wire.PreparedStatementInfo:
		if h.stmt != nil {
			l.cache.described(h.stmt, e)
			waiters := h.stmt.waiters
			h.stmt.waiters = nil
			for _, w := range waiters {
				switch {
				case w.abandoned:
				case w.Kind == CmdBatch:
					l.encodeBatch(w)
				case l.a.cfg.Statements.Unnamed():
					l.unnamed(w) // a pooler was seen meanwhile: the name may not follow
				default:
					l.runCached(w, h.stmt, e)
				}
			}
			if l.preparing == h.stmt {
				l.unstall()
			}
		} else if c != nil {
			c.completion.Info = e
		}
	case *wire.CopyInResponse:
		if !l.client.Copying() {
			break
		}
		if c != nil && c.Kind == CmdCopyIn && !c.abandoned {
			l.copying = c // the loop now feeds it from CopySource
			break
		}
		// COPY FROM STDIN through a plain query (or a copy whose caller
		// left): the server waits for data we do not have. Refuse, so the
		// command fails instead of hanging. The wire client held every
		// command issued behind it, so none is taken for copy data.
		reason := "COPY FROM STDIN needs CopyFrom, not Query or Exec"
		if c != nil && c.abandoned {
			reason = "canceled by the client"
		}
		l.wbuf, _ = l.client.EndCopy(l.wbuf, reason)
		l.urgent = true
	}
}

// addRow adds one row (or COPY payload) to the command's batch, handing the
// batch over when it is full.
func (l *loop) addRow(c *Command, cols *wire.RowDescription, data []byte) {
	if c == nil || (c.Rows == nil && !c.WantRows) || c.abandoned {
		return
	}
	switch {
	case c.batch == nil && c.Rows == nil:
		// Most results are one row: it fits in the command itself.
		c.batch = c.inline[:0:len(c.inline)]
	case c.batch == nil && c.rowsSent:
		// A long result: batches fill up.
		c.batch = c.Rows.Batch(l.a.cfg.RowBatchSize)
	case c.batch == nil:
		// Start small and grow by append: most results are small.
		c.batch = c.Rows.Batch(min(16, l.a.cfg.RowBatchSize))
	case len(c.batch) == cap(c.batch) && c.inlineBatch():
		c.batch = append(make([]RawRow, 0, min(16, max(l.a.cfg.RowBatchSize, 2))), c.batch...)
	}
	c.batch = append(c.batch, RawRow{Columns: cols, Data: data})
	if len(c.batch) >= l.a.cfg.RowBatchSize {
		l.sendBatch(c, true)
	}
}

// inlineBatch reports whether c's batch lies in c.inline.
func (c *Command) inlineBatch() bool {
	return cap(c.batch) > 0 && &c.batch[:1][0] == &c.inline[0]
}

// describe tells the command's Observer its columns, once. For a WantRows
// command that has no stream yet it waits: until the rows begin
// (openStream) or the command ends (final).
func (l *loop) describe(c *Command, rd *wire.RowDescription) { l.describeAt(c, rd, false) }

func (l *loop) describeAt(c *Command, rd *wire.RowDescription, final bool) {
	if c.described || c.abandoned {
		return
	}
	if c.WantRows && c.Rows == nil && !final {
		return
	}
	c.described = true
	if c.Observer != nil {
		c.Observer.Described(c, rd, nil)
	}
}

// sendBatch offers the command's batch to its consumer. When the consumer
// has no room and mustPause is set (the batch is full), the loop stops
// reading until the consumer takes it.
func (l *loop) sendBatch(c *Command, mustPause bool) {
	if c.Rows == nil {
		// The rows outgrow one batch: now the consumer needs a stream.
		c.Rows = futures.NewStream[RawRow](l.a.cfg.StreamBuffer)
		l.describe(c, c.completion.Columns)
	}
	if c.inlineBatch() {
		// A stream recycles what it is sent: never the command's own storage.
		c.batch = append(c.Rows.Batch(min(16, l.a.cfg.RowBatchSize)), c.batch...)
	}
	if c.Rows.TrySend(c.batch) {
		c.rowsSent = true
		c.batch = nil
		return
	}
	if mustPause {
		l.paused = &blocked{cmd: c, batch: c.batch}
		c.batch = nil
	}
}

// unpause ends a pause: the consumer took the batch (taken) or left.
func (l *loop) unpause(taken bool) {
	p := l.paused
	l.paused = nil
	if taken {
		p.cmd.rowsSent = true
	}
	if p.finish {
		l.resolve(p.cmd)
	}
}

// finishHead settles the entry whose ReadyForQuery arrived (the wire client
// popped it already).
func (l *loop) finishHead(rfq *wire.ReadyForQuery) {
	h, _ := rfq.Tag.(*entry)
	if h == nil {
		return // every command is tagged; the wire client refuses a stray ReadyForQuery
	}
	status := rfq.TxStatus
	defer l.recycle(h)
	l.a.inFlight.Store(int64(l.inFlight()))
	l.a.txStatus.Store(uint32(status))
	l.finished++
	if next := l.head(); next != nil {
		next.txBefore = status
		l.tryCancel(next)
	}
	if h.cancelSent && !isQueryCanceled(h.err) {
		// Our cancel did not hit its target; it may yet hit a later command.
		l.strayCancels++
	}
	l.settle(h, status)
	if h.releaseAfter {
		l.settleRelease()
	}
}

// settle answers the command of a popped entry, or runs it again.
func (l *loop) settle(h *entry, status byte) {
	if h.op == opPrepare && h.stmt != nil && h.err != nil {
		l.failPrepare(h, status)
	}
	c := h.cmd
	if c != nil && c.Autocommit && c.Owner == 0 && c.Pin == 0 && status != wire.TxIdle && h.txBefore == wire.TxIdle && !h.poisoned {
		l.strayTransaction(h)
	}
	if h.poisoned && c != nil {
		c.batch = nil
		if !c.abandoned {
			c.fail(ErrTxLeftOpen)
		}
		return
	}
	if c == nil || c.abandoned {
		return
	}
	if h.op == opBatch {
		l.settleBatch(h)
		return
	}
	if h.err != nil {
		if l.retry(h, status) {
			return
		}
		c.batch = nil
		c.fail(h.err)
		return
	}
	if len(c.batch) > 0 && c.Rows != nil {
		if !c.Rows.TrySend(c.batch) {
			l.paused = &blocked{cmd: c, batch: c.batch, finish: true}
			c.batch = nil
			return
		}
		c.batch = nil
	}
	if c.WantRows && c.Rows == nil {
		// The whole result fit before a batch had to go: hand it over with
		// the completion, no stream needed.
		c.completion.Batch, c.batch = c.batch, nil
	}
	l.resolve(c)
}

// failPrepare answers the commands that waited for a cached statement
// whose Prepare failed. A name that already exists outside a transaction
// means a pooler in transaction mode gave us a server connection another
// client prepared it on: every connection then switches to unnamed
// statements, and the waiters run that way (or are handed back, when
// running them now could overtake commands queued behind).
func (l *loop) failPrepare(h *entry, status byte) {
	l.cache.remove(h.stmt)
	waiters := h.stmt.waiters
	h.stmt.waiters = nil
	pe, _ := h.err.(*wire.ErrorOrNoticeResponse)
	pooler := pe != nil && pe.Code == "42P05" && h.txBefore == wire.TxIdle && status == wire.TxIdle
	if pooler {
		l.a.cfg.Statements.switchToUnnamed(h.err)
	}
	if p := l.preparing; p != nil && p != h.stmt && !pooler {
		// A batch waits behind the last of its Prepares; one before it
		// failed, so the batch cannot run.
		kept := p.waiters[:0]
		for _, w := range p.waiters {
			if w.Kind == CmdBatch {
				w.fail(h.err)
				continue
			}
			kept = append(kept, w)
		}
		p.waiters = kept
	}
	safe := pooler && !l.busyBehind()
	for _, w := range waiters {
		switch {
		case w.abandoned:
		case safe && w.ctx.Err() == nil:
			w.retried++
			if w.Kind == CmdBatch {
				l.encodeBatch(w)
			} else {
				l.unnamed(w)
			}
		case pooler:
			w.fail(&RetryError{Cause: h.err})
		default:
			w.fail(h.err)
		}
	}
	if l.preparing == h.stmt {
		l.unstall()
	}
}

// resolve answers a command that succeeded.
func (l *loop) resolve(c *Command) {
	l.describeAt(c, c.completion.Columns, true)
	c.done(c.completion, nil)
}

func isQueryCanceled(err error) bool {
	pe, ok := err.(*wire.ErrorOrNoticeResponse)
	return ok && pe.Code == "57014"
}

// stalePlan reports a cached statement the server can no longer run as
// prepared: a schema change altered its result ("cached plan must not
// change result type", 0A000) or it does not exist (26000).
func stalePlan(pe *wire.ErrorOrNoticeResponse) bool {
	return pe.Code == "26000" || (pe.Code == "0A000" && strings.Contains(pe.Message, "cached plan must not change result type"))
}

// busyBehind reports whether a command of a caller is queued on the wire
// behind the head that was just popped: running the head again now would
// make it overtake that command.
func (l *loop) busyBehind() bool {
	for i := range l.inFlight() {
		if l.at(i).cmd != nil {
			return true
		}
	}
	return false
}

// retry deals with a failure that was not the command's own doing and
// left no trace: a stray cancel aimed at an earlier command, or a cached
// statement the server no longer has as prepared. The command must have
// run alone in its implicit transaction and delivered no rows. It runs
// again when nothing is queued behind it (so a caller's pipelined commands
// keep their order); otherwise it fails with a RetryError, which
// SafeToRetry reports, and a pool sends it again elsewhere.
func (l *loop) retry(h *entry, status byte) bool {
	c := h.cmd
	if c.Kind == CmdBatch || c.rowsSent || c.retried >= 3 || h.txBefore != wire.TxIdle || status != wire.TxIdle || c.ctx.Err() != nil {
		return false
	}
	pe, ok := h.err.(*wire.ErrorOrNoticeResponse)
	if !ok {
		return false
	}
	switch {
	case pe.Code == "57014" && l.strayCancels > 0 && !h.cancelSent:
		l.strayCancels--
	case h.op == opExecute && c.Kind == CmdQuery && h.stmt != nil && !c.described && stalePlan(pe):
		if h.stmt.elem != nil {
			l.cache.remove(h.stmt)
			l.closeStatement(h.stmt)
		}
		if pe.Code == "26000" {
			// We prepared it on this connection and never closed it: a
			// pooler in transaction mode sent the Bind elsewhere.
			l.a.cfg.Statements.switchToUnnamed(h.err)
		}
	default:
		return false
	}
	if l.busyBehind() {
		c.batch = nil
		c.fail(&RetryError{Cause: h.err})
		return true
	}
	c.retried++
	c.batch = nil
	c.completion = Completion{}
	c.entry = nil
	if l.preparing != nil {
		// Another statement's Prepare holds the commands behind it: this
		// one goes first among them.
		l.deferred = append([]*Command{c}, l.deferred...)
		return true
	}
	l.dispatch(c)
	if h.releaseAfter && c.entry != nil {
		h.releaseAfter, c.entry.releaseAfter = false, true
	}
	return true
}
