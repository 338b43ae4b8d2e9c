package session

import (
	"context"
	"log/slog"
	"net"
	"time"

	"github.com/pgactor/pgactor/wire/codec"
)

// Tracer is any value that implements one or more of the hook groups
// QueryTracer, BatchTracer, CopyTracer, PrepareTracer, ConnectTracer and
// PoolTracer; the driver calls the groups it finds (checked once, when the
// Session or Pool is made) and skips the rest. Plug OpenTelemetry, metrics
// or logging in here (examples/otel is an OpenTelemetry adapter).
//
// Every Start hook returns a context that the matching End hook receives,
// so a span begun at the start can be ended there; return the context
// given when there is nothing to carry. Each End is called exactly once for
// each Start. Hooks are called from many goroutines, including connection
// goroutines, and must not block. The data structs they receive may gain
// fields; their slices are the caller's and must not be kept.
type Tracer interface{}

// QueryTracer observes Query, QueryRow, SimpleQuery and Exec (on a Session,
// Pool, Conn, Tx or Stmt).
type QueryTracer interface {
	// TraceQueryStart is called once per query, before it is sent (a
	// multiplexed query the pool routes again is not started again).
	TraceQueryStart(ctx context.Context, d QueryStartData) context.Context
	// TraceQueryEnd is called when the command is complete: for an Exec
	// when its tag arrived, for a query when its rows were read to the end
	// or closed (so the duration includes the caller's reading), or when
	// it failed. A query whose Rows are never read nor closed never ends.
	TraceQueryEnd(ctx context.Context, d QueryEndData)
}

// QueryStartData describes a query about to be sent.
type QueryStartData struct {
	SQL  string
	Args []any
}

// QueryEndData describes how a query ended.
type QueryEndData struct {
	SQL      string
	Tag      CommandTag // zero when Err is set; Tag.RowsAffected() is the row count
	Err      error
	Duration time.Duration // from TraceQueryStart
}

// BatchTracer observes SendBatch.
type BatchTracer interface {
	TraceBatchStart(ctx context.Context, d BatchStartData) context.Context
	// TraceBatchQuery is called as each command of the batch is answered
	// by the server (not when its rows are read), before TraceBatchEnd.
	TraceBatchQuery(ctx context.Context, d BatchQueryData)
	// TraceBatchEnd is called once the whole batch was answered.
	TraceBatchEnd(ctx context.Context, d BatchEndData)
}

// BatchStartData describes a batch about to be sent.
type BatchStartData struct {
	Len int // the number of commands
}

// BatchQueryData describes one answered command of a batch.
type BatchQueryData struct {
	SQL  string
	Args []any
	Tag  CommandTag
	Err  error
}

// BatchEndData describes how a batch ended.
type BatchEndData struct {
	Err      error // the first error of the batch
	Duration time.Duration
}

// CopyTracer observes CopyFrom and CopyTo.
type CopyTracer interface {
	TraceCopyStart(ctx context.Context, d CopyStartData) context.Context
	TraceCopyEnd(ctx context.Context, d CopyEndData)
}

// CopyStartData describes a COPY about to be sent.
type CopyStartData struct {
	SQL string
	// In is true for CopyFrom (COPY ... FROM STDIN), false for CopyTo.
	In bool
	// Table and Columns are CopyFrom's arguments (nil for CopyTo).
	Table   Identifier
	Columns []string
}

// CopyEndData describes how a COPY ended.
type CopyEndData struct {
	Rows     int64 // the rows the server reports copied
	Err      error
	Duration time.Duration
}

// PrepareTracer observes explicit Prepare calls (not the statement cache).
type PrepareTracer interface {
	TracePrepareStart(ctx context.Context, d PrepareStartData) context.Context
	TracePrepareEnd(ctx context.Context, d PrepareEndData)
}

// PrepareStartData describes a statement about to be prepared.
type PrepareStartData struct {
	Name string
	SQL  string
}

// PrepareEndData describes how a Prepare ended.
type PrepareEndData struct {
	Err      error
	Duration time.Duration
}

// ConnectTracer observes each attempt to connect to one host (a
// connection string with several hosts makes one attempt per host tried).
type ConnectTracer interface {
	TraceConnectStart(ctx context.Context, d ConnectStartData) context.Context
	TraceConnectEnd(ctx context.Context, d ConnectEndData)
}

// ConnectStartData names the host being tried.
type ConnectStartData struct {
	Host    string // as configured: a name, an address or a socket directory
	Port    uint16
	Network string // "tcp" or "unix"
	Addr    string // what is dialled
}

// ConnectEndData describes how the attempt ended.
type ConnectEndData struct {
	Host     string
	Port     uint16
	PID      uint32 // the server process; 0 on failure
	Err      error
	Duration time.Duration
}

// PoolTracer observes a Pool taking connections for one holder: Begin,
// Acquire (and CopyFrom, which acquires), and routing that had to wait
// because every connection was held.
type PoolTracer interface {
	TraceAcquireStart(ctx context.Context, d AcquireStartData) context.Context
	TraceAcquireEnd(ctx context.Context, d AcquireEndData)
	// TraceRelease is called when a connection pinned by Begin or Acquire
	// is given back (Commit, Rollback, Release), with the context
	// TraceAcquireStart returned.
	TraceRelease(ctx context.Context, d ReleaseData)
}

// AcquireStartData says why a connection is wanted.
type AcquireStartData struct {
	// For is "begin", "acquire", or "route" (a multiplexed command or batch
	// found every connection held).
	For string
}

// AcquireEndData describes how the acquire ended.
type AcquireEndData struct {
	PID      uint32 // the connection's server process; 0 on failure
	Err      error
	Duration time.Duration // the wait
}

