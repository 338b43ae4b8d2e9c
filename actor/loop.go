package actor

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/pgactor/pgactor/futures"
	"github.com/pgactor/pgactor/wire"
)

// loop is the state owned by the loop goroutine. Nothing here is touched by
// any other goroutine, except the channels and what killOnce guards.
type loop struct {
	a      *Actor
	client *wire.Client

	freeEntries []*entry // the wire client's queue carries the entries in flight (push)

	// Writing: wbuf collects what this turn encoded; the writer owns the
	// buffer it is writing until it hands it back on wdone.
	wbuf  []byte
	spare []byte
	// writingBase is the buffer whose unwritten tail the writer has, when
	// a write that could not block took the rest.
	writingBase []byte
	writing     bool
	writec      chan []byte
	wdone       chan writeResult
	wroteUpTo   uint64          // commands numbered below this were handed to the writer
	raw         syscall.RawConn // the plain socket, for writes that cannot block; nil under TLS
	writeFn     func(uintptr) bool
	wr          struct {
		b   []byte
		n   int
		err error
	}
	encodedSeq uint64 // number of commands encoded so far
	heldBytes  int    // wbuf holds only new commands held back while the server is busy (serverBusy)
	// ownedArrived is set when a command of a holder (a transaction, an
	// acquired connection) was taken since the last flush: it goes out at
	// once, since its caller is pipelining one unit of work.
	ownedArrived bool

	// Reading. Once asked (readReq), the reader goroutine reads until the
	// loop wants the socket back (readStop); while it is not reading, the
	// loop reads the socket itself when it has nothing to wait for but the
	// server (readDirect), which saves a goroutine hop on every answer.
	finished   int                // commands finished in this chunk of server data (Actor.progress, Actor.svc)
	svcRing    [svcReadings]int64 // the last readings of the time per command (noteService)
	svcN       int
	svcFloor   int64 // Actor.svcFloor's value
	readc      chan readResult
	readReq    chan struct{}
	direct     bool        // the loop may read the socket itself (directOK)
	readerBusy bool        // the reader is reading, until it sends a chunk marked last
	readStop   atomic.Bool // the loop wants the socket back: the reader stops after its next chunk
	slab       []byte      // what the next read fills; used by whoever reads
	ctlSeen    uint64      // Actor.ctlSeq when the loop last looked at its control lane
	idleTimer  *time.Timer
	idleArmed  bool
	paused     *blocked // a consumer with a full stream; reading stops until it takes the batch

	// Contexts watched for the commands the loop took (watch.go).
	watches     map[context.Context]*ctxWatch
	idleWatches int
	// backlog holds commands moved out of the mailbox, in arrival order,
	// to answer those whose context ended (drainEnded); the loop takes
	// them before anything more from the mailbox.
	backlog []*Command

	cache *stmtCache
	// preparing is the cached statement whose Prepare is out: commands
	// after the one that needs it wait in deferred, in arrival order, so
	// that none overtakes it on the wire (and none is admitted before it).
	preparing *cachedStmt
	deferred  []*Command

	copying *Command // the CmdCopyIn the server is taking data for

	// Ownership (own.go).
	owners    []Token    // the holders' stack: owners[0] took the connection, the rest nested in it
	releasing bool       // the last holder let go; the connection is not free until settleRelease
	held      []*Command // commands without an owner waiting for the connection, in arrival order
	lost      []Token    // holders one of whose commands failed without reaching the server (own.go)

	// Cancellation bookkeeping: cancels sent whose target completed without
	// being cancelled may still land on a later command.
	strayCancels int
	// cancelOut counts CancelRequests sent and not yet acted on by the
	// server (its cancel connection not yet closed): nothing is written
	// meanwhile, so that the cancel cannot reach a command written after
	// it (see cancelable). cancelDone hears each one end.
	cancelOut  int
	cancelDone chan struct{}
	// cancelRetry fires when the head a cancel was acted on for still runs
	// (retryCancel): retrySeq is that head's seq, retryC the timer's
	// channel while armed.
	cancelRetry *time.Timer
	retryC      <-chan time.Time
	retrySeq    uint64
	// urgent: the write buffer holds bytes the head command needs (COPY
	// data, its end, what NeededSync gave), which go out whatever waits.
	urgent bool

	killc     chan struct{}
	killOnce  sync.Once
	killCause error

	quit chan struct{} // closed when the loop exits; releases reader and writer
	// ctx is canceled when the loop exits, for work it started (cancels).
	ctx     context.Context
	stopCtx context.CancelFunc
	wg      sync.WaitGroup
}

