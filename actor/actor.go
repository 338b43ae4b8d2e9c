// Package actor runs one PostgreSQL connection as an actor: a loop
// goroutine that alone owns the sans-IO wire.Client, a reader goroutine that
// turns the socket into byte chunks when the loop asks it to, and a writer
// goroutine for writes that do not fit in the socket's buffer at once.
//
// The loop reads the socket itself while it waits for nothing but the
// server (commands in flight, all written, no consumer to wait for, no
// COPY; not under TLS): an answer then reaches the caller in one goroutine
// hop instead of two. Commands that arrive meanwhile wait in the mailbox
// until the server answers (it could not run them sooner), and a control
// message (a cancel, Close) or a kill ends the read through a read
// deadline. Otherwise, and for an idle connection after a short while,
// the reader reads, so the socket is always watched.
//
// Callers hand the actor Commands through a bounded mailbox and learn the
// outcome from futures and row streams; no lock guards the connection.
// Every command carries its own Sync, so commands from many goroutines are
// pipelined: all the commands the loop picks up in one turn go out in one
// write. What is in flight lives in one FIFO, the wire client's own: each
// wire command carries the loop's entry for it as its tag.
//
// The loop never blocks on I/O. A slow row consumer makes it stop reading
// the socket (so the server slows down through TCP), never grow memory; a
// server flooding rows can never deadlock against callers flooding commands.
//
// Cancellation never hits a bystander: a command whose context ends before
// it is written is dropped; its caller is answered at once in every case. The
// server acts on a CancelRequest by stopping whatever it runs when the
// signal arrives, so one goes out only when that can be nothing but its
// target: the target is the command the server is running, nothing of
// another command was written behind it, and nothing is written until the
// server acted on the request. A command written with others behind it runs
// to its end instead, its answer discarded. So that a long command stays
// cancellable, nothing is written behind a command the server has run for a
// millisecond or more while nothing was written behind it yet (those
// commands could not start earlier anyway). A request the server ignored
// (it arrived before the backend read its command) is sent again while the
// command runs on: after a second, then at doubling intervals. Should
// a cancel still arrive late (a pooler relaying it) and stop a later command,
// that is detected (SQLSTATE 57014 on a command nobody cancelled) and the
// command runs again, when it ran alone in its implicit transaction and
// delivered no rows yet.
//
// Death is total: a socket error, EOF, a FATAL error or a protocol violation
// fails every queued and in-flight command with an error wrapping the cause
// and ErrClosed, and all three goroutines exit.
package actor

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pgactor/pgactor/futures"
	"github.com/pgactor/pgactor/mailbox"
	"github.com/pgactor/pgactor/wire"
	"github.com/pgactor/pgactor/wire/codec"
)

// Dialer opens connections; *net.Dialer is one.
type Dialer interface {
	DialContext(ctx context.Context, network, address string) (net.Conn, error)
}