// ReleaseData describes a pin that ended.
type ReleaseData struct {
	PID  uint32
	Held time.Duration // from the acquire's end
}

// Options are the Go-side settings a connection string cannot carry.
type Options struct {
	// Logger receives connection events (connect, failures, closing) at
	// debug and warning levels. Queries and their arguments are logged only
	// with LogQueries; passwords never are. nil logs nothing.
	Logger     *slog.Logger
	LogQueries bool
	// Tracer, when set, is told about what the driver does: see Tracer for
	// the hook groups it may implement.
	Tracer Tracer
	// Dialer dials connections; nil uses a net.Dialer.
	Dialer interface {
		DialContext(ctx context.Context, network, address string) (net.Conn, error)
	}
	// Types is the type registry for parameters and results; nil means
	// codec.Default(). Each Session and Pool decodes with its own overlay
	// of it, where types met unknown are loaded from pg_type by themselves
	// (see Pool.Types). Register your own codecs before connecting: an
	// overlay's loaded codecs win over ones registered later.
	Types *codec.Registry
	// IgnoreUnknownTypes decodes values of types the registry does not know
	// as their text; otherwise decoding them is an error naming the OID.
	IgnoreUnknownTypes bool
	// OnUnobservedError, when set, is called with the first words of the
	// statement (never its arguments) and the error of a failed command
	// whose future was garbage-collected without anyone awaiting it (Query,
	// Exec and SendBatch of a Session, Pool or Conn); Logger gets the same
	// at warning level. It runs on a runtime goroutine and must not block.
	OnUnobservedError func(ctx context.Context, sql string, err error)
	// AfterConnect runs on each new connection before it is used.
	AfterConnect func(ctx context.Context, s *Session) error
}

// tracers are the hook groups Options.Tracer implements, found once.
type tracers struct {
	query   QueryTracer
	batch   BatchTracer
	copy    CopyTracer
	prepare PrepareTracer
	pool    PoolTracer
}

func tracersOf(t Tracer) tracers {
	var x tracers
	x.query, _ = t.(QueryTracer)
	x.batch, _ = t.(BatchTracer)
	x.copy, _ = t.(CopyTracer)
	x.prepare, _ = t.(PrepareTracer)
	x.pool, _ = t.(PoolTracer)
	return x
}

// logQuery logs a query being sent, with LogQueries.
func (x *common) logQuery(ctx context.Context, sql string, args []any) {
	if x.logQueries && x.logger != nil {
		x.logger.DebugContext(ctx, "pgactor: query", "sql", sql, "args", args)
	}
}

// logFailure logs a failed query, with LogQueries.
func (x *common) logFailure(ctx context.Context, sql string, err error) {
	if err != nil && x.logQueries && x.logger != nil {
		x.logger.DebugContext(ctx, "pgactor: query failed", "sql", sql, "err", err)
	}
}

// traceStart starts tracing q, once, before its first dispatch: the
// context for its end is kept in q. With no QueryTracer nothing is stored.
func (q *pendingQuery) traceStart() {
	if t := q.x.trace.query; t != nil {
		q.start = monoNow() // a clock reading is not free: only for a tracer
		q.tctx = t.TraceQueryStart(q.ctx, QueryStartData{SQL: q.sql, Args: q.args})
		q.traced = true
	}
	q.x.logQuery(q.ctx, q.sql, q.args)
}

// traceEnd ends q's trace (once) and logs a failure.
func (q *pendingQuery) traceEnd(tag CommandTag, err error) {
	if q.traced {
		q.traced = false
		q.x.trace.query.TraceQueryEnd(q.tctx, QueryEndData{SQL: q.sql, Tag: tag, Err: err, Duration: monoNow() - q.start})
		q.tctx = nil
	}
	q.x.logFailure(q.ctx, q.sql, err)
}

func (e *pendingExec) traceStart() {
	if t := e.x.trace.query; t != nil {
		e.start = monoNow() // a clock reading is not free: only for a tracer
		e.tctx = t.TraceQueryStart(e.ctx, QueryStartData{SQL: e.sql, Args: e.args})
		e.traced = true
	}
	e.x.logQuery(e.ctx, e.sql, e.args)
}

func (e *pendingExec) traceEnd(tag CommandTag, err error) {
	if e.traced {
		e.traced = false
		e.x.trace.query.TraceQueryEnd(e.tctx, QueryEndData{SQL: e.sql, Tag: tag, Err: err, Duration: monoNow() - e.start})
	}
	e.x.logFailure(e.ctx, e.sql, err)
}

// batchItem tells a batch's tracer that one of its commands was answered.
func (b *pendingBatch) batchItem(sql string, args []any, tag CommandTag, err error) {
	if b != nil && b.x.trace.batch != nil {
		b.x.trace.batch.TraceBatchQuery(b.tctx, BatchQueryData{SQL: sql, Args: args, Tag: tag, Err: err})
	}
}

// prepareStart tells a PrepareTracer that name is being prepared and
// returns what to call with the outcome (a closure: Prepare is no hot path).
func (x *common) prepareStart(ctx context.Context, name, sql string) func(error) {
	t := x.trace.prepare
	if t == nil {
		return func(error) {}
	}
	start := monoNow()
	tctx := t.TracePrepareStart(ctx, PrepareStartData{Name: name, SQL: sql})
	return func(err error) {
		t.TracePrepareEnd(tctx, PrepareEndData{Err: err, Duration: monoNow() - start})
	}
}

// monoNow reads the monotonic clock as a duration since the process
// started using it: 8 bytes to keep in every pending command, where a
// time.Time takes 24.
func monoNow() time.Duration { return time.Since(monoEpoch) }

var monoEpoch = time.Now()