// entry is one wire operation in flight and the command it serves (nil for
// the actor's own housekeeping, such as closing an evicted statement).
type entry struct {
	cmd      *Command
	op       opKind
	stmt     *cachedStmt                 // the statement a prepare creates or an execute uses
	info     *wire.PreparedStatementInfo // what an execute binds to
	seq      uint64                      // the encoding order, for the writer bookkeeping
	err      error                       // the ErrorResponse that failed it
	txBefore byte                        // transaction status when it reached the head

	cancelSent   bool // a CancelRequest was sent while it was the head
	cancels      int  // how many were sent (retryCancel)
	cancelWanted bool // its caller gave up; cancel it if the server runs it alone
	releaseAfter bool // the last holder let go: settle the release at its ReadyForQuery
	poisoned     bool // it ran inside a transaction nobody owns, since rolled back: fail it

	items []wire.BatchItem // a batch's commands as encoded
	pos   int              // the batch command the server is answering
}

type opKind uint8

const (
	opSimple opKind = iota
	opPrepare
	opExecute
	opClose
	opUnnamed // Parse, Bind, Describe, Execute and Sync in one flight
	opBatch   // a CmdBatch: its commands' Bind/Execute (or unnamed Parse to Execute), one Sync
)

// blocked is a batch a consumer has no room for; finish says the command
// already completed and is answered once the batch is taken.
type blocked struct {
	cmd    *Command
	batch  []RawRow
	finish bool
}

type readResult struct {
	data []byte
	err  error
	last bool // the reader stopped after this chunk (readStop); ask it again
}

type writeResult struct {
	buf []byte
	err error
}

func newLoop(a *Actor, client *wire.Client) *loop {
	size := a.cfg.StatementCacheSize
	ctx, stop := context.WithCancel(context.Background())
	return &loop{
		ctx:        ctx,
		stopCtx:    stop,
		a:          a,
		client:     client,
		writec:     make(chan []byte),
		wdone:      make(chan writeResult, 1),
		readc:      make(chan readResult, 1),
		readReq:    make(chan struct{}, 1),
		killc:      make(chan struct{}),
		cancelDone: make(chan struct{}, 1),
		quit:       make(chan struct{}),
		cache:      newStmtCache(size, &a.stmts),
	}
}

func (l *loop) start(leftover []byte) {
	_, isTLS := l.a.conn.(*tls.Conn)
	l.direct = !isTLS
	if sc, ok := l.a.conn.(syscall.Conn); ok {
		if raw, err := sc.SyscallConn(); err == nil {
			l.raw = raw
			l.writeFn = l.writeFD // made once: a method value allocates
		}
	}
	l.wg.Add(2)
	go l.readLoop()
	go l.writeLoop()
	go l.run(leftover)
}

func (l *loop) publishParams() {
	m := map[string]string{}
	for _, k := range []string{"server_version", "client_encoding", "TimeZone", "standard_conforming_strings",
		"integer_datetimes", "application_name", "is_superuser", "session_authorization", "DateStyle",
		"IntervalStyle", "in_hot_standby", "default_transaction_read_only", "server_encoding"} {
		if v := l.client.ServerParameter(k); v != "" {
			m[k] = v
		}
	}
	l.a.params.Store(&m)
}

