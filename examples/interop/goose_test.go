package interop_test

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"
	"reflect"
	"strings"
	"testing"

	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// seedEmails are what the Go migration (version 4) inserts, through the
// function migration 2 creates.
var seedEmails = []string{"  Ann@Example.ORG ", "bob@example.org", "CAROL@example.org"}

// seedMigration is a Go migration in a transaction, with arguments.
func seedMigration() *goose.Migration {
	return goose.NewGoMigration(4,
		&goose.GoFunc{RunTx: func(ctx context.Context, tx *sql.Tx) error {
			for i, e := range seedEmails {
				if _, err := tx.ExecContext(ctx, "INSERT INTO users (email, name) VALUES (normalize_email($1), $2)", e, fmt.Sprint("user", i)); err != nil {
					return err
				}
			}
			return nil
		}},
		&goose.GoFunc{RunTx: func(ctx context.Context, tx *sql.Tx) error {
			_, err := tx.ExecContext(ctx, "DELETE FROM users WHERE name LIKE 'user%'")
			return err
		}},
	)
}

// schemaOf describes what the current schema holds: tables with their
// columns, indexes, functions, and the users' emails.
func schemaOf(t *testing.T, db *sql.DB) []string {
	t.Helper()
	ctx := context.Background()
	var out []string
	query := func(q string) {
		rows, err := db.QueryContext(ctx, q)
		if err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		defer rows.Close()
		for rows.Next() {
			var s string
			if err := rows.Scan(&s); err != nil {
				t.Fatal(err)
			}
			out = append(out, s)
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
	}
	query(`SELECT 'table ' || table_name || '(' || string_agg(column_name, ',' ORDER BY ordinal_position) || ')'
		FROM information_schema.columns WHERE table_schema = current_schema() GROUP BY table_name ORDER BY table_name`)
	query(`SELECT 'index ' || indexname FROM pg_indexes WHERE schemaname = current_schema() AND indexname LIKE 'users%' ORDER BY indexname`)
	query(`SELECT 'function ' || proname FROM pg_proc WHERE pronamespace = current_schema()::regnamespace ORDER BY proname`)
	var hasUsers bool
	if err := db.QueryRowContext(ctx, "SELECT to_regclass('users') IS NOT NULL").Scan(&hasUsers); err != nil {
		t.Fatal(err)
	}
	if hasUsers {
		query(`SELECT 'user ' || email FROM users ORDER BY email`)
	}
	return out
}

var (
	schemaUp = []string{
		"table goose_db_version(id,version_id,is_applied,tstamp)",
		"table users(id,email,name,created_at)",
		"index users_email_idx", "index users_name_idx", "index users_pkey",
		"function normalize_email",
		"user ann@example.org", "user bob@example.org", "user carol@example.org",
	}
	schemaNone = []string{"table goose_db_version(id,version_id,is_applied,tstamp)"}
)

// TestGoose: an embedded migration set (a multi-statement migration, a
// plpgsql function with semicolons in its body, a migration outside any
// transaction, a Go migration with arguments) goes up, down to zero and up
// again through goose's Provider, with the schema checked each time.
func TestGoose(t *testing.T) {
	forEachMode(t, func(t *testing.T, db *sql.DB, _ string) {
		ctx := context.Background()
		fsys, err := fs.Sub(migrationFiles, "migrations")
		if err != nil {
			t.Fatal(err)
		}
		p, err := goose.NewProvider(goose.DialectPostgres, db, fsys,
			goose.WithGoMigrations(seedMigration()), goose.WithDisableGlobalRegistry(true))
		if err != nil {
			t.Fatal(err)
		}
		for round := range 2 {
			res, err := p.Up(ctx)
			if err != nil {
				t.Fatalf("round %d up: %v", round, err)
			}
			if len(res) != 4 {
				t.Fatalf("round %d: %d migrations up, want 4", round, len(res))
			}
			if v, err := p.GetDBVersion(ctx); err != nil || v != 4 {
				t.Fatalf("round %d: version %d %v", round, v, err)
			}
			if got := schemaOf(t, db); !reflect.DeepEqual(got, schemaUp) {
				t.Fatalf("round %d after up:\n%s", round, strings.Join(got, "\n"))
			}
			if pending, err := p.HasPending(ctx); err != nil || pending {
				t.Fatalf("pending after up: %v %v", pending, err)
			}

			res, err = p.DownTo(ctx, 0)
			if err != nil {
				t.Fatalf("round %d down: %v", round, err)
			}
			if len(res) != 4 {
				t.Fatalf("round %d: %d migrations down, want 4", round, len(res))
			}
			if v, err := p.GetDBVersion(ctx); err != nil || v != 0 {
				t.Fatalf("round %d: version %d %v after down", round, v, err)
			}
			if got := schemaOf(t, db); !reflect.DeepEqual(got, schemaNone) {
				t.Fatalf("round %d after down:\n%s", round, strings.Join(got, "\n"))
			}
		}
		if _, err := p.Up(ctx); err != nil {
			t.Fatal(err)
		}
		if got := schemaOf(t, db); !reflect.DeepEqual(got, schemaUp) {
			t.Fatalf("after the last up:\n%s", strings.Join(got, "\n"))
		}
		status, err := p.Status(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range status {
			if s.State != goose.StateApplied {
				t.Fatalf("migration %d: %s", s.Source.Version, s.State)
			}
		}

		// A failing migration rolls back whole: its transaction's
		// statements before the failure leave nothing.
		bad, err := goose.NewProvider(goose.DialectPostgres, db, fsys, goose.WithDisableGlobalRegistry(true),
			goose.WithGoMigrations(seedMigration(), goose.NewGoMigration(5,
				&goose.GoFunc{RunTx: func(ctx context.Context, tx *sql.Tx) error {
					if _, err := tx.ExecContext(ctx, "INSERT INTO users (email) VALUES ('half@x')"); err != nil {
						return err
					}
					_, err := tx.ExecContext(ctx, "INSERT INTO users (email) VALUES ('ann@example.org')") // unique violation
					return err
				}}, nil)))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := bad.Up(ctx); err == nil || !strings.Contains(err.Error(), "users_email_idx") {
			t.Fatalf("failing migration: %v", err)
		}
		if v, err := bad.GetDBVersion(ctx); err != nil || v != 4 {
			t.Fatalf("version after the failure: %d %v", v, err)
		}
		if got := schemaOf(t, db); !reflect.DeepEqual(got, schemaUp) {
			t.Fatalf("after the failure:\n%s", strings.Join(got, "\n"))
		}
	})
}

// TestGooseClassicAPI: goose's package-level API (SetDialect, SetBaseFS,
// UpContext, DownToContext), SQL migrations only.
func TestGooseClassicAPI(t *testing.T) {
	forEachMode(t, func(t *testing.T, db *sql.DB, _ string) {
		ctx := context.Background()
		goose.SetBaseFS(migrationFiles)
		defer goose.SetBaseFS(nil)
		if err := goose.SetDialect("postgres"); err != nil {
			t.Fatal(err)
		}
		goose.SetLogger(goose.NopLogger())
		noUsers := []string{}
		for _, s := range schemaUp {
			if !strings.HasPrefix(s, "user ") {
				noUsers = append(noUsers, s)
			}
		}
		for round := range 2 {
			if err := goose.UpContext(ctx, db, "migrations"); err != nil {
				t.Fatalf("round %d: %v", round, err)
			}
			if v, err := goose.GetDBVersionContext(ctx, db); err != nil || v != 3 {
				t.Fatalf("round %d: version %d %v", round, v, err)
			}
			if got := schemaOf(t, db); !reflect.DeepEqual(got, noUsers) {
				t.Fatalf("round %d after up:\n%s", round, strings.Join(got, "\n"))
			}
			if err := goose.DownToContext(ctx, db, "migrations", 0); err != nil {
				t.Fatalf("round %d: %v", round, err)
			}
			if got := schemaOf(t, db); !reflect.DeepEqual(got, schemaNone) {
				t.Fatalf("round %d after down:\n%s", round, strings.Join(got, "\n"))
			}
		}
	})
}

// TestGooseSessionLock: goose's session-level advisory lock, on the
// default mode. The lock needs one server connection from lock to unlock,
// which a multiplexed handle has only when pinned, and goose takes its
// *sql.Conn itself: migrate with a default-mode DB.
func TestGooseSessionLock(t *testing.T) {
	db := openDB(t, "default", "interop_goose_lock")
	ctx := context.Background()
	fsys, err := fs.Sub(migrationFiles, "migrations")
	if err != nil {
		t.Fatal(err)
	}
	locker, err := lock.NewPostgresSessionLocker()
	if err != nil {
		t.Fatal(err)
	}
	p, err := goose.NewProvider(goose.DialectPostgres, db, fsys, goose.WithSessionLocker(locker),
		goose.WithGoMigrations(seedMigration()), goose.WithDisableGlobalRegistry(true))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Up(ctx); err != nil {
		t.Fatal(err)
	}
	if got := schemaOf(t, db); !reflect.DeepEqual(got, schemaUp) {
		t.Fatalf("after up:\n%s", strings.Join(got, "\n"))
	}
	// The lock is gone once Up returned.
	var held int
	if err := db.QueryRowContext(ctx, "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'").Scan(&held); err != nil || held != 0 {
		t.Fatalf("advisory locks held after Up: %d %v", held, err)
	}
	if _, err := p.DownTo(ctx, 0); err != nil {
		t.Fatal(err)
	}
	if got := schemaOf(t, db); !reflect.DeepEqual(got, schemaNone) {
		t.Fatalf("after down:\n%s", strings.Join(got, "\n"))
	}
}