// Config configures one connection.
type Config struct {
	Network string // "tcp" or "unix"
	Address string // "host:port" or a socket path

	Wire wire.Config

	// Types is the registry arguments are encoded with, and the one that
	// chooses the result formats asked for (binary where it decodes a type
	// in binary); nil means codec.Default().
	Types *codec.Registry

	// TLS, when set, makes the actor send SSLRequest and run crypto/tls.
	// With TLSRequired a server that refuses TLS is an error; without it the
	// connection goes on in plaintext (sslmode=prefer).
	TLS         *tls.Config
	TLSRequired bool

	// MaxInFlight bounds the commands on the wire at once; more wait in the
	// mailbox. Default 1024.
	MaxInFlight int
	// MailboxSize bounds the commands waiting to be picked up. Default 1024.
	MailboxSize int
	// RowBatchSize is the number of rows per batch sent to a consumer.
	// Default 256.
	RowBatchSize int
	// StreamBuffer is the number of batches a consumer may have buffered.
	// Default 4.
	StreamBuffer int
	// ReadBufferSize is the size of the slabs the reader reads into.
	// Default 64 KiB.
	ReadBufferSize int
	// StatementCacheSize bounds the named prepared statements kept per
	// connection; 0 means the default, 512, and a negative value disables
	// caching (statements are prepared unnamed each time).
	StatementCacheSize int
	// UnnamedStatements makes CmdQuery send Parse, Bind, Describe, Execute
	// and Sync in one flight on the unnamed statement, caching nothing:
	// the mode for PgBouncer in transaction mode. Results come in text.
	UnnamedStatements bool
	// Statements, when set, is shared by the connections of one pool: once
	// any of them sees a pooler in transaction mode, all of them switch to
	// unnamed statements. Nil gives the connection a mode of its own.
	Statements *StatementMode

	// DisableChannelBinding keeps SCRAM-SHA-256-PLUS from being used even
	// over TLS (libpq's channel_binding=disable).
	DisableChannelBinding bool

	// OnNotification and OnNotice, when set, are called from the loop
	// goroutine; they must not block.
	OnNotification func(*wire.NotificationResponse)
	OnNotice       func(*wire.ErrorOrNoticeResponse)

	// lingerAfter is how long the head command runs before nothing more
	// is written behind it (see lingering); negative: never. Zero means
	// defaultLingerAfter. Tests with scripted backends that read every
	// command before answering turn it off (export_test.go).
	lingerAfter time.Duration
	// cancelRetryAfter is how long a command cancelled with a
	// CancelRequest the server acted on may run on before the request is
	// sent again (see retryCancel); zero means defaultCancelRetryAfter.
	cancelRetryAfter time.Duration
	// idleWatchAfter is how long an idle connection's socket goes unread
	// before the reader watches it; zero means defaultIdleWatchAfter.
	idleWatchAfter time.Duration
}

func (c *Config) setDefaults() {
	if c.Network == "" {
		c.Network = "tcp"
	}
	if c.MaxInFlight <= 0 {
		c.MaxInFlight = 1024
	}
	if c.MailboxSize <= 0 {
		c.MailboxSize = 1024
	}
	if c.RowBatchSize <= 0 {
		c.RowBatchSize = 256
	}
	if c.StreamBuffer <= 0 {
		c.StreamBuffer = 4
	}
	if c.ReadBufferSize <= 0 {
		c.ReadBufferSize = 64 << 10
	}
	if c.StatementCacheSize == 0 {
		c.StatementCacheSize = 512
	}
	if c.Statements == nil {
		c.Statements = &StatementMode{}
	}
	if c.lingerAfter == 0 {
		c.lingerAfter = defaultLingerAfter
	}
	if c.cancelRetryAfter <= 0 {
		c.cancelRetryAfter = defaultCancelRetryAfter
	}
	if c.idleWatchAfter <= 0 {
		c.idleWatchAfter = defaultIdleWatchAfter
	}
	if c.UnnamedStatements || c.StatementCacheSize < 0 {
		c.Statements.unnamed.Store(true)
	}
}

// Errors callers test with errors.Is.
var (
	// ErrClosed is wrapped by every error caused by the connection closing
	// or dying.
	ErrClosed = errors.New("actor: connection closed")
	// ErrCanceled is wrapped (with the context's error) when a command's
	// context ended.
	ErrCanceled = errors.New("actor: command canceled")
)

// ConnError reports that a command failed because the connection ended.
// SafeToRetry is true when the command's bytes never reached the writer, so
// running it elsewhere cannot run it twice.
type ConnError struct {
	Cause       error
	SafeToRetry bool
}

func (e *ConnError) Error() string {
	s := "actor: connection closed"
	if e.SafeToRetry {
		s += " (command not sent)"
	}
	if e.Cause != nil {
		s += ": " + e.Cause.Error()
	}
	return s
}

func (e *ConnError) Unwrap() []error { return []error{ErrClosed, e.Cause} }

// SafeToRetry reports whether err says the command had no effect on the
// server: it was never sent, or it failed before doing anything and the
// actor did not run it again itself (a RetryError).
func SafeToRetry(err error) bool {
	var ce *ConnError
	if errors.As(err, &ce) && ce.SafeToRetry {
		return true
	}
	var re *RetryError
	return errors.As(err, &re)
}