// run is the loop goroutine.
func (l *loop) run(leftover []byte) {
	a := l.a
	var cause error
	defer func() { l.shutdown(cause) }()
	if len(leftover) > 0 {
		l.client.Receive(leftover)
		if cause = l.processEvents(); cause != nil {
			return
		}
	}
	ctl, data := a.mb.Control(), a.mb.Receive()
	fast := 0        // turns taken by the fast path since the last full select
	yielded := false // the loop yielded once before its next read of its own
	l.idleTimer = time.NewTimer(time.Hour)
	l.idleTimer.Stop()
	defer l.idleTimer.Stop()
	defer func() {
		if l.cancelRetry != nil {
			l.cancelRetry.Stop()
		}
	}()
	for {
		// Control first: cancels and close must not wait behind work.
		l.ctlSeen = a.ctlSeq.Load()
		select {
		case m, ok := <-ctl:
			if !ok {
				ctl = nil
			} else {
				l.control(m)
			}
			if cause = l.flush(); cause != nil { // a cancel may end a COPY
				return
			}
			continue
		default:
		}
		if data == nil && l.inFlight() == 0 && l.paused == nil && !l.writing && len(l.backlog) == 0 {
			cause = l.terminate()
			return
		}

		var recv <-chan message
		if l.inFlight() < a.cfg.MaxInFlight && l.preparing == nil {
			if len(l.backlog) > 0 {
				// What was moved out of the mailbox goes first.
				l.acceptBacklog()
				if cause = l.flush(); cause != nil {
					return
				}
				continue
			}
			recv = data
		}
		var copyc <-chan []byte
		if l.copying != nil && len(l.wbuf) < copyHighWater {
			copyc = l.copying.CopySource
		}
		var readc <-chan readResult
		var unblock chan<- []RawRow
		var canceled <-chan struct{}
		var batch []RawRow
		var idle <-chan time.Time
		if l.paused == nil {
			readc = l.readc
		} else {
			unblock = l.paused.cmd.Rows.In()
			canceled = l.paused.cmd.Rows.Canceled()
			batch = l.paused.batch
		}

		fromServer := false                 // this turn took server data
		arrived := false                    // this turn only took new commands (or freed the writer)
		fresh := len(l.wbuf) == l.heldBytes // nothing but held-back commands waits to go out

		// The turns of a busy connection are nearly all server data or new
		// commands: look for those first without the full select, which
		// locks every channel it waits on. A full select every fastTurns
		// turns keeps every other input from waiting long behind them.
		if fast < fastTurns {
			fast++
			if r, got := tryRead(readc); got {
				fromServer = true
				l.readerBusy = !r.last
				if cause = l.received(r); cause != nil {
					return
				}
				goto turned
			}
			if m, ok, got := tryRecv(recv); got {
				if !ok {
					data = nil
				} else {
					arrived = fresh
					data = l.acceptAll(m, data)
				}
				goto turned
			}
		}
		fast = 0
		if l.readerBusy && !l.readStop.Load() && l.couldReadDirect() {
			// Take the socket back from the reader after its next chunk.
			l.readStop.Store(true)
		}
		if l.canReadDirect() {
			if !yielded && l.inFlight() > 1 {
				// More answers are coming: let the callers answered this
				// turn run first and send their next commands, so that
				// they go out in one write, and so that more answers wait
				// to be read at once.
				yielded = true
				runtime.Gosched()
				continue
			}
			yielded, fromServer = false, true
			if cause = l.readDirect(); cause != nil {
				return
			}
			goto turned
		}
		if l.paused == nil && !l.readerBusy {
			if l.inFlight() > 0 || l.writing || l.copying != nil || !l.directOK() {
				l.askReader()
			} else {
				idle = l.armIdle()
			}
		}
		select {
		case <-idle:
			// Nothing asked of the server for a while: let the reader
			// watch the socket (notifications, a server going away).
			l.idleArmed = false
			l.askReader()
		case m, ok := <-ctl:
			if !ok {
				ctl = nil
			} else {
				l.control(m)
			}
		case m, ok := <-recv:
			if !ok {
				data = nil
				break
			}
			arrived = fresh
			data = l.acceptAll(m, data)
		case r := <-readc:
			fromServer = true
			l.readerBusy = !r.last
			if cause = l.received(r); cause != nil {
				return
			}
		case unblock <- batch:
			l.unpause(true)
			if cause = l.processEvents(); cause != nil {
				return
			}
		case <-canceled:
			l.unpause(false)
			if cause = l.processEvents(); cause != nil {
				return
			}
		case w := <-l.wdone:
			l.writing = false
			l.spare = w.buf[:0]
			if l.writingBase != nil {
				// The writer had the tail of a buffer: the whole of it
				// is free again, not just what the tail could hold.
				l.spare, l.writingBase = l.writingBase, nil
			}
			if w.err != nil {
				cause = w.err
				return
			}
			arrived = fresh // the writer is free: held-back commands still wait for the server
		case chunk, ok := <-copyc:
			l.copyChunk(chunk, ok)
		case <-l.cancelDone:
			l.cancelOut--
			if h := l.head(); h != nil {
				if h.cancelSent {
					l.armCancelRetry(h)
				} else {
					l.tryCancel(h)
				}
			}
		case <-l.retryC:
			l.retryC = nil
			l.retryCancel()
		case <-l.killc:
			cause = l.killCause
			return
		}
	turned:
		if arrived && !l.ownedArrived && l.serverBusy() && len(l.wbuf) < coalesceMax {
			// Coalesce: see serverBusy.
			l.heldBytes = len(l.wbuf)
			continue
		}
		if fromServer && l.heldBytes > 0 && len(l.wbuf) == l.heldBytes && !l.ownedArrived &&
			len(l.wbuf) < coalesceMax && l.serverQueue() >= keepFed {
			// Answers came, but the server still has enough to do: the
			// held-back commands wait for more of them to join.
			continue
		}
		if cause = l.flush(); cause != nil {
			return
		}
	}
}

