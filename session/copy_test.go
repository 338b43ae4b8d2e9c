package session_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/pgactor/pgactor/internal/pgtest"
	"github.com/pgactor/pgactor/session"
)

func TestCopyFrom(t *testing.T) {
	s := connect(t, dsn(t, pgtest.Trust))
	ctx := context.Background()
	if _, err := s.Exec(ctx, `CREATE TEMP TABLE "odd ""table""" (id int8, name text, score float8, at timestamptz, data bytea, tags text[])`).Await(ctx); err != nil {
		t.Fatal(err)
	}
	at := time.Date(2024, 2, 29, 12, 30, 0, 123000, time.UTC)
	tricky := "tab\there\nnewline\\backslash\r\\N"
	n, err := s.CopyFrom(ctx, session.Identifier{`odd "table"`}, []string{"id", "name", "score", "at", "data", "tags"},
		session.CopyFromSlice(100_000, func(i int) ([]any, error) {
			if i == 7 {
				return []any{int64(i), tricky, nil, at, []byte{0, 1, 255}, []string{"a b", "c,d", ""}}, nil
			}
			if i == 8 {
				return []any{int(i), "inf", math.Inf(-1), at, nil, nil}, nil
			}
			return []any{int64(i), fmt.Sprint("row ", i), float64(i) / 4, at, nil, nil}, nil
		}))
	if err != nil || n != 100_000 {
		t.Fatalf("copy: %d %v", n, err)
	}
	var name string
	var score *float64
	var got time.Time
	var data []byte
	var tags []string
	err = s.QueryRow(ctx, `SELECT name, score, at, data, tags FROM "odd ""table""" WHERE id = 7`).Scan(&name, &score, &got, &data, &tags)
	if err != nil || name != tricky || score != nil || !got.Equal(at) || string(data) != "\x00\x01\xff" || strings.Join(tags, "|") != "a b|c,d|" {
		t.Fatalf("row 7: %q %v %v %q %q %v", name, score, got, data, tags, err)
	}
	var inf float64
	if err := s.QueryRow(ctx, `SELECT score FROM "odd ""table""" WHERE id = 8`).Scan(&inf); err != nil || !math.IsInf(inf, -1) {
		t.Fatalf("row 8: %v %v", inf, err)
	}
	var sum float64
	s.QueryRow(ctx, `SELECT sum(score) FROM "odd ""table""" WHERE id <> 8`).Scan(&sum)
	if want := float64(99999*100000/2-7-8) / 4; sum != want {
		t.Fatalf("sum %v want %v", sum, want)
	}
}

