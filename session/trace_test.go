package session_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pgactor/pgactor/internal/pgtest"
	"github.com/pgactor/pgactor/session"
)

// recorder implements every hook group. Each Start puts a fresh span id
// in the context; each End checks it got that context, once.
type recorder struct {
	mu     sync.Mutex
	next   int
	open   map[int]string // span id -> what started it
	events []event
	errs   []string // misuse seen: an End without its Start, twice, ...
}

type event struct {
	kind string // "query", "batch", "batchquery", "copy", "prepare", "connect", "acquire", "release", "mark"
	span int
	sql  string
	tag  session.CommandTag
	rows int64
	n    int
	err  error
	data any
}

type spanKey struct{}

func newRecorder() *recorder { return &recorder{open: map[int]string{}} }

func (r *recorder) start(ctx context.Context, kind string, e event) context.Context {
	r.mu.Lock()
	defer r.mu.Unlock()
	if ctx == nil {
		r.errs = append(r.errs, kind+" start without a context")
	}
	r.next++
	r.open[r.next] = kind
	e.kind, e.span = kind+" start", r.next
	r.events = append(r.events, e)
	return context.WithValue(ctx, spanKey{}, r.next)
}

func (r *recorder) end(ctx context.Context, kind string, e event) {
	r.mu.Lock()
	defer r.mu.Unlock()
	id, _ := ctx.Value(spanKey{}).(int)
	if got, ok := r.open[id]; !ok || got != kind {
		r.errs = append(r.errs, fmt.Sprintf("%s end for span %d (open: %q, %v)", kind, id, got, ok))
	}
	delete(r.open, id)
	e.kind, e.span = kind, id
	r.events = append(r.events, e)
}

func (r *recorder) note(ctx context.Context, kind string, e event) {
	r.mu.Lock()
	defer r.mu.Unlock()
	e.kind = kind
	e.span, _ = ctx.Value(spanKey{}).(int)
	r.events = append(r.events, e)
}

func (r *recorder) mark(s string) { r.note(context.Background(), "mark", event{sql: s}) }

func (r *recorder) TraceQueryStart(ctx context.Context, d session.QueryStartData) context.Context {
	return r.start(ctx, "query", event{sql: d.SQL, n: len(d.Args)})
}
func (r *recorder) TraceQueryEnd(ctx context.Context, d session.QueryEndData) {
	r.end(ctx, "query", event{sql: d.SQL, tag: d.Tag, err: d.Err, data: d.Duration})
}
func (r *recorder) TraceBatchStart(ctx context.Context, d session.BatchStartData) context.Context {
	return r.start(ctx, "batch", event{n: d.Len})
}
func (r *recorder) TraceBatchQuery(ctx context.Context, d session.BatchQueryData) {
	r.note(ctx, "batchquery", event{sql: d.SQL, tag: d.Tag, err: d.Err})
}
func (r *recorder) TraceBatchEnd(ctx context.Context, d session.BatchEndData) {
	r.end(ctx, "batch", event{err: d.Err})
}
func (r *recorder) TraceCopyStart(ctx context.Context, d session.CopyStartData) context.Context {
	return r.start(ctx, "copy", event{sql: d.SQL, data: d})
}
func (r *recorder) TraceCopyEnd(ctx context.Context, d session.CopyEndData) {
	r.end(ctx, "copy", event{rows: d.Rows, err: d.Err})
}
func (r *recorder) TracePrepareStart(ctx context.Context, d session.PrepareStartData) context.Context {
	return r.start(ctx, "prepare", event{sql: d.SQL, data: d.Name})
}
func (r *recorder) TracePrepareEnd(ctx context.Context, d session.PrepareEndData) {
	r.end(ctx, "prepare", event{err: d.Err})
}
func (r *recorder) TraceConnectStart(ctx context.Context, d session.ConnectStartData) context.Context {
	return r.start(ctx, "connect", event{data: d})
}
func (r *recorder) TraceConnectEnd(ctx context.Context, d session.ConnectEndData) {
	r.end(ctx, "connect", event{err: d.Err, data: d})
}
func (r *recorder) TraceAcquireStart(ctx context.Context, d session.AcquireStartData) context.Context {
	return r.start(ctx, "acquire", event{sql: d.For})
}
func (r *recorder) TraceAcquireEnd(ctx context.Context, d session.AcquireEndData) {
	r.note(ctx, "acquired", event{err: d.Err, data: d.PID})
}
func (r *recorder) TraceRelease(ctx context.Context, d session.ReleaseData) {
	r.end(ctx, "acquire", event{data: d.PID})
}