// acceptBacklog accepts what the backlog holds, in order, as far as the
// pipeline has room.
func (l *loop) acceptBacklog() {
	n := 0
	for n < len(l.backlog) && l.inFlight() < l.a.cfg.MaxInFlight && l.preparing == nil {
		c := l.backlog[n]
		l.backlog[n] = nil
		n++
		l.accept(c)
	}
	l.backlog = l.backlog[n:]
	if len(l.backlog) == 0 {
		l.backlog = nil
	}
	l.a.backlog.Store(int64(len(l.backlog)))
}

// coalesceMax bounds the bytes of new commands held back while the server
// is busy with earlier ones.
const coalesceMax = 64 << 10

// keepFed is the number of commands written and not yet answered below
// which held-back commands go out as soon as answers arrive; above it they
// wait for more answers, so that more of them go out in one write.
// Measured with 64 goroutines on 4 and 16 connections: writes per query
// fell from 0.38 to 0.09.
const keepFed = 4

// serverQueue returns the number of commands written and not yet answered.
func (l *loop) serverQueue() int { return l.inFlight() - int(l.encodedSeq-l.wroteUpTo) }

// serverBusy reports whether the server is running a command we wrote and
// has not answered it yet. New commands then wait in the write buffer
// until something arrives from the server, and go out together: the server
// runs one connection's commands one after the other, so they could not
// start earlier anyway, and one write of many commands costs the server one
// read instead of one per command. A command sent while nothing is in
// flight goes out at once, so a lone query waits for nothing. Only turns
// that took new commands of nobody in particular hold back (a holder's
// commands are one caller's pipelined unit of work, and the connection is
// theirs alone): bytes the server may be waiting for
// (COPY data, the next Execute of a paged portal, a CopyFail) go out with
// every other turn.
func (l *loop) serverBusy() bool {
	h := l.head()
	return h != nil && h.seq <= l.wroteUpTo && l.copying == nil && !l.client.Copying()
}

// lingering reports whether the server has been running the head command
// for defaultLingerAfter or longer with nothing of another command written
// behind it. Nothing more is written behind such a command until it ends:
// should its caller give up on it, a CancelRequest can then stop it without
// the risk of reaching a command written behind it (see cancelable). The
// server could not start those commands earlier anyway. A head with
// commands written behind it already cannot be cancelled, so holding more
// back would only cost a round trip: a busy server, slow to finish each of
// a deep pipeline's commands, keeps getting them.
func (l *loop) lingering() bool {
	after := l.a.cfg.lingerAfter
	return after >= 0 && l.serverBusy() && time.Duration(monotonic()-l.a.progress.Load()) >= after &&
		!l.writtenBehind(l.head())
}

// defaultLingerAfter is how long the head command runs before lingering holds
// what would be written behind it.
const defaultLingerAfter = time.Millisecond

// fastTurns bounds the turns run's fast path takes in a row.
const fastTurns = 16

