package interop_test

import (
	"context"
	"database/sql"
	"testing"

	"github.com/jackc/pgx/v5"
)

// TestPgxExecModeDropped: libraries written for pgx's database/sql driver
// put a pgx.QueryExecMode in front of the arguments (GORM's postgres
// driver does); pgactor's driver drops it instead of taking it for $1.
func TestPgxExecModeDropped(t *testing.T) {
	forEachMode(t, func(t *testing.T, db *sql.DB, _ string) {
		ctx := context.Background()
		for _, mode := range []pgx.QueryExecMode{pgx.QueryExecModeSimpleProtocol, pgx.QueryExecModeExec, pgx.QueryExecModeCacheStatement} {
			var a, b int64
			if err := db.QueryRowContext(ctx, "SELECT $1::int8, $2::int8", mode, 7, 8).Scan(&a, &b); err != nil || a != 7 || b != 8 {
				t.Fatalf("%v: %d %d %v", mode, a, b, err)
			}
			stmt, err := db.PrepareContext(ctx, "SELECT $1::int8 * 2")
			if err != nil {
				t.Fatal(err)
			}
			if err := stmt.QueryRowContext(ctx, mode, 21).Scan(&a); err != nil || a != 42 {
				t.Fatalf("%v, statement: %d %v", mode, a, err)
			}
			stmt.Close()
		}
		// Only in front: elsewhere it is an argument like any other (an
		// integer to the codec).
		var a int64
		if err := db.QueryRowContext(ctx, "SELECT $1::int8 + $2::int8", 1, pgx.QueryExecModeExec).Scan(&a); err != nil || a != 1+int64(pgx.QueryExecModeExec) {
			t.Fatalf("second argument: %d %v", a, err)
		}
	})
}