// Actor is one running connection. Its methods are safe for concurrent use.
type Actor struct {
	cfg    Config
	dialer Dialer
	conn   net.Conn
	mb     *mailbox.Mailbox[message]

	pid, secret uint32

	// Observable state, written by the loop, read by anyone.
	inFlight atomic.Int64
	held     atomic.Int64 // commands waiting inside the actor for the holder to let go
	// Watching from Send (watch.go): the watch the loop last used, the
	// commands in the mailbox it took in, the commands the loop moved out
	// of the mailbox and not yet took, and a drain asked for.
	lastWatch   atomic.Pointer[ctxWatch]
	sentWatched atomic.Int64
	backlog     atomic.Int64
	drainAsked  atomic.Bool
	pinned      atomic.Bool  // an owner holds the connection (a routing hint, never a guard)
	progress    atomic.Int64 // monotonic nanoseconds: last completion, or start of work after idling
	svc         atomic.Int64 // nanoseconds per command finished while busy, smoothed (ServiceTime)
	svcFloor    atomic.Int64 // the shortest such reading lately (ServiceFloor)
	alive       atomic.Bool
	txStatus    atomic.Uint32
	params      atomic.Pointer[map[string]string]
	deathErr    atomic.Pointer[error]

	// What callers encode arguments with: the registry, and the statement
	// descriptions the loop has cached (SQL → *wire.PreparedStatementInfo).
	reg   *codec.Registry
	stmts sync.Map

	done      chan struct{} // closed when every goroutine has exited
	closeOnce sync.Once
	cancelWG  sync.WaitGroup // CancelRequest goroutines
	cancels   atomic.Int64   // CancelRequests written
	onWritten atomic.Pointer[func(time.Duration)]

	// The loop reading the socket itself (readDirect) is woken by a read
	// deadline: interruptRead sets one when a control message was sent
	// (ctlSeq counts them) or the actor was killed.
	directReading atomic.Bool
	directSince   atomic.Int64  // monotonic() when the loop began its read
	nudged        atomic.Bool   // a command came during the read: its deadline is set (nudge)
	directReads   atomic.Uint64 // reads the loop made itself, for tests
	ctlSeq        atomic.Uint64
	killed        atomic.Bool

	loop *loop
}

type ctlKind uint8

const (
	ctlNone ctlKind = iota
	ctlCancel
	ctlCancelCtx // a watched context ended (watch.go)
	ctlClose
	ctlDrain // a context of a command watched since Send ended (watch.go)
)

// message is what travels through the mailbox.
type message struct {
	cmd *Command
	ctl ctlKind
	ctx context.Context // of ctlCancelCtx
}

// Connect dials cfg.Address, negotiates TLS when asked, runs startup and
// authentication, and returns a running actor.
func Connect(ctx context.Context, dialer Dialer, cfg Config) (*Actor, error) {
	cfg.setDefaults()
	if dialer == nil {
		dialer = &net.Dialer{}
	}
	conn, err := dialer.DialContext(ctx, cfg.Network, cfg.Address)
	if err != nil {
		return nil, fmt.Errorf("actor: dial %s %s: %w", cfg.Network, cfg.Address, err)
	}
	conn, client, leftover, err := startup(ctx, conn, &cfg)
	if err != nil {
		conn.Close()
		return nil, err
	}
	a := &Actor{
		cfg:    cfg,
		dialer: dialer,
		conn:   conn,
		mb:     mailbox.NewWithControl[message](cfg.MailboxSize, cfg.MaxInFlight+cfg.MailboxSize+16),
		done:   make(chan struct{}),
		reg:    cfg.Types,
	}
	if a.reg == nil {
		a.reg = codec.Default()
	}
	a.pid, a.secret = client.BackendKey()
	a.alive.Store(true)
	a.progress.Store(monotonic())
	a.txStatus.Store(uint32(client.TxStatus()))
	a.loop = newLoop(a, client)
	a.loop.publishParams()
	a.loop.start(leftover)
	return a, nil
}

// Send encodes cmd's arguments and queues cmd, waiting while the mailbox
// is full. The arguments are read before Send returns (see encode.go).
// Send returns an error (and resolves nothing) when ctx ends, the actor is
// closed or the arguments cannot be encoded; otherwise the command's
// futures will be resolved.
func (a *Actor) Send(ctx context.Context, cmd *Command) error {
	if ctx == nil {
		ctx = context.Background()
	}
	if err := a.encodeArgs(cmd); err != nil {
		return err
	}
	return a.send(ctx, cmd)
}

