package session_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/pgactor/pgactor/internal/pgtest"
	"github.com/pgactor/pgactor/session"
)

// startPgBouncer starts a PgBouncer in transaction mode with poolSize
// server connections in front of the harness's server, for the test.
func startPgBouncer(t *testing.T, poolSize int) *pgtest.PgBouncer {
	t.Helper()
	cluster.RequireLocal(t, "a pgbouncer in front of the harness's server")
	b, err := cluster.StartPgBouncer("transaction", poolSize)
	if errors.Is(err, pgtest.ErrNoPgBouncer) {
		t.Skip("pgbouncer is not installed (.ci/run installs it)")
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	return b
}

// TestThroughPgBouncerTransactionMode: with statement_cache_mode=unnamed
// every statement goes out in one flight before its Sync, so PgBouncer in
// transaction mode may hand each to any server connection, and every caller
// still gets its own, correct rows (DESIGN: split Parse/Bind returned wrong
// rows through PgBouncer).
func TestThroughPgBouncerTransactionMode(t *testing.T) {
	b := startPgBouncer(t, 2)
	p := newPool(t, b.DSN(cluster.Database)+"&statement_cache_mode=unnamed", &session.PoolOptions{MaxConns: 4, MinConns: 4})
	ctx := context.Background()
	var wg sync.WaitGroup
	errs := make(chan error, 50)
	for g := range 50 {
		wg.Go(func() {
			for i := range 40 {
				n := int64(g*1000 + i)
				var got int64
				var label string
				var err error
				// Three statement texts with different result shapes.
				switch i % 3 {
				case 0:
					err = p.QueryRow(ctx, "SELECT $1::int8 * 2, 'double'", n).Scan(&got, &label)
					n *= 2
				case 1:
					err = p.QueryRow(ctx, "SELECT $1::int8 + 1, 'next'", n).Scan(&got, &label)
					n++
				default:
					var text string
					err = p.QueryRow(ctx, "SELECT $1::text, $2::int8", fmt.Sprint(n), n).Scan(&text, &got)
					if text != fmt.Sprint(n) {
						err = fmt.Errorf("text %q for %d", text, n)
					}
				}
				if err == nil && got != n {
					err = fmt.Errorf("goroutine %d query %d: got %d want %d", g, i, got, n)
				}
				if err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	// Transactions pin a client connection; PgBouncer keeps its server
	// connection for the whole transaction.
	tx, err := p.Begin(ctx, session.TxOptions{})
	if err != nil {
		t.Fatal(err)
	}
	tx.Exec(ctx, "CREATE TEMP TABLE bounced (v int) ON COMMIT DROP").Await(ctx)
	tx.Exec(ctx, "INSERT INTO bounced VALUES ($1)", 7).Await(ctx)
	var v int
	if err := tx.QueryRow(ctx, "SELECT v FROM bounced").Scan(&v); err != nil || v != 7 {
		t.Fatalf("inside a transaction through pgbouncer: %d %v", v, err)
	}
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
}
