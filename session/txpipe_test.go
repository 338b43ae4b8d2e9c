package session_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/pgactor/pgactor/internal/pgtest"
	"github.com/pgactor/pgactor/session"
)

// runTag tells this run's rows from those of earlier runs (go test -count).
func runTag() string { return fmt.Sprint(time.Now().UnixNano()) }

// countRows returns how many rows of table carry tag.
func countRows(t *testing.T, s *session.Session, table, tag string) int {
	t.Helper()
	ctx := context.Background()
	var n int
	if err := s.QueryRow(ctx, "SELECT count(*)::int4 FROM "+table+" WHERE tag = $1", tag).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestCommitBehindItsCommands fires a transaction's statements as futures
// and calls Commit at once, without awaiting them: COMMIT queues behind
// them. A statement that fails on the server, one whose arguments cannot be
// encoded and one whose context ended before it was sent each make Commit
// roll back and report that failure; none of the transaction's rows
// survive. Without a failure everything commits.
func TestCommitBehindItsCommands(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	d := dsn(t, pgtest.Trust)
	s := connect(t, d)
	if _, err := s.Exec(ctx, "CREATE TABLE IF NOT EXISTS txpipe (tag text, n int4)").Await(ctx); err != nil {
		t.Fatal(err)
	}
	canceled, stop := context.WithCancel(ctx)
	stop()
	cases := []struct {
		name string
		bad  func(tx *session.Tx)
		want func(error) bool
	}{
		{"none", nil, func(err error) bool { return err == nil }},
		{"server", func(tx *session.Tx) { tx.Exec(ctx, "INSERT INTO txpipe VALUES ($1, 1 / $2::int4)", "server", 0) },
			func(err error) bool {
				var pe *session.PgError
				return errors.Is(err, session.ErrTxCommitRollback) && errors.As(err, &pe) && pe.SQLState() == "22012"
			}},
		{"encode", func(tx *session.Tx) {
			tx.Exec(ctx, "INSERT INTO txpipe VALUES ($1, $2)", "encode", struct{ C chan int }{})
		},
			func(err error) bool { return errors.Is(err, session.ErrTxCommitRollback) }},
		{"canceled", func(tx *session.Tx) { tx.Exec(canceled, "INSERT INTO txpipe VALUES ($1, 7)", "canceled") },
			func(err error) bool {
				return errors.Is(err, session.ErrTxCommitRollback) && errors.Is(err, context.Canceled)
			}},
	}
	run := runTag()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			for _, db := range []session.TxBeginner{s, newPool(t, d, &session.PoolOptions{MaxConns: 2})} {
				tag := fmt.Sprintf("%s-%s-%T", run, c.name, db)
				err := session.BeginFunc(ctx, db, session.TxOptions{}, func(tx *session.Tx) error {
					for i := range 20 {
						tx.Exec(ctx, "INSERT INTO txpipe VALUES ($1, $2)", tag, i)
						if i == 10 && c.bad != nil {
							c.bad(tx)
						}
					}
					return nil
				})
				if !c.want(err) {
					t.Fatalf("%T: Commit returned %v", db, err)
				}
				want := 20
				if c.bad != nil {
					want = 0
				}
				if n := countRows(t, s, "txpipe", tag); n != want {
					t.Fatalf("%T: %d rows committed, want %d", db, n, want)
				}
			}
		})
	}
}

// TestSavepointLosesCommand: a command of a savepoint that never reached the
// server makes the savepoint's Commit roll back to it; the parent's own work
// commits.
func TestSavepointLosesCommand(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s := connect(t, dsn(t, pgtest.Trust))
	if _, err := s.Exec(ctx, "CREATE TABLE IF NOT EXISTS txpipe (tag text, n int4)").Await(ctx); err != nil {
		t.Fatal(err)
	}
	// Once with the statement new to the connection (arguments encoded by
	// the actor), once cached (encoded by the caller, the failure never
	// reaches the actor's loop).
	run := runTag()
	for round := range 2 {
		t.Run(fmt.Sprint("round ", round), func(t *testing.T) { savepointLosesCommand(t, s, run+fmt.Sprint(round)) })
	}
}

func savepointLosesCommand(t *testing.T, s *session.Session, round string) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	tx, err := s.Begin(ctx, session.TxOptions{})
	if err != nil {
		t.Fatal(err)
	}
	tx.Exec(ctx, "INSERT INTO txpipe VALUES ($1, 1)", "sp-parent"+round)
	sp, err := tx.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	sp.Exec(ctx, "INSERT INTO txpipe VALUES ($1, 1)", "sp-child"+round)
	sp.Exec(ctx, "INSERT INTO txpipe VALUES ($1, $2)", "sp-child"+round, struct{ C chan int }{})
	if err := sp.Commit(ctx); !errors.Is(err, session.ErrTxCommitRollback) {
		t.Fatalf("savepoint commit: %v", err)
	}
	if err := tx.Commit(ctx); err != nil {
		t.Fatalf("parent commit: %v", err)
	}
	if p, c := countRows(t, s, "txpipe", "sp-parent"+round), countRows(t, s, "txpipe", "sp-child"+round); p != 1 || c != 0 {
		t.Fatalf("parent rows %d, savepoint rows %d", p, c)
	}
}

// TestBeginFuncPanics rolls back and lets the panic go on.
func TestBeginFuncPanics(t *testing.T) {
	ctx := context.Background()
	s := connect(t, dsn(t, pgtest.Trust))
	if _, err := s.Exec(ctx, "CREATE TABLE IF NOT EXISTS txpipe (tag text, n int4)").Await(ctx); err != nil {
		t.Fatal(err)
	}
	func() {
		defer func() {
			if recover() == nil {
				t.Fatal("the panic was swallowed")
			}
		}()
		session.BeginFunc(ctx, s, session.TxOptions{}, func(tx *session.Tx) error {
			tx.Exec(ctx, "INSERT INTO txpipe VALUES ('panic', 1)")
			panic("boom")
		})
	}()
	if n := countRows(t, s, "txpipe", "panic"); n != 0 {
		t.Fatalf("%d rows of a panicked transaction committed", n)
	}
	if _, err := s.Exec(ctx, "SELECT 1").Await(ctx); err != nil {
		t.Fatalf("the session after the panic: %v", err)
	}
}
