package pgotel_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	pgotel "github.com/pgactor/pgactor/examples/otel"
	"github.com/pgactor/pgactor/internal/pgtest"
	"github.com/pgactor/pgactor/session"
)

// fixture is a pool traced into an in-memory exporter, with a manual
// metric reader.
type fixture struct {
	exp    *tracetest.InMemoryExporter
	rec    *tracetest.SpanRecorder // sees spans start, too
	tp     *sdktrace.TracerProvider
	reader *sdkmetric.ManualReader
	mp     *sdkmetric.MeterProvider
	pool   *session.Pool
	cfg    *session.Config
	reg    interface{ Unregister() error }
}

func newFixture(t *testing.T, o pgotel.Options) *fixture {
	t.Helper()
	f := &fixture{exp: tracetest.NewInMemoryExporter(), rec: tracetest.NewSpanRecorder(), reader: sdkmetric.NewManualReader()}
	f.tp = sdktrace.NewTracerProvider(sdktrace.WithSyncer(f.exp), sdktrace.WithSpanProcessor(f.rec))
	f.mp = sdkmetric.NewMeterProvider(sdkmetric.WithReader(f.reader))
	o.TracerProvider, o.MeterProvider = f.tp, f.mp
	cfg, err := session.ParseConfig(cluster.DSN(pgtest.Trust))
	if err != nil {
		t.Fatal(err)
	}
	f.cfg = cfg
	ctx := context.Background()
	f.pool, err = session.NewPoolConfig(ctx, cfg, &session.PoolOptions{
		Options: session.Options{Tracer: pgotel.NewTracer(cfg, o)}, MaxConns: 2})
	if err != nil {
		t.Fatal(err)
	}
	reg, err := pgotel.RegisterPoolMetrics(f.pool, o)
	if err != nil {
		t.Fatal(err)
	}
	f.reg = reg
	t.Cleanup(func() {
		f.reg.Unregister()
		f.pool.Close()
		f.tp.Shutdown(context.Background())
		f.mp.Shutdown(context.Background())
	})
	// A table, and a connection open before anything is measured.
	if _, err := f.pool.Exec(ctx, "CREATE TABLE IF NOT EXISTS otel_items (id int8 PRIMARY KEY, name text)").Await(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := f.pool.Exec(ctx, "TRUNCATE otel_items").Await(ctx); err != nil {
		t.Fatal(err)
	}
	f.exp.Reset()
	return f
}

// node is a span and its children, in start order.
type node struct {
	span     tracetest.SpanStub
	children []*node
}

// tree returns the span tree under root (a span ended by the test).
func (f *fixture) tree(t *testing.T, root trace.Span) *node {
	t.Helper()
	spans := f.exp.GetSpans()
	nodes := map[trace.SpanID]*node{}
	for _, s := range spans {
		nodes[s.SpanContext.SpanID()] = &node{span: s}
	}
	for _, s := range spans {
		if p, ok := nodes[s.Parent.SpanID()]; ok && s.Parent.IsValid() {
			p.children = append(p.children, nodes[s.SpanContext.SpanID()])
		}
	}
	for _, n := range nodes {
		sort.SliceStable(n.children, func(i, j int) bool {
			return n.children[i].span.StartTime.Before(n.children[j].span.StartTime)
		})
	}
	r := nodes[root.SpanContext().SpanID()]
	if r == nil {
		t.Fatalf("root span not exported; have %d spans", len(spans))
	}
	return r
}

// String draws the tree, one span a line, with its attributes.
func (n *node) String() string {
	var b strings.Builder
	var walk func(n *node, depth int)
	walk = func(n *node, depth int) {
		fmt.Fprintf(&b, "%s%s", strings.Repeat("  ", depth), n.span.Name)
		var kv []string
		for _, a := range n.span.Attributes {
			kv = append(kv, string(a.Key)+"="+a.Value.String())
		}
		if len(kv) > 0 {
			fmt.Fprintf(&b, " [%s]", strings.Join(kv, " "))
		}
		if n.span.Status.Code == codes.Error {
			fmt.Fprintf(&b, " ERROR(%s)", n.span.Status.Description)
		}
		b.WriteByte('\n')
		for _, c := range n.children {
			walk(c, depth+1)
		}
	}
	walk(n, 0)
	return b.String()
}

// kids returns the children but connection attempts: a multiplexed
// command that finds no usable connection (one just released may still
// look pinned for a moment) opens one on the caller's behalf, under the
// caller's span.
func (n *node) kids() []*node {
	var out []*node
	for _, c := range n.children {
		if c.span.Name != "pgactor.connect" {
			out = append(out, c)
		}
	}
	return out
}

// names lists the kids' span names.
func (n *node) names() string {
	var s []string
	for _, c := range n.kids() {
		s = append(s, c.span.Name)
	}
	return strings.Join(s, ", ")
}

func attr(s tracetest.SpanStub, key string) (attribute.Value, bool) {
	for _, a := range s.Attributes {
		if string(a.Key) == key {
			return a.Value, true
		}
	}
	return attribute.Value{}, false
}

// want checks that span has each attribute with the value given (as
// Emit prints it), and none of the keys in absent.
func want(t *testing.T, s tracetest.SpanStub, kv map[string]string, absent ...string) {
	t.Helper()
	for k, v := range kv {
		got, ok := attr(s, k)
		if !ok || got.String() != v {
			t.Errorf("span %q: %s = %q (set %v), want %q", s.Name, k, got.String(), ok, v)
		}
	}
	for _, k := range absent {
		if _, ok := attr(s, k); ok {
			t.Errorf("span %q has %s", s.Name, k)
		}
	}
}

// common are the attributes every database span carries here.
func (f *fixture) common() map[string]string {
	h := f.cfg.Hosts[0]
	return map[string]string{
		"db.system.name": "postgresql",
		"db.namespace":   f.cfg.Database,
		"server.address": h.Host,
		"server.port":    fmt.Sprint(h.Port),
	}
}

func merge(a map[string]string, b map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range a {
		out[k] = v
	}
	for k, v := range b {
		out[k] = v
	}
	return out
}

// poolQueries runs a query, an insert and a failing query under one
// parent span.
func poolQueries(t *testing.T, f *fixture) *node {
	tr := f.tp.Tracer("test")
	ctx, parent := tr.Start(context.Background(), "request")
	if _, err := f.pool.Exec(ctx, "INSERT INTO otel_items VALUES ($1, $2), ($3, $4)", int64(1), "a", int64(2), "b").Await(ctx); err != nil {
		t.Fatal(err)
	}
	rows, err := f.pool.Query(ctx, "SELECT id, name FROM otel_items WHERE id <= $1", int64(2)).Await(ctx)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for rows.Next() {
		n++
	}
	if err := rows.Close(); err != nil || n != 2 {
		t.Fatalf("%d rows, %v", n, err)
	}
	_, qerr := f.pool.Exec(ctx, "SELECT 1/0").Await(ctx)
	var pe *session.PgError
	if !errors.As(qerr, &pe) {
		t.Fatalf("want a server error, got %v", qerr)
	}
	parent.End()
	return f.tree(t, parent)
}

func TestPoolQuerySpans(t *testing.T) {
	f := newFixture(t, pgotel.Options{})
	root := poolQueries(t, f)
	if got := root.names(); got != "INSERT otel_items, SELECT otel_items, SELECT" {
		t.Fatalf("children %s\n%s", got, root)
	}
	ins, sel, bad := root.kids()[0].span, root.kids()[1].span, root.kids()[2].span
	for _, s := range []tracetest.SpanStub{ins, sel, bad} {
		if s.SpanKind != trace.SpanKindClient || s.Parent.TraceID() != root.span.SpanContext.TraceID() {
			t.Errorf("span %q kind %v, trace %v", s.Name, s.SpanKind, s.Parent.TraceID())
		}
	}
	want(t, ins, merge(f.common(), map[string]string{"db.operation.name": "INSERT", "db.collection.name": "otel_items", "pgactor.rows_affected": "2"}), "db.query.text")
	want(t, sel, merge(f.common(), map[string]string{"db.operation.name": "SELECT", "db.collection.name": "otel_items", "db.response.returned_rows": "2"}), "db.query.text", "db.response.status_code")
	want(t, bad, merge(f.common(), map[string]string{"db.operation.name": "SELECT", "db.response.status_code": "22012", "error.type": "22012"}), "db.collection.name")
	if bad.Status.Code != codes.Error || ins.Status.Code == codes.Error || sel.Status.Code == codes.Error {
		t.Fatalf("statuses %v %v %v", ins.Status, sel.Status, bad.Status)
	}
	if !sel.EndTime.After(sel.StartTime) {
		t.Fatal("SELECT span has no duration")
	}
}

func TestQueryTextOptIn(t *testing.T) {
	f := newFixture(t, pgotel.Options{IncludeQueryText: true})
	root := poolQueries(t, f)
	want(t, root.kids()[1].span, map[string]string{"db.query.text": "SELECT id, name FROM otel_items WHERE id <= $1"})
}

// batchSpans sends a batch of three under a parent span.
func batchSpans(t *testing.T, f *fixture) *node {
	tr := f.tp.Tracer("test")
	ctx, parent := tr.Start(context.Background(), "request")
	b := &session.Batch{}
	b.Exec("INSERT INTO otel_items VALUES ($1, $2)", int64(10), "x")
	b.Exec("UPDATE otel_items SET name = $1 WHERE id = $2", "y", int64(10))
	row := b.QueryRow("SELECT name FROM otel_items WHERE id = $1", int64(10))
	if _, err := f.pool.SendBatch(ctx, b).Await(ctx); err != nil {
		t.Fatal(err)
	}
	var name string
	if err := row.Scan(&name); err != nil || name != "y" {
		t.Fatalf("%q %v", name, err)
	}
	parent.End()
	return f.tree(t, parent)
}

func TestBatchSpans(t *testing.T) {
	f := newFixture(t, pgotel.Options{})
	root := batchSpans(t, f)
	if root.names() != "BATCH" {
		t.Fatalf("children %s\n%s", root.names(), root)
	}
	batch := root.kids()[0]
	want(t, batch.span, merge(f.common(), map[string]string{"db.operation.name": "BATCH", "db.operation.batch.size": "3"}))
	if got := batch.names(); got != "INSERT otel_items, UPDATE otel_items, SELECT otel_items" {
		t.Fatalf("batch children %s\n%s", got, root)
	}
	want(t, batch.kids()[2].span, map[string]string{"db.response.returned_rows": "1"})
	for i, c := range batch.kids() {
		if c.span.StartTime.Before(batch.span.StartTime) || c.span.EndTime.After(batch.span.EndTime) {
			t.Errorf("command %d outside its batch\n%s", i, root)
		}
		if i > 0 && c.span.StartTime.Before(batch.kids()[i-1].span.EndTime) {
			t.Errorf("command %d starts before the one before it ended", i)
		}
	}
}

// copySpans copies rows in and out under a parent span.
func copySpans(t *testing.T, f *fixture) *node {
	tr := f.tp.Tracer("test")
	ctx, parent := tr.Start(context.Background(), "request")
	n, err := f.pool.CopyFrom(ctx, session.Identifier{"otel_items"}, []string{"id", "name"},
		session.CopyFromSlice(500, func(i int) ([]any, error) { return []any{int64(1000 + i), "c"}, nil }))
	if err != nil || n != 500 {
		t.Fatalf("%d %v", n, err)
	}
	m, err := f.pool.CopyTo(ctx, io.Discard, "COPY (SELECT * FROM otel_items WHERE id >= 1000) TO STDOUT")
	if err != nil || m != 500 {
		t.Fatalf("%d %v", m, err)
	}
	parent.End()
	return f.tree(t, parent)
}

func TestCopySpans(t *testing.T) {
	f := newFixture(t, pgotel.Options{})
	root := copySpans(t, f)
	// CopyFrom on a pool acquires a connection, copies on it and releases
	// it; CopyTo runs multiplexed.
	if got := root.names(); got != "pgactor.pool.acquire, pgactor.pool.pin, COPY otel_items, COPY" {
		t.Fatalf("children %s\n%s", got, root)
	}
	acq, pin, in, out := root.kids()[0].span, root.kids()[1].span, root.kids()[2].span, root.kids()[3].span
	want(t, acq, map[string]string{"pgactor.acquire.for": "acquire"})
	pid, _ := attr(acq, "pgactor.backend_pid")
	want(t, pin, map[string]string{"pgactor.backend_pid": pid.String()})
	if pid.AsInt64() == 0 || pin.EndTime.Before(in.EndTime) {
		t.Fatalf("pin %v ended before the copy it held the connection for\n%s", pin.EndTime, root)
	}
	want(t, in, merge(f.common(), map[string]string{"db.operation.name": "COPY", "db.collection.name": "otel_items", "pgactor.copy.rows": "500", "pgactor.copy.direction": "in"}))
	want(t, out, merge(f.common(), map[string]string{"db.operation.name": "COPY", "pgactor.copy.rows": "500", "pgactor.copy.direction": "out"}), "db.collection.name")
}

// TestPoolMetrics reads the pool's instruments after some work.
func TestPoolMetrics(t *testing.T) {
	f := newFixture(t, pgotel.Options{PoolName: "main"})
	poolQueries(t, f)
	batchSpans(t, f)
	copySpans(t, f)
	var rm metricdata.ResourceMetrics
	if err := f.reader.Collect(context.Background(), &rm); err != nil {
		t.Fatal(err)
	}
	st := f.pool.Stats()
	got := map[string]metricdata.Aggregation{}
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			got[m.Name] = m.Data
		}
	}
	sum := func(name string, match func(attribute.Set) bool) int64 {
		t.Helper()
		var n int64
		found := false
		switch d := got[name].(type) {
		case metricdata.Sum[int64]:
			for _, p := range d.DataPoints {
				if v, _ := p.Attributes.Value("db.client.connection.pool.name"); v.AsString() != "main" {
					t.Errorf("%s without the pool's name: %v", name, p.Attributes)
				}
				if match == nil || match(p.Attributes) {
					n += p.Value
					found = true
				}
			}
		default:
			t.Fatalf("%s: %T", name, got[name])
		}
		if !found {
			t.Fatalf("%s: no data point", name)
		}
		return n
	}
	state := func(s string) func(attribute.Set) bool {
		return func(a attribute.Set) bool { v, _ := a.Value("db.client.connection.state"); return v.AsString() == s }
	}
	if n := sum("db.client.connection.max", nil); n != 2 {
		t.Errorf("max %d", n)
	}
	if idle, used := sum("db.client.connection.count", state("idle")), sum("db.client.connection.count", state("used")); idle+used != int64(st.TotalConns) || idle+used < 1 {
		t.Errorf("idle %d used %d, stats %+v", idle, used, st)
	}
	if n := sum("pgactor.pool.batches", nil); n != 1 {
		t.Errorf("batches %d", n)
	}
	// The counters only grow: what the reader saw is at most what Stats
	// says now, and the work above is in it.
	if n := sum("pgactor.pool.commands", nil); n < 6 || n > st.Commands {
		t.Errorf("commands %d, stats %d", n, st.Commands)
	}
	if n := sum("pgactor.pool.connections.opened", nil); n < 1 || n != st.Opened.Min+st.Opened.Grow+st.Opened.Demand {
		t.Errorf("opened %d, stats %+v", n, st.Opened)
	}
	wait, ok := got["pgactor.pool.command.wait_time"].(metricdata.Gauge[float64])
	if !ok || len(wait.DataPoints) != 3 {
		t.Fatalf("wait_time %#v", got["pgactor.pool.command.wait_time"])
	}
	for _, p := range wait.DataPoints {
		if p.Value <= 0 {
			t.Errorf("wait quantile %v = %v", p.Attributes, p.Value)
		}
	}
	acq, ok := got["db.client.connection.wait_time"].(metricdata.Histogram[float64])
	if !ok || len(acq.DataPoints) != 1 || acq.DataPoints[0].Count != 1 {
		t.Fatalf("acquire wait histogram %#v", got["db.client.connection.wait_time"])
	}
}