// send queues cmd as it is.
func (a *Actor) send(ctx context.Context, cmd *Command) error {
	if err := cmd.prepareSend(ctx); err != nil {
		return err
	}
	// The loop watches the command's context from the moment it takes the
	// command, or from now when it watches that context already
	// (watch.go); one whose context ends before then it drops.
	if a.onWritten.Load() != nil {
		cmd.sentAt = monotonic()
	}
	w := a.watchFromSend(ctx, cmd)
	if err := a.mb.Send(ctx, message{cmd: cmd}); err != nil {
		if w != nil {
			a.unwatchUnsent(cmd, w)
		}
		if errors.Is(err, mailbox.ErrClosed) {
			return &ConnError{Cause: a.deathCause(), SafeToRetry: true}
		}
		return fmt.Errorf("%w: %w", ErrCanceled, err)
	}
	if w != nil && ctx.Err() != nil {
		// The context ended around the send: the loop may have looked for
		// its commands before this one arrived.
		a.wantDrain()
	}
	a.nudge()
	return nil
}

// nudge limits a read of the loop's own, now that a command waits for the
// loop, to directPatience from its start (the first command in the read
// sets the deadline, the others find it set): should the server not answer
// by then, the loop takes what waits and leaves the socket to the reader
// until the server answers. A long query must not keep the commands queued
// behind it from being taken, their contexts watched, their Prepares
// written.
func (a *Actor) nudge() {
	if !a.directReading.Load() || !a.nudged.CompareAndSwap(false, true) {
		return
	}
	wait := time.Duration(int64(directPatience) - (monotonic() - a.directSince.Load()))
	if wait <= 0 {
		a.conn.SetReadDeadline(longAgo)
		return
	}
	a.conn.SetReadDeadline(time.Now().Add(wait))
}

// directPatience is how long a read of the loop's own may keep commands
// waiting in the mailbox.
const directPatience = time.Millisecond

// Cancel stops cmd as the end of its context would, for a caller that
// walked away from a command whose context lives on: a command not yet
// written is dropped, one the server is running alone gets a
// CancelRequest (see the package documentation), and the command is
// answered with ErrCanceled. Best effort: it does nothing
// once the command is answered or the actor is closing.
func (a *Actor) Cancel(cmd *Command) {
	cmd.cancelAsked.Store(true)
	a.sendControl(message{cmd: cmd, ctl: ctlCancel})
}

// sendControl puts m on the control lane and wakes the loop should it be
// reading the socket itself.
func (a *Actor) sendControl(m message) error {
	err := a.mb.SendControl(m)
	a.ctlSeq.Add(1)
	a.interruptRead()
	return err
}

// interruptRead ends a read of the loop's own (readDirect), so that it
// looks at what was sent to it.
func (a *Actor) interruptRead() {
	if a.directReading.Load() {
		a.conn.SetReadDeadline(longAgo)
	}
}

var longAgo = time.Unix(1, 0)

// Do is Send, resolving cmd with the error when it cannot be queued, so the
// caller only ever waits on the command's futures.
func (a *Actor) Do(ctx context.Context, cmd *Command) {
	if err := a.Send(ctx, cmd); err != nil {
		if cmd.Owner != 0 && !errors.Is(err, ErrClosed) {
			// The holder lost a command the loop never saw: tell it, in
			// order with the holder's later commands (RollbackSQL).
			a.send(context.WithoutCancel(ctx), &Command{Kind: cmdLost, Owner: cmd.Owner})
		}
		cmd.fail(err)
	}
}

func (a *Actor) deathCause() error {
	if p := a.deathErr.Load(); p != nil {
		return *p
	}
	return errors.New("actor is closing")
}

// Close waits for queued and in-flight commands to finish, sends Terminate
// and closes the socket. If ctx ends first the connection is cut at once
// and every remaining command fails. Close is safe to call more than once
// and concurrently with commands; it returns once all goroutines exited.
func (a *Actor) Close(ctx context.Context) error {
	a.closeOnce.Do(func() {
		a.sendControl(message{ctl: ctlClose})
		a.mb.Close()
	})
	select {
	case <-a.done:
		return nil
	case <-ctx.Done():
		a.kill(fmt.Errorf("close: %w", ctx.Err()))
		<-a.done
		return ctx.Err()
	}
}

