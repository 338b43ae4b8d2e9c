package session_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/pgactor/pgactor/internal/pgtest"
	"github.com/pgactor/pgactor/session"
)

// TestBeginFails runs transactions whose BEGIN the server refuses (a hot
// standby cannot run SERIALIZABLE). BEGIN goes out with the transaction's
// first commands, so the refusal must fail those commands and Commit,
// clearly, and none of them may run outside a transaction: each sets a
// session variable, which survives only if it ran.
func TestBeginFails(t *testing.T) {
	cluster.RequireLocal(t, "a standby of its own")
	standby, err := cluster.StartStandby()
	if err != nil {
		t.Fatal(err)
	}
	defer standby.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	d := pgtest.FormatKeyValue(standby.Params(pgtest.Trust))
	opts := session.TxOptions{IsoLevel: "serializable"}

	// beginRefused reports whether err is the server's refusal of BEGIN.
	beginRefused := func(err error) bool {
		var pe *session.PgError
		return errors.As(err, &pe) && pe.SQLState() == "0A000" && strings.Contains(err.Error(), "BEGIN")
	}
	// ranOutside reports whether the marker set by a statement of the
	// failed transaction is visible on the connection afterwards.
	ranOutside := func(db interface {
		QueryRow(context.Context, string, ...any) *session.Row
	}) string {
		var v string
		if err := db.QueryRow(ctx, "SELECT coalesce(current_setting('app.marker', true), '')").Scan(&v); err != nil {
			t.Fatal(err)
		}
		return v
	}
	const set = "SELECT set_config('app.marker', $1, false)"

	for _, mk := range []struct {
		name string
		db   func(t *testing.T) interface {
			session.TxBeginner
			QueryRow(context.Context, string, ...any) *session.Row
		}
	}{
		{"session", func(t *testing.T) interface {
			session.TxBeginner
			QueryRow(context.Context, string, ...any) *session.Row
		} {
			return connect(t, d)
		}},
		{"pool", func(t *testing.T) interface {
			session.TxBeginner
			QueryRow(context.Context, string, ...any) *session.Row
		} {
			return newPool(t, d, &session.PoolOptions{MaxConns: 1})
		}},
	} {
		t.Run(mk.name+"/held", func(t *testing.T) {
			db := mk.db(t)
			tx, err := db.Begin(ctx, opts)
			if err != nil {
				t.Fatalf("Begin: %v (it sends nothing, so cannot fail here)", err)
			}
			first := tx.Exec(ctx, set, "held")
			second := tx.Query(ctx, "SELECT 1")
			err = tx.Commit(ctx)
			if !errors.Is(err, session.ErrTxCommitRollback) || !beginRefused(err) {
				t.Errorf("Commit: %v; want ErrTxCommitRollback with BEGIN's refusal", err)
			}
			if _, err := first.Await(ctx); !beginRefused(err) {
				t.Errorf("first command: %v; want BEGIN's refusal", err)
			}
			if _, err := second.Await(ctx); err == nil {
				t.Errorf("second command succeeded after a failed BEGIN")
			}
			if v := ranOutside(db); v != "" {
				t.Errorf("a command of the failed transaction ran outside it: marker %q", v)
			}
		})
		t.Run(mk.name+"/queryrow", func(t *testing.T) {
			db := mk.db(t)
			var n int
			err := session.BeginFunc(ctx, db, opts, func(tx *session.Tx) error {
				return tx.QueryRow(ctx, "SELECT length(set_config('app.marker', $1, false))", "queryrow").Scan(&n)
			})
			if !beginRefused(err) {
				t.Errorf("BeginFunc: %v; want BEGIN's refusal", err)
			}
			if v := ranOutside(db); v != "" {
				t.Errorf("a command of the failed transaction ran outside it: marker %q", v)
			}
		})
		t.Run(mk.name+"/unheld", func(t *testing.T) {
			// Without arguments Exec cannot be held: it waits for BEGIN's
			// answer and is refused without being sent.
			db := mk.db(t)
			tx, err := db.Begin(ctx, opts)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := tx.Exec(ctx, "SELECT set_config('app.marker', 'unheld', false)").Await(ctx); !beginRefused(err) {
				t.Errorf("Exec: %v; want BEGIN's refusal", err)
			}
			if sp, err := tx.Begin(ctx); err == nil || !beginRefused(err) {
				t.Errorf("savepoint after a failed BEGIN: %v, %v; want BEGIN's refusal", sp, err)
			}
			if err := tx.Rollback(ctx); err != nil {
				t.Errorf("Rollback after a failed BEGIN: %v", err)
			}
			if v := ranOutside(db); v != "" {
				t.Errorf("a command of the failed transaction ran outside it: marker %q", v)
			}
		})
	}
}
