package stdlib_test

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"testing"

	"github.com/pgactor/pgactor/session/stdlib"
)

func TestSeveralStatements(t *testing.T) {
	cases := []struct {
		q    string
		want bool
	}{
		{"SELECT 1", false},
		{"SELECT 1;", false},
		{"SELECT 1 ; \n -- done\n /* really */ ", false},
		{"SELECT 1; SELECT 2", true},
		{"SELECT 1;SELECT 2;", true},
		{"SELECT ';' AS x", false},
		{"SELECT 'it''s; here'", false},
		{`SELECT "a;b" FROM t`, false},
		{`SELECT "a"";b" FROM t`, false},
		{"SELECT $$;$$", false},
		{"SELECT $tag$ $$ ; $tag$", false},
		{"SELECT $tag$;$tag$; SELECT 2", true},
		{"SELECT $1::text; SELECT 2", true},
		{"SELECT a$b; SELECT 2", true},
		{"SELECT 1 -- ; SELECT 2", false},
		{"SELECT 1 -- x\n; SELECT 2", true},
		{"SELECT 1 /* ; /* ; */ ; */", false},
		{"SELECT 1 /* ; /* ; */ */; SELECT 2", true},
		{`SELECT E'\'; SELECT 2'`, false},
		{`SELECT E'\\'; SELECT 2`, true},
		{`SELECT e'\''; SELECT 2`, true},
		{`SELECT 'a\'; SELECT 2`, true}, // a plain literal ends at the quote
		{"SELECT 1 - 2 / 3; SELECT 4", true},
		{"SELECT 'unterminated; SELECT 2", false},
		{"; ;", true},
	}
	for _, c := range cases {
		if got := stdlib.SeveralStatements(c.q); got != c.want {
			t.Errorf("%q: %v, want %v", c.q, got, c.want)
		}
	}
}

// readAllSets reads every result set of a *sql.Rows as "col,col:row|row"
// strings, one per set.
func readAllSets(rows *sql.Rows) ([]string, error) {
	var sets []string
	for more := true; more; more = rows.NextResultSet() {
		cols, err := rows.Columns()
		if err != nil {
			return nil, err
		}
		var out []string
		for rows.Next() {
			vals := make([]sql.NullString, len(cols))
			dest := make([]any, len(cols))
			for i := range vals {
				dest[i] = &vals[i]
			}
			if err := rows.Scan(dest...); err != nil {
				return nil, err
			}
			var parts []string
			for _, v := range vals {
				parts = append(parts, v.String)
			}
			out = append(out, strings.Join(parts, ","))
		}
		sets = append(sets, strings.Join(cols, ",")+":"+strings.Join(out, "|"))
	}
	if err := rows.Err(); err != nil {
		return sets, err
	}
	return sets, rows.Close()
}

// TestNextResultSet: a query of several statements gives a result set for
// each statement with rows, in both modes, in and out of a transaction;
// a failing statement ends them with its error.
func TestNextResultSet(t *testing.T) {
	ctx := context.Background()
	mux, _ := openPoolDB(t, 2)
	for _, m := range []struct {
		name string
		db   *sql.DB
	}{{"default", openDB(t)}, {"multiplexed", mux}} {
		t.Run(m.name, func(t *testing.T) {
			db := m.db
			rows, err := db.QueryContext(ctx, "SELECT 1 AS one; SELECT 'a' AS x, 'b' AS y")
			if err != nil {
				t.Fatal(err)
			}
			got, err := readAllSets(rows)
			if err != nil || fmt.Sprint(got) != "[one:1 x,y:a,b]" {
				t.Fatalf("%q %v", got, err)
			}

			// Empty sets count, statements without rows do not; types
			// come from each set's own columns.
			rows, err = db.QueryContext(ctx, `SELECT 1::int8 AS a WHERE false; SET LOCAL application_name = 'x';
				SELECT g::int4 AS n, 1.5::float8 AS f FROM generate_series(1, 600) g; SELECT NULL::text AS z`)
			if err != nil {
				t.Fatal(err)
			}
			if rows.Next() {
				t.Fatal("a row in the empty set")
			}
			if !rows.NextResultSet() {
				t.Fatalf("no second set: %v", rows.Err())
			}
			types, _ := rows.ColumnTypes()
			if len(types) != 2 || types[0].DatabaseTypeName() != "INT4" || types[1].DatabaseTypeName() != "FLOAT8" {
				t.Fatalf("types of the second set: %v", types)
			}
			sum := int64(0)
			for rows.Next() {
				var n int64
				var f float64
				if err := rows.Scan(&n, &f); err != nil || f != 1.5 {
					t.Fatal(n, f, err)
				}
				sum += n
			}
			if sum != 600*601/2 {
				t.Fatalf("sum %d", sum)
			}
			if !rows.NextResultSet() {
				t.Fatalf("no third set: %v", rows.Err())
			}
			var z sql.NullString
			if !rows.Next() || rows.Scan(&z) != nil || z.Valid || rows.Next() || rows.NextResultSet() {
				t.Fatalf("third set: %v %v", z, rows.Err())
			}
			if err := rows.Close(); err != nil {
				t.Fatal(err)
			}

			// Inside a transaction: its own uncommitted row is in the sets.
			table := "rs_" + m.name
			if _, err := db.ExecContext(ctx, "DROP TABLE IF EXISTS "+table+"; CREATE TABLE "+table+" (v int)"); err != nil {
				t.Fatal(err)
			}
			defer db.ExecContext(ctx, "DROP TABLE "+table)
			tx, err := db.BeginTx(ctx, nil)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := tx.ExecContext(ctx, "INSERT INTO "+table+" VALUES ($1)", 9); err != nil {
				t.Fatal(err)
			}
			rows, err = tx.QueryContext(ctx, "SELECT v FROM "+table+"; SELECT count(*) FROM "+table)
			if err != nil {
				t.Fatal(err)
			}
			got, err = readAllSets(rows)
			if err != nil || fmt.Sprint(got) != "[v:9 count:1]" {
				t.Fatalf("in tx: %q %v", got, err)
			}
			if err := tx.Rollback(); err != nil {
				t.Fatal(err)
			}
			var n int
			if err := db.QueryRowContext(ctx, "SELECT count(*) FROM "+table).Scan(&n); err != nil || n != 0 {
				t.Fatalf("after rollback: %d %v", n, err)
			}

			// A failing statement: the sets end with its error.
			rows, err = db.QueryContext(ctx, "SELECT 1 AS a; SELECT 1/0 AS b; SELECT 3 AS c")
			if err == nil {
				got, err = readAllSets(rows)
				rows.Close()
			}
			if err == nil || !strings.Contains(err.Error(), "division by zero") {
				t.Fatalf("want division by zero, got %q %v", got, err)
			}
			// The connection goes on.
			if err := db.QueryRowContext(ctx, "SELECT 5; SELECT 6").Scan(&n); err != nil || n != 5 {
				t.Fatalf("after the failure: %d %v", n, err)
			}
		})
	}
}