// kill cuts the connection; the loop notices, fails everything and exits.
func (a *Actor) kill(cause error) {
	a.loop.killOnce.Do(func() {
		a.loop.killCause = cause
		a.killed.Store(true)
		close(a.loop.killc)
		a.interruptRead()
	})
}

// Done is closed once the actor's goroutines have all exited.
func (a *Actor) Done() <-chan struct{} { return a.done }

// Err returns why the actor died, or nil while it is alive.
func (a *Actor) Err() error {
	if a.alive.Load() {
		return nil
	}
	return a.deathCause()
}

// Alive reports whether the actor still accepts commands.
func (a *Actor) Alive() bool { return a.alive.Load() }

// InFlight returns the number of commands on the wire.
func (a *Actor) InFlight() int { return int(a.inFlight.Load()) }

// SinceProgress returns how long the actor has been working without
// finishing a command: zero when it has nothing in flight. A pool uses it to
// route around a connection stuck behind a long query.
func (a *Actor) SinceProgress() time.Duration { return a.SinceProgressAt(Now()) }

// SinceProgressAt is SinceProgress as of now, a reading of Now: one clock
// reading serves a caller looking at many actors.
func (a *Actor) SinceProgressAt(now int64) time.Duration {
	if a.inFlight.Load() == 0 {
		return 0
	}
	return time.Duration(now - a.progress.Load())
}

// ServiceTime returns how long the actor takes per command while it has
// work: the time from one completion (or from the start of work after
// idling) to the next, the shortest of the last svcReadings such readings
// (a reading covers the completions of one chunk of server data). A
// command that joins a queue of n waits at least about n times it. The
// shortest, not the mean: a pause of the machine delays one reading, slow
// commands delay them all. A pool uses it to open another connection
// before commands wait long behind slow ones. Zero until svcReadings
// readings were taken.
func (a *Actor) ServiceTime() time.Duration { return time.Duration(a.svc.Load()) }

// svcReadings is the number of readings ServiceTime takes the shortest of.
const svcReadings = 8

// ServiceFloor returns the shortest time per command the actor has read
// lately (every reading since lets it rise by 1/64): what a command takes
// when nothing else slows the connection. ServiceTime far above it says
// the connection is slowed by more than its own commands: a machine or a
// server at the limit of its CPUs, which another connection would share
// (see session's Pool). Zero until svcReadings readings were taken.
func (a *Actor) ServiceFloor() time.Duration { return time.Duration(a.svcFloor.Load()) }

// IdleFor returns how long the actor has had nothing in flight: since it
// finished its last command, or since it connected. Zero while it works.
func (a *Actor) IdleFor() time.Duration {
	if a.inFlight.Load() != 0 {
		return 0
	}
	return time.Duration(monotonic() - a.progress.Load())
}

// Now reads the clock SinceProgressAt takes: nanoseconds on the process's
// monotonic clock.
func Now() int64 { return monotonic() }

// monotonic is nanoseconds on the process's monotonic clock.
func monotonic() int64 { return int64(time.Since(epoch)) }

var epoch = time.Now()

// Queued returns the number of commands waiting: in the mailbox (or moved
// out of it, see watch.go), and inside the actor for the connection's
// holder to let go.
func (a *Actor) Queued() int { return a.mb.Len() + int(a.held.Load()) + int(a.backlog.Load()) }

// Pinned reports whether an owner holds the connection (or is letting go of
// it). It is a hint for routing, already stale when read: the actor itself
// decides, as it admits each command, whether the command may run.
func (a *Actor) Pinned() bool { return a.pinned.Load() }

// TxStatus returns the transaction status of the last ReadyForQuery:
// wire.TxIdle, wire.TxInTransaction or wire.TxFailed.
func (a *Actor) TxStatus() byte { return byte(a.txStatus.Load()) }

// ServerParameter returns a parameter the server reported.
func (a *Actor) ServerParameter(name string) string {
	if p := a.params.Load(); p != nil {
		return (*p)[name]
	}
	return ""
}

// OnWritten makes the actor call fn, on its own goroutine, with how long
// each command waited from Send until its bytes were written to the socket
// (or handed to the writer); nil stops it. fn must not block.
func (a *Actor) OnWritten(fn func(waited time.Duration)) {
	if fn == nil {
		a.onWritten.Store(nil)
		return
	}
	a.onWritten.Store(&fn)
}