// take returns the events so far and forgets them, failing the test on
// any misuse recorded.
func (r *recorder) take(t *testing.T) []event {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.errs) > 0 {
		t.Fatalf("tracer misuse: %v", r.errs)
	}
	ev := r.events
	r.events = nil
	return ev
}

// ended waits until no span of kind is open (ends may come from connection
// goroutines a moment after the caller saw its answer).
func (r *recorder) settled(t *testing.T) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		r.mu.Lock()
		n := len(r.open)
		open := fmt.Sprint(r.open)
		r.mu.Unlock()
		if n == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("spans never ended: %s", open)
		}
		time.Sleep(time.Millisecond)
	}
}

// one returns the only event of kind with sql, failing otherwise.
func one(t *testing.T, evs []event, kind, sql string) (event, int) {
	t.Helper()
	at, found := -1, event{}
	for i, e := range evs {
		if e.kind == kind && e.sql == sql {
			if at >= 0 {
				t.Fatalf("two %s events for %q: %+v", kind, sql, evs)
			}
			at, found = i, e
		}
	}
	if at < 0 {
		t.Fatalf("no %s event for %q: %+v", kind, sql, evs)
	}
	return found, at
}

func newTracedSession(t *testing.T, rec *recorder) *session.Session {
	t.Helper()
	cfg, err := session.ParseConfig(dsn(t, pgtest.Trust))
	if err != nil {
		t.Fatal(err)
	}
	s, err := session.ConnectConfig(context.Background(), cfg, &session.Options{Tracer: rec})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close(context.Background()) })
	return s
}

// TestTraceQueryEndsAfterLastRow: a query's end comes after the caller
// read its last row (for a result that arrives whole and one that
// streams), with its tag.
func TestTraceQueryEndsAfterLastRow(t *testing.T) {
	rec := newRecorder()
	s := newTracedSession(t, rec)
	ctx := context.Background()
	rec.take(t)
	for _, n := range []int{3, 5000} {
		sql := fmt.Sprintf("SELECT g FROM generate_series(1, %d) g", n)
		rows, err := s.Query(ctx, sql).Await(ctx)
		if err != nil {
			t.Fatal(err)
		}
		got := 0
		for rows.Next() {
			got++
			if got == n {
				rec.mark("last row read")
			}
		}
		if err := rows.Err(); err != nil || got != n {
			t.Fatalf("%d rows, %v", got, err)
		}
		rows.Close() // a second end must not come of it
		evs := rec.take(t)
		st, si := one(t, evs, "query start", sql)
		end, ei := one(t, evs, "query", sql)
		_, mi := one(t, evs, "mark", "last row read")
		if !(si < mi && mi < ei) || end.span != st.span {
			t.Fatalf("order start %d, last row %d, end %d: %+v", si, mi, ei, evs)
		}
		if end.err != nil || end.tag.String() != fmt.Sprintf("SELECT %d", n) || end.tag.RowsAffected() != int64(n) {
			t.Fatalf("end %+v", end)
		}
		if d, _ := end.data.(time.Duration); d <= 0 {
			t.Fatalf("duration %v", end.data)
		}
	}
}

