package interop_test

import (
	"context"
	"database/sql"
	"strings"
	"testing"

	"go.uber.org/goleak"

	"github.com/pgactor/pgactor/internal/pgtest"
	"github.com/pgactor/pgactor/session"
	"github.com/pgactor/pgactor/session/stdlib"
)

var cluster *pgtest.Cluster

func TestMain(m *testing.M) {
	pgtest.Main(m, &cluster, pgtest.WithLeakCheck(func() error {
		// database/sql's connectionOpener runs until its DB is closed, and
		// every test closes its DBs; nothing is ignored.
		return goleak.Find()
	}))
}

// modes are the driver's two ways to open a *sql.DB.
var modes = []string{"default", "multiplexed"}

// forEachMode runs fn as a subtest per mode, with a *sql.DB whose every
// connection works in a schema of its own, fresh and empty, named after
// the test and the mode.
func forEachMode(t *testing.T, fn func(t *testing.T, db *sql.DB, schema string)) {
	for _, m := range modes {
		t.Run(m, func(t *testing.T) {
			schema := strings.ToLower("interop_" + strings.NewReplacer("/", "_", "-", "_").Replace(t.Name()))
			fn(t, openDB(t, m, schema), schema)
		})
	}
}

// openDB opens a *sql.DB in mode ("default" or "multiplexed") whose
// connections use schema (created empty now, dropped when the test ends).
// The multiplexed DB runs on a Pool of four server connections.
func openDB(t *testing.T, mode, schema string) *sql.DB {
	t.Helper()
	ctx := context.Background()
	params := cluster.Params(pgtest.Trust)
	admin, err := sql.Open("pgactor", pgtest.FormatKeyValue(params))
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	quoted := `"` + schema + `"`
	if _, err := admin.ExecContext(ctx, "DROP SCHEMA IF EXISTS "+quoted+" CASCADE; CREATE SCHEMA "+quoted); err != nil {
		t.Fatal(err)
	}
	params["search_path"] = schema
	dsn := pgtest.FormatKeyValue(params)
	var db *sql.DB
	var pool *session.Pool
	switch mode {
	case "default":
		db, err = sql.Open("pgactor", dsn)
		if err != nil {
			t.Fatal(err)
		}
	case "multiplexed":
		pool, err = session.NewPool(ctx, dsn, &session.PoolOptions{MaxConns: 4})
		if err != nil {
			t.Fatal(err)
		}
		db = stdlib.OpenDBFromPool(pool)
	default:
		t.Fatalf("unknown mode %q", mode)
	}
	t.Cleanup(func() {
		db.Close()
		if pool != nil {
			pool.Close()
		}
		admin, err := sql.Open("pgactor", pgtest.FormatKeyValue(cluster.Params(pgtest.Trust)))
		if err != nil {
			t.Error(err)
			return
		}
		defer admin.Close()
		if _, err := admin.ExecContext(context.Background(), "DROP SCHEMA IF EXISTS "+quoted+" CASCADE"); err != nil {
			t.Error(err)
		}
	})
	return db
}

// TestSchemaPerTest: both modes really work in the test's schema, on every
// server connection (the multiplexed DB's commands land on several).
func TestSchemaPerTest(t *testing.T) {
	forEachMode(t, func(t *testing.T, db *sql.DB, schema string) {
		ctx := context.Background()
		for range 20 {
			var got string
			if err := db.QueryRowContext(ctx, "SELECT current_schema()").Scan(&got); err != nil || got != schema {
				t.Fatalf("current_schema %q %v, want %q", got, err, schema)
			}
		}
	})
}
