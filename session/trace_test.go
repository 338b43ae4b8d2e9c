package session_test

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pgactor/pgactor/internal/pgtest"
	"github.com/pgactor/pgactor/session"
)

type recorder struct {
	mu     sync.Mutex
	events []string
}

func (r *recorder) add(s string) {
	r.mu.Lock()
	r.events = append(r.events, s)
	r.mu.Unlock()
}

func (r *recorder) QueryStart(_ context.Context, sql string, _ []any) { r.add("start " + sql) }
func (r *recorder) QueryEnd(_ context.Context, sql string, _ time.Duration, err error) {
	if err != nil {
		r.add("fail " + sql)
	} else {
		r.add("end " + sql)
	}
}
func (r *recorder) Connect(_ context.Context, host string, _ time.Duration, err error) {
	r.add("connect")
}
func (r *recorder) PoolAcquire(context.Context, time.Duration, error) { r.add("acquire") }

func TestTracerAndLogger(t *testing.T) {
	rec := &recorder{}
	var logs bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	d := dsn(t, pgtest.SCRAM)
	p, err := session.NewPool(context.Background(), d, &session.PoolOptions{
		Options:  session.Options{Tracer: rec, Logger: logger},
		MaxConns: 1,
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	var v int
	p.QueryRow(ctx, "SELECT $1::int4", 7).Scan(&v)
	p.Exec(ctx, "SELECT 1/0").Await(ctx)
	tx, _ := p.Begin(ctx, session.TxOptions{})
	tx.Exec(ctx, "SELECT 1").Await(ctx) // cannot be held: the transaction acquires a connection
	tx.Rollback(ctx)
	p.Close()
	got := strings.Join(rec.events, "|")
	for _, want := range []string{"connect", "start SELECT $1::int4", "end SELECT $1::int4", "fail SELECT 1/0", "acquire"} {
		if !strings.Contains(got, want) {
			t.Fatalf("tracer missed %q: %s", want, got)
		}
	}
	out := logs.String()
	if !strings.Contains(out, "pgactor: connected") {
		t.Fatalf("no connect log: %s", out)
	}
	if strings.Contains(out, "SELECT $1") || strings.Contains(out, pgtest.Password) {
		t.Fatalf("queries or passwords logged without LogQueries: %s", out)
	}
}
