package stdlib_test

import (
	"context"
	"database/sql"
	"testing"

	"github.com/pgactor/pgactor/internal/pgtest"
)

// BenchmarkQueryRow is one goroutine on database/sql in the default mode:
// the sequential round trip through the driver.
func BenchmarkQueryRow(b *testing.B) {
	db, err := sql.Open("pgactor", pgtest.FormatKeyValue(cluster.Params(pgtest.Trust)))
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	for _, q := range []struct {
		name, sql string
		args      []any
	}{{"args", "SELECT $1::int8", []any{int64(7)}}, {"literal", "SELECT 7::int8", nil}} {
		b.Run(q.name, func(b *testing.B) {
			b.ReportAllocs()
			var v int64
			for b.Loop() {
				if err := db.QueryRowContext(ctx, q.sql, q.args...).Scan(&v); err != nil || v != 7 {
					b.Fatal(v, err)
				}
			}
		})
	}
}
