package actor

import (
	"errors"
	"fmt"

	"github.com/pgactor/pgactor/wire"
)

// A batch is one entry in the FIFO and one op in the wire client: its
// commands go out Bind/Execute after Bind/Execute with a single Sync. The
// server answers them in turn, and the entry's pos says whose turn it is:
// it moves on at each CommandComplete (or EmptyQueryResponse). Rows go to
// the command whose turn it is; every command is answered at the batch's
// ReadyForQuery, when it is known whether the batch's work persisted.

// batch prepares what the batch's queries need that the cache lacks (in
// one flight, the batch waiting behind the last Prepare like any waiter)
// and then encodes it.
func (l *loop) batch(c *Command) {
	if len(c.Batch) == 0 {
		c.fail(errors.New("actor: empty batch"))
		return
	}
	var last *cachedStmt
	if !l.a.cfg.Statements.Unnamed() {
		for _, it := range c.Batch {
			if it.Kind != CmdQuery || it.Unnamed {
				continue
			}
			st := l.cache.get(it.SQL)
			if st == nil {
				var oids []uint32
				if it.Params != nil {
					oids = it.Params.OIDs
				}
				var err error
				if st, err = l.prepareCached(it.SQL, oids); err != nil {
					c.fail(err)
					return
				}
			}
			if st.info == nil && (last == nil || st.seq > last.seq) {
				last = st
			}
		}
	}
	if last != nil {
		last.waiters = append(last.waiters, c)
		l.preparing = last
		return
	}
	l.encodeBatch(c)
}

// encodeBatch writes the batch, binding cached statements (or the unnamed
// statement, in unnamed mode or for a statement that now takes other
// parameter types than its arguments were encoded for).
func (l *loop) encodeBatch(c *Command) {
	items := make([]wire.BatchItem, len(c.Batch))
	unnamed := l.a.cfg.Statements.Unnamed()
	for i, it := range c.Batch {
		switch {
		case it.Kind == CmdExecute && it.Stmt != nil:
			items[i].Info = it.Stmt
		case it.Kind != CmdQuery:
			c.fail(fmt.Errorf("actor: batch command %d: only queries and prepared statements can be batched", i+1))
			return
		case unnamed || it.Unnamed:
			items[i].SQL = it.SQL
		default:
			st := l.cache.get(it.SQL)
			if st == nil || st.info == nil {
				c.fail(fmt.Errorf("actor: batch command %d: its statement could not be prepared", i+1))
				return
			}
			items[i].Info = st.info
		}
		if it.Params == nil {
			if err := l.a.encode(it, items[i].Info); err != nil {
				c.fail(&wire.BatchItemError{Index: i, Err: err})
				return
			}
		}
		if items[i].Info != nil && !it.Params.Fits(items[i].Info.ParamOIDs) {
			items[i].Info, items[i].SQL = nil, it.SQL
		}
		items[i].Params = it.Params
	}
	l.encode(c, opBatch, nil, func(b []byte) ([]byte, error) { return l.client.AppendBatch(b, items) })
	if e := c.entry; e != nil && e.cmd == c {
		e.items = items
	}
}

// current is the command the server is answering for e: the batch's
// command whose turn it is, or e's own.
func (e *entry) current() *Command {
	if e.op != opBatch || e.cmd == nil {
		return e.cmd
	}
	if e.pos < len(e.cmd.Batch) {
		return e.cmd.Batch[e.pos]
	}
	return nil
}

// batchItemDone ends the turn of the batch command c: its rows are handed
// over (or kept for the completion), but it is answered only at the end.
func (l *loop) batchItemDone(h *entry, c *Command) {
	h.pos++
	if c.abandoned {
		return
	}
	if len(c.batch) > 0 && c.Rows != nil {
		if !c.Rows.TrySend(c.batch) {
			l.paused = &blocked{cmd: c, batch: c.batch}
		}
		c.batch = nil
	}
	if c.WantRows && c.Rows == nil {
		c.completion.Batch, c.batch = c.batch, nil
	}
}

// settleBatch answers every command of a batch at its ReadyForQuery.
func (l *loop) settleBatch(h *entry) {
	c := h.cmd
	if h.err != nil {
		for i, it := range c.Batch {
			switch {
			case i < h.pos:
				it.fail(fmt.Errorf("%w (command %d: %w)", ErrBatchRolledBack, h.pos+1, h.err))
			case i == h.pos:
				it.fail(h.err)
			default:
				it.fail(ErrBatchNotRun)
			}
		}
		// Each command was answered, and may be in its caller's hands
		// again: the batch's own answer must not look at them.
		c.Batch = nil
		c.fail(h.err)
		return
	}
	for _, it := range c.Batch {
		if !it.abandoned {
			l.resolve(it)
		}
	}
	l.resolve(c)
}