// acceptAll accepts m's command and whatever else waits in data, so it all
// goes out in one write; it returns data, nil once the mailbox closed.
func (l *loop) acceptAll(m message, data <-chan message) <-chan message {
	l.accept(m.cmd)
	for l.inFlight() < l.a.cfg.MaxInFlight && l.preparing == nil {
		m, ok, got := tryRecv(data)
		if !got {
			break
		}
		if !ok {
			return nil
		}
		l.accept(m.cmd)
	}
	return data
}

// received hands a chunk from the reader to the wire client and its
// events to their commands.
func (l *loop) received(r readResult) error {
	if r.err != nil {
		return r.err
	}
	l.client.Receive(r.data)
	return l.processEvents()
}

func tryRead(c <-chan readResult) (r readResult, got bool) {
	if c == nil {
		return r, false
	}
	select {
	case r = <-c:
		return r, true
	default:
		return r, false
	}
}

func tryRecv(c <-chan message) (m message, ok, got bool) {
	if c == nil {
		return m, false, false
	}
	select {
	case m, ok = <-c:
		return m, ok, true
	default:
		return m, false, false
	}
}

// flush hands what this turn encoded to the writer, if it is idle.
func (l *loop) flush() error {
	l.heldBytes, l.ownedArrived = 0, false
	if out := l.client.NeededSync(); len(out) > 0 {
		l.wbuf = append(l.wbuf, out...)
		l.urgent = true
	}
	if l.writing || len(l.wbuf) == 0 {
		return nil
	}
	if !l.urgent && (l.cancelOut > 0 || l.lingering()) {
		return nil // only commands behind the head wait: see cancelable
	}
	l.urgent = false
	if l.raw != nil {
		// Most writes fit in the socket buffer: try one that cannot block,
		// and save the hop to the writer goroutine.
		n, err := l.tryWrite(l.wbuf)
		if err != nil {
			return fmt.Errorf("write to server: %w", err)
		}
		l.wrote()
		if n == len(l.wbuf) {
			l.wbuf = l.wbuf[:0]
			return nil
		}
		// The rest goes to the writer, which may block on it.
		rest := l.wbuf[n:]
		l.writingBase = l.wbuf[:0]
		l.wbuf = l.spare
		l.spare = nil
		l.wbuf = l.wbuf[:0]
		select {
		case l.writec <- rest:
		case <-l.killc:
			return l.killCause
		}
		l.writing = true
		return nil
	}
	select {
	case l.writec <- l.wbuf:
	case <-l.killc:
		return l.killCause
	}
	l.writing = true
	l.wrote()
	l.wbuf = l.spare
	l.spare = nil
	return nil
}

// wrote marks every command encoded so far as written, telling OnWritten
// how long each waited since it was sent.
func (l *loop) wrote() {
	if p := l.a.onWritten.Load(); p != nil {
		now := monotonic()
		for i := l.inFlight() - 1; i >= 0; i-- {
			e := l.at(i)
			if e == nil {
				continue
			}
			if e.seq <= l.wroteUpTo {
				break
			}
			if c := e.cmd; c != nil && c.sentAt != 0 {
				(*p)(time.Duration(now - c.sentAt))
				c.sentAt = 0 // once, though it may have several entries
			}
		}
	}
	l.wroteUpTo = l.encodedSeq
}

// tryWrite writes what the socket takes without waiting: the descriptor
// is non-blocking, so a full socket buffer answers EAGAIN at once.
func (l *loop) tryWrite(b []byte) (int, error) {
	l.wr.b, l.wr.n, l.wr.err = b, 0, nil
	err := l.raw.Write(l.writeFn)
	n, werr := l.wr.n, l.wr.err
	l.wr.b = nil
	if err != nil {
		return 0, err
	}
	if werr == syscall.EAGAIN {
		return 0, nil
	}
	if werr != nil {
		return 0, werr
	}
	return n, nil
}

// writeFD is the RawConn callback of tryWrite.
func (l *loop) writeFD(fd uintptr) bool {
	for {
		l.wr.n, l.wr.err = syscall.Write(int(fd), l.wr.b)
		if l.wr.err != syscall.EINTR {
			return true // never ask the runtime to wait: that would block the loop
		}
	}
}

