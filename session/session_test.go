package session_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pgactor/pgactor/futures"
	"github.com/pgactor/pgactor/internal/pgtest"
	"github.com/pgactor/pgactor/session"
	"github.com/pgactor/pgactor/wire/codec"
)

func dsn(t testing.TB, r pgtest.Role, extra ...string) string {
	t.Helper()
	cluster.RequireRole(t, r)
	p := cluster.Params(r)
	for i := 0; i+1 < len(extra); i += 2 {
		p[extra[i]] = extra[i+1]
	}
	return pgtest.FormatKeyValue(p)
}

func connect(t testing.TB, d string) *session.Session {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	s, err := session.Connect(ctx, d)
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	t.Cleanup(func() { s.Close(context.Background()) })
	return s
}

func newPool(t testing.TB, d string, opts *session.PoolOptions) *session.Pool {
	t.Helper()
	p, err := session.NewPool(context.Background(), d, opts)
	if err != nil {
		t.Fatalf("pool: %v", err)
	}
	t.Cleanup(p.Close)
	return p
}

func TestQueryFuturesPipeline(t *testing.T) {
	s := connect(t, dsn(t, pgtest.Trust))
	ctx := context.Background()
	a := s.Query(ctx, "SELECT $1::text, $2::int8", "hello", int64(42))
	b := s.Query(ctx, "SELECT g FROM generate_series(1, 3) g")
	rows, err := a.Await(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var str string
	var n int64
	if !rows.Next() {
		t.Fatal(rows.Err())
	}
	if err := rows.Scan(&str, &n); err != nil || str != "hello" || n != 42 {
		t.Fatalf("%q %d %v", str, n, err)
	}
	if rows.Next() {
		t.Fatal("extra row")
	}
	if rows.Err() != nil || rows.CommandTag().String() != "SELECT 1" {
		t.Fatalf("%v %v", rows.Err(), rows.CommandTag())
	}
	rows2, err := b.Await(ctx)
	if err != nil {
		t.Fatal(err)
	}
	got, err := session.CollectRows(rows2, session.RowTo[int32])
	if err != nil || fmt.Sprint(got) != "[1 2 3]" {
		t.Fatalf("%v %v", got, err)
	}
	if cols := rows2.Columns(); len(cols) != 1 || cols[0].Name != "g" {
		t.Fatalf("columns %+v", cols)
	}
}

func TestQueryRowAndErrors(t *testing.T) {
	s := connect(t, dsn(t, pgtest.Trust))
	ctx := context.Background()
	var v int
	if err := s.QueryRow(ctx, "SELECT 1 WHERE false").Scan(&v); !errors.Is(err, session.ErrNoRows) {
		t.Fatalf("no rows: %v", err)
	}
	err := s.QueryRow(ctx, "SELECT * FROM missing_table").Scan(&v)
	var pe *session.PgError
	if !errors.As(err, &pe) || pe.SQLState() != "42P01" {
		t.Fatalf("pg error: %v", err)
	}
	var small int16
	err = s.QueryRow(ctx, "SELECT 100000::int4").Scan(&small)
	if err == nil || !strings.Contains(err.Error(), "int4") {
		t.Fatalf("overflow: %v", err)
	}
	var notNull int
	if err := s.QueryRow(ctx, "SELECT NULL::int4").Scan(&notNull); err == nil {
		t.Fatal("NULL into int accepted")
	}
	var nullable *int
	if err := s.QueryRow(ctx, "SELECT NULL::int4").Scan(&nullable); err != nil || nullable != nil {
		t.Fatalf("NULL into *int: %v", err)
	}
}

func TestExecAndSimpleQuery(t *testing.T) {
	s := connect(t, dsn(t, pgtest.Trust))
	ctx := context.Background()
	if _, err := s.Exec(ctx, "CREATE TEMP TABLE e (id int8, name text); CREATE INDEX ON e (id)").Await(ctx); err != nil {
		t.Fatal(err)
	}
	var futs []*futures.Future[session.CommandTag]
	for i := range 100 {
		futs = append(futs, s.Exec(ctx, "INSERT INTO e VALUES ($1, $2)", int64(i), fmt.Sprint("n", i)))
	}
	for _, f := range futs {
		tag, err := f.Await(ctx)
		if err != nil || tag.RowsAffected() != 1 || !tag.Insert() {
			t.Fatalf("%v %v", tag, err)
		}
	}
	rows, err := s.SimpleQuery(ctx, "SELECT count(*), max(name) FROM e").Await(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var count int64
	var max string
	rows.Next()
	if err := rows.Scan(&count, &max); err != nil || count != 100 || max != "n99" {
		t.Fatalf("%d %q %v", count, max, err)
	}
	rows.Close()
}

func TestNamedParameters(t *testing.T) {
	s := connect(t, dsn(t, pgtest.Trust))
	ctx := context.Background()
	var a string
	var b int64
	err := s.QueryRow(ctx, "SELECT :title::text || '::' || :title, :n::int8 + 1", session.Named{"title": "x", "n": int64(2)}).Scan(&a, &b)
	if err != nil || a != "x::x" || b != 3 {
		t.Fatalf("%q %d %v", a, b, err)
	}
	type args struct {
		Title string `db:"title"`
		N     int64
	}
	err = s.QueryRow(ctx, "SELECT :title::text, :n::int8", session.Struct(args{"y", 5})).Scan(&a, &b)
	if err != nil || a != "y" || b != 5 {
		t.Fatalf("%q %d %v", a, b, err)
	}
	if err := s.QueryRow(ctx, "SELECT :missing", session.Named{}).Scan(&a); err == nil {
		t.Fatal("missing name accepted")
	}
	// A key the statement never uses is a mistake, not a silent no-op.
	if _, err := s.Exec(ctx, "SELECT :title::text", session.Named{"title": "x", "titel": "y"}).Await(ctx); err == nil {
		t.Fatal("an unused key was accepted")
	}
	// pgx's @id would be PostgreSQL's @ operator and match every row.
	_, err = s.Exec(ctx, "SELECT g FROM generate_series(1, 5) g WHERE g = @id", session.Named{"id": int64(3)}).Await(ctx)
	if err == nil || !strings.Contains(err.Error(), ":id") {
		t.Fatalf("@id with Named: %v", err)
	}
	// Code written for database/sql or pgx checks for sql.ErrNoRows.
	err = s.QueryRow(ctx, "SELECT 1 WHERE false").Scan(&b)
	if !errors.Is(err, session.ErrNoRows) || !errors.Is(err, sql.ErrNoRows) {
		t.Fatalf("no rows: %v", err)
	}
}

func TestRowsIteratorsAndStructs(t *testing.T) {
	s := connect(t, dsn(t, pgtest.Trust))
	ctx := context.Background()
	type item struct {
		ID   int64  `db:"id"`
		Name string `db:"name"`
	}
	rows, _ := s.Query(ctx, "SELECT g::int8 AS id, 'item ' || g AS name FROM generate_series(1, 5) g").Await(ctx)
	items, err := session.CollectRows(rows, session.RowToStructByName[item])
	if err != nil || len(items) != 5 || items[4] != (item{5, "item 5"}) {
		t.Fatalf("%v %v", items, err)
	}
	rows, _ = s.Query(ctx, "SELECT 7::int8, 'seven'").Await(ctx)
	one, err := session.CollectOne(rows, session.RowToStructByPos[item])
	if err != nil || one != (item{7, "seven"}) {
		t.Fatalf("%v %v", one, err)
	}
	rows, _ = s.Query(ctx, "SELECT g FROM generate_series(1, 10) g").Await(ctx)
	sum := int32(0)
	for r, err := range rows.All() {
		if err != nil {
			t.Fatal(err)
		}
		var v int32
		r.Scan(&v)
		sum += v
		if v == 4 {
			break // closes the rows
		}
	}
	if sum != 10 {
		t.Fatalf("sum %d", sum)
	}
	rows, _ = s.Query(ctx, "SELECT g::int8, g::text FROM generate_series(1, 1000) g").Await(ctx)
	n := 0
	for vals := range rows.Chan(ctx) {
		n++
		if vals[0].(int64) != int64(n) || vals[1].(string) != fmt.Sprint(n) {
			t.Fatalf("row %d: %v", n, vals)
		}
	}
	if n != 1000 || rows.Err() != nil {
		t.Fatalf("%d rows, %v", n, rows.Err())
	}
}

func TestTransactions(t *testing.T) {
	s := connect(t, dsn(t, pgtest.Trust))
	ctx := context.Background()
	s.Exec(ctx, "CREATE TEMP TABLE tx (v int)").Await(ctx)
	tx, err := s.Begin(ctx, session.TxOptions{IsoLevel: "serializable"})
	if err != nil {
		t.Fatal(err)
	}
	var futs []*futures.Future[session.CommandTag]
	for i := range 10 {
		futs = append(futs, tx.Exec(ctx, "INSERT INTO tx VALUES ($1)", int32(i)))
	}
	for _, f := range futs {
		if _, err := f.Await(ctx); err != nil {
			t.Fatal(err)
		}
	}
	// Once the transaction has begun (BEGIN went out with its first
	// commands), another goroutine's query waits until it ends.
	outside := make(chan int64, 1)
	go func() {
		var n int64
		s.QueryRow(ctx, "SELECT count(*) FROM tx").Scan(&n)
		outside <- n
	}()
	var iso string
	tx.QueryRow(ctx, "SHOW transaction_isolation").Scan(&iso)
	if iso != "serializable" {
		t.Fatalf("isolation %q", iso)
	}
	sp, err := tx.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	sp.Exec(ctx, "INSERT INTO tx VALUES (100)").Await(ctx)
	if err := sp.Rollback(ctx); err != nil {
		t.Fatal(err)
	}
	select {
	case n := <-outside:
		t.Fatalf("a query ran inside someone else's transaction (saw %d rows)", n)
	case <-time.After(50 * time.Millisecond):
	}
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	if n := <-outside; n != 10 {
		t.Fatalf("after commit: %d rows", n)
	}
	if err := tx.Rollback(ctx); !errors.Is(err, session.ErrTxClosed) {
		t.Fatalf("rollback after commit: %v", err)
	}

	// A failed transaction's COMMIT comes back as ROLLBACK.
	tx, _ = s.Begin(ctx, session.TxOptions{})
	tx.Exec(ctx, "SELECT 1/0").Await(ctx)
	if err := tx.Commit(ctx); !errors.Is(err, session.ErrTxCommitRollback) {
		t.Fatalf("commit of failed tx: %v", err)
	}
	var n int64
	if err := s.QueryRow(ctx, "SELECT count(*) FROM tx").Scan(&n); err != nil || n != 10 {
		t.Fatalf("%d %v", n, err)
	}
}

func TestContextDeadline(t *testing.T) {
	s := connect(t, dsn(t, pgtest.Trust))
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	var v int
	err := s.QueryRow(ctx, "SELECT pg_sleep(10)::text::int").Scan(&v)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err %v", err)
	}
	if err := s.QueryRow(context.Background(), "SELECT 1").Scan(&v); err != nil || v != 1 {
		t.Fatalf("after deadline: %v", err)
	}
}

func TestManyGoroutinesOneSession(t *testing.T) {
	s := connect(t, dsn(t, pgtest.Trust))
	ctx := context.Background()
	var wg sync.WaitGroup
	var bad atomic.Int64
	for g := range 200 {
		wg.Go(func() {
			for i := range 20 {
				var v int64
				want := int64(g*1000 + i)
				if err := s.QueryRow(ctx, "SELECT $1::int8", want).Scan(&v); err != nil || v != want {
					bad.Add(1)
				}
			}
		})
	}
	wg.Wait()
	if bad.Load() != 0 {
		t.Fatalf("%d wrong answers", bad.Load())
	}
}

func TestExplicitPrepare(t *testing.T) {
	s := connect(t, dsn(t, pgtest.Trust))
	ctx := context.Background()
	st, err := s.Prepare(ctx, "add_one", "SELECT $1 + 1 AS next", 20)
	if err != nil {
		t.Fatal(err)
	}
	if oids := st.ParamOIDs(); len(oids) != 1 || oids[0] != 20 || st.Columns()[0].Name != "next" {
		t.Fatalf("%v %v", oids, st.Columns())
	}
	var futs []*futures.Future[*session.Rows]
	for i := range 10 {
		futs = append(futs, st.Query(ctx, int64(i)))
	}
	for i, f := range futs {
		rows, err := f.Await(ctx)
		if err != nil {
			t.Fatal(err)
		}
		v, err := session.CollectOne(rows, session.RowTo[int64])
		if err != nil || v != int64(i+1) {
			t.Fatalf("%d: %d %v", i, v, err)
		}
	}
	if err := st.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Exec(ctx, int64(1)).Await(ctx); err == nil {
		t.Fatal("closed statement still runs")
	}
	if _, err := s.Prepare(ctx, "", "SELECT 1"); err == nil {
		t.Fatal("unnamed explicit statement accepted")
	}
}

func TestIgnoreUnknownTypesOption(t *testing.T) {
	cfg, err := session.ParseConfig(dsn(t, pgtest.Trust))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, ignore := range []bool{false, true} {
		s, err := session.ConnectConfig(ctx, cfg, &session.Options{IgnoreUnknownTypes: ignore})
		if err != nil {
			t.Fatal(err)
		}
		var v any
		err = s.QueryRow(ctx, "SELECT '(1,2)'::point").Scan(&v)
		s.Close(ctx)
		// A type without a codec comes as its text either way; the option
		// matters only for binary values (record fields) of such types.
		if err != nil || v != "(1,2)" {
			t.Fatalf("ignore=%v: %v %v", ignore, v, err)
		}
	}
}

func TestCollectLaxMapAndSeq(t *testing.T) {
	s := connect(t, dsn(t, pgtest.Trust))
	ctx := context.Background()
	type user struct {
		ID    int64
		Name  string `db:"name"`
		Email string // no column: allowed only by the lax variant
	}
	const q = "SELECT g AS id, 'u' || g AS name FROM generate_series(1, 3) g"
	rows, err := s.Query(ctx, q).Await(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := session.CollectRows(rows, session.RowToStructByName[user]); err == nil {
		t.Fatal("a field without a column was accepted by RowToStructByName")
	}
	rows, _ = s.Query(ctx, q).Await(ctx)
	us, err := session.CollectRows(rows, session.RowToStructByNameLax[user])
	if err != nil || len(us) != 3 || us[2] != (user{ID: 3, Name: "u3"}) {
		t.Fatalf("lax: %+v %v", us, err)
	}
	rows, _ = s.Query(ctx, "SELECT 1 AS extra, 2 AS id").Await(ctx)
	if _, err := session.CollectRows(rows, session.RowToStructByNameLax[user]); err == nil {
		t.Fatal("a column without a field was accepted by the lax variant")
	}
	rows, _ = s.Query(ctx, q).Await(ctx)
	maps, err := session.CollectRows(rows, session.RowToMap)
	if err != nil || len(maps) != 3 || maps[0]["id"] != int32(1) || maps[0]["name"] != "u1" {
		t.Fatalf("maps: %v %v", maps, err)
	}
	rows, _ = s.Query(ctx, q).Await(ctx)
	var ids []int64
	for u, err := range session.CollectSeq(rows, session.RowToStructByNameLax[user]) {
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, u.ID)
		if u.ID == 2 {
			break // breaking closes the rows
		}
	}
	if len(ids) != 2 {
		t.Fatalf("ids %v", ids)
	}
	var one int
	if err := s.QueryRow(ctx, "SELECT 1").Scan(&one); err != nil {
		t.Fatalf("after a break: %v", err)
	}
	// The error comes after the first batch of rows was handed over.
	rows, err = s.Query(ctx, "SELECT 1/(g - 600) FROM generate_series(1, 1000) g").Await(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var failed error
	for _, err := range session.CollectSeq(rows, session.RowTo[int32]) {
		failed = err
	}
	if failed == nil {
		t.Fatal("the error that ended the rows was not yielded")
	}
}

// TestJSONIntoAnything: json and jsonb scan into Go values through
// encoding/json, and maps, slices and structs go out as JSON parameters.
func TestJSONIntoAnything(t *testing.T) {
	s := connect(t, dsn(t, pgtest.Trust))
	ctx := context.Background()
	type point struct {
		X int `json:"x"`
		Y int `json:"y"`
	}
	for _, typ := range []string{"json", "jsonb"} {
		var p point
		if err := s.QueryRow(ctx, `SELECT '{"x": 1, "y": 2}'::`+typ).Scan(&p); err != nil || p != (point{1, 2}) {
			t.Fatalf("%s into a struct: %+v %v", typ, p, err)
		}
		var m map[string]any
		if err := s.QueryRow(ctx, `SELECT '{"x": 3}'::`+typ).Scan(&m); err != nil || m["x"] != float64(3) {
			t.Fatalf("%s into a map: %v %v", typ, m, err)
		}
		var a any
		if err := s.QueryRow(ctx, `SELECT '[1, "two"]'::`+typ).Scan(&a); err != nil || len(a.([]any)) != 2 {
			t.Fatalf("%s into *any: %#v %v", typ, a, err)
		}
		var back point
		if err := s.QueryRow(ctx, "SELECT $1::"+typ, point{4, 5}).Scan(&back); err != nil || back != (point{4, 5}) {
			t.Fatalf("a struct through %s: %+v %v", typ, back, err)
		}
		var n int
		if err := s.QueryRow(ctx, "SELECT jsonb_array_length($1::"+typ+"::jsonb)", []int{1, 2, 3}).Scan(&n); err != nil || n != 3 {
			t.Fatalf("a slice as %s: %d %v", typ, n, err)
		}
		var got map[string]string
		if err := s.QueryRow(ctx, "SELECT $1::"+typ, map[string]string{"k": "v"}).Scan(&got); err != nil || got["k"] != "v" {
			t.Fatalf("a map through %s: %v %v", typ, got, err)
		}
	}
}

// TestHstore: with its codec registered under the database's OID, hstore
// goes both ways as map[string]*string and map[string]string, in binary
// (extended protocol) and text (simple protocol).
func TestHstore(t *testing.T) {
	ctx := context.Background()
	if _, err := cluster.Exec(ctx, "CREATE EXTENSION IF NOT EXISTS hstore"); err != nil {
		t.Skipf("the hstore extension is not available here: %v", err)
	}
	admin := connect(t, dsn(t, pgtest.Trust))
	var oid uint32
	if err := admin.QueryRow(ctx, "SELECT 'hstore'::regtype::oid").Scan(&oid); err != nil {
		t.Fatal(err)
	}
	reg := codec.NewRegistry()
	reg.Register(codec.NewHstoreCodec(oid))
	cfg, err := session.ParseConfig(dsn(t, pgtest.Trust))
	if err != nil {
		t.Fatal(err)
	}
	s, err := session.ConnectConfig(ctx, cfg, &session.Options{Types: reg})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close(ctx)
	v := "x"
	in := map[string]*string{"a": &v, `q"k`: nil}
	var got map[string]*string
	if err := s.QueryRow(ctx, "SELECT $1::hstore", in).Scan(&got); err != nil || len(got) != 2 || *got["a"] != "x" || got[`q"k`] != nil {
		t.Fatalf("map[string]*string: %v %v", got, err)
	}
	var plain map[string]string
	if err := s.QueryRow(ctx, "SELECT $1::hstore || 'b=>2'::hstore", map[string]string{"a": "1"}).Scan(&plain); err != nil || plain["a"] != "1" || plain["b"] != "2" {
		t.Fatalf("map[string]string: %v %v", plain, err)
	}
	rows, err := s.SimpleQuery(ctx, `SELECT 'k=>"v v", n=>NULL'::hstore`).Await(ctx)
	if err != nil {
		t.Fatal(err)
	}
	vals, err := session.CollectOne(rows, func(r *session.Rows) ([]any, error) { return r.Values() })
	m, _ := vals[0].(map[string]*string)
	if err != nil || len(m) != 2 || *m["k"] != "v v" || m["n"] != nil {
		t.Fatalf("text Values: %#v %v", vals, err)
	}
	// LoadTypes finds it by name.
	s2 := connectTypes(t, codec.NewRegistry(), "hstore")
	got = nil
	if err := s2.QueryRow(ctx, "SELECT 'a=>1'::hstore").Scan(&got); err != nil || *got["a"] != "1" {
		t.Fatalf("hstore loaded by name: %v %v", got, err)
	}
}

// TestCompositeStructs: a composite scans into a struct and a struct goes
// out as the composite: by attribute name when the codec knows them (either
// protocol), by position otherwise (binary).
func TestCompositeStructs(t *testing.T) {
	ctx := context.Background()
	admin := connect(t, dsn(t, pgtest.Trust))
	if _, err := admin.Exec(ctx, "DROP TYPE IF EXISTS cpt CASCADE; CREATE TYPE cpt AS (x int4, label text, at_time timestamptz)").Await(ctx); err != nil {
		t.Fatal(err)
	}
	var oid uint32
	if err := admin.QueryRow(ctx, "SELECT 'cpt'::regtype::oid").Scan(&oid); err != nil {
		t.Fatal(err)
	}
	rows, err := admin.Query(ctx, "SELECT attname::text, atttypid FROM pg_attribute WHERE attrelid = 'cpt'::regclass AND attnum > 0 ORDER BY attnum").Await(ctx)
	if err != nil {
		t.Fatal(err)
	}
	fields, err := session.CollectRows(rows, func(r *session.Rows) (codec.CompositeField, error) {
		var f codec.CompositeField
		err := r.Scan(&f.Name, &f.OID)
		return f, err
	})
	if err != nil || len(fields) != 3 {
		t.Fatalf("%v %v", fields, err)
	}
	type cpt struct {
		Label string
		X     int32
		At    time.Time `db:"at_time"`
	}
	at := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	for _, named := range []bool{true, false} {
		reg := codec.NewRegistry()
		if named {
			reg.Register(codec.NewCompositeCodecFields(oid, "cpt", fields, reg))
		} else {
			reg.Register(codec.NewCompositeCodec(oid, "cpt", reg))
		}
		cfg, _ := session.ParseConfig(dsn(t, pgtest.Trust, "TimeZone", "UTC"))
		s, err := session.ConnectConfig(ctx, cfg, &session.Options{Types: reg})
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close(ctx)
		const lit = "(7,\"a, b\",\"2026-12-01 10:00:00+00\")"
		if named {
			var got cpt
			if err := s.QueryRow(ctx, "SELECT '"+lit+"'::cpt").Scan(&got); err != nil || got.X != 7 || got.Label != "a, b" || !got.At.Equal(at) {
				t.Fatalf("by name, binary: %+v %v", got, err)
			}
			rows, err := s.SimpleQuery(ctx, "SELECT '"+lit+"'::cpt").Await(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if v, err := session.CollectOne(rows, session.RowTo[cpt]); err != nil || v.X != 7 || v.Label != "a, b" || !v.At.Equal(at) {
				t.Fatalf("by name, text: %+v %v", v, err)
			}
			var back cpt
			in := cpt{Label: `q"uote`, X: -3, At: at}
			if err := s.QueryRow(ctx, "SELECT $1::cpt", in).Scan(&back); err != nil || back.X != in.X || back.Label != in.Label || !back.At.Equal(in.At) {
				t.Fatalf("a struct as the composite: %+v %v", back, err)
			}
			continue
		}
		// By position: the struct's fields in the type's order.
		type byPos struct {
			X     int32
			Label string
			At    time.Time
		}
		var got byPos
		if err := s.QueryRow(ctx, "SELECT '"+lit+"'::cpt").Scan(&got); err != nil || got.X != 7 || got.Label != "a, b" || !got.At.Equal(at) {
			t.Fatalf("by position, binary: %+v %v", got, err)
		}
		var wrong struct{ X int32 }
		if err := s.QueryRow(ctx, "SELECT '"+lit+"'::cpt").Scan(&wrong); !errors.Is(err, codec.ErrMismatch) {
			t.Fatalf("a struct with too few fields: %v", err)
		}
	}
}

// TestLoadTypes: user-defined types loaded from pg_type scan as a pgx user
// expects: an enum array into []string, a composite into a struct by
// attribute name (with an enum and a domain inside), a domain array, and
// hstore by name.
func TestLoadTypes(t *testing.T) {
	ctx := context.Background()
	admin := connect(t, dsn(t, pgtest.Trust))
	if _, err := admin.Exec(ctx, `DROP TYPE IF EXISTS lt_item, lt_mood, lt_range CASCADE; DROP DOMAIN IF EXISTS lt_pos CASCADE;
		CREATE TYPE lt_mood AS ENUM ('sad', 'ok', 'happy');
		CREATE DOMAIN lt_pos AS int4 CHECK (VALUE > 0);
		CREATE TYPE lt_item AS (name text, mood lt_mood, qty lt_pos, moods lt_mood[]);
		CREATE TYPE lt_range AS RANGE (subtype = int4)`).Await(ctx); err != nil {
		t.Fatal(err)
	}
	reg := codec.NewRegistry()
	for _, kind := range []string{"session", "pool"} {
		cfg, _ := session.ParseConfig(dsn(t, pgtest.Trust))
		if kind == "session" {
			s, err := session.ConnectConfig(ctx, cfg, &session.Options{Types: reg})
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close(ctx)
			if err := s.LoadTypes(ctx, "lt_item", "lt_pos[]", "public.lt_range"); err != nil {
				t.Fatal(err)
			}
			if err := s.LoadTypes(ctx, "no_such_type"); err == nil || !strings.Contains(err.Error(), "no such type") {
				t.Fatalf("an unknown name: %v", err)
			}
		} else {
			p, err := session.NewPoolConfig(ctx, cfg, &session.PoolOptions{Options: session.Options{Types: codec.NewRegistry()}})
			if err != nil {
				t.Fatal(err)
			}
			defer p.Close()
			if err := p.LoadTypes(ctx, "lt_mood"); err != nil {
				t.Fatal(err)
			}
			var moods []string
			if err := p.QueryRow(ctx, "SELECT ARRAY['sad', 'happy']::lt_mood[]").Scan(&moods); err != nil || len(moods) != 2 || moods[1] != "happy" {
				t.Fatalf("pool: enum array into []string: %v %v", moods, err)
			}
			continue
		}
		s, err := session.ConnectConfig(ctx, cfg, &session.Options{Types: reg})
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close(ctx)
		var moods []string
		if err := s.QueryRow(ctx, "SELECT ARRAY['sad', 'happy']::lt_mood[]").Scan(&moods); err != nil || len(moods) != 2 || moods[1] != "happy" {
			t.Fatalf("enum array into []string: %v %v", moods, err)
		}
		type item struct {
			Name  string
			Mood  string
			Qty   int32
			Moods []string
		}
		var it item
		if err := s.QueryRow(ctx, "SELECT ROW('box', 'ok', 3, ARRAY['happy']::lt_mood[])::lt_item").Scan(&it); err != nil ||
			it.Name != "box" || it.Mood != "ok" || it.Qty != 3 || len(it.Moods) != 1 {
			t.Fatalf("composite into a struct: %+v %v", it, err)
		}
		var back item
		if err := s.QueryRow(ctx, "SELECT $1::lt_item", item{Name: "x", Mood: "sad", Qty: 1, Moods: []string{"ok"}}).Scan(&back); err != nil || back.Mood != "sad" || back.Moods[0] != "ok" {
			t.Fatalf("a struct as the composite: %+v %v", back, err)
		}
		var pos []int32
		if err := s.QueryRow(ctx, "SELECT ARRAY[1, 2]::lt_pos[]").Scan(&pos); err != nil || len(pos) != 2 || pos[1] != 2 {
			t.Fatalf("domain array: %v %v", pos, err)
		}
		var r codec.Range
		if err := s.QueryRow(ctx, "SELECT lt_range(1, 5)").Scan(&r); err != nil || r.Lower != int32(1) {
			t.Fatalf("range: %+v %v", r, err)
		}
	}
}

// TestLoadTypesBaseType: a base type whose binary form the codec cannot
// know (point, built in but without a codec) is loaded as text only.
func TestLoadTypesBaseType(t *testing.T) {
	ctx := context.Background()
	s := connectTypes(t, codec.NewRegistry(), "point")
	var p any
	var ps []string
	if err := s.QueryRow(ctx, "SELECT '(1,2)'::point, ARRAY['(3,4)'::point]").Scan(&p, &ps); err != nil || p != "(1,2)" || len(ps) != 1 || ps[0] != "(3,4)" {
		t.Fatalf("point as text: %#v %v %v", p, ps, err)
	}
}

// connectTypes connects a session that decodes with reg, after loading
// the named types into it, and closes it when the test ends.
func connectTypes(t *testing.T, reg *codec.Registry, names ...string) *session.Session {
	t.Helper()
	ctx := context.Background()
	cfg, err := session.ParseConfig(dsn(t, pgtest.Trust))
	if err != nil {
		t.Fatal(err)
	}
	s, err := session.ConnectConfig(ctx, cfg, &session.Options{Types: reg})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close(context.Background()) })
	if err := s.LoadTypes(ctx, names...); err != nil {
		t.Fatal(err)
	}
	return s
}