// CancelsSent returns how many CancelRequests the actor has written for
// commands whose context ended while the server ran them.
func (a *Actor) CancelsSent() int64 { return a.cancels.Load() }

// BackendPID returns the server process ID of this connection.
func (a *Actor) BackendPID() uint32 { return a.pid }

// Command results.

// RawRow is one DataRow as received: Data is the message body (split it
// with wire.ParseDataRow) and Columns the description it follows. Data is a
// view into the actor's read buffers, which are never written over.
//
// In a CmdSimple command's rows, a RawRow with Data nil is no row but a
// result-set boundary: a later statement's RowDescription (Columns) came,
// and the rows after it follow that one. Completion.Columns and Described
// give the first statement's description.
type RawRow struct {
	Columns *wire.RowDescription
	Data    []byte
}

// Completion is the outcome of a command that succeeded.
type Completion struct {
	Tag     string // the last CommandComplete's tag
	Rows    int64  // its row count
	Columns *wire.RowDescription
	Info    *wire.PreparedStatementInfo // for CmdPrepare
	// Batch holds the rows of a WantRows command that needed no stream.
	Batch []RawRow
}

// Observer is where a command's outcome goes, without a closure per
// command: a command with an Observer is answered through it alone (its
// Result is never resolved), one without is answered through Result.
type Observer interface {
	// Described is called once, as soon as the command's columns are known
	// (nil for commands without rows), or with the error when the command
	// fails before that.
	Described(c *Command, rd *wire.RowDescription, err error)
	// Done is called once with the command's outcome: its completion, or
	// the error that ended it. The command's rows stream, if it has one,
	// ends right after Done returns, so a consumer that saw the stream end
	// finds what Done recorded.
	Done(c *Command, comp Completion, err error)
}

// A Releaser is an Observer that takes its command back once the actor is
// done with it: Released runs right after the command was answered (Done,
// then the end of its rows stream), on the goroutine that answered it, and
// nothing of the actor looks at the command after that. If c.Reusable() then reports true, the
// command's memory is the Releaser's to use again; otherwise it must be
// left to the garbage collector.
type Releaser interface {
	Released(c *Command)
}

// Kind says what a Command asks for.
type Kind uint8

// The command kinds.
const (
	// CmdQuery runs SQL with Args through the extended protocol, preparing
	// it once per connection and caching the statement.
	CmdQuery Kind = iota
	// CmdSimple runs SQL through the simple protocol (no Args).
	CmdSimple
	// CmdPrepare prepares SQL (under Name, "" for unnamed) and resolves with
	// Completion.Info.
	CmdPrepare
	// CmdExecute binds Args to Stmt and executes it.
	CmdExecute
	// CmdCloseStatement deallocates the named statement Name.
	CmdCloseStatement
	// CmdCopyIn runs SQL, a COPY ... FROM STDIN, and sends what arrives
	// on CopySource as its data; commands behind it wait until it ends.
	CmdCopyIn
	// CmdCopyOut runs SQL, a COPY ... TO STDOUT, over the simple protocol
	// and delivers each CopyData payload as a RawRow (Columns nil) on Rows,
	// with the same batching and backpressure as query rows.
	CmdCopyOut
	// CmdPin sends nothing: it takes the connection for Pin and resolves
	// once the actor admitted it (after whoever held it let go).
	CmdPin
	// CmdUnpin sends nothing: it ends Owner's hold (set Unpin) and
	// resolves at once; commands waiting for the connection run once the
	// holder's commands were answered.
	CmdUnpin
	// CmdBatch runs the commands in Batch (each a CmdQuery or a CmdExecute)
	// with one Sync: in one implicit transaction, all or nothing. Each is
	// answered as a command of its own (its Observer or Result, and its
	// Rows) once the batch ended; when one fails, it gets the server's
	// error, the ones before it ErrBatchRolledBack and the ones after it
	// ErrBatchNotRun. The batch itself is answered last, with the first
	// error.
	CmdBatch

	// cmdLost sends nothing: a command of Owner failed before it reached
	// the loop (see Do).
	cmdLost
)