// copyHighWater bounds the COPY data the loop encodes ahead of the socket:
// past it, the loop stops reading the copy source until the writer catches up.
const copyHighWater = 64 << 10

// copyBufSize is the write buffer COPY data makes room for: the high water
// mark and one chunk of the size CopyFrom makes (64 KiB and a row).
const copyBufSize = copyHighWater + 72<<10

// copyChunk sends one chunk of COPY data, or ends the copy when the source
// is closed.
func (l *loop) copyChunk(chunk []byte, ok bool) {
	c := l.copying
	var err error
	l.urgent = true
	if ok {
		if need := len(l.wbuf) + len(chunk) + 5; need > cap(l.wbuf) && need <= copyBufSize {
			// Once to the size COPY needs, rather than doubling on the
			// way there: the two write buffers keep it for later copies.
			b := make([]byte, len(l.wbuf), copyBufSize)
			copy(b, l.wbuf)
			l.wbuf = b
		}
		l.wbuf, err = l.client.CopyData(l.wbuf, chunk)
		if c.CopyRecycle != nil {
			select {
			case c.CopyRecycle <- chunk[:0]:
			default:
			}
		}
	} else {
		reason := ""
		if c.CopyErr != nil {
			if perr := c.CopyErr(); perr != nil {
				reason = "COPY data source failed: " + perr.Error()
			}
		}
		l.copying = nil
		l.wbuf, err = l.client.EndCopy(l.wbuf, reason)
	}
	if err != nil && l.copying == c {
		// A chunk over 1 GiB: abort the copy with the reason.
		l.copying = nil
		l.wbuf, _ = l.client.EndCopy(l.wbuf, err.Error())
	}
}

// control handles a message from the control lane.
func (l *loop) control(m message) {
	switch m.ctl {
	case ctlClose:
		// Only a wake-up: the mailbox closing is what ends the loop, once
		// everything accepted before it has run.
	case ctlCancel:
		l.cancel(m.cmd)
	case ctlCancelCtx:
		l.contextEnded(m.ctx)
	case ctlDrain:
		l.drainEnded()
	}
}

// readLoop is the reader goroutine. Asked to read (askReader), it reads
// chunk after chunk until the loop wants the socket back (readStop), and
// marks the chunk it stops after. It reads into slabs and hands out
// disjoint pieces of them; nothing writes to a piece once handed out, which
// is what lets rows be views into it.
func (l *loop) readLoop() {
	defer l.wg.Done()
	for {
		select {
		case <-l.readReq:
		case <-l.quit:
			return
		}
		for {
			if l.a.inFlight.Load() > 1 {
				// More answers are coming: let the loop and the callers
				// it answered run first, so that this read takes more of
				// them at once.
				runtime.Gosched()
			}
			r := l.readChunk()
			r.last = l.readStop.Load()
			select {
			case l.readc <- r:
			case <-l.quit:
				return
			}
			if r.err != nil {
				return
			}
			if r.last {
				break
			}
		}
	}
}

// readChunk reads what the socket has (waiting for something) into the
// slab and cuts it off, for the reader. A read deadline only ever
// interrupts a read of the loop's own (interruptRead); one that reaches
// the reader was set too late, and is cleared.
func (l *loop) readChunk() readResult {
	for {
		if r, _ := l.readChunkOnce(); r.data != nil || r.err != nil {
			return r
		}
	}
}

// askReader has the reader read until readStop.
func (l *loop) askReader() {
	l.disarmIdle()
	l.readStop.Store(false)
	l.readerBusy = true
	l.readReq <- struct{}{} // never blocks: the reader answers before it is asked again
}

// directOK reports whether the loop may read the socket itself: not under
// TLS, where a read that a deadline ended is not to be trusted to leave the
// stream intact.
func (l *loop) directOK() bool { return l.direct }

// canReadDirect reports whether the loop has nothing to wait for but the
// server: commands in flight, all their bytes written (or held back while
// the server is busy, see serverBusy), no consumer to wait for, no COPY
// data to pass on, no write under way or held back while a CancelRequest
// is on its way, and the reader not reading.
// Commands arriving meanwhile wait in the mailbox until the server answers;
// a control message or a kill interrupts the read (interruptRead).
func (l *loop) canReadDirect() bool { return !l.readerBusy && l.couldReadDirect() }

