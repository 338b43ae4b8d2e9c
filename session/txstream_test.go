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

// TestLongTransactionStreams: a transaction of 1,000 statements fired as
// futures starts running on the server before Commit (its backend holds a
// transaction ID while the caller is still adding statements), and stays
// one transaction: without a failure all of it commits; a statement failing
// on the server after the first part went out, one whose arguments cannot
// be encoded, one whose context ended, or Rollback leave none of it. A
// command of nobody sent on the same pool meanwhile neither sees the
// transaction's rows nor lands in it.
func TestLongTransactionStreams(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	d := dsn(t, pgtest.Trust)
	s := connect(t, d)
	admin := connect(t, d) // s is the transaction's while it streams
	if _, err := s.Exec(ctx, "CREATE TABLE IF NOT EXISTS txstream (tag text, n int4)").Await(ctx); err != nil {
		t.Fatal(err)
	}
	canceled, stop := context.WithCancel(ctx)
	stop()
	const statements, badAt = 1000, 600
	cases := []struct {
		name     string
		bad      func(tx *session.Tx)
		rollback bool
		want     func(error) bool
	}{
		{"commit", nil, false, func(err error) bool { return err == nil }},
		{"server", func(tx *session.Tx) { tx.Exec(ctx, "INSERT INTO txstream VALUES ($1, 1 / $2::int4)", "server", 0) }, false,
			func(err error) bool {
				var pe *session.PgError
				return errors.Is(err, session.ErrTxCommitRollback) && errors.As(err, &pe) && pe.SQLState() == "22012"
			}},
		{"encode", func(tx *session.Tx) {
			tx.Exec(ctx, "INSERT INTO txstream VALUES ($1, $2)", "encode", struct{ C chan int }{})
		}, false, func(err error) bool { return errors.Is(err, session.ErrTxCommitRollback) }},
		{"canceled", func(tx *session.Tx) { tx.Exec(canceled, "INSERT INTO txstream VALUES ($1, 7)", "canceled") }, false,
			func(err error) bool {
				return errors.Is(err, session.ErrTxCommitRollback) && errors.Is(err, context.Canceled)
			}},
		{"rollback", nil, true, func(err error) bool { return err == nil }},
	}
	run := runTag()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := newPool(t, d, &session.PoolOptions{MaxConns: 2})
			for _, db := range []session.TxBeginner{s, p} {
				tag := fmt.Sprintf("%s-%s-%T", run, c.name, db)
				tx, err := db.Begin(ctx, session.TxOptions{})
				if err != nil {
					t.Fatal(err)
				}
				for i := range statements {
					tx.Exec(ctx, "INSERT INTO txstream VALUES ($1, $2)", tag, i)
					if i == badAt && c.bad != nil {
						c.bad(tx)
					}
					if i == 300 {
						waitOpenTransaction(t, ctx, admin)
						// A command of nobody, meanwhile: it sees none of
						// the transaction's rows, and its own row is not
						// the transaction's to roll back.
						var n int
						if err := p.QueryRow(ctx, "SELECT count(*)::int4 FROM txstream WHERE tag = $1", tag).Scan(&n); err != nil || n != 0 {
							t.Fatalf("%T: a command of nobody saw %d of the transaction's rows (%v)", db, n, err)
						}
						if _, err := p.Exec(ctx, "INSERT INTO txstream VALUES ($1, -1)", "out-"+tag).Await(ctx); err != nil {
							t.Fatal(err)
						}
					}
				}
				if c.rollback {
					err = tx.Rollback(ctx)
				} else {
					err = tx.Commit(ctx)
				}
				if !c.want(err) {
					t.Fatalf("%T: Commit returned %v", db, err)
				}
				want := statements
				if c.bad != nil || c.rollback {
					want = 0
				}
				if n := countRows(t, admin, "txstream", tag); n != want {
					t.Fatalf("%T: %d rows committed, want %d", db, n, want)
				}
				if n := countRows(t, admin, "txstream", "out-"+tag); n != 1 {
					t.Fatalf("%T: the command of nobody left %d rows, want 1", db, n)
				}
			}
		})
	}
}

// waitOpenTransaction waits until some backend other than s's own holds a
// transaction ID: a transaction has written rows and not ended.
func waitOpenTransaction(t *testing.T, ctx context.Context, s *session.Session) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		var n int
		err := s.QueryRow(ctx, "SELECT count(*)::int4 FROM pg_stat_activity WHERE backend_xid IS NOT NULL AND pid <> pg_backend_pid() AND datname = current_database()").Scan(&n)
		if err != nil {
			t.Fatal(err)
		}
		if n > 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("no transaction is open on the server: the statements were not sent before Commit")
		}
		time.Sleep(5 * time.Millisecond)
	}
}
