package stdlib_test

import (
	"context"
	"database/sql"
	"errors"
	"math"
	"reflect"
	"testing"
	"time"

	"github.com/pgactor/pgactor/internal/pgtest"
	"github.com/pgactor/pgactor/session"
	"github.com/pgactor/pgactor/session/stdlib"
)

func openDB(t *testing.T) *sql.DB {
	t.Helper()
	cluster.RequireRole(t, pgtest.Trust)
	db, err := sql.Open("pgactor", pgtest.FormatKeyValue(cluster.Params(pgtest.Trust)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func TestQueryAndScan(t *testing.T) {
	db := openDB(t)
	ctx := context.Background()
	var (
		i8  int64
		i4  int32
		f   float64
		s   string
		b   []byte
		ok  bool
		ts  time.Time
		n   sql.NullString
		num string
		arr string
	)
	err := db.QueryRowContext(ctx, `SELECT $1::int8, 7::int4, 1.5::float8, 'x'::text, '\x0102'::bytea, true,
		'2026-12-01 10:00:00+00'::timestamptz, NULL::text, 12.50::numeric, ARRAY[1,2]`, int64(42)).
		Scan(&i8, &i4, &f, &s, &b, &ok, &ts, &n, &num, &arr)
	if err != nil {
		t.Fatal(err)
	}
	if i8 != 42 || i4 != 7 || f != 1.5 || s != "x" || !reflect.DeepEqual(b, []byte{1, 2}) || !ok ||
		!ts.Equal(time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)) || n.Valid || num != "12.50" || arr != "{1,2}" {
		t.Fatalf("%v %v %v %q %v %v %v %v %q %q", i8, i4, f, s, b, ok, ts, n, num, arr)
	}
	// Parameters go to the codec as they are: a slice, a struct as json.
	var got string
	if err := db.QueryRowContext(ctx, "SELECT array_to_string($1::int8[], ',')", []int64{1, 2, 3}).Scan(&got); err != nil || got != "1,2,3" {
		t.Fatalf("slice parameter: %q %v", got, err)
	}
	type doc struct{ A int }
	if err := db.QueryRowContext(ctx, "SELECT ($1::jsonb)->>'A'", doc{A: 5}).Scan(&got); err != nil || got != "5" {
		t.Fatalf("struct as json: %q %v", got, err)
	}
	// Named arguments fill :name placeholders.
	if err := db.QueryRowContext(ctx, "SELECT :a::text || :b::text", sql.Named("a", "x"), sql.Named("b", "y")).Scan(&got); err != nil || got != "xy" {
		t.Fatalf("named: %q %v", got, err)
	}
	if err := db.QueryRowContext(ctx, "SELECT 1 WHERE false").Scan(&got); !errors.Is(err, sql.ErrNoRows) {
		t.Fatalf("no rows: %v", err)
	}
}

func TestExecTransactionsAndStatements(t *testing.T) {
	db := openDB(t)
	ctx := context.Background()
	if _, err := db.ExecContext(ctx, "DROP TABLE IF EXISTS sd; CREATE TABLE sd (v int)"); err != nil {
		t.Fatal(err)
	}
	res, err := db.ExecContext(ctx, "INSERT INTO sd SELECT generate_series(1, $1::int)", 3)
	if err != nil {
		t.Fatal(err)
	}
	if n, err := res.RowsAffected(); err != nil || n != 3 {
		t.Fatalf("rows affected %d %v", n, err)
	}
	if _, err := res.LastInsertId(); err == nil {
		t.Fatal("LastInsertId answered")
	}
	tx, err := db.BeginTx(ctx, &sql.TxOptions{Isolation: sql.LevelSerializable})
	if err != nil {
		t.Fatal(err)
	}
	var level string
	tx.QueryRowContext(ctx, "SHOW transaction_isolation").Scan(&level)
	tx.ExecContext(ctx, "INSERT INTO sd VALUES (100)")
	if err := tx.Rollback(); err != nil || level != "serializable" {
		t.Fatalf("rollback: %v, level %q", err, level)
	}
	tx, _ = db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if _, err := tx.ExecContext(ctx, "INSERT INTO sd VALUES (200)"); err == nil {
		t.Fatal("a write in a read-only transaction succeeded")
	}
	tx.Rollback()
	if _, err := db.BeginTx(ctx, &sql.TxOptions{Isolation: sql.LevelLinearizable}); err == nil {
		t.Fatal("an isolation level PostgreSQL lacks was accepted")
	}
	stmt, err := db.PrepareContext(ctx, "SELECT count(*) FROM sd WHERE v <= $1")
	if err != nil {
		t.Fatal(err)
	}
	defer stmt.Close()
	var n int
	if err := stmt.QueryRowContext(ctx, 2).Scan(&n); err != nil || n != 2 {
		t.Fatalf("statement: %d %v", n, err)
	}
	if err := db.QueryRowContext(ctx, "SELECT count(*) FROM sd").Scan(&n); err != nil || n != 3 {
		t.Fatalf("after rollback: %d %v", n, err)
	}
}

// TestCancelKeepsConnection: a context that ends cancels the query on the
// server; the connection serves the next query.
func TestCancelKeepsConnection(t *testing.T) {
	db := openDB(t)
	db.SetMaxOpenConns(1)
	ctx := context.Background()
	var pid1, pid2 int
	db.QueryRowContext(ctx, "SELECT pg_backend_pid()").Scan(&pid1)
	short, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	if _, err := db.ExecContext(short, "SELECT pg_sleep(10)"); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("canceled query: %v", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("cancel took %v", d)
	}
	if err := db.QueryRowContext(ctx, "SELECT pg_backend_pid()").Scan(&pid2); err != nil || pid1 != pid2 {
		t.Fatalf("after the cancel: pid %d then %d, %v", pid1, pid2, err)
	}
}

func TestColumnTypesAndRaw(t *testing.T) {
	db := openDB(t)
	ctx := context.Background()
	rows, err := db.QueryContext(ctx, "SELECT 1::int8 AS a, 'x'::varchar(10) AS b, 1.5::numeric(6,2) AS c, now() AS d")
	if err != nil {
		t.Fatal(err)
	}
	types, err := rows.ColumnTypes()
	if err != nil {
		t.Fatal(err)
	}
	if types[0].DatabaseTypeName() != "INT8" || types[0].ScanType() != reflect.TypeFor[int64]() {
		t.Errorf("int8: %s %v", types[0].DatabaseTypeName(), types[0].ScanType())
	}
	if l, ok := types[1].Length(); !ok || l != 10 || types[1].DatabaseTypeName() != "VARCHAR" {
		t.Errorf("varchar(10): %d %v %s", l, ok, types[1].DatabaseTypeName())
	}
	if p, s, ok := types[2].DecimalSize(); !ok || p != 6 || s != 2 {
		t.Errorf("numeric(6,2): %d %d %v", p, s, ok)
	}
	if l, ok := types[3].Length(); ok && l != math.MaxInt64 {
		t.Errorf("timestamptz length: %d", l)
	}
	rows.Close()
	c, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	var pid uint32
	err = c.Raw(func(dc any) error {
		s, ok := stdlib.SessionOf(dc)
		if !ok {
			return errors.New("not a pgactor connection")
		}
		pid = s.BackendPID()
		return nil
	})
	var viaSQL uint32
	c.QueryRowContext(ctx, "SELECT pg_backend_pid()").Scan(&viaSQL)
	if err != nil || pid == 0 || pid != viaSQL {
		t.Fatalf("Raw: %d vs %d, %v", pid, viaSQL, err)
	}
}

func TestOpenDB(t *testing.T) {
	cluster.RequireRole(t, pgtest.Trust)
	cfg, err := session.ParseConfig(pgtest.FormatKeyValue(cluster.Params(pgtest.Trust)))
	if err != nil {
		t.Fatal(err)
	}
	db := stdlib.OpenDB(cfg, nil)
	defer db.Close()
	if err := db.PingContext(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, err := sql.Open("pgactor", "port=notaport"); err == nil {
		t.Fatal("a malformed connection string was accepted")
	}
}
