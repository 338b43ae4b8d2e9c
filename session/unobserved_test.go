package session_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"maps"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pgactor/pgactor/futures"
	"github.com/pgactor/pgactor/internal/pgtest"
	"github.com/pgactor/pgactor/session"
)

// BenchmarkSessionExec is one goroutine awaiting one Exec at a time: the
// awaited path that unobserved-error reporting must leave alone.
func BenchmarkSessionExec(b *testing.B) {
	s := connect(b, dsn(b, pgtest.Trust))
	ctx := context.Background()
	b.ReportAllocs()
	var n int64
	for b.Loop() {
		n++
		if _, err := s.Exec(ctx, "SELECT $1::int8", n).Await(ctx); err != nil {
			b.Fatal(err)
		}
	}
}

// reported is what OnUnobservedError and the logger received.
type reported struct {
	mu   sync.Mutex
	sqls map[string][]error
	log  bytes.Buffer
}

func (r *reported) hook(_ context.Context, sql string, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.sqls[sql] = append(r.sqls[sql], err)
}

func (r *reported) Write(p []byte) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.log.Write(p)
}

func (r *reported) snapshot() (map[string][]error, string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return maps.Clone(r.sqls), r.log.String()
}

// waitReports collects garbage until every statement head in want was
// reported or ten seconds passed, then a few rounds more for strays.
func (r *reported) waitReports(t *testing.T, want ...string) map[string][]error {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for extra := 5; extra > 0 && time.Now().Before(deadline); {
		runtime.GC()
		time.Sleep(20 * time.Millisecond)
		got, _ := r.snapshot()
		all := true
		for _, w := range want {
			all = all && len(got[w]) > 0
		}
		if all {
			extra--
		}
	}
	got, _ := r.snapshot()
	for _, w := range want {
		if len(got[w]) != 1 {
			t.Fatalf("%q reported %d times, want once; all reports: %v", w, len(got[w]), got)
		}
	}
	return got
}

// Each drop* sends a command and lets its future go; noinline so that no
// stack slot of the test keeps the future alive.

//go:noinline
func dropExec(ctx context.Context, db interface {
	Exec(context.Context, string, ...any) *futures.Future[session.CommandTag]
}, sql string, args ...any) {
	db.Exec(ctx, sql, args...)
}

//go:noinline
func dropQuery(ctx context.Context, s *session.Session, sql string) {
	s.Query(ctx, sql)
}

//go:noinline
func dropBatch(ctx context.Context, s *session.Session, readThrough bool, sqls ...string) {
	b := &session.Batch{}
	var first *futures.Future[session.CommandTag]
	for _, sql := range sqls {
		f := b.Exec(sql)
		if first == nil {
			first = f
		}
	}
	s.SendBatch(ctx, b)
	if readThrough {
		first.Await(ctx)
	}
}

//go:noinline
func dropTx(ctx context.Context, t *testing.T, s *session.Session, sql string) {
	tx, err := s.Begin(ctx, session.TxOptions{})
	if err != nil {
		t.Fatal(err)
	}
	tx.Exec(ctx, sql)
	if err := tx.Commit(ctx); err == nil {
		t.Errorf("commit of a transaction whose %q failed succeeded", sql)
	}
}

func TestUnobservedErrorReported(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	r := &reported{sqls: map[string][]error{}}
	opts := &session.Options{
		Logger:            slog.New(slog.NewTextHandler(r, &slog.HandlerOptions{Level: slog.LevelWarn})),
		OnUnobservedError: r.hook,
	}
	cfg, err := session.ParseConfig(dsn(t, pgtest.Trust))
	if err != nil {
		t.Fatal(err)
	}
	s, err := session.ConnectConfig(ctx, cfg, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close(ctx)
	p, err := session.NewPoolConfig(ctx, cfg, &session.PoolOptions{Options: *opts, MaxConns: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()

	// Reported: failed and dropped.
	dropExec(ctx, s, "INSERT INTO unobs_missing_exec VALUES ($1)", "secret-argument")
	dropExec(ctx, p, "DELETE   FROM\n unobs_missing_pool WHERE true")
	dropQuery(ctx, s, "SELECT * FROM unobs_missing_query")
	dropBatch(ctx, s, false, "INSERT INTO unobs_missing_batch VALUES (1)", "SELECT 1")
	// Not reported: awaited, read through another future of the batch,
	// successful, or part of a transaction whose Commit failed.
	if _, err := s.Exec(ctx, "INSERT INTO unobs_missing_awaited VALUES (1)").Await(ctx); err == nil {
		t.Fatal("insert into a missing table succeeded")
	}
	f := s.Query(ctx, "SELECT * FROM unobs_missing_done")
	<-f.Done()
	if _, err, ok := f.Result(); !ok || err == nil {
		t.Fatalf("query of a missing table: ok %v, err %v", ok, err)
	}
	dropBatch(ctx, s, true, "INSERT INTO unobs_missing_readbatch VALUES (1)")
	dropExec(ctx, s, "SELECT 1 AS unobs_fine")
	dropTx(ctx, t, s, "INSERT INTO unobs_missing_tx VALUES (1)")
	// Every command on s before this one is answered once it is.
	if _, err := s.Exec(ctx, "SELECT 1").Await(ctx); err != nil {
		t.Fatal(err)
	}

	got := r.waitReports(t,
		"INSERT INTO unobs_missing_exec",
		"DELETE FROM unobs_missing_pool",
		"SELECT * FROM",
		"batch: INSERT INTO unobs_missing_batch")
	if len(got) != 4 {
		t.Errorf("reports for %d statements, want 4: %v", len(got), got)
	}
	for sql, errs := range got {
		var pe *session.PgError
		if !errors.As(errs[0], &pe) || pe.SQLState() != "42P01" {
			t.Errorf("%q reported with %v, want undefined_table", sql, errs[0])
		}
	}
	_, log := r.snapshot()
	if n := strings.Count(log, "level=WARN"); n != 4 {
		t.Errorf("%d warnings logged, want 4:\n%s", n, log)
	}
	for _, want := range []string{"unobs_missing_exec", "unobs_missing_pool", "unobs_missing_query", "unobs_missing_batch"} {
		if !strings.Contains(log, want) {
			t.Errorf("log does not name %s:\n%s", want, log)
		}
	}
	if strings.Contains(log, "secret-argument") {
		t.Errorf("an argument was logged:\n%s", log)
	}
}