// TestTraceQueryRowExecAndFailures: QueryRow, Exec, a failing query, a
// cancelled one and one closed early each end once, with tag and error.
func TestTraceQueryRowExecAndFailures(t *testing.T) {
	rec := newRecorder()
	s := newTracedSession(t, rec)
	ctx := context.Background()
	if _, err := s.Exec(ctx, "CREATE TEMP TABLE trace_t (v int4)").Await(ctx); err != nil {
		t.Fatal(err)
	}
	rec.take(t)

	var v int32
	if err := s.QueryRow(ctx, "SELECT $1::int4", int32(7)).Scan(&v); err != nil || v != 7 {
		t.Fatalf("%d %v", v, err)
	}
	rec.mark("scanned")
	tag, err := s.Exec(ctx, "INSERT INTO trace_t SELECT g FROM generate_series(1, $1::int4) g", int32(3)).Await(ctx)
	if err != nil || tag.RowsAffected() != 3 {
		t.Fatalf("%v %v", tag, err)
	}
	_, qerr := s.Query(ctx, "SELECT 1/0").Await(ctx)
	var pe *session.PgError
	if !errors.As(qerr, &pe) || pe.SQLState() != "22012" {
		t.Fatalf("want division by zero, got %v", qerr)
	}
	cctx, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	_, cerr := s.Exec(cctx, "SELECT pg_sleep(10)").Await(ctx)
	cancel()
	if !errors.Is(cerr, context.DeadlineExceeded) {
		t.Fatalf("want deadline exceeded, got %v", cerr)
	}
	rows, err := s.Query(ctx, "SELECT g FROM generate_series(1, 100000) g").Await(ctx)
	if err != nil {
		t.Fatal(err)
	}
	rows.Next()
	if err := rows.Close(); err != nil {
		t.Fatalf("close early: %v", err)
	}
	rec.settled(t)
	evs := rec.take(t)

	end, ei := one(t, evs, "query", "SELECT $1::int4")
	_, mi := one(t, evs, "mark", "scanned")
	if ei > mi || end.err != nil || end.tag.String() != "SELECT 1" {
		t.Fatalf("QueryRow end %+v at %d, scanned at %d", end, ei, mi)
	}
	if st, _ := one(t, evs, "query start", "SELECT $1::int4"); st.n != 1 {
		t.Fatalf("QueryRow start saw %d args", st.n)
	}
	end, _ = one(t, evs, "query", "INSERT INTO trace_t SELECT g FROM generate_series(1, $1::int4) g")
	if end.err != nil || end.tag.String() != "INSERT 0 3" || end.tag.RowsAffected() != 3 {
		t.Fatalf("Exec end %+v", end)
	}
	end, _ = one(t, evs, "query", "SELECT 1/0")
	if !errors.As(end.err, &pe) || pe.SQLState() != "22012" {
		t.Fatalf("failing query end %+v", end)
	}
	end, _ = one(t, evs, "query", "SELECT pg_sleep(10)")
	if !errors.Is(end.err, context.DeadlineExceeded) {
		t.Fatalf("cancelled query end %+v", end)
	}
	end, _ = one(t, evs, "query", "SELECT g FROM generate_series(1, 100000) g")
	if end.err != nil {
		t.Fatalf("closed early: end %+v", end)
	}
}

