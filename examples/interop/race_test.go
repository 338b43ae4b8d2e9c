package interop_test

import (
	"context"
	"database/sql"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/pgactor/pgactor/session/stdlib"
)

// TestManyGoroutines: 200 goroutines share one *sql.DB, mixing queries,
// one shared prepared statement, transactions that commit and roll back,
// and a pinned sql.Conn with session state, and check every answer
// against what they sent. Markers nobody else may see: a transaction's
// set_config(..., true) value and its uncommitted 'pending' row (always
// rolled back, so any other caller that counts one has seen into someone
// else's transaction); each goroutine counts its own committed rows.
func TestManyGoroutines(t *testing.T) {
	const (
		goroutines = 200
		rounds     = 12
	)
	forEachMode(t, func(t *testing.T, db *sql.DB, _ string) {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
		defer cancel()
		multiplexed := t.Name() == "TestManyGoroutines/multiplexed"
		if !multiplexed {
			db.SetMaxOpenConns(24) // one server connection each
		}
		if _, err := db.ExecContext(ctx, "CREATE TABLE marks (g int NOT NULL, i int NOT NULL, kind text NOT NULL)"); err != nil {
			t.Fatal(err)
		}
		stmt, err := db.PrepareContext(ctx, "SELECT $1::int8 * 2, $2::text || '!'")
		if err != nil {
			t.Fatal(err)
		}
		defer stmt.Close()

		errc := make(chan error, goroutines)
		var wg sync.WaitGroup
		for g := range goroutines {
			wg.Go(func() {
				if err := worker(ctx, db, stmt, g, rounds, multiplexed); err != nil {
					errc <- fmt.Errorf("goroutine %d: %w", g, err)
					cancel()
				}
			})
		}
		wg.Wait()
		close(errc)
		for err := range errc {
			t.Fatal(err)
		}
		var pending, kept int
		if err := db.QueryRowContext(context.Background(), "SELECT count(*) FILTER (WHERE kind = 'pending'), count(*) FILTER (WHERE kind = 'kept') FROM marks").Scan(&pending, &kept); err != nil {
			t.Fatal(err)
		}
		if pending != 0 || kept != goroutines*committedPer(rounds) {
			t.Fatalf("pending %d, kept %d (want 0, %d)", pending, kept, goroutines*committedPer(rounds))
		}
	})
}

// committedPer is how many rows one worker commits in rounds rounds.
func committedPer(rounds int) int {
	n := 0
	for i := range rounds {
		if i%5 == 2 {
			n++
		}
	}
	return n
}

// worker is one goroutine's rounds; it returns the first answer that is
// not what it sent.
func worker(ctx context.Context, db *sql.DB, stmt *sql.Stmt, g, rounds int, multiplexed bool) error {
	kept := 0
	for i := range rounds {
		who := fmt.Sprintf("g%d-r%d", g, i)
		n := int64(g*1000 + i)
		switch i % 5 {
		case 0: // a plain query
			var gotWho string
			var gotN int64
			if err := db.QueryRowContext(ctx, "SELECT $1::text, $2::int8 + 1", who, n).Scan(&gotWho, &gotN); err != nil || gotWho != who || gotN != n+1 {
				return fmt.Errorf("query: %q %d %v", gotWho, gotN, err)
			}
		case 1: // the shared prepared statement
			var gotN int64
			var gotWho string
			if err := stmt.QueryRowContext(ctx, n, who).Scan(&gotN, &gotWho); err != nil || gotN != 2*n || gotWho != who+"!" {
				return fmt.Errorf("statement: %d %q %v", gotN, gotWho, err)
			}
		case 2: // a transaction that commits one row
			tx, err := db.BeginTx(ctx, nil)
			if err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, "INSERT INTO marks VALUES ($1, $2, 'kept')", g, i); err != nil {
				tx.Rollback()
				return fmt.Errorf("insert kept: %w", err)
			}
			var mine int
			if err := tx.QueryRowContext(ctx, "SELECT count(*) FROM marks WHERE g = $1", g).Scan(&mine); err != nil || mine != kept+1 {
				tx.Rollback()
				return fmt.Errorf("own rows in the transaction: %d (want %d) %v", mine, kept+1, err)
			}
			if err := tx.Commit(); err != nil {
				return fmt.Errorf("commit: %w", err)
			}
			kept++
		case 3: // a transaction with markers, rolled back
			tx, err := db.BeginTx(ctx, nil)
			if err != nil {
				return err
			}
			var set string
			if err := tx.QueryRowContext(ctx, "SELECT set_config('interop.who', $1, true)", who).Scan(&set); err != nil || set != who {
				tx.Rollback()
				return fmt.Errorf("set_config: %q %v", set, err)
			}
			if _, err := tx.ExecContext(ctx, "INSERT INTO marks VALUES ($1, $2, 'pending')", g, i); err != nil {
				tx.Rollback()
				return fmt.Errorf("insert pending: %w", err)
			}
			var got string
			var pending int
			if err := tx.QueryRowContext(ctx, "SELECT current_setting('interop.who'), (SELECT count(*) FROM marks WHERE kind = 'pending')").Scan(&got, &pending); err != nil || got != who || pending != 1 {
				tx.Rollback()
				return fmt.Errorf("in the transaction: setting %q, %d pending rows (want %q, 1) %v", got, pending, who, err)
			}
			if err := tx.Rollback(); err != nil {
				return fmt.Errorf("rollback: %w", err)
			}
		case 4: // outside: no marker leaks; then a pinned connection with session state
			var setting sql.NullString
			var pending, mine int
			if err := db.QueryRowContext(ctx, "SELECT current_setting('interop.who', true), (SELECT count(*) FROM marks WHERE kind = 'pending'), (SELECT count(*) FROM marks WHERE g = $1)", g).
				Scan(&setting, &pending, &mine); err != nil || setting.String != "" || pending != 0 || mine != kept {
				return fmt.Errorf("outside: setting %q, %d pending, %d mine (want \"\", 0, %d) %v", setting.String, pending, mine, kept, err)
			}
			if err := pinnedSession(ctx, db, who); err != nil {
				return err
			}
		}
	}
	return nil
}

// pinnedSession sets a session-level value on a sql.Conn (pinned to one
// server connection in multiplexed mode), reads it back three times, and
// resets it before giving the connection back.
func pinnedSession(ctx context.Context, db *sql.DB, who string) error {
	c, err := db.Conn(ctx)
	if err != nil {
		return err
	}
	defer c.Close()
	if err := c.Raw(func(dc any) error { return stdlib.Pin(ctx, dc) }); err != nil {
		return fmt.Errorf("pin: %w", err)
	}
	if _, err := c.ExecContext(ctx, "SELECT set_config('interop.session', $1, false)", who); err != nil {
		return fmt.Errorf("session set_config: %w", err)
	}
	for range 3 {
		var got string
		if err := c.QueryRowContext(ctx, "SELECT current_setting('interop.session')").Scan(&got); err != nil || got != who {
			return fmt.Errorf("pinned connection: %q, want %q %v", got, who, err)
		}
	}
	if _, err := c.ExecContext(ctx, "RESET interop.session"); err != nil {
		return fmt.Errorf("reset: %w", err)
	}
	return nil
}