// couldReadDirect is canReadDirect but for the reader.
func (l *loop) couldReadDirect() bool {
	return l.directOK() && l.paused == nil && !l.writing &&
		l.copying == nil && !l.client.Copying() && l.inFlight() > 0 &&
		len(l.wbuf) == l.heldBytes && l.cancelOut == 0
}

// readDirect reads the socket on the loop's goroutine until the server
// sends something or interruptRead ends the wait.
func (l *loop) readDirect() error {
	a := l.a
	l.disarmIdle()
	a.directSince.Store(monotonic())
	a.nudged.Store(false)
	a.directReading.Store(true)
	// Checked after the store, as interruptRead checks the flag after its
	// own: one of the two sides always sees the other.
	if a.killed.Load() {
		a.directReading.Store(false)
		return l.killCause // written before killed was set
	}
	if a.ctlSeq.Load() != l.ctlSeen {
		a.directReading.Store(false)
		return nil // the next turn takes it
	}
	r, interrupted := l.readChunkOnce()
	a.directReading.Store(false)
	a.directReads.Add(1)
	if !interrupted && a.nudged.Load() {
		a.conn.SetReadDeadline(time.Time{}) // the server answered first
	}
	if interrupted {
		// Something wants the loop while the server is slow to answer:
		// the reader waits for the server from now on (until the next
		// answer), so that the loop is free for whatever comes.
		l.askReader()
	}
	if r.data != nil {
		l.client.Receive(r.data)
		if err := l.processEvents(); err != nil {
			return err
		}
	}
	if r.err == nil && a.killed.Load() {
		return l.killCause
	}
	return r.err
}

// readChunkOnce is readChunk for the loop: a deadline (interruptRead) ends
// it with whatever came, and reports it.
func (l *loop) readChunkOnce() (readResult, bool) {
	size := l.a.cfg.ReadBufferSize
	if len(l.slab) < size/16 {
		l.slab = make([]byte, size)
	}
	n, err := l.a.conn.Read(l.slab)
	var r readResult
	if n > 0 {
		r.data = l.slab[:n:n]
		l.slab = l.slab[n:]
	}
	if err != nil {
		if errors.Is(err, os.ErrDeadlineExceeded) {
			l.a.conn.SetReadDeadline(time.Time{})
			return r, true
		}
		r.err = readError(err)
	}
	return r, false
}

// armIdle starts the wait after which an idle connection's socket is
// handed to the reader, and returns its channel.
func (l *loop) armIdle() <-chan time.Time {
	if !l.idleArmed {
		l.idleTimer.Reset(l.a.cfg.idleWatchAfter)
		l.idleArmed = true
	}
	return l.idleTimer.C
}

// disarmIdle stops the idle wait: the connection is busy again.
func (l *loop) disarmIdle() {
	if l.idleArmed {
		l.idleTimer.Stop()
		l.idleArmed = false
	}
}

// defaultIdleWatchAfter is how long an idle connection's socket goes unread
// (a notification or a server's goodbye waits that long at most): a
// command that comes sooner is answered through the loop's own read, one
// hop shorter than through the reader.
const defaultIdleWatchAfter = 200 * time.Microsecond

func readError(err error) error {
	if errors.Is(err, net.ErrClosed) {
		return fmt.Errorf("read: %w", err)
	}
	return fmt.Errorf("read from server: %w", err)
}

// writeLoop is the writer goroutine: one socket write per buffer.
func (l *loop) writeLoop() {
	defer l.wg.Done()
	for {
		select {
		case b := <-l.writec:
			_, err := l.a.conn.Write(b)
			if err != nil {
				err = fmt.Errorf("write to server: %w", err)
			}
			l.wdone <- writeResult{buf: b, err: err}
			if err != nil {
				return
			}
		case <-l.quit:
			return
		}
	}
}

// newStream is a helper for callers building commands.
func NewRowStream(bufferedBatches int) *futures.Stream[RawRow] {
	if bufferedBatches <= 0 {
		bufferedBatches = 4
	}
	return futures.NewStream[RawRow](bufferedBatches)
}