// TestTraceBatch: one batch span with its commands, and the first error.
func TestTraceBatch(t *testing.T) {
	rec := newRecorder()
	p := newPool(t, dsn(t, pgtest.Trust), &session.PoolOptions{Options: session.Options{Tracer: rec}, MaxConns: 2})
	ctx := context.Background()

	b := &session.Batch{}
	r1 := b.QueryRow("SELECT $1::int4 + 1", int32(1))
	f2 := b.Exec("SELECT $1::text", "x")
	f3 := b.Query("SELECT g FROM generate_series(1, 4) g")
	if _, err := p.SendBatch(ctx, b).Await(ctx); err != nil {
		t.Fatal(err)
	}
	var v int32
	if err := r1.Scan(&v); err != nil || v != 2 {
		t.Fatalf("%d %v", v, err)
	}
	if _, err := f2.Await(ctx); err != nil {
		t.Fatal(err)
	}
	rows, err := f3.Await(ctx)
	if err != nil {
		t.Fatal(err)
	}
	rows.Close()

	bad := &session.Batch{}
	bad.Exec("SELECT $1::int4", int32(1))
	bad.Exec("SELECT 1/$1::int4", int32(0))
	bad.Exec("SELECT $1::int4", int32(3))
	_, berr := p.SendBatch(ctx, bad).Await(ctx)
	var pe *session.PgError
	if !errors.As(berr, &pe) || pe.SQLState() != "22012" {
		t.Fatalf("bad batch: %v", berr)
	}
	rec.settled(t)
	evs := rec.take(t)

	var batches []event
	items := map[int][]event{}
	for _, e := range evs {
		switch e.kind {
		case "batch start":
			batches = append(batches, e)
		case "batchquery":
			items[e.span] = append(items[e.span], e)
		case "query start", "query":
			t.Fatalf("a batch's command traced as a query: %+v", e)
		}
	}
	if len(batches) != 2 || batches[0].n != 3 || batches[1].n != 3 {
		t.Fatalf("batch starts %+v", batches)
	}
	good := items[batches[0].span]
	if len(good) != 3 || good[0].tag.String() != "SELECT 1" || good[2].tag.String() != "SELECT 4" || good[1].sql != "SELECT $1::text" {
		t.Fatalf("good batch items %+v", good)
	}
	failed := items[batches[1].span]
	if len(failed) != 3 || !errors.Is(failed[0].err, session.ErrBatchRolledBack) || !errors.As(failed[1].err, &pe) || !errors.Is(failed[2].err, session.ErrBatchNotRun) {
		t.Fatalf("failed batch items %+v", failed)
	}
	for i, e := range evs {
		if e.kind == "batch" {
			want := error(nil)
			if e.span == batches[1].span {
				if !errors.As(e.err, &pe) || pe.SQLState() != "22012" {
					t.Fatalf("failed batch end %+v", e)
				}
				want = e.err
			}
			if want == nil && e.err != nil {
				t.Fatalf("good batch end %+v", e)
			}
			for _, later := range evs[i:] {
				if later.kind == "batchquery" && later.span == e.span {
					t.Fatalf("an item after its batch ended: %+v", evs)
				}
			}
		}
	}
}

// TestTraceCopy: COPY in and out end with the row count.
func TestTraceCopy(t *testing.T) {
	rec := newRecorder()
	s := newTracedSession(t, rec)
	ctx := context.Background()
	if _, err := s.Exec(ctx, "CREATE TEMP TABLE trace_copy (id int8, name text)").Await(ctx); err != nil {
		t.Fatal(err)
	}
	rec.take(t)
	n, err := s.CopyFrom(ctx, session.Identifier{"trace_copy"}, []string{"id", "name"},
		session.CopyFromSlice(1234, func(i int) ([]any, error) { return []any{int64(i), "n"}, nil }))
	if err != nil || n != 1234 {
		t.Fatalf("%d %v", n, err)
	}
	var out bytes.Buffer
	m, err := s.CopyTo(ctx, &out, "COPY trace_copy TO STDOUT")
	if err != nil || m != 1234 || strings.Count(out.String(), "\n") != 1234 {
		t.Fatalf("%d %v", m, err)
	}
	_, ferr := s.CopyFrom(ctx, session.Identifier{"trace_copy"}, []string{"id", "name"}, session.CopyFromRows([][]any{{int64(1)}}))
	if ferr == nil {
		t.Fatal("a row with a missing value copied")
	}
	evs := rec.take(t)
	var starts, ends []event
	for _, e := range evs {
		switch e.kind {
		case "copy start":
			starts = append(starts, e)
		case "copy":
			ends = append(ends, e)
		}
	}
	if len(starts) != 3 || len(ends) != 3 {
		t.Fatalf("copy events %+v", evs)
	}
	in := starts[0].data.(session.CopyStartData)
	if !in.In || len(in.Table) != 1 || in.Table[0] != "trace_copy" || len(in.Columns) != 2 || !strings.HasPrefix(in.SQL, `COPY "trace_copy"`) {
		t.Fatalf("copy in start %+v", in)
	}
	if o := starts[1].data.(session.CopyStartData); o.In || o.SQL != "COPY trace_copy TO STDOUT" {
		t.Fatalf("copy out start %+v", o)
	}
	if ends[0].rows != 1234 || ends[0].err != nil || ends[1].rows != 1234 || ends[1].err != nil {
		t.Fatalf("copy ends %+v", ends)
	}
	if ends[2].err == nil || ends[2].err.Error() != ferr.Error() {
		t.Fatalf("failed copy end %+v, caller got %v", ends[2], ferr)
	}
	for i := range ends {
		if ends[i].span != starts[i].span {
			t.Fatalf("copy %d ended another's span: %+v", i, evs)
		}
	}
}

