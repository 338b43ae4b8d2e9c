package stdlib_test

import (
	"context"
	"database/sql"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/pgactor/pgactor/session/stdlib"
)

// TestArray: array columns scan into stdlib.Array of each element kind, in
// both protocols (no arguments: one statement stays extended; the result
// set of a multi-statement query comes over the simple protocol), and an
// Array goes back as a parameter.
func TestArray(t *testing.T) {
	db := openDB(t)
	ctx := context.Background()
	var (
		s   stdlib.Array[string]
		i64 stdlib.Array[int64]
		i32 stdlib.Array[int32]
		f   stdlib.Array[float64]
		b   stdlib.Array[bool]
		ts  stdlib.Array[time.Time]
		ps  stdlib.Array[*string]
		ns  stdlib.Array[sql.NullInt64]
		nul stdlib.Array[string]
	)
	for _, q := range []string{
		`SELECT ARRAY['a,b', 'c"d', '', 'NULL']::text[], ARRAY[1, -9000000000]::int8[], ARRAY[7]::int4[], ARRAY[1.5, -2]::float8[],
			ARRAY[true, false], ARRAY['2026-12-01 10:00:00+00']::timestamptz[], ARRAY['x', NULL], ARRAY[NULL, 3]::int8[], NULL::text[]`,
		`SELECT 1; SELECT ARRAY['a,b', 'c"d', '', 'NULL']::text[], ARRAY[1, -9000000000]::int8[], ARRAY[7]::int4[], ARRAY[1.5, -2]::float8[],
			ARRAY[true, false], ARRAY['2026-12-01 10:00:00+00']::timestamptz[], ARRAY['x', NULL], ARRAY[NULL, 3]::int8[], NULL::text[]`,
	} {
		rows, err := db.QueryContext(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		if strings.HasPrefix(q, "SELECT 1;") && !rows.NextResultSet() {
			t.Fatal("no second result set")
		}
		if !rows.Next() {
			t.Fatal(rows.Err())
		}
		nul = stdlib.Array[string]{"stale"}
		if err := rows.Scan(&s, &i64, &i32, &f, &b, &ts, &ps, &ns, &nul); err != nil {
			t.Fatal(err)
		}
		rows.Close()
		if !reflect.DeepEqual(s, stdlib.Array[string]{"a,b", `c"d`, "", "NULL"}) || !reflect.DeepEqual(i64, stdlib.Array[int64]{1, -9000000000}) ||
			!reflect.DeepEqual(i32, stdlib.Array[int32]{7}) || !reflect.DeepEqual(f, stdlib.Array[float64]{1.5, -2}) ||
			!reflect.DeepEqual(b, stdlib.Array[bool]{true, false}) || len(ts) != 1 || !ts[0].Equal(time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)) ||
			len(ps) != 2 || ps[0] == nil || *ps[0] != "x" || ps[1] != nil ||
			!reflect.DeepEqual(ns, stdlib.Array[sql.NullInt64]{{}, {Int64: 3, Valid: true}}) || nul != nil {
			t.Fatalf("%q %v %v %v %v %v %v %v %v", s, i64, i32, f, b, ts, ps, ns, nul)
		}
	}

	// Bad input is an error, not a panic: a NULL element into a T that
	// cannot hold one, a value that does not fit, something not an array.
	if err := db.QueryRowContext(ctx, "SELECT ARRAY[1, NULL]::int8[]").Scan(&i64); err == nil {
		t.Fatal("NULL element into int64: no error")
	}
	if err := db.QueryRowContext(ctx, "SELECT ARRAY[70000]::int8[]").Scan(&stdlib.Array[int16]{}); err == nil {
		t.Fatal("70000 into int16: no error")
	}
	if err := db.QueryRowContext(ctx, "SELECT 'nope'").Scan(&s); err == nil {
		t.Fatal("text into Array: no error")
	}
	if err := (&s).Scan(42); err == nil {
		t.Fatal("int into Array: no error")
	}

	// As a parameter it is the slice it is.
	var joined string
	if err := db.QueryRowContext(ctx, "SELECT array_to_string($1::text[], '|')", stdlib.Array[string]{"p", "q"}).Scan(&joined); err != nil || joined != "p|q" {
		t.Fatalf("parameter: %q %v", joined, err)
	}
	var isNull bool
	if err := db.QueryRowContext(ctx, "SELECT $1::text[] IS NULL", stdlib.Array[string](nil)).Scan(&isNull); err != nil || !isNull {
		t.Fatalf("nil Array parameter: %v %v", isNull, err)
	}
}
