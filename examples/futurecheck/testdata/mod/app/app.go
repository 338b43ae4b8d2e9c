// Package app uses pgactor the right way and the wrong way, for
// futurecheck's tests.
package app

import (
	"context"

	"github.com/pgactor/pgactor/futures"
	"github.com/pgactor/pgactor/session"
)

type F = futures.Future[session.CommandTag] // an alias must not hide a future

// Dropped: each loses its command's error.
func dropped(ctx context.Context, pool *session.Pool, s *session.Session, c *session.Conn, b *session.Batch) {
	pool.Exec(ctx, "INSERT INTO t VALUES (1)")                 // want `the future of pool.Exec is dropped`
	(s.Query(ctx, "SELECT 1"))                                 // want `the future of s.Query is dropped`
	s.SimpleQuery(ctx, "SELECT 1")                             // want `the future of s.SimpleQuery is dropped`
	c.Exec(ctx, "DELETE FROM t")                               // want `the future of c.Exec is dropped`
	_ = pool.Exec(ctx, "INSERT INTO t VALUES (2)")             // want `a future assigned to _ is dropped`
	_, _ = s.Exec(ctx, "SELECT 1"), pool.Exec(ctx, "SELECT 2") // want `a future assigned to _ is dropped` `a future assigned to _ is dropped`
	go pool.Exec(ctx, "INSERT INTO t VALUES (3)")              // want `go pool.Exec drops its future`
	defer pool.Exec(ctx, "INSERT INTO t VALUES (4)")           // want `defer pool.Exec drops its future`
	newFuture()                                                // want `the future of newFuture is dropped`
	pair(ctx, pool)                                            // want `the future of pair is dropped`
	_, _ = pair(ctx, pool)                                     // want `a future assigned to _ is dropped`
	var alias *F
	_ = alias // want `a future assigned to _ is dropped`

	defer pool.Exec(ctx, "DROP TABLE t").Await(ctx)              // want `pool.Exec runs when the defer statement is reached`
	defer futures.AwaitAll(ctx, s.Exec(ctx, "DROP TABLE t"))     // want `s.Exec runs when the defer statement is reached`
	defer func() { pool.Exec(ctx, "DROP TABLE t").Await(ctx) }() // runs at the end, as meant
}

func newFuture() *futures.Future[int] { return futures.New[int]() }

func pair(ctx context.Context, pool *session.Pool) (*F, int) {
	return pool.Exec(ctx, "SELECT 1"), 1
}

// Clean: awaited, kept, passed on, or reported by something else.
func clean(ctx context.Context, pool *session.Pool, tx *session.Tx) error {
	f := pool.Exec(ctx, "INSERT INTO t VALUES (1)")
	if _, err := f.Await(ctx); err != nil {
		return err
	}
	if _, err := pool.Exec(ctx, "SELECT 1").Await(ctx); err != nil {
		return err
	}
	fs := []*F{pool.Exec(ctx, "SELECT 1"), pool.Exec(ctx, "SELECT 2")}
	if err := futures.AwaitAll(ctx, fs...); err != nil {
		return err
	}
	b := &session.Batch{}
	b.Exec("INSERT INTO t VALUES (5)") // a batch reports through SendBatch
	b.Query("SELECT 1")
	if _, err := pool.SendBatch(ctx, b).Await(ctx); err != nil {
		return err
	}
	b = &session.Batch{}
	row := b.QueryRow("SELECT 1")
	pool.SendBatch(ctx, b) // read through its Row
	if err := row.Scan(new(int)); err != nil {
		return err
	}
	tx.Exec(ctx, "INSERT INTO t VALUES ($1)", 6) // a transaction reports through Commit
	_ = tx.Exec(ctx, "INSERT INTO t VALUES ($1)", 7)
	n, _ := count(ctx, pool) // a blank that holds no future
	_ = n
	go func() { pool.QueryRow(ctx, "SELECT 1").Scan(new(int)) }()
	kept = pool.Exec(ctx, "SELECT 1")
	return tx.Commit(ctx)
}

var kept *F

func count(ctx context.Context, pool *session.Pool) (int64, error) {
	var n int64
	err := pool.QueryRow(ctx, "SELECT count(*) FROM t").Scan(&n)
	return n, err
}
