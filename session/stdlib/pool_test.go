package stdlib_test

import (
	"context"
	"database/sql"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/pgactor/pgactor/internal/pgtest"
	"github.com/pgactor/pgactor/session"
	"github.com/pgactor/pgactor/session/stdlib"
)

func openPoolDB(t *testing.T, maxConns int) (*sql.DB, *session.Pool) {
	t.Helper()
	cluster.RequireRole(t, pgtest.Trust)
	p, err := session.NewPool(context.Background(), pgtest.FormatKeyValue(cluster.Params(pgtest.Trust)), &session.PoolOptions{MaxConns: maxConns})
	if err != nil {
		t.Fatal(err)
	}
	db := stdlib.OpenDBFromPool(p)
	t.Cleanup(func() { db.Close(); p.Close() })
	return db, p
}

// TestMultiplexedDB: database/sql keeps many connections open on a pool of
// three server connections; plain queries and transactions from 60
// goroutines each get their own answers, and a transaction sees its own
// uncommitted row and SET LOCAL value and nobody else's.
func TestMultiplexedDB(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	db, p := openPoolDB(t, 3)
	db.SetMaxOpenConns(100)
	if _, err := db.ExecContext(ctx, "CREATE TABLE IF NOT EXISTS mux (who text)"); err != nil {
		t.Fatal(err)
	}
	run := fmt.Sprintf("r%d", time.Now().UnixNano()) // rows of earlier runs stay in the table
	errc := make(chan error, 60)
	var wg sync.WaitGroup
	for g := range 60 {
		wg.Go(func() {
			for i := range 20 {
				who := fmt.Sprintf("%s-g%d-%d", run, g, i)
				var got string
				if err := db.QueryRowContext(ctx, "SELECT $1::text", who).Scan(&got); err != nil || got != who {
					errc <- fmt.Errorf("query %s: %q %v", who, got, err)
					return
				}
				tx, err := db.BeginTx(ctx, &sql.TxOptions{Isolation: sql.LevelRepeatableRead})
				if err != nil {
					errc <- err
					return
				}
				defer tx.Rollback() // after a failure: give the connection back
				if _, err := tx.ExecContext(ctx, "INSERT INTO mux VALUES ($1)", who); err != nil {
					errc <- err
					return
				}
				if _, err := tx.ExecContext(ctx, "SELECT set_config('app.who', $1, true)", who); err != nil {
					errc <- err
					return
				}
				var n int
				var setting, iso string
				err = tx.QueryRowContext(ctx, `SELECT count(*) FILTER (WHERE who = $1), current_setting('app.who'), current_setting('transaction_isolation')
					FROM mux WHERE who = $1 OR who LIKE $2`, who, run+"-%").Scan(&n, &setting, &iso)
				if err != nil || n != 1 || setting != who || iso != "repeatable read" {
					errc <- fmt.Errorf("tx %s: own rows %d, setting %q, isolation %q, %v", who, n, setting, iso, err)
					return
				}
				if i%2 == 0 {
					err = tx.Commit()
				} else {
					err = tx.Rollback()
				}
				if err != nil {
					errc <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errc)
	for err := range errc {
		t.Fatal(err)
	}
	var committed int
	if err := db.QueryRowContext(ctx, "SELECT count(*) FROM mux WHERE who LIKE $1", run+"-%").Scan(&committed); err != nil || committed != 60*10 {
		t.Fatalf("%d rows committed, want %d (%v)", committed, 60*10, err)
	}
	if st := p.Stats(); st.TotalConns > 3 {
		t.Fatalf("the pool opened %d server connections", st.TotalConns)
	}
	if s := db.Stats(); s.MaxOpenConnections != 100 {
		t.Fatalf("database/sql stats %+v", s)
	}
}

// TestPinnedConn: a multiplexed sql.Conn pinned with stdlib.Pin keeps its
// session state (a plain SET) for as long as database/sql lends it, and
// gives the server connection back when closed.
func TestPinnedConn(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	db, p := openPoolDB(t, 2)
	c, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Raw(func(dc any) error {
		if _, ok := stdlib.PoolOf(dc); !ok {
			return fmt.Errorf("PoolOf: not a multiplexed connection")
		}
		return stdlib.Pin(ctx, dc)
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.ExecContext(ctx, "SET application_name = 'pinned'"); err != nil {
		t.Fatal(err)
	}
	// Other traffic on the pool meanwhile must not see it or move it.
	for i := range 20 {
		var name string
		if err := db.QueryRowContext(ctx, "SELECT current_setting('application_name')").Scan(&name); err != nil || name == "pinned" {
			t.Fatalf("a multiplexed query ran on the pinned connection: %q %v", name, err)
		}
		if err := c.QueryRowContext(ctx, "SELECT current_setting('application_name')").Scan(&name); err != nil || name != "pinned" {
			t.Fatalf("round %d: the pinned connection lost its setting: %q %v", i, name, err)
		}
	}
	if _, err := c.ExecContext(ctx, "RESET application_name"); err != nil {
		t.Fatal(err)
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	// Taken back, the pinned server connection returned to the pool at once,
	// even while database/sql keeps the handle idle.
	for deadline := time.Now().Add(5 * time.Second); p.Stats().PinnedConns != 0; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("still pinned after Close: %+v", p.Stats())
		}
	}
	// The pinned connection is back: both server connections serve again.
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			var one int
			if err := db.QueryRowContext(ctx, "SELECT 1").Scan(&one); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if st := p.Stats(); st.TotalConns > 2 {
		t.Fatalf("stats %+v", st)
	}
}
