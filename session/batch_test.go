package session_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/pgactor/pgactor/futures"
	"github.com/pgactor/pgactor/internal/pgtest"
	"github.com/pgactor/pgactor/session"
)

func TestBatchResultsInOrder(t *testing.T) {
	for _, mode := range []string{"cached", "unnamed"} {
		t.Run(mode, func(t *testing.T) {
			s := connect(t, dsn(t, pgtest.Trust, "statement_cache_mode", map[string]string{"cached": "prepare", "unnamed": "unnamed"}[mode]))
			ctx := context.Background()
			if _, err := s.Exec(ctx, "CREATE TEMP TABLE bt (v int)").Await(ctx); err != nil {
				t.Fatal(err)
			}
			for round := range 2 { // the second round finds every statement cached
				b := &session.Batch{}
				var qs []*futures.Future[*session.Rows]
				var es []*futures.Future[session.CommandTag]
				for i := range 500 {
					qs = append(qs, b.Query("SELECT $1::int, $2::text", i, fmt.Sprint("r", round)))
					es = append(es, b.Exec("INSERT INTO bt VALUES ($1)", i))
				}
				row := b.QueryRow("SELECT count(*) FROM bt")
				if err := futures.AwaitAll(ctx, s.SendBatch(ctx, b)); err != nil {
					t.Fatal(err)
				}
				for i, f := range qs {
					rows, err := f.Await(ctx)
					if err != nil {
						t.Fatal(err)
					}
					var v int
					var r string
					for rows.Next() {
						rows.Scan(&v, &r)
					}
					if rows.Err() != nil || v != i || r != fmt.Sprint("r", round) {
						t.Fatalf("query %d: %d %q %v", i, v, r, rows.Err())
					}
				}
				for i, f := range es {
					if tag, err := f.Await(ctx); err != nil || tag.RowsAffected() != 1 {
						t.Fatalf("exec %d: %v %v", i, tag, err)
					}
				}
				var n int64
				if err := row.Scan(&n); err != nil || n != int64(500*(round+1)) {
					t.Fatalf("count inside the batch: %d %v", n, err)
				}
			}
		})
	}
}

// TestBatchIsAtomic: one failing command fails the batch; nothing of it
// persists, and each command says what became of it.
func TestBatchIsAtomic(t *testing.T) {
	s := connect(t, dsn(t, pgtest.Trust))
	ctx := context.Background()
	if _, err := s.Exec(ctx, "CREATE TEMP TABLE ba (v int)").Await(ctx); err != nil {
		t.Fatal(err)
	}
	b := &session.Batch{}
	first := b.Exec("INSERT INTO ba VALUES ($1)", 1)
	second := b.Query("SELECT $1::int", 2)
	bad := b.Exec("SELECT 1 / $1::int", 0)
	after := b.Exec("INSERT INTO ba VALUES ($1)", 3)
	_, err := s.SendBatch(ctx, b).Await(ctx)
	var pe *session.PgError
	if !errors.As(err, &pe) || pe.SQLState() != "22012" {
		t.Fatalf("batch: %v", err)
	}
	if _, err := first.Await(ctx); !errors.Is(err, session.ErrBatchRolledBack) || !errors.As(err, &pe) {
		t.Fatalf("the command before the failure: %v", err)
	}
	if _, err := second.Await(ctx); !errors.Is(err, session.ErrBatchRolledBack) {
		t.Fatalf("the query before the failure: %v", err)
	}
	if _, err := bad.Await(ctx); !errors.As(err, &pe) || pe.SQLState() != "22012" {
		t.Fatalf("the failing command: %v", err)
	}
	if _, err := after.Await(ctx); !errors.Is(err, session.ErrBatchNotRun) {
		t.Fatalf("the command after the failure: %v", err)
	}
	var n int64
	if err := s.QueryRow(ctx, "SELECT count(*) FROM ba").Scan(&n); err != nil || n != 0 {
		t.Fatalf("%d rows persisted from a failed batch (%v)", n, err)
	}
	// A statement that cannot be prepared fails the batch before it runs.
	b = &session.Batch{}
	ok := b.Exec("INSERT INTO ba VALUES ($1)", 1)
	b.Exec("SELEC nonsense")
	if _, err := s.SendBatch(ctx, b).Await(ctx); !errors.As(err, &pe) || pe.SQLState() != "42601" {
		t.Fatalf("a batch with a syntax error: %v", err)
	}
	if _, err := ok.Await(ctx); err == nil {
		t.Fatal("a command of a batch that could not be prepared succeeded")
	}
	// Bad arguments fail the batch before anything is sent.
	b = &session.Batch{}
	f := b.Exec("INSERT INTO ba VALUES (:v)", session.Named{"w": 1})
	if _, err := s.SendBatch(ctx, b).Await(ctx); err == nil {
		t.Fatal("a batch with bad arguments was sent")
	}
	if _, err := f.Await(ctx); err == nil {
		t.Fatal("its command succeeded")
	}
	if _, err := s.SendBatch(ctx, b).Await(ctx); err == nil {
		t.Fatal("a batch was sent twice")
	}
	if err := s.QueryRow(ctx, "SELECT count(*) FROM ba").Scan(&n); err != nil || n != 0 {
		t.Fatalf("%d rows (%v)", n, err)
	}
}

// TestBatchEverywhere: a batch in a transaction, on an acquired connection
// and on a pool; a large result streams while the batch goes on.
func TestBatchEverywhere(t *testing.T) {
	p := newPool(t, dsn(t, pgtest.Trust), &session.PoolOptions{MaxConns: 2})
	ctx := context.Background()
	if _, err := p.Exec(ctx, "DROP TABLE IF EXISTS bev; CREATE TABLE bev (v int)").Await(ctx); err != nil {
		t.Fatal(err)
	}
	run := func(send func(*session.Batch) *futures.Future[struct{}]) {
		t.Helper()
		b := &session.Batch{}
		big := b.Query("SELECT generate_series(1, $1::int)", 20000)
		ins := b.Exec("INSERT INTO bev VALUES ($1)", 1)
		done := send(b)
		rows, err := big.Await(ctx)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for rows.Next() {
			n++
		}
		if rows.Err() != nil || n != 20000 {
			t.Fatalf("%d rows, %v", n, rows.Err())
		}
		if _, err := done.Await(ctx); err != nil {
			t.Fatal(err)
		}
		if _, err := ins.Await(ctx); err != nil {
			t.Fatal(err)
		}
	}
	run(func(b *session.Batch) *futures.Future[struct{}] { return p.SendBatch(ctx, b) })
	tx, err := p.Begin(ctx, session.TxOptions{})
	if err != nil {
		t.Fatal(err)
	}
	run(func(b *session.Batch) *futures.Future[struct{}] { return tx.SendBatch(ctx, b) })
	if err := tx.Rollback(ctx); err != nil {
		t.Fatal(err)
	}
	c, err := p.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	run(func(b *session.Batch) *futures.Future[struct{}] { return c.SendBatch(ctx, b) })
	c.Release()
	var n int64
	if err := p.QueryRow(ctx, "SELECT count(*) FROM bev").Scan(&n); err != nil || n != 2 {
		t.Fatalf("%d rows, want the pool's and the Conn's (the transaction rolled back): %v", n, err)
	}
}