// Errors of the commands of a failed batch.
var (
	// ErrBatchNotRun answers the commands of a batch after the one that
	// failed: the server skipped them.
	ErrBatchNotRun = errors.New("actor: not run: an earlier command in the batch failed")
	// ErrBatchRolledBack answers the commands of a batch before the one
	// that failed: they ran, but the batch's transaction did not commit.
	ErrBatchRolledBack = errors.New("actor: rolled back: a later command in the batch failed")
)

// Command is one request to the actor. Fill in the request fields, send
// it, and wait on Result (and read Rows, when set).
type Command struct {
	Kind Kind
	SQL  string
	// Args are the arguments of CmdQuery and CmdExecute, encoded by Send
	// into Params before it returns. Params set by the caller (a command
	// sent again) are used as they are.
	Args   []any
	Params *wire.Params
	// Unnamed runs a CmdQuery on the unnamed statement, in one flight,
	// without the statement cache (arguments typed by their Go values).
	Unnamed bool
	params  wire.Params // what Params points to when Send encoded them
	Name    string
	Stmt    *wire.PreparedStatementInfo
	// ParamOIDs fixes parameter types for CmdPrepare.
	ParamOIDs []uint32

	// CopySource carries COPY data for CmdCopyIn, in chunks of any size;
	// closing it ends the copy. CopyErr, when set, is then asked whether
	// the producer failed: a non-nil error aborts the copy (CopyFail) with
	// its text. The actor stops reading CopySource when the copy ends early
	// (the server refused it, the context ended); the producer should
	// select on Result.Done() next to its sends.
	CopySource <-chan []byte
	CopyErr    func() error
	// CopyRecycle, when set, gets each chunk of CopySource back once its
	// bytes were copied out (if it has room), for the producer to fill
	// again.
	CopyRecycle chan<- []byte

	// Batch holds the commands of a CmdBatch.
	Batch []*Command

	// Rows receives the rows; nil discards them, unless WantRows is set.
	Rows *futures.Stream[RawRow]
	// WantRows asks for the rows without a stream up front: a result that
	// completes before its first batch has to be handed over arrives whole
	// in Completion.Batch, and only a longer one gets a stream, which the
	// actor makes and sets in Rows before telling the Observer. Described
	// is then called when the rows begin (a stream exists) or at the end,
	// not as soon as the columns are known.
	WantRows bool

	// Ownership (see own.go). Owner is the token of the holder the command
	// belongs to; zero for a command of nobody in particular. Pin makes the
	// command take the connection for that token as it is admitted. Unpin
	// ends Owner's hold (Pin's, when the command has both) once the
	// command is admitted: later commands of that holder are refused. OwnerErr is the error for a command whose Owner no
	// longer holds the connection (ErrOwnerEnded when nil). Reroute hands a
	// command without an Owner back (a RetryError wrapping ErrHeld) instead
	// of letting it wait while someone else holds the connection.
	//
	// Autocommit says the command belongs to no transaction (a pool's
	// multiplexed command). If it leaves one open anyway (a raw BEGIN), the
	// actor fails it with ErrTxLeftOpen, fails every command written behind
	// it, and rolls back before anything else runs, so no acknowledged
	// work is lost in a transaction nobody owns.
	Unpin      bool
	Reroute    bool
	Autocommit bool
	// RollbackSQL, on an Unpin command (COMMIT, RELEASE SAVEPOINT), is
	// sent instead of SQL when a command of its Owner, or of a holder
	// nested in it, failed without the server seeing it fail (dropped
	// unsent because its context ended, arguments that could not be
	// encoded, a caller that gave up on a command already sent): the
	// server would otherwise commit the holder's work without it.
	RollbackSQL string
	Owner       Token
	Pin         Token
	OwnerErr    error

	// Observer, when set, hears about the command from the loop goroutine
	// (or from Do, when the command could not be queued). Its methods must
	// not block.
	Observer Observer

	// WatchedAtSend, when set, is stored true if the actor takes the
	// command's context watch as it is sent (ContextWatched holds from
	// Send), in the sender's goroutine before Send returns: from then on
	// the command is answered at once should its context end. A future's
	// flag (futures.Future.WatchedContext) fits here.
	WatchedAtSend *atomic.Bool

	// Result is resolved when the command's ReadyForQuery arrives, or with
	// the error that ended it, unless the command has an Observer, which
	// then hears the outcome instead (Observer.Done).
	Result futures.Future[Completion]

	ctx       context.Context
	watchedBy *ctxWatch // the loop's watch of ctx, while the command is the loop's
	// sentWatched is the watch that took the command in from Send, before
	// the loop took it (watch.go): set by the sender, read and cleared by
	// the loop as it takes the command.
	sentWatched *ctxWatch
	sentAt      int64 // monotonic() when sent, while the actor reports writes (OnWritten)
	// released is set once the actor is done with the command (after it
	// was answered); cancelAsked when Cancel was called for it (a
	// cancel for it may then still be on its way to the loop), and
	// ctxEnded when its context ended while the loop had it (it may still
	// be on the wire, the loop discarding its answer). See Reusable.
	released    atomic.Bool
	cancelAsked atomic.Bool
	ctxEnded    atomic.Bool
	// watched is set while the loop watches the command's context (from
	// accept until the command is answered): see ContextWatched.
	watched atomic.Bool
	// Owned by the loop (or by the caller, for a command never sent).
	answered   bool
	described  bool
	rowsSent   bool
	abandoned  bool // the caller was answered (canceled); discard the rest
	retried    uint8
	completion Completion
	batch      []RawRow
	inline     [1]RawRow // the first batch of a WantRows command, when it is one row
	entry      *entry    // the wire op currently carrying the command
}

