package session_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/pgactor/pgactor/futures"
	"github.com/pgactor/pgactor/internal/pgtest"
	"github.com/pgactor/pgactor/session"
)

// resultSet is one result set as read back: its column names and its rows
// as text.
type resultSet struct {
	cols string
	rows []string
}

// readSets reads every result set of rows, each row's values scanned as
// strings and joined with "|", and closes rows.
func readSets(t *testing.T, rows *session.Rows) ([]resultSet, error) {
	t.Helper()
	var sets []resultSet
	for more := true; more; more = rows.NextResultSet() {
		var names []string
		for _, f := range rows.Columns() {
			names = append(names, f.Name)
		}
		set := resultSet{cols: strings.Join(names, ",")}
		for rows.Next() {
			vals := make([]string, len(rows.Columns()))
			dest := make([]any, len(vals))
			for i := range vals {
				dest[i] = &vals[i]
			}
			if err := rows.Scan(dest...); err != nil {
				t.Fatal(err)
			}
			set.rows = append(set.rows, strings.Join(vals, "|"))
		}
		sets = append(sets, set)
	}
	return sets, rows.Close()
}

// series is the rows "1".."n" as text.
func series(from, to int) []string {
	var out []string
	for i := from; i <= to; i++ {
		out = append(out, fmt.Sprint(i))
	}
	return out
}

func TestSimpleQueryResultSets(t *testing.T) {
	s := connect(t, dsn(t, pgtest.Trust))
	ctx := context.Background()
	cases := []struct {
		sql  string
		want []resultSet
		tag  string
	}{
		{"SELECT 1 AS one", []resultSet{{"one", []string{"1"}}}, "SELECT 1"},
		{"SELECT 1 AS one; SELECT 'a' AS x, 'b' AS y", []resultSet{{"one", []string{"1"}}, {"x,y", []string{"a|b"}}}, "SELECT 1"},
		// An empty result set still counts; statements without rows do not.
		{"SELECT 1 AS a WHERE false; SET application_name = 'rs'; SELECT 2 AS b, 3 AS c; CREATE TEMP TABLE rs_t (v int)",
			[]resultSet{{"a", nil}, {"b,c", []string{"2|3"}}}, "CREATE TABLE"},
		{"CREATE TEMP TABLE rs_u (v int); INSERT INTO rs_u VALUES (7), (8) RETURNING v; SELECT count(*) AS n FROM rs_u",
			[]resultSet{{"v", []string{"7", "8"}}, {"n", []string{"2"}}}, "SELECT 1"},
		// Results long enough to stream (more than one batch of rows),
		// with the boundary in the middle of a batch.
		{"SELECT g AS a FROM generate_series(1, 1000) g; SELECT g AS b FROM generate_series(1001, 1003) g; SELECT g AS c FROM generate_series(1, 700) g",
			[]resultSet{{"a", series(1, 1000)}, {"b", series(1001, 1003)}, {"c", series(1, 700)}}, "SELECT 700"},
	}
	for _, c := range cases {
		rows, err := s.SimpleQuery(ctx, c.sql).Await(ctx)
		if err != nil {
			t.Fatalf("%s: %v", c.sql, err)
		}
		got, err := readSets(t, rows)
		if err != nil {
			t.Fatalf("%s: %v", c.sql, err)
		}
		if fmt.Sprint(got) != fmt.Sprint(c.want) {
			t.Fatalf("%s:\n got %v\nwant %v", c.sql, got, c.want)
		}
		if rows.CommandTag().String() != c.tag {
			t.Fatalf("%s: tag %q, want %q", c.sql, rows.CommandTag(), c.tag)
		}
	}
}