// TestPrintSpanTrees logs the span trees of a pool's queries, a batch and
// a copy, for notes and reviews.
func TestPrintSpanTrees(t *testing.T) {
	f := newFixture(t, pgotel.Options{IncludeQueryText: true})
	t.Logf("pool queries:\n%s", poolQueries(t, f))
	f.exp.Reset()
	t.Logf("batch:\n%s", batchSpans(t, f))
	f.exp.Reset()
	t.Logf("copy:\n%s", copySpans(t, f))
}

// TestRouteWaitSpan: a multiplexed query that waits for a held connection
// shows the wait, and no pin.
func TestRouteWaitSpan(t *testing.T) {
	f := newFixture(t, pgotel.Options{})
	ctx := context.Background()
	// Hold every connection (MaxConns is 2).
	c1, err := f.pool.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	c2, err := f.pool.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	qctx, parent := f.tp.Tracer("test").Start(ctx, "request")
	done := make(chan error, 1)
	go func() {
		_, err := f.pool.Exec(qctx, "SELECT $1::int4", int32(1)).Await(qctx)
		done <- err
	}()
	// Wait until the query waits for a connection.
	for waiting := false; !waiting; time.Sleep(time.Millisecond) {
		for _, s := range f.rec.Started() {
			waiting = waiting || s.Name() == "pgactor.pool.acquire" && s.Parent().SpanID() != trace.SpanID{}
		}
	}
	c1.Release()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	c2.Release()
	parent.End()
	root := f.tree(t, parent)
	if got := root.names(); got != "SELECT, pgactor.pool.acquire" {
		t.Fatalf("children %s\n%s", got, root)
	}
	want(t, root.kids()[1].span, map[string]string{"pgactor.acquire.for": "route"})
	for _, s := range f.rec.Started() {
		if s.Name() == "pgactor.pool.pin" && s.Parent().SpanID() == parent.SpanContext().SpanID() {
			t.Fatalf("a routing wait started a pin span\n%s", root)
		}
	}
}