func TestCopyFromFailures(t *testing.T) {
	s := connect(t, dsn(t, pgtest.Trust))
	ctx := context.Background()
	s.Exec(ctx, "CREATE TEMP TABLE cf (id int8, name text)").Await(ctx)
	cols := []string{"id", "name"}
	// The server refuses the table.
	if _, err := s.CopyFrom(ctx, session.Identifier{"nope"}, cols, session.CopyFromRows([][]any{{1, "a"}})); err == nil {
		t.Fatal("copy into a missing table succeeded")
	}
	// A value that is not an int8: found while encoding (binary COPY knows
	// the column types), named by row and column, and nothing is copied.
	_, err := s.CopyFrom(ctx, session.Identifier{"cf"}, cols, session.CopyFromRows([][]any{{1, "a"}, {"x", "b"}}))
	if err == nil || !strings.Contains(err.Error(), "row 2, column 1") {
		t.Fatalf("bad value: %v", err)
	}
	// The same through the text format (a column type without a binary
	// codec here): the server's error.
	s.Exec(ctx, "CREATE TEMP TABLE cf_text (id int8, p point)").Await(ctx)
	_, err = s.CopyFrom(ctx, session.Identifier{"cf_text"}, []string{"id", "p"}, session.CopyFromRows([][]any{{1, "(1,2)"}, {"x", "(3,4)"}}))
	var pe *session.PgError
	if !errors.As(err, &pe) || pe.SQLState() != "22P02" {
		t.Fatalf("bad value in text format: %v", err)
	}
	var pts int64
	if err := s.QueryRow(ctx, "SELECT count(*) FROM cf_text").Scan(&pts); err != nil || pts != 0 {
		t.Fatalf("cf_text: %d %v", pts, err)
	}
	if n, err := s.CopyFrom(ctx, session.Identifier{"cf_text"}, []string{"id", "p"}, session.CopyFromRows([][]any{{1, "(1,2)"}})); err != nil || n != 1 {
		t.Fatalf("text-format copy: %d %v", n, err)
	}
	// The source fails half way: nothing is copied.
	boom := errors.New("source broke")
	_, err = s.CopyFrom(ctx, session.Identifier{"cf"}, cols, session.CopyFromSlice(50_000, func(i int) ([]any, error) {
		if i == 40_000 {
			return nil, boom
		}
		return []any{int64(i), "x"}, nil
	}))
	if !errors.Is(err, boom) {
		t.Fatalf("source failure: %v", err)
	}
	// Wrong number of values.
	if _, err := s.CopyFrom(ctx, session.Identifier{"cf"}, cols, session.CopyFromRows([][]any{{1}})); err == nil {
		t.Fatal("short row accepted")
	}
	var n int64
	if err := s.QueryRow(ctx, "SELECT count(*) FROM cf").Scan(&n); err != nil || n != 0 {
		t.Fatalf("after failed copies: %d rows, %v", n, err)
	}
}

func TestCopyFromPoolAndTx(t *testing.T) {
	p := newPool(t, dsn(t, pgtest.Trust), &session.PoolOptions{MaxConns: 2})
	ctx := context.Background()
	if _, err := p.Exec(ctx, "DROP TABLE IF EXISTS cpool; CREATE TABLE cpool (id int8)").Await(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Exec(context.Background(), "DROP TABLE cpool").Await(context.Background()) })
	rows := make([][]any, 1000)
	for i := range rows {
		rows[i] = []any{int64(i)}
	}
	if n, err := p.CopyFrom(ctx, session.Identifier{"public", "cpool"}, []string{"id"}, session.CopyFromRows(rows)); err != nil || n != 1000 {
		t.Fatalf("pool copy: %d %v", n, err)
	}
	tx, err := p.Begin(ctx, session.TxOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if n, err := tx.CopyFrom(ctx, session.Identifier{"cpool"}, nil, session.CopyFromRows(rows)); err != nil || n != 1000 {
		t.Fatalf("tx copy: %d %v", n, err)
	}
	tx.Rollback(ctx)
	var n int64
	p.QueryRow(ctx, "SELECT count(*) FROM cpool").Scan(&n)
	if n != 1000 {
		t.Fatalf("%d rows (the rolled-back copy must not count)", n)
	}
}

type failingWriter struct{ n int }

func (w *failingWriter) Write(p []byte) (int, error) {
	w.n += len(p)
	if w.n > 1<<20 {
		return 0, errors.New("disk full")
	}
	return len(p), nil
}

func TestCopyTo(t *testing.T) {
	s := connect(t, dsn(t, pgtest.Trust))
	ctx := context.Background()
	var b strings.Builder
	n, err := s.CopyTo(ctx, &b, "COPY (SELECT g, 'x' || g FROM generate_series(1, 100000) g) TO STDOUT")
	if err != nil || n != 100000 {
		t.Fatalf("%d %v", n, err)
	}
	lines := strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n")
	if len(lines) != 100000 || lines[0] != "1\tx1" || lines[99999] != "100000\tx100000" {
		t.Fatalf("%d lines, first %q last %q", len(lines), lines[0], lines[len(lines)-1])
	}
	// A writer that fails: the error is the writer's, the connection goes on.
	_, err = s.CopyTo(ctx, &failingWriter{}, "COPY (SELECT g FROM generate_series(1, 1000000) g) TO STDOUT")
	if err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Fatalf("failing writer: %v", err)
	}
	var one int
	if err := s.QueryRow(ctx, "SELECT 1").Scan(&one); err != nil || one != 1 {
		t.Fatalf("after a failed copy: %v", err)
	}
	// A bad COPY is the server's error.
	var pe *session.PgError
	if _, err := s.CopyTo(ctx, &b, "COPY nope TO STDOUT"); !errors.As(err, &pe) {
		t.Fatalf("bad copy: %v", err)
	}
	p := newPool(t, dsn(t, pgtest.Trust), &session.PoolOptions{MaxConns: 2})
	var pb strings.Builder
	if n, err := p.CopyTo(ctx, &pb, "COPY (VALUES (1), (2)) TO STDOUT"); err != nil || n != 2 || pb.String() != "1\n2\n" {
		t.Fatalf("pool: %d %q %v", n, pb.String(), err)
	}
}

