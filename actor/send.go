package actor

import (
	"context"
	"errors"
	"fmt"

	"github.com/pgactor/pgactor/wire"
)

// accept takes a command off the mailbox (or off the commands that waited
// for the connection) and, once it is admitted, encodes it into this
// turn's write buffer, or answers it at once when that is all there is to do.
func (l *loop) accept(c *Command) {
	l.takeSent(c)
	if c.ctx.Err() != nil || c.cancelAsked.Load() {
		// Not written yet, and its caller walked away (its context ended,
		// or Cancel): drop it without touching the wire.
		l.finishCanceled(c)
		return
	}
	l.watch(c)
	if l.preparing != nil {
		l.deferred = append(l.deferred, c)
		return
	}
	if !l.admit(c) {
		return
	}
	if c.Owner != 0 || c.Pin != 0 {
		l.ownedArrived = true
	}
	l.dispatch(c)
	if c.Unpin {
		l.unpin(c)
	}
	if c.Kind == CmdPin || c.Kind == CmdUnpin || c.Kind == cmdLost {
		c.done(Completion{}, nil)
	}
}

// dispatch encodes an admitted command.
func (l *loop) dispatch(c *Command) {
	switch c.Kind {
	case CmdSimple, CmdCopyOut:
		sql := c.SQL
		if c.Unpin && c.RollbackSQL != "" && l.lostFrom(c.Owner) {
			sql = c.RollbackSQL
		}
		l.encode(c, opSimple, nil, func(b []byte) ([]byte, error) { return l.client.AppendSimpleQuery(b, sql) })
	case CmdPrepare:
		l.encode(c, opPrepare, nil, func(b []byte) ([]byte, error) {
			return l.client.AppendPrepare(b, c.Name, c.SQL, c.ParamOIDs...)
		})
	case CmdExecute:
		if c.Stmt == nil || c.Params == nil {
			c.fail(fmt.Errorf("actor: execute without a statement or encoded arguments"))
			return
		}
		l.execute(c, c.Stmt, nil)
	case CmdCopyIn:
		if c.CopySource == nil {
			c.fail(fmt.Errorf("actor: COPY FROM STDIN without a CopySource"))
			return
		}
		l.encode(c, opSimple, nil, func(b []byte) ([]byte, error) { return l.client.AppendCopyIn(b, c.SQL) })
	case CmdCloseStatement:
		l.encode(c, opClose, nil, func(b []byte) ([]byte, error) { return l.client.AppendCloseStatement(b, c.Name) })
	case CmdQuery:
		if l.a.cfg.Statements.Unnamed() || c.Unnamed {
			l.unnamed(c)
			return
		}
		l.query(c)
	case CmdBatch:
		l.batch(c)
	case CmdPin, CmdUnpin:
	case cmdLost:
		l.markLost(c)
	default:
		c.fail(fmt.Errorf("actor: unknown command kind %d", c.Kind))
	}
}

// unnamed runs c on the unnamed statement, Parse to Sync in one flight,
// parsed with the parameter types its arguments were encoded for.
func (l *loop) unnamed(c *Command) {
	if !l.encodeLate(c, nil) {
		return
	}
	l.encode(c, opUnnamed, nil, func(b []byte) ([]byte, error) {
		return l.client.AppendExecuteUnnamed(b, c.SQL, c.Params)
	})
}

// query runs c through the statement cache. A cached statement that takes
// the parameter types c was encoded for is bound and executed at once (one
// round trip); one that takes other types runs c on the unnamed statement.
// A statement the cache lost since c was encoded is prepared again (with
// c's parameter types), and every command after c waits (deferred) until
// the Prepare answered and c was encoded, so the wire order is the order
// commands arrived in.
func (l *loop) query(c *Command) {
	st := l.cache.get(c.SQL)
	if st != nil && st.info != nil {
		l.runCached(c, st, st.info)
		return
	}
	if st == nil {
		var oids []uint32 // not encoded yet: the server infers the types
		if c.Params != nil {
			oids = c.Params.OIDs
		}
		var err error
		if st, err = l.prepareCached(c.SQL, oids); err != nil {
			c.fail(err)
			return
		}
	}
	st.waiters = append(st.waiters, c)
	l.preparing = st
}

// runCached runs c with the statement st described as info.
func (l *loop) runCached(c *Command, st *cachedStmt, info *wire.PreparedStatementInfo) {
	if !l.encodeLate(c, info) {
		return
	}
	if !c.Params.Fits(info.ParamOIDs) {
		l.unnamed(c)
		return
	}
	l.execute(c, info, st)
}