// TestTracePrepareConnectAcquire: Prepare, each connect attempt, and a
// pool's Begin and Acquire until their release.
func TestTracePrepareConnectAcquire(t *testing.T) {
	rec := newRecorder()
	s := newTracedSession(t, rec)
	ctx := context.Background()
	evs := rec.take(t)
	c, _ := one(t, evs, "connect", "")
	cd := c.data.(session.ConnectEndData)
	if c.err != nil || cd.PID != s.BackendPID() || cd.Host == "" || cd.Duration <= 0 {
		t.Fatalf("connect end %+v", cd)
	}
	st, err := s.Prepare(ctx, "trace_stmt", "SELECT $1::int4")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Prepare(ctx, "trace_bad", "SELEKT"); err == nil {
		t.Fatal("bad statement prepared")
	}
	var v int32
	if err := st.QueryRow(ctx, int32(5)).Scan(&v); err != nil || v != 5 {
		t.Fatal(v, err)
	}
	evs = rec.take(t)
	if e, _ := one(t, evs, "prepare start", "SELECT $1::int4"); e.data != "trace_stmt" {
		t.Fatalf("prepare start %+v", e)
	}
	if e, _ := one(t, evs, "query", "SELECT $1::int4"); e.err != nil || e.tag.String() != "SELECT 1" {
		t.Fatalf("statement's query end %+v", e)
	}
	var prepEnds []event
	for _, e := range evs {
		if e.kind == "prepare" {
			prepEnds = append(prepEnds, e)
		}
	}
	if len(prepEnds) != 2 || prepEnds[0].err != nil || prepEnds[1].err == nil {
		t.Fatalf("prepare ends %+v", prepEnds)
	}

	// A connect attempt that fails.
	cfg, _ := session.ParseConfig(dsn(t, pgtest.Trust, "host", "127.0.0.1", "port", "1", "connect_timeout", "2"))
	if _, err := session.ConnectConfig(ctx, cfg, &session.Options{Tracer: rec}); err == nil {
		t.Fatal("connected to port 1")
	}
	evs = rec.take(t)
	c, _ = one(t, evs, "connect", "")
	if cd := c.data.(session.ConnectEndData); c.err == nil || cd.Port != 1 || cd.Host != "127.0.0.1" || cd.PID != 0 {
		t.Fatalf("failed connect end %+v %+v", c, cd)
	}

	p := newPool(t, dsn(t, pgtest.Trust), &session.PoolOptions{Options: session.Options{Tracer: rec}, MaxConns: 1})
	tx, err := p.Begin(ctx, session.TxOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(ctx, "SELECT $1::int4", int32(1)).Await(ctx); err != nil {
		t.Fatal(err)
	}
	rec.mark("in tx")
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	conn, err := p.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	pid := conn.BackendPID()
	rec.mark("acquired")
	conn.Release()
	rec.settled(t)
	evs = rec.take(t)
	var fors []string
	for i, e := range evs {
		switch e.kind {
		case "acquire start":
			fors = append(fors, e.sql)
		case "acquired":
			if e.err != nil || e.data.(uint32) != pid {
				t.Fatalf("acquired %+v (pid %d)", e, pid)
			}
		case "acquire":
			if e.data.(uint32) != pid {
				t.Fatalf("release %+v", e)
			}
			if i == 0 || evs[i-1].kind == "acquire start" {
				t.Fatalf("released before use: %+v", evs)
			}
		}
	}
	if strings.Join(fors, ",") != "begin,acquire" {
		t.Fatalf("acquires for %v: %+v", fors, evs)
	}
	if e, _ := one(t, evs, "query", "SELECT $1::int4"); e.err != nil || e.tag.String() != "SELECT 1" {
		t.Fatalf("a transaction's held query: %+v", e)
	}
	_, ri := one(t, evs, "mark", "acquired")
	for _, e := range evs[ri:] {
		if e.kind == "acquire start" {
			t.Fatalf("acquire after the mark: %+v", evs)
		}
	}
}

// TestTraceAbandonedQuery: a caller who gives up waiting for its rows
// still gets the query's end, once.
func TestTraceAbandonedQuery(t *testing.T) {
	rec := newRecorder()
	s := newTracedSession(t, rec)
	ctx := context.Background()
	rec.take(t)
	// The connection is busy, so the second query's future resolves after
	// its caller stopped waiting.
	slow := s.Exec(ctx, "SELECT pg_sleep(0.3)")
	f := s.Query(ctx, "SELECT g FROM generate_series(1, 10) g")
	wctx, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
	if _, err := f.Await(wctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("await: %v", err)
	}
	cancel()
	if _, err := slow.Await(ctx); err != nil {
		t.Fatal(err)
	}
	rec.settled(t)
	evs := rec.take(t)
	if e, _ := one(t, evs, "query", "SELECT g FROM generate_series(1, 10) g"); e.err == nil {
		t.Fatalf("abandoned query ended without an error: %+v", e)
	}
}

// TestTracerAndLogger: queries are logged with LogQueries only; passwords
// never.
func TestTracerAndLogger(t *testing.T) {
	for _, logQueries := range []bool{false, true} {
		rec := newRecorder()
		var logs lockedBuffer
		logger := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
		p := newPool(t, dsn(t, pgtest.SCRAM), &session.PoolOptions{
			Options:  session.Options{Tracer: rec, Logger: logger, LogQueries: logQueries},
			MaxConns: 1,
		})
		ctx := context.Background()
		var v int
		if err := p.QueryRow(ctx, "SELECT $1::int4", 7).Scan(&v); err != nil {
			t.Fatal(err)
		}
		p.Exec(ctx, "SELECT 1/0").Await(ctx)
		var out bytes.Buffer
		p.CopyTo(ctx, &out, "COPY (SELECT 1) TO STDOUT")
		p.Close()
		rec.settled(t)
		evs := rec.take(t)
		one(t, evs, "query", "SELECT $1::int4")
		one(t, evs, "query", "SELECT 1/0")
		one(t, evs, "copy", "")
		one(t, evs, "connect", "")
		got := logs.String()
		if !strings.Contains(got, "pgactor: connected") || strings.Contains(got, pgtest.Password) {
			t.Fatalf("log: %s", got)
		}
		logged := strings.Contains(got, "SELECT $1") && strings.Contains(got, "query failed") && strings.Contains(got, "COPY (SELECT 1)")
		if logged != logQueries {
			t.Fatalf("LogQueries %v, log: %s", logQueries, got)
		}
	}
}

// TestTracerPartial: a tracer implementing only QueryTracer gets only
// queries.
func TestTracerPartial(t *testing.T) {
	q := &queryOnly{}
	cfg, err := session.ParseConfig(dsn(t, pgtest.Trust))
	if err != nil {
		t.Fatal(err)
	}
	s, err := session.ConnectConfig(context.Background(), cfg, &session.Options{Tracer: q})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close(context.Background())
	ctx := context.Background()
	if _, err := s.CopyTo(ctx, io.Discard, "COPY (SELECT 1) TO STDOUT"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Exec(ctx, "SELECT 1").Await(ctx); err != nil {
		t.Fatal(err)
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.starts != 1 || q.ends != 1 {
		t.Fatalf("%d starts, %d ends", q.starts, q.ends)
	}
}

type queryOnly struct {
	mu           sync.Mutex
	starts, ends int
}

func (q *queryOnly) TraceQueryStart(ctx context.Context, _ session.QueryStartData) context.Context {
	q.mu.Lock()
	q.starts++
	q.mu.Unlock()
	return ctx
}

func (q *queryOnly) TraceQueryEnd(context.Context, session.QueryEndData) {
	q.mu.Lock()
	q.ends++
	q.mu.Unlock()
}