// TestCopyFromBinaryConversions: binary COPY with Go values whose natural
// type differs from the column's (strings for numbers and times) converts
// them through the column's type, as the text format would.
func TestCopyFromBinaryConversions(t *testing.T) {
	s := connect(t, dsn(t, pgtest.Trust))
	ctx := context.Background()
	s.Exec(ctx, "CREATE TEMP TABLE conv (n numeric, i int8, ts timestamptz, f float4, j jsonb)").Await(ctx)
	n, err := s.CopyFrom(ctx, session.Identifier{"conv"}, []string{"n", "i", "ts", "f", "j"}, session.CopyFromRows([][]any{
		{"1.50", "42", "2024-01-01 00:00:00+00", 1.25, `{"a": [1, 2]}`},
		{int64(7), int32(-3), time.Date(1999, 12, 31, 23, 59, 59, 0, time.UTC), float32(-0.5), nil},
	}))
	if err != nil || n != 2 {
		t.Fatalf("copy: %d %v", n, err)
	}
	var got string
	if err := s.QueryRow(ctx, "SELECT string_agg(n::text || '|' || i || '|' || ts::text || '|' || f || '|' || coalesce(j::text, 'null'), ';' ORDER BY i) FROM conv").Scan(&got); err != nil {
		t.Fatal(err)
	}
	want := "7|-3|1999-12-31 23:59:59+00|-0.5|null;1.50|42|2024-01-01 00:00:00+00|1.25|{\"a\": [1, 2]}"
	if got != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
}

