// Package pgotel traces pgactor with OpenTelemetry: a session.Tracer that
// makes client spans following OpenTelemetry's database semantic
// conventions, and pool metrics read from session.Pool.Stats.
//
//	cfg, _ := session.ParseConfig(dsn)
//	tracer := pgotel.NewTracer(cfg, pgotel.Options{})
//	pool, _ := session.NewPoolConfig(ctx, cfg, &session.PoolOptions{
//		Options: session.Options{Tracer: tracer}})
//	reg, _ := pgotel.RegisterPoolMetrics(pool, pgotel.Options{})
//	defer reg.Unregister()
//
// Every query, Exec and COPY is a span named after its operation ("SELECT",
// "INSERT orders", "COPY orders"), a child of the span in the caller's
// context. A batch is a "BATCH" span with one child per command; explicit
// Prepare, connection attempts and a pool's Begin/Acquire (the wait, and
// the time the connection stays pinned) have spans of their own.
package pgotel

import (
	"context"
	"errors"
	"sync"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/metric"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"

	"github.com/pgactor/pgactor/session"
)

// scope names the instrumentation for tracer and meter providers.
const scope = "github.com/pgactor/pgactor/examples/otel"

// Options configure the tracer and the metrics.
type Options struct {
	// TracerProvider and MeterProvider default to OpenTelemetry's globals.
	TracerProvider trace.TracerProvider
	MeterProvider  metric.MeterProvider
	// IncludeQueryText records the SQL as db.query.text (opt in: it may
	// hold values written into the text). Arguments are never recorded.
	IncludeQueryText bool
	// PoolName tells pools apart in metrics (db.client.connection.pool.name);
	// default "pgactor".
	PoolName string
}

// Tracer implements every hook group of session.Tracer. It is safe for
// use by many goroutines.
type Tracer struct {
	tr          trace.Tracer
	withText    bool
	common      []attribute.KeyValue    // db.system.name, db.namespace, server.*
	pool        attribute.KeyValue      // db.client.connection.pool.name
	acquireWait metric.Float64Histogram // db.client.connection.wait_time
}

// NewTracer returns a tracer for connections made from cfg: the database
// name and the first host go on every span (a connect span names the host
// it tried). Begin and Acquire waits are recorded in the
// db.client.connection.wait_time histogram of the meter provider.
func NewTracer(cfg *session.Config, o Options) *Tracer {
	tp := o.TracerProvider
	if tp == nil {
		tp = otel.GetTracerProvider()
	}
	mp := o.MeterProvider
	if mp == nil {
		mp = otel.GetMeterProvider()
	}
	name := o.PoolName
	if name == "" {
		name = "pgactor"
	}
	t := &Tracer{tr: tp.Tracer(scope), withText: o.IncludeQueryText, pool: attribute.String("db.client.connection.pool.name", name)}
	// A histogram that cannot be made (an invalid name, never here) leaves
	// the acquire waits unrecorded rather than failing the tracer.
	t.acquireWait, _ = mp.Meter(scope).Float64Histogram("db.client.connection.wait_time", metric.WithUnit("s"),
		metric.WithDescription("How long Begin and Acquire waited for a connection."))
	t.common = append(t.common, semconv.DBSystemNamePostgreSQL)
	if cfg != nil {
		if cfg.Database != "" {
			t.common = append(t.common, semconv.DBNamespace(cfg.Database))
		}
		if len(cfg.Hosts) > 0 {
			h := cfg.Hosts[0]
			t.common = append(t.common, semconv.ServerAddress(h.Host))
			if h.Network == "tcp" {
				t.common = append(t.common, semconv.ServerPort(int(h.Port)))
			}
		}
	}
	return t
}

// spanName follows the conventions: "{operation} {table}", the operation
// alone, or the system's name.
func spanName(op, table string) string {
	switch {
	case op != "" && table != "":
		return op + " " + table
	case op != "":
		return op
	}
	return "postgresql"
}

// start opens a client span for sql.
func (t *Tracer) start(ctx context.Context, sql string, opts ...trace.SpanStartOption) (context.Context, trace.Span) {
	op, table := operation(sql)
	attrs := make([]attribute.KeyValue, 0, len(t.common)+3)
	attrs = append(attrs, t.common...)
	if op != "" {
		attrs = append(attrs, semconv.DBOperationName(op))
	}
	if table != "" {
		attrs = append(attrs, semconv.DBCollectionName(table))
	}
	if t.withText {
		attrs = append(attrs, semconv.DBQueryText(sql))
	}
	opts = append(opts, trace.WithSpanKind(trace.SpanKindClient), trace.WithAttributes(attrs...))
	return t.tr.Start(ctx, spanName(op, table), opts...)
}