func (c *Command) prepareSend(ctx context.Context) error {
	if ctx == nil {
		ctx = context.Background()
	}
	c.ctx = ctx
	for _, it := range c.Batch {
		it.ctx = ctx
	}
	return nil
}

// Fail answers a command that was never sent with err, exactly as the
// actor would: its Observer (or Result) and its Rows learn it. For use by
// callers that decide not to send a command after all.
func (c *Command) Fail(err error) { c.fail(err) }

// fail answers the caller with err (once), and every command of a batch.
func (c *Command) fail(err error) {
	for _, it := range c.Batch {
		it.fail(err)
	}
	if !c.described {
		c.described = true
		if c.Observer != nil {
			c.Observer.Described(c, nil, err)
		}
	}
	c.done(Completion{}, err)
}

// done answers the command, once: its outcome goes to its one sink (the
// Observer if it has one, Result otherwise), then its rows stream ends,
// and the command's context is no longer watched.
func (c *Command) done(comp Completion, err error) {
	if c.answered {
		return
	}
	c.answered = true
	c.watched.Store(false)
	if w := c.watchedBy; w != nil {
		c.watchedBy = nil
		w.release()
	}
	if c.entry != nil {
		c.entry = nil // its entry is recycled without looking back at c
	}
	obs := c.Observer
	if obs != nil {
		obs.Done(c, comp, err)
	} else {
		c.Result.Resolve(comp, err)
	}
	if c.Rows != nil {
		c.Rows.Finish(err)
	}
	c.released.Store(true)
	// Nothing below may touch c: its caller may be reusing it already.
	if r, ok := obs.(Releaser); ok {
		r.Released(c)
	}
}

// Answered reports whether the command was answered: its outcome was
// given to its Observer or Result.
func (c *Command) Answered() bool { return c.released.Load() }

// ContextWatched reports whether the actor watches the command's
// context: should the context end, the command is answered at once (with
// ErrCanceled), so that a caller waiting for its outcome need not watch the
// context as well. It holds from the moment the loop takes the command, and
// from Send already when the loop watches that context for an earlier
// command (see watch.go); it reports false once the command was answered,
// and for a command on its way to the loop otherwise.
func (c *Command) ContextWatched() bool { return c.watched.Load() }

// Reset clears c for another command, keeping the memory of its encoded
// parameters. Only for a command that is Reusable (or was never sent).
func (c *Command) Reset() {
	buf := c.params.Data[:0]
	*c = Command{}
	c.params.Data = buf
}

// Reusable reports whether the command's memory may be used for another
// command: the actor is done with it and no cancel for it can still reach
// the loop. A caller recycling commands (or what embeds them) checks it
// once it has taken the result; when it reports false, leave the command
// to the garbage collector.
func (c *Command) Reusable() bool {
	return c.released.Load() && !c.cancelAsked.Load() && !c.ctxEnded.Load()
}