func TestNextResultSetSkipsAndStops(t *testing.T) {
	s := connect(t, dsn(t, pgtest.Trust))
	ctx := context.Background()

	// NextResultSet without reading discards the rest of the current set,
	// and Next stays false at a boundary until NextResultSet moves on.
	rows, err := s.SimpleQuery(ctx, "SELECT g FROM generate_series(1, 2000) g; SELECT 'second' AS s").Await(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !rows.Next() {
		t.Fatal("no first row")
	}
	if !rows.NextResultSet() {
		t.Fatalf("no second result set: %v", rows.Err())
	}
	if rows.Columns()[0].Name != "s" {
		t.Fatalf("columns %v", rows.Columns())
	}
	var v string
	if !rows.Next() || rows.Scan(&v) != nil || v != "second" {
		t.Fatalf("second set: %q %v", v, rows.Err())
	}
	if rows.Next() || rows.NextResultSet() || rows.Next() {
		t.Fatal("rows after the last result set")
	}
	if err := rows.Close(); err != nil {
		t.Fatal(err)
	}

	// A failing statement ends the result sets with its error; the
	// statements behind it never run.
	rows, err = s.SimpleQuery(ctx, "SELECT 1 AS a; SELECT 1/0 AS b; CREATE TEMP TABLE rs_never (v int)").Await(ctx)
	if err == nil {
		var sets []resultSet
		sets, err = readSets(t, rows)
		if len(sets) > 2 {
			t.Fatalf("sets after the failure: %v", sets)
		}
	}
	if err == nil || !strings.Contains(err.Error(), "division by zero") {
		t.Fatalf("want division by zero, got %v", err)
	}
	var n int64
	if err := s.QueryRow(ctx, "SELECT count(*) FROM pg_class WHERE relname = 'rs_never'").Scan(&n); err != nil || n != 0 {
		t.Fatalf("statement after the failure ran: %d %v", n, err)
	}

	// A Query of one statement (extended protocol) has one result set.
	rows, err = s.Query(ctx, "SELECT $1::int8", int64(5)).Await(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var i int64
	if !rows.Next() || rows.Scan(&i) != nil || i != 5 || rows.Next() || rows.NextResultSet() {
		t.Fatalf("extended query: %d %v", i, rows.Err())
	}
	rows.Close()
}

func TestResultSetsOnPoolAndTx(t *testing.T) {
	p := newPool(t, dsn(t, pgtest.Trust), nil)
	ctx := context.Background()
	const q = "SELECT 1 AS a; SELECT 2 AS b"
	want := []resultSet{{"a", []string{"1"}}, {"b", []string{"2"}}}
	check := func(where string, f *futures.Future[*session.Rows]) {
		t.Helper()
		rows, err := f.Await(ctx)
		if err != nil {
			t.Fatalf("%s: %v", where, err)
		}
		got, err := readSets(t, rows)
		if err != nil || fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("%s: %v %v", where, got, err)
		}
	}
	check("pool", p.SimpleQuery(ctx, q))

	// Inside a transaction: a row it inserted is seen by its own
	// SimpleQuery, and gone after the rollback.
	if _, err := p.Exec(ctx, "CREATE TABLE IF NOT EXISTS rs_tx (v int)").Await(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Exec(ctx, "DROP TABLE rs_tx").Await(ctx) })
	tx, err := p.Begin(ctx, session.TxOptions{})
	if err != nil {
		t.Fatal(err)
	}
	tx.Exec(ctx, "INSERT INTO rs_tx VALUES ($1)", 42)
	rows, err := tx.SimpleQuery(ctx, "SELECT v FROM rs_tx; SELECT current_setting('transaction_isolation') AS iso").Await(ctx)
	if err != nil {
		t.Fatal(err)
	}
	got, err := readSets(t, rows)
	if err != nil || fmt.Sprint(got) != fmt.Sprint([]resultSet{{"v", []string{"42"}}, {"iso", []string{"read committed"}}}) {
		t.Fatalf("tx: %v %v", got, err)
	}
	if err := tx.Rollback(ctx); err != nil {
		t.Fatal(err)
	}
	var n int64
	if err := p.QueryRow(ctx, "SELECT count(*) FROM rs_tx").Scan(&n); err != nil || n != 0 {
		t.Fatalf("after rollback: %d %v", n, err)
	}
}