// TestCopyFromPlainTypes copies the commonest Go values into the commonest
// column types (written without the registry) and reads them back; values
// that do not fit take the registry's way and fail as it says.
func TestCopyFromPlainTypes(t *testing.T) {
	s := connect(t, dsn(t, pgtest.Trust))
	ctx := context.Background()
	if _, err := s.Exec(ctx, "CREATE TEMP TABLE plain_copy (a int8, b int4, c int2, d text, e varchar, f float8, g float4, h bool)").Await(ctx); err != nil {
		t.Fatal(err)
	}
	cols := []string{"a", "b", "c", "d", "e", "f", "g", "h"}
	rows := [][]any{
		{int64(math.MinInt64), int32(math.MinInt32), int16(-7), "é\tx\\y", "v", math.Inf(-1), float32(1.5), true},
		{int(math.MaxInt64), int64(math.MaxInt32), int16(math.MaxInt16), "", "", -0.25, float32(-2), false},
		{int32(5), int(-9), int16(0), nil, nil, nil, nil, nil},
		{int64(1), "42", "7", 3, int64(8), "2.5", 1.25, "t"}, // the registry converts these
	}
	n, err := s.CopyFrom(ctx, session.Identifier{"plain_copy"}, cols, session.CopyFromRows(rows))
	if err != nil || n != int64(len(rows)) {
		t.Fatalf("copied %d, %v", n, err)
	}
	r, err := s.Query(ctx, "SELECT a::text, b::text, c::text, coalesce(d, 'NULL'), coalesce(e, 'NULL'), coalesce(f::text, 'NULL'), coalesce(g::text, 'NULL'), coalesce(h::text, 'NULL') FROM plain_copy").Await(ctx)
	if err != nil {
		t.Fatal(err)
	}
	got, err := session.CollectRows(r, func(row *session.Rows) (string, error) {
		v := make([]string, 8)
		ptrs := make([]any, 8)
		for i := range v {
			ptrs[i] = &v[i]
		}
		err := row.Scan(ptrs...)
		return strings.Join(v, "|"), err
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"-9223372036854775808|-2147483648|-7|é\tx\\y|v|-Infinity|1.5|true",
		"9223372036854775807|2147483647|32767|||-0.25|-2|false",
		"5|-9|0|NULL|NULL|NULL|NULL|NULL",
		"1|42|7|3|8|2.5|1.25|true",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	// An int8 that does not fit an int4 column is refused, not cut.
	_, err = s.CopyFrom(ctx, session.Identifier{"plain_copy"}, []string{"b"}, session.CopyFromRows([][]any{{int64(math.MaxInt32) + 1}}))
	if err == nil {
		t.Fatal("an int64 beyond int4 was copied into an int4 column")
	}
}

// TestCopyChunksReused: copies one after another, and side by side on a
// pool, reuse the chunks of earlier ones (spareChunks); each must still
// copy its own rows, whatever an earlier copy left in them, a copy the
// server stopped half way included.
func TestCopyChunksReused(t *testing.T) {
	ctx := context.Background()
	p := newPool(t, dsn(t, pgtest.Trust), &session.PoolOptions{MaxConns: 3})
	tag := runTag()
	if _, err := p.Exec(ctx, fmt.Sprintf("CREATE TABLE reuse_%s (k int4, v int8, s text)", tag)).Await(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Exec(ctx, fmt.Sprintf("DROP TABLE reuse_%s", tag)).Await(ctx) })
	table := session.Identifier{"reuse_" + tag}
	const rows = 60_000 // several chunks each
	copyAs := func(k int) error {
		_, err := p.CopyFrom(ctx, table, []string{"k", "v", "s"}, session.CopyFromSlice(rows, func(i int) ([]any, error) {
			return []any{int32(k), int64(k*rows + i), strings.Repeat("x", k%7)}, nil
		}))
		return err
	}
	// The server stops this one at a value out of range, with chunks in
	// flight.
	_, err := p.CopyFrom(ctx, table, []string{"k", "v", "s"}, session.CopyFromSlice(rows, func(i int) ([]any, error) {
		if i == rows-10 {
			return []any{int64(1) << 40, int64(0), ""}, nil
		}
		return []any{int32(-1), int64(-1), "stale"}, nil
	}))
	if err == nil {
		t.Fatal("a copy with an int4 out of range succeeded")
	}
	errs := make(chan error, 6)
	for k := range 6 {
		go func() { errs <- copyAs(k) }()
	}
	for range 6 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	for k := 6; k < 9; k++ {
		if err := copyAs(k); err != nil {
			t.Fatal(err)
		}
	}
	rs, err := p.Query(ctx, fmt.Sprintf("SELECT k, count(*), sum(v), min(v), max(v), bool_and(s = repeat('x', k %% 7)) FROM reuse_%s GROUP BY k ORDER BY k", tag)).Await(ctx)
	if err != nil {
		t.Fatal(err)
	}
	k := int32(0)
	for rs.Next() {
		var got, n int64
		var sum float64
		var lo, hi int64
		var ok bool
		if err := rs.Scan(&got, &n, &sum, &lo, &hi, &ok); err != nil {
			t.Fatal(err)
		}
		base := int64(k) * rows
		if got != int64(k) || n != rows || lo != base || hi != base+rows-1 || sum != float64(rows*base+rows*(rows-1)/2) || !ok {
			t.Fatalf("k=%d: got k=%d count=%d sum=%v min=%d max=%d texts ok=%v", k, got, n, sum, lo, hi, ok)
		}
		k++
	}
	if err := rs.Close(); err != nil || k != 9 {
		t.Fatalf("%d groups: %v", k, err)
	}
}
