package session_test

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pgactor/pgactor/internal/pgtest"
	"github.com/pgactor/pgactor/session"
	"github.com/pgactor/pgactor/wire/codec"
)

// uniqueName gives each test its own type names: OIDs must be new to
// every registry, including codec.Default(), which other tests share.
func uniqueName(prefix string) string {
	return prefix + "_" + strconv.FormatInt(time.Now().UnixNano(), 36)
}

// admin runs DDL on a connection of its own.
func admin(t *testing.T, sql string) {
	t.Helper()
	ctx := context.Background()
	s := connect(t, dsn(t, pgtest.Trust))
	if _, err := s.Exec(ctx, sql).Await(ctx); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

// typeOID asks the server for a type's OID.
func typeOID(t *testing.T, name string) uint32 {
	t.Helper()
	ctx := context.Background()
	s := connect(t, dsn(t, pgtest.Trust))
	var oid uint32
	if err := s.QueryRow(ctx, "SELECT $1::text::regtype::oid", name).Scan(&oid); err != nil {
		t.Fatalf("OID of %s: %v", name, err)
	}
	return oid
}

// typeRunner is what the tests run queries on: a Session or a Pool.
type typeRunner interface {
	Query(ctx context.Context, sql string, args ...any) interface {
		Await(context.Context) (*session.Rows, error)
	}
	SimpleQuery(ctx context.Context, sql string) interface {
		Await(context.Context) (*session.Rows, error)
	}
	QueryRow(ctx context.Context, sql string, args ...any) *session.Row
	Types() *codec.Registry
}

type sessionTypeRunner struct{ *session.Session }

func (r sessionTypeRunner) Query(ctx context.Context, sql string, args ...any) interface {
	Await(context.Context) (*session.Rows, error)
} {
	return r.Session.Query(ctx, sql, args...)
}
func (r sessionTypeRunner) SimpleQuery(ctx context.Context, sql string) interface {
	Await(context.Context) (*session.Rows, error)
} {
	return r.Session.SimpleQuery(ctx, sql)
}

type poolTypeRunner struct{ *session.Pool }

func (r poolTypeRunner) Query(ctx context.Context, sql string, args ...any) interface {
	Await(context.Context) (*session.Rows, error)
} {
	return r.Pool.Query(ctx, sql, args...)
}
func (r poolTypeRunner) SimpleQuery(ctx context.Context, sql string) interface {
	Await(context.Context) (*session.Rows, error)
} {
	return r.Pool.SimpleQuery(ctx, sql)
}

// values runs sql and returns its one row's Values, through the simple
// protocol (text) or the extended one.
func values(t *testing.T, r typeRunner, simple bool, sql string, args ...any) []any {
	t.Helper()
	ctx := context.Background()
	var rows *session.Rows
	var err error
	if simple {
		rows, err = r.SimpleQuery(ctx, sql).Await(ctx)
	} else {
		rows, err = r.Query(ctx, sql, args...).Await(ctx)
	}
	if err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	defer rows.Close()
	if !rows.Next() {
		t.Fatalf("%s: no row: %v", sql, rows.Err())
	}
	vals, err := rows.Values()
	if err != nil {
		t.Fatalf("%s: Values: %v", sql, err)
	}
	if err := rows.Close(); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return vals
}

// TestTypesLoadedAutomatically: enums, domains, composites, ranges and
// multiranges over them, and arrays of all of these, work with no
// registration: in results (text and binary, Scan and Values) and as
// parameters, on a Session and on a Pool, each with its own registry.
func TestTypesLoadedAutomatically(t *testing.T) {
	ctx := context.Background()
	mood, pos, item, frange := uniqueName("al_mood"), uniqueName("al_pos"), uniqueName("al_item"), uniqueName("al_frange")
	admin(t, fmt.Sprintf(`CREATE TYPE %[1]s AS ENUM ('sad', 'ok', 'happy');
		CREATE DOMAIN %[2]s AS int4 CHECK (VALUE > 0);
		CREATE TYPE %[3]s AS (name text, mood %[1]s, qty %[2]s, moods %[1]s[]);
		CREATE TYPE %[4]s AS RANGE (subtype = float8, multirange_type_name = %[4]s_multi)`, mood, pos, item, frange))
	t.Cleanup(func() {
		admin(t, fmt.Sprintf("DROP TYPE %s, %s, %s CASCADE; DROP DOMAIN %s CASCADE", item, mood, frange, pos))
	})
	type itemT struct {
		Name  string
		Mood  string
		Qty   int32
		Moods []string
	}
	for _, kind := range []string{"session", "pool"} {
		t.Run(kind, func(t *testing.T) {
			var r typeRunner
			var lookups func() int64
			if kind == "session" {
				s := connect(t, dsn(t, pgtest.Trust))
				r, lookups = sessionTypeRunner{s}, func() int64 { return session.SessionTypeLookups(s) }
			} else {
				p := newPool(t, dsn(t, pgtest.Trust), &session.PoolOptions{MaxConns: 2})
				r, lookups = poolTypeRunner{p}, func() int64 { return session.TypeLookups(p) }
			}
			// Parameters first: the types are met in a parameter
			// description before any result has shown them.
			var back itemT
			in := itemT{Name: "x, y", Mood: "sad", Qty: 2, Moods: []string{"ok", "happy"}}
			if err := r.QueryRow(ctx, "SELECT $1::"+item, in).Scan(&back); err != nil ||
				back.Name != in.Name || back.Mood != "sad" || back.Qty != 2 || len(back.Moods) != 2 || back.Moods[1] != "happy" {
				t.Fatalf("a struct as the composite, back into a struct: %+v %v", back, err)
			}
			rng := codec.Range{Lower: 1.5, Upper: 2.5, LowerInclusive: true}
			var rback codec.Range
			if err := r.QueryRow(ctx, "SELECT $1::"+frange, rng).Scan(&rback); err != nil || rback.Lower != 1.5 || rback.Upper != 2.5 || !rback.LowerInclusive {
				t.Fatalf("range over float8: %+v %v", rback, err)
			}
			multi := codec.Multirange{{Lower: 1.0, Upper: 2.0, LowerInclusive: true}, {Lower: 3.0, UpperUnbounded: true}}
			var mback codec.Multirange
			if err := r.QueryRow(ctx, "SELECT $1::"+frange+"_multi", multi).Scan(&mback); err != nil || len(mback) != 2 || mback[1].Lower != 3.0 || !mback[1].UpperUnbounded {
				t.Fatalf("multirange over a user range: %+v %v", mback, err)
			}
			var moods []string
			if err := r.QueryRow(ctx, "SELECT $1::"+mood+"[]", []string{"ok", "sad"}).Scan(&moods); err != nil || len(moods) != 2 || moods[1] != "sad" {
				t.Fatalf("enum array into []string: %v %v", moods, err)
			}
			// Results, in both formats: a statement first prepared while
			// a type was unknown asks for text; simple queries are text.
			lit := fmt.Sprintf("ROW('box', 'ok', 3, ARRAY['happy']::%s[])::%s", mood, item)
			sql := fmt.Sprintf("SELECT %s, ARRAY[%s], '[1,2)'::%s, '{[1,2),[5,6)}'::%s_multi, ARRAY['1'::%s]",
				lit, lit, frange, frange, pos)
			wantItem := []any{"box", "ok", int32(3), []any{"happy"}}
			for _, simple := range []bool{true, false, false} {
				vals := values(t, r, simple, sql)
				if !same(vals[0], wantItem) || !same(vals[1], []any{wantItem}) {
					t.Fatalf("simple=%v: composites %#v", simple, vals[:2])
				}
				if !same(vals[2], codec.Range{Lower: 1.0, Upper: 2.0, LowerInclusive: true}) {
					t.Fatalf("simple=%v: range %#v", simple, vals[2])
				}
				if m, ok := vals[3].(codec.Multirange); !ok || len(m) != 2 || m[1].Lower != 5.0 {
					t.Fatalf("simple=%v: multirange %#v", simple, vals[3])
				}
				if !same(vals[4], []any{int32(1)}) {
					t.Fatalf("simple=%v: domain array %#v", simple, vals[4])
				}
			}
			// An array of structs as the composite's array type.
			var arrBack []itemT
			if err := r.QueryRow(ctx, "SELECT $1::"+item+"[]", []itemT{in, {Name: "z", Mood: "ok", Qty: 1}}).Scan(&arrBack); err != nil ||
				len(arrBack) != 2 || arrBack[0].Name != in.Name || arrBack[1].Mood != "ok" || arrBack[1].Qty != 1 || len(arrBack[1].Moods) != 0 {
				t.Fatalf("[]struct as the composite array: %+v %v", arrBack, err)
			}
			var it itemT
			var its []itemT
			if err := r.QueryRow(ctx, fmt.Sprintf("SELECT %s, ARRAY[%s]", lit, lit)).Scan(&it, &its); err != nil ||
				it.Mood != "ok" || it.Qty != 3 || len(its) != 1 || its[0].Moods[0] != "happy" {
				t.Fatalf("composite and its array into structs: %+v %+v %v", it, its, err)
			}
			// A binary record whose fields are of these types.
			vals := values(t, r, false, fmt.Sprintf("SELECT ROW('happy'::%s, ARRAY[2]::%s[])", mood, pos))
			if !same(vals[0], []any{"happy", []any{int32(2)}}) {
				t.Fatalf("record of loaded types: %#v", vals[0])
			}
			if n := lookups(); n < 1 || n > 8 {
				t.Fatalf("%d catalog lookups", n)
			}
			if _, ok := codec.Default().Lookup(typeOID(t, item)); ok {
				t.Fatal("a loaded type leaked into codec.Default()")
			}
			if _, ok := r.Types().Lookup(typeOID(t, item)); !ok {
				t.Fatal("the composite is not in the registry")
			}
		})
	}
}

// TestTypeLookupOnce: 100 goroutines meeting a new type at once on a pool
// share one catalog query.
func TestTypeLookupOnce(t *testing.T) {
	ctx := context.Background()
	name := uniqueName("once")
	admin(t, fmt.Sprintf("CREATE TYPE %s AS ENUM ('a', 'b')", name))
	t.Cleanup(func() { admin(t, "DROP TYPE "+name) })
	p := newPool(t, dsn(t, pgtest.Trust), &session.PoolOptions{MaxConns: 4})
	if err := p.QueryRow(ctx, "SELECT 1").Scan(new(int)); err != nil { // one connection up
		t.Fatal(err)
	}
	start := make(chan struct{})
	var wg sync.WaitGroup
	errs := make(chan error, 100)
	for i := range 100 {
		wg.Go(func() {
			<-start
			want := []string{"a", "b"}[i%2]
			var v string
			var arr []string
			err := p.QueryRow(ctx, fmt.Sprintf("SELECT $1::%[1]s, ARRAY[$1::%[1]s, 'a']", name), want).Scan(&v, &arr)
			if err == nil && (v != want || len(arr) != 2 || arr[0] != want || arr[1] != "a") {
				err = fmt.Errorf("got %q %q for %q", v, arr, want)
			}
			errs <- err
		})
	}
	close(start)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if n := session.TypeLookups(p); n != 1 {
		t.Fatalf("%d catalog lookups for one new type, want 1", n)
	}
}

// TestTypeLookupBesideUnreadRows: a session whose first row of a new type
// is being scanned while the rest of a large result is still unread on
// its only connection looks the type up elsewhere (on its own connection
// the lookup would wait behind the rows, which wait for the lookup).
func TestTypeLookupBesideUnreadRows(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	name := uniqueName("unread")
	admin(t, fmt.Sprintf("CREATE TYPE %s AS ENUM ('x')", name))
	t.Cleanup(func() { admin(t, "DROP TYPE "+name) })
	s := connect(t, dsn(t, pgtest.Trust))
	rows, err := s.Query(ctx, fmt.Sprintf("SELECT ARRAY['x'::%s], g FROM generate_series(1, 50000) g", name)).Await(ctx)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for rows.Next() {
		var v []string
		var g int32
		if err := rows.Scan(&v, &g); err != nil {
			t.Fatal(err)
		}
		n++
		if len(v) != 1 || v[0] != "x" || g != int32(n) {
			t.Fatalf("row %d: %q %d", n, v, g)
		}
	}
	if err := rows.Close(); err != nil || n != 50000 {
		t.Fatalf("%d rows, %v", n, err)
	}
	if got := session.SessionTypeLookups(s); got != 1 {
		t.Fatalf("%d lookups", got)
	}
}

// TestTypeRecreatedAfterReconnect: a type dropped and created again (a new
// OID), and one altered in place (same OID, another attribute), are
// decoded as they are now once the pool has reconnected; what was loaded
// for the old definitions is forgotten.
func TestTypeRecreatedAfterReconnect(t *testing.T) {
	if cluster.External {
		t.Skip("needs pg_terminate_backend on the harness's own server")
	}
	ctx := context.Background()
	re, alt := uniqueName("recreated"), uniqueName("altered")
	app := uniqueName("reconnect_app")
	admin(t, fmt.Sprintf("CREATE TYPE %s AS ENUM ('a'); CREATE TYPE %s AS (x int4)", re, alt))
	t.Cleanup(func() { admin(t, fmt.Sprintf("DROP TYPE IF EXISTS %s, %s", re, alt)) })
	p := newPool(t, dsn(t, pgtest.Trust, "application_name", app), &session.PoolOptions{MaxConns: 1})
	var s string
	var x struct{ X int32 }
	if err := p.QueryRow(ctx, fmt.Sprintf("SELECT 'a'::%s, ROW(7)::%s", re, alt)).Scan(&s, &x); err != nil || s != "a" || x.X != 7 {
		t.Fatalf("before: %q %+v %v", s, x, err)
	}
	oldOID, altOID := typeOID(t, re), typeOID(t, alt)
	if _, ok := p.Types().Lookup(oldOID); !ok {
		t.Fatal("enum not loaded")
	}
	admin(t, fmt.Sprintf("DROP TYPE %[1]s; CREATE TYPE %[1]s AS (n int4, label text); ALTER TYPE %[2]s ADD ATTRIBUTE y text", re, alt))
	newOID := typeOID(t, re)
	if newOID == oldOID {
		t.Fatal("the server reused the OID")
	}
	if _, err := cluster.Exec(ctx, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = '"+app+"'"); err != nil {
		t.Fatal(err)
	}
	type now struct {
		N     int32
		Label string
	}
	type altNow struct {
		X int32
		Y string
	}
	var got now
	var gotAlt altNow
	deadline := time.Now().Add(15 * time.Second)
	for {
		err := p.QueryRow(ctx, fmt.Sprintf("SELECT ROW(1, 'one')::%s, ROW(2, 'two')::%s", re, alt)).Scan(&got, &gotAlt)
		if err == nil {
			break
		}
		if !errors.Is(err, session.ErrClosed) || time.Now().After(deadline) {
			t.Fatalf("after reconnect: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if got.N != 1 || got.Label != "one" || gotAlt.X != 2 || gotAlt.Y != "two" {
		t.Fatalf("after reconnect: %+v %+v", got, gotAlt)
	}
	if _, ok := p.Types().Lookup(oldOID); ok {
		t.Fatal("the dropped type's codec is still registered")
	}
	if c, ok := p.Types().Lookup(altOID); !ok || c.Name() != alt {
		t.Fatal("the altered type is not registered again")
	}
}

// TestNoCodecAsText: values of types without a codec scan into *any and
// *string, and come through Values and Chan, as their text, in both
// protocols; never an error.
func TestNoCodecAsText(t *testing.T) {
	ctx := context.Background()
	cases := []struct{ expr, want string }{
		{"'a fat cat'::tsvector", "'a' 'cat' 'fat'"},
		{"'fat & rat'::tsquery", "'fat' & 'rat'"},
		{"'(1,2)'::point", "(1,2)"},
		{"'<(0,0),1>'::circle", "<(0,0),1>"},
		{"'16/B374D848'::pg_lsn", "16/B374D848"},
		{"'pg_class'::regclass", "pg_class"},
		{"'1 2'::int2vector", "1 2"},
	}
	exprs := make([]string, len(cases))
	for i, c := range cases {
		exprs[i] = c.expr
	}
	sql := "SELECT " + strings.Join(exprs, ", ")
	s := connect(t, dsn(t, pgtest.Trust))
	r := sessionTypeRunner{s}
	for _, simple := range []bool{true, false, false} {
		vals := values(t, r, simple, sql)
		for i, c := range cases {
			if vals[i] != c.want {
				t.Errorf("simple=%v: Values %s = %#v, want %q", simple, c.expr, vals[i], c.want)
			}
		}
	}
	anys := make([]any, len(cases))
	strs := make([]string, len(cases))
	dest := make([]any, 0, 2*len(cases))
	for i := range cases {
		dest = append(dest, &anys[i])
	}
	if err := s.QueryRow(ctx, sql).Scan(dest...); err != nil {
		t.Fatal(err)
	}
	dest = dest[:0]
	for i := range cases {
		dest = append(dest, &strs[i])
	}
	if err := s.QueryRow(ctx, sql).Scan(dest...); err != nil {
		t.Fatal(err)
	}
	for i, c := range cases {
		if anys[i] != c.want || strs[i] != c.want {
			t.Errorf("%s: *any %#v, *string %q, want %q", c.expr, anys[i], strs[i], c.want)
		}
	}
	rows, err := s.Query(ctx, sql+" FROM generate_series(1, 3)").Await(ctx)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for vals := range rows.Chan(ctx) {
		n++
		for i, c := range cases {
			if vals[i] != c.want {
				t.Errorf("Chan: %s = %#v", c.expr, vals[i])
			}
		}
	}
	if rows.Err() != nil || n != 3 {
		t.Fatalf("Chan: %d rows, %v", n, rows.Err())
	}
	// Arrays of them scan into []string.
	var pts []string
	if err := s.QueryRow(ctx, "SELECT ARRAY['(1,2)'::point, '(3,4)']").Scan(&pts); err != nil || len(pts) != 2 || pts[1] != "(3,4)" {
		t.Fatalf("point[] into []string: %q %v", pts, err)
	}
}

// TestHstoreLoadedAutomatically: hstore needs no registration either way.
func TestHstoreLoadedAutomatically(t *testing.T) {
	ctx := context.Background()
	if _, err := cluster.Exec(ctx, "CREATE EXTENSION IF NOT EXISTS hstore"); err != nil {
		t.Skipf("the hstore extension is not available here: %v", err)
	}
	p := newPool(t, dsn(t, pgtest.Trust), &session.PoolOptions{MaxConns: 2})
	v := "1"
	var got map[string]*string
	if err := p.QueryRow(ctx, "SELECT $1::hstore || 'b=>NULL'", map[string]*string{"a": &v}).Scan(&got); err != nil ||
		len(got) != 2 || *got["a"] != "1" || got["b"] != nil {
		t.Fatalf("hstore param and result: %v %v", got, err)
	}
	vals := values(t, poolTypeRunner{p}, true, `SELECT 'k=>"v v"'::hstore`)
	if m, ok := vals[0].(map[string]*string); !ok || *m["k"] != "v v" {
		t.Fatalf("text: %#v", vals[0])
	}
}

// TestParamTypeInBatchAndTx: a batch runs all or nothing and a transaction
// command that failed has already doomed its COMMIT, so neither sends the
// command again on its own; the failure names the type, which is loaded
// meanwhile, and the next attempt works.
func TestParamTypeInBatchAndTx(t *testing.T) {
	ctx := context.Background()
	bt, tt := uniqueName("batch_pt"), uniqueName("tx_pt")
	admin(t, fmt.Sprintf("CREATE TYPE %s AS (x int4, y text); CREATE TYPE %s AS (x int4, y text)", bt, tt))
	t.Cleanup(func() { admin(t, fmt.Sprintf("DROP TYPE %s, %s", bt, tt)) })
	type pt struct {
		X int32
		Y string
	}
	s := connect(t, dsn(t, pgtest.Trust))
	try := func() (pt, error) {
		b := &session.Batch{}
		one := b.QueryRow("SELECT 1")
		row := b.QueryRow("SELECT $1::"+bt, pt{X: 4, Y: "four"})
		if _, err := s.SendBatch(ctx, b).Await(ctx); err != nil {
			return pt{}, err
		}
		var n int
		var got pt
		if err := one.Scan(&n); err != nil || n != 1 {
			return pt{}, fmt.Errorf("first command: %d %v", n, err)
		}
		return got, row.Scan(&got)
	}
	_, err := try()
	var ute *codec.UnknownTypeError
	if !errors.As(err, &ute) || ute.OID != typeOID(t, bt) {
		t.Fatalf("first batch: %v, want the unknown type named", err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		got, err := try()
		if err == nil {
			if got.X != 4 || got.Y != "four" {
				t.Fatalf("batch: %+v", got)
			}
			break
		}
		if !errors.As(err, &ute) || time.Now().After(deadline) {
			t.Fatalf("batch after the lookup: %v", err)
		}
		time.Sleep(10 * time.Millisecond) // the lookup runs in the background
	}

	inTx := func() (pt, error) {
		var got pt
		err := session.BeginFunc(ctx, s, session.TxOptions{}, func(tx *session.Tx) error {
			return tx.QueryRow(ctx, "SELECT $1::"+tt, pt{X: 5, Y: "five"}).Scan(&got)
		})
		return got, err
	}
	if _, err := inTx(); !errors.As(err, &ute) {
		t.Fatalf("first transaction: %v, want the unknown type named", err)
	}
	for {
		got, err := inTx()
		if err == nil {
			if got.X != 5 || got.Y != "five" {
				t.Fatalf("transaction: %+v", got)
			}
			break
		}
		if !errors.As(err, &ute) || time.Now().After(deadline) {
			t.Fatalf("transaction after the lookup: %v", err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