// encodeLate encodes the arguments Send copied because the statement was
// new to the connection, for info's parameter types (nil: the types the
// values imply). A bad argument answers c, and encodeLate reports false.
func (l *loop) encodeLate(c *Command, info *wire.PreparedStatementInfo) bool {
	if c.Params != nil {
		return true
	}
	if err := l.a.encode(c, info); err != nil {
		l.markLost(c)
		c.fail(err)
		return false
	}
	return true
}

// prepareCached adds sql to the statement cache and sends its Prepare, with
// the parameter types oids (nil or 0 lets the server infer them).
func (l *loop) prepareCached(sql string, oids []uint32) (*cachedStmt, error) {
	st, evicted := l.cache.add(sql)
	if evicted != nil {
		l.closeStatement(evicted)
	}
	b, err := l.client.AppendPrepare(l.wbuf, st.name, sql, oids...)
	if err != nil {
		l.cache.remove(st)
		return nil, err
	}
	l.wbuf = b
	e := l.newEntry()
	e.op, e.stmt = opPrepare, st
	l.push(e)
	st.seq = e.seq
	return st, nil
}

// execute binds c's encoded arguments to info and executes it.
func (l *loop) execute(c *Command, info *wire.PreparedStatementInfo, st *cachedStmt) {
	l.encode(c, opExecute, st, func(b []byte) ([]byte, error) {
		return l.client.AppendBindExecute(b, info, c.Params, 0)
	})
	if e := c.entry; e != nil && e.cmd == c {
		e.info = info
	}
}

// encode appends one wire operation for c and queues its entry; an
// encoding error (a bad argument) answers c without harming anything else.
func (l *loop) encode(c *Command, op opKind, st *cachedStmt, enc func([]byte) ([]byte, error)) {
	start := len(l.wbuf)
	b, err := enc(l.wbuf)
	if err != nil {
		l.wbuf = b[:start]
		l.markLost(c)
		c.fail(err)
		return
	}
	l.wbuf = b
	e := l.newEntry()
	e.cmd, e.op, e.stmt = c, op, st
	c.entry = e
	l.push(e)
}

// push tags the wire command just issued with its entry: the wire client's
// queue is the only FIFO of what is in flight.
func (l *loop) push(e *entry) {
	l.client.Tag(e)
	n := l.client.InFlight()
	if n == 1 {
		e.txBefore = l.client.TxStatus()
		l.a.progress.Store(monotonic()) // work starts now, not at the last completion
	}
	l.encodedSeq++
	e.seq = l.encodedSeq
	l.a.inFlight.Store(int64(n))
}

// inFlight returns the number of wire commands in flight.
func (l *loop) inFlight() int { return l.client.InFlight() }

// at returns the entry of the i-th command in flight (0: the head).
func (l *loop) at(i int) *entry {
	e, _ := l.client.Pending(i).(*entry)
	return e
}

// unstall runs the commands that waited for a Prepare, in order; one of
// them may start another Prepare, and the rest then wait for that.
func (l *loop) unstall() {
	l.preparing = nil
	d := l.deferred
	l.deferred = nil
	for _, c := range d {
		l.accept(c)
	}
}

// closeStatement deallocates an evicted statement. Commands that still use
// it are ahead of the Close on the wire, so they run first.
func (l *loop) closeStatement(st *cachedStmt) {
	b, err := l.client.AppendCloseStatement(l.wbuf, st.name)
	if err != nil {
		return // a name we made cannot fail to encode; nothing to undo
	}
	l.wbuf = b
	e := l.newEntry()
	e.op = opClose
	l.push(e)
}

// finishCanceled answers a command whose context ended.
func (l *loop) finishCanceled(c *Command) {
	if c.abandoned {
		return
	}
	c.abandoned = true
	l.markLost(c)
	c.fail(canceledError(c.ctx))
}

func canceledError(ctx context.Context) error {
	cause := context.Cause(ctx)
	if cause == nil {
		cause = errWalkedAway // Cancel, with the context still alive
	}
	return fmt.Errorf("%w: %w", ErrCanceled, cause)
}

var errWalkedAway = errors.New("the caller no longer wants the result")

// newEntry takes an entry from the free list; entries are recycled when
// their ReadyForQuery pops them, so steady-state commands allocate none.
func (l *loop) newEntry() *entry {
	if n := len(l.freeEntries); n > 0 {
		e := l.freeEntries[n-1]
		l.freeEntries = l.freeEntries[:n-1]
		return e
	}
	return &entry{}
}

// recycle keeps e for reuse. It must not touch e.cmd: once answered, the
// command may already be in its caller's hands again (Command.Reusable).
func (l *loop) recycle(e *entry) {
	clear(e.items)
	*e = entry{}
	if len(l.freeEntries) < 1024 {
		l.freeEntries = append(l.freeEntries, e)
	}
}