// fail marks span failed with err: the SQLSTATE when the server sent one.
func fail(span trace.Span, err error) {
	if err == nil {
		return
	}
	var pe *session.PgError
	if errors.As(err, &pe) {
		span.SetAttributes(semconv.DBResponseStatusCode(pe.SQLState()), semconv.ErrorTypeKey.String(pe.SQLState()))
	} else if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		span.SetAttributes(semconv.ErrorTypeKey.String("canceled"))
	} else {
		span.SetAttributes(semconv.ErrorTypeKey.String("_OTHER"))
	}
	span.RecordError(err)
	span.SetStatus(codes.Error, err.Error())
}

// TraceQueryStart implements session.QueryTracer.
func (t *Tracer) TraceQueryStart(ctx context.Context, d session.QueryStartData) context.Context {
	ctx, _ = t.start(ctx, d.SQL)
	return ctx
}

// TraceQueryEnd implements session.QueryTracer.
func (t *Tracer) TraceQueryEnd(ctx context.Context, d session.QueryEndData) {
	span := trace.SpanFromContext(ctx)
	if d.Err == nil {
		if d.Tag.Select() {
			span.SetAttributes(semconv.DBResponseReturnedRows(int(d.Tag.RowsAffected())))
		}
		if tag := d.Tag.String(); tag != "" {
			span.SetAttributes(attribute.String("pgactor.command_tag", tag), attribute.Int64("pgactor.rows_affected", d.Tag.RowsAffected()))
		}
	}
	fail(span, d.Err)
	span.End()
}

// batchState is a batch span and when its last command was answered: the
// commands run one after another on one connection, so each command's
// span runs from the previous answer to its own.
type batchState struct {
	mu   sync.Mutex
	span trace.Span
	last time.Time
}

type batchKey struct{}

// TraceBatchStart implements session.BatchTracer.
func (t *Tracer) TraceBatchStart(ctx context.Context, d session.BatchStartData) context.Context {
	attrs := append(append([]attribute.KeyValue{}, t.common...), semconv.DBOperationName("BATCH"), semconv.DBOperationBatchSize(d.Len))
	ctx, span := t.tr.Start(ctx, "BATCH", trace.WithSpanKind(trace.SpanKindClient), trace.WithAttributes(attrs...))
	return context.WithValue(ctx, batchKey{}, &batchState{span: span, last: time.Now()})
}

// TraceBatchQuery implements session.BatchTracer.
func (t *Tracer) TraceBatchQuery(ctx context.Context, d session.BatchQueryData) {
	b, _ := ctx.Value(batchKey{}).(*batchState)
	if b == nil {
		return
	}
	now := time.Now()
	b.mu.Lock()
	from := b.last
	b.last = now
	b.mu.Unlock()
	_, span := t.start(ctx, d.SQL, trace.WithTimestamp(from))
	if d.Err == nil && d.Tag.Select() {
		span.SetAttributes(semconv.DBResponseReturnedRows(int(d.Tag.RowsAffected())))
	}
	fail(span, d.Err)
	span.End(trace.WithTimestamp(now))
}

// TraceBatchEnd implements session.BatchTracer.
func (t *Tracer) TraceBatchEnd(ctx context.Context, d session.BatchEndData) {
	span := trace.SpanFromContext(ctx)
	fail(span, d.Err)
	span.End()
}

// TraceCopyStart implements session.CopyTracer.
func (t *Tracer) TraceCopyStart(ctx context.Context, d session.CopyStartData) context.Context {
	dir := "out"
	if d.In {
		dir = "in"
	}
	ctx, _ = t.start(ctx, d.SQL, trace.WithAttributes(attribute.String("pgactor.copy.direction", dir)))
	return ctx
}

// TraceCopyEnd implements session.CopyTracer.
func (t *Tracer) TraceCopyEnd(ctx context.Context, d session.CopyEndData) {
	span := trace.SpanFromContext(ctx)
	span.SetAttributes(attribute.Int64("pgactor.copy.rows", d.Rows))
	fail(span, d.Err)
	span.End()
}

