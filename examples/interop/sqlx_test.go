package interop_test

import (
	"context"
	"database/sql"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/pgactor/pgactor/session/stdlib"
)

// sqlx picks its placeholder style by driver name, and does not know
// "pgactor": tell it, once, that pgactor takes $1, $2...
func init() { sqlx.BindDriver("pgactor", sqlx.DOLLAR) }

type person struct {
	ID      int64                `db:"id"`
	Name    string               `db:"name"`
	Email   sql.NullString       `db:"email"`
	Age     int32                `db:"age"`
	Tags    stdlib.Array[string] `db:"tags"`
	Created time.Time            `db:"created_at"`
}

func TestSQLX(t *testing.T) {
	forEachMode(t, func(t *testing.T, sdb *sql.DB, _ string) {
		ctx := context.Background()
		db := sqlx.NewDb(sdb, "pgactor")
		if bt := sqlx.BindType(db.DriverName()); bt != sqlx.DOLLAR {
			t.Fatalf("bind type %d", bt)
		}
		db.MustExecContext(ctx, `CREATE TABLE person (
			id bigserial PRIMARY KEY, name text NOT NULL UNIQUE, email text, age int4 NOT NULL,
			tags text[] NOT NULL DEFAULT '{}', created_at timestamptz NOT NULL DEFAULT '2026-01-02 03:04:05+00')`)

		// NamedExec, one struct and then a slice of them (one INSERT with
		// several VALUES lists).
		alice := person{Name: "alice", Email: sql.NullString{String: "a@x", Valid: true}, Age: 30, Tags: stdlib.Array[string]{"admin", "ops"}}
		res, err := db.NamedExecContext(ctx, `INSERT INTO person (name, email, age, tags) VALUES (:name, :email, :age, :tags)`, alice)
		if err != nil {
			t.Fatal(err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			t.Fatalf("rows affected %d", n)
		}
		var others []person
		for i := range 5 {
			others = append(others, person{Name: fmt.Sprintf("p%d", i), Age: int32(20 + i), Tags: stdlib.Array[string]{fmt.Sprint("t", i)}})
		}
		res, err = db.NamedExecContext(ctx, `INSERT INTO person (name, email, age, tags) VALUES (:name, :email, :age, :tags)`, others)
		if err != nil {
			t.Fatal(err)
		}
		if n, _ := res.RowsAffected(); n != 5 {
			t.Fatalf("rows affected %d", n)
		}

		// Get: one row into a struct by db tags, text[] into []string.
		var got person
		if err := db.GetContext(ctx, &got, "SELECT * FROM person WHERE name = $1", "alice"); err != nil {
			t.Fatal(err)
		}
		want := alice
		want.ID, want.Created = got.ID, time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
		if got.ID == 0 || !got.Created.Equal(want.Created) {
			t.Fatalf("got %+v", got)
		}
		got.Created = want.Created
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("Get: got %+v, want %+v", got, want)
		}
		var age int32
		if err := db.GetContext(ctx, &age, "SELECT age FROM person WHERE name = $1", "p3"); err != nil || age != 23 {
			t.Fatalf("Get scalar: %d %v", age, err)
		}
		if err := db.GetContext(ctx, &got, "SELECT * FROM person WHERE name = $1", "nobody"); err != sql.ErrNoRows {
			t.Fatalf("Get of no row: %v", err)
		}

		// Select into a slice of structs; NULL email stays invalid.
		var young []person
		if err := db.SelectContext(ctx, &young, "SELECT * FROM person WHERE age < $1 ORDER BY age", 23); err != nil {
			t.Fatal(err)
		}
		if len(young) != 3 {
			t.Fatalf("Select: %d rows", len(young))
		}
		for i, p := range young {
			if p.Name != others[i].Name || p.Age != others[i].Age || p.Email.Valid || !reflect.DeepEqual(p.Tags, others[i].Tags) {
				t.Fatalf("Select row %d: %+v, want %+v", i, p, others[i])
			}
		}

		// sqlx.In expands a slice into ?, ?, ? and Rebind makes them $n.
		q, args, err := sqlx.In("SELECT name FROM person WHERE name IN (?) AND age >= ? ORDER BY name", []string{"p1", "p4", "alice", "nobody"}, 21)
		if err != nil {
			t.Fatal(err)
		}
		q = db.Rebind(q)
		if q != "SELECT name FROM person WHERE name IN ($1, $2, $3, $4) AND age >= $5 ORDER BY name" {
			t.Fatalf("Rebind: %s", q)
		}
		var names []string
		if err := db.SelectContext(ctx, &names, q, args...); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(names, []string{"alice", "p1", "p4"}) {
			t.Fatalf("In: %v", names)
		}
		// The same through a slice parameter, which pgactor sends as an array.
		names = nil
		if err := db.SelectContext(ctx, &names, "SELECT name FROM person WHERE name = ANY($1) ORDER BY name", []string{"p0", "p2"}); err != nil || !reflect.DeepEqual(names, []string{"p0", "p2"}) {
			t.Fatalf("ANY: %v %v", names, err)
		}

		// Named queries: NamedQuery with a map, PrepareNamed with a struct.
		rows, err := db.NamedQueryContext(ctx, "SELECT id, name, age FROM person WHERE age BETWEEN :lo AND :hi ORDER BY age", map[string]any{"lo": 21, "hi": 22})
		if err != nil {
			t.Fatal(err)
		}
		var ages []int32
		for rows.Next() {
			var p person
			if err := rows.StructScan(&p); err != nil {
				t.Fatal(err)
			}
			ages = append(ages, p.Age)
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		rows.Close()
		if !reflect.DeepEqual(ages, []int32{21, 22}) {
			t.Fatalf("NamedQuery: %v", ages)
		}
		stmt, err := db.PrepareNamedContext(ctx, "SELECT * FROM person WHERE name = :name")
		if err != nil {
			t.Fatal(err)
		}
		defer stmt.Close()
		for _, p := range others {
			var g person
			if err := stmt.GetContext(ctx, &g, p); err != nil || g.Name != p.Name || g.Age != p.Age {
				t.Fatalf("PrepareNamed %s: %+v %v", p.Name, g, err)
			}
		}

		// A sqlx transaction that rolls back leaves nothing behind.
		tx, err := db.BeginTxx(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := tx.NamedExecContext(ctx, "INSERT INTO person (name, age) VALUES (:name, :age)", person{Name: "ghost", Age: 99}); err != nil {
			t.Fatal(err)
		}
		var n int
		if err := tx.GetContext(ctx, &n, "SELECT count(*) FROM person WHERE name = 'ghost'"); err != nil || n != 1 {
			t.Fatalf("in tx: %d %v", n, err)
		}
		if err := tx.Rollback(); err != nil {
			t.Fatal(err)
		}
		if err := db.GetContext(ctx, &n, "SELECT count(*) FROM person"); err != nil || n != 6 {
			t.Fatalf("after rollback: %d %v", n, err)
		}
	})
}