// TracePrepareStart implements session.PrepareTracer.
func (t *Tracer) TracePrepareStart(ctx context.Context, d session.PrepareStartData) context.Context {
	op, table := operation(d.SQL)
	attrs := append(append([]attribute.KeyValue{}, t.common...), semconv.DBOperationName("PREPARE"), semconv.DBStoredProcedureName(d.Name))
	if t.withText {
		attrs = append(attrs, semconv.DBQueryText(d.SQL))
	}
	ctx, _ = t.tr.Start(ctx, "PREPARE "+spanName(op, table), trace.WithSpanKind(trace.SpanKindClient), trace.WithAttributes(attrs...))
	return ctx
}

// TracePrepareEnd implements session.PrepareTracer.
func (t *Tracer) TracePrepareEnd(ctx context.Context, d session.PrepareEndData) {
	span := trace.SpanFromContext(ctx)
	fail(span, d.Err)
	span.End()
}

// TraceConnectStart implements session.ConnectTracer.
func (t *Tracer) TraceConnectStart(ctx context.Context, d session.ConnectStartData) context.Context {
	attrs := []attribute.KeyValue{semconv.DBSystemNamePostgreSQL, semconv.ServerAddress(d.Host)}
	if d.Network == "tcp" {
		attrs = append(attrs, semconv.ServerPort(int(d.Port)))
	}
	ctx, _ = t.tr.Start(ctx, "pgactor.connect", trace.WithSpanKind(trace.SpanKindClient), trace.WithAttributes(attrs...))
	return ctx
}

// TraceConnectEnd implements session.ConnectTracer.
func (t *Tracer) TraceConnectEnd(ctx context.Context, d session.ConnectEndData) {
	span := trace.SpanFromContext(ctx)
	if d.PID != 0 {
		span.SetAttributes(attribute.Int64("pgactor.backend_pid", int64(d.PID)))
	}
	fail(span, d.Err)
	span.End()
}

// pinState carries a pool pin from its acquire to its release.
type pinState struct {
	parent context.Context // the caller's, where the pin span goes
	pins   bool            // a Begin or Acquire (a routing wait pins nothing)
	mu     sync.Mutex
	pin    trace.Span
}

type pinKey struct{}

// TraceAcquireStart implements session.PoolTracer: a span for the wait,
// and (from TraceAcquireEnd) one for the time the connection is pinned.
func (t *Tracer) TraceAcquireStart(ctx context.Context, d session.AcquireStartData) context.Context {
	ps := &pinState{parent: ctx, pins: d.For != "route"}
	actx := context.WithValue(ctx, pinKey{}, ps)
	actx, _ = t.tr.Start(actx, "pgactor.pool.acquire", trace.WithAttributes(attribute.String("pgactor.acquire.for", d.For)))
	return actx
}

// TraceAcquireEnd implements session.PoolTracer.
func (t *Tracer) TraceAcquireEnd(ctx context.Context, d session.AcquireEndData) {
	span := trace.SpanFromContext(ctx)
	if d.PID != 0 {
		span.SetAttributes(attribute.Int64("pgactor.backend_pid", int64(d.PID)))
	}
	fail(span, d.Err)
	span.End()
	if t.acquireWait != nil {
		t.acquireWait.Record(ctx, d.Duration.Seconds(), metric.WithAttributes(t.pool))
	}
	if ps, _ := ctx.Value(pinKey{}).(*pinState); ps != nil && ps.pins && d.Err == nil {
		// The pin is the acquire's sibling, under the caller's span.
		_, pin := t.tr.Start(ps.parent, "pgactor.pool.pin", trace.WithAttributes(attribute.Int64("pgactor.backend_pid", int64(d.PID))))
		ps.mu.Lock()
		ps.pin = pin
		ps.mu.Unlock()
	}
}

// TraceRelease implements session.PoolTracer.
func (t *Tracer) TraceRelease(ctx context.Context, d session.ReleaseData) {
	ps, _ := ctx.Value(pinKey{}).(*pinState)
	if ps == nil {
		return
	}
	ps.mu.Lock()
	pin := ps.pin
	ps.pin = nil
	ps.mu.Unlock()
	if pin != nil {
		pin.SetAttributes(attribute.Int64("pgactor.pin.held_us", d.Held.Microseconds()))
		pin.End()
	}
}
