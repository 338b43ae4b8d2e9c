package stdlib

import (
	"database/sql/driver"
	"fmt"
	"reflect"

	"github.com/pgactor/pgactor/wire/codec"
)

// Array is a one-dimensional PostgreSQL array as a database/sql
// destination: database/sql cannot scan an array column into a []T, and
// the driver hands it over as its text form, which Array's Scan parses.
// As a struct field it serves sqlx, GORM (with a type tag such as
// `gorm:"type:text[]"`) and plain Scan alike:
//
//	var tags stdlib.Array[string]
//	err := db.QueryRowContext(ctx, "SELECT tags FROM posts WHERE id = $1", id).Scan(&tags)
//
// Each element is read as pgactor reads a value of T's PostgreSQL type
// (text for a T it has no codec for): strings, integers, floats, bool,
// time.Time, and pointers or sql.Null types where elements may be NULL. A
// NULL array gives a nil Array. As a parameter an Array is its slice,
// which pgactor's driver sends as an array of T (Value); being a
// driver.Valuer also keeps libraries that spread a slice parameter into a
// list, as GORM does, from taking it apart.
type Array[T any] []T

// Value implements driver.Valuer: the plain []T, for pgactor's codec (a
// value for pgactor's driver, not for others).
func (a Array[T]) Value() (driver.Value, error) {
	if a == nil {
		return nil, nil
	}
	return []T(a), nil
}

// Scan implements sql.Scanner.
func (a *Array[T]) Scan(src any) error {
	var text []byte
	switch s := src.(type) {
	case nil:
		*a = nil
		return nil
	case string:
		text = []byte(s)
	case []byte:
		text = s
	default:
		return fmt.Errorf("pgactor: Array[%v].Scan: cannot read a %T; want an array's text form", reflect.TypeFor[T](), src)
	}
	reg := codec.Default()
	var elems []*string
	if err := reg.Scan(codec.OIDTextArray, codec.TextFormat, text, &elems, &codec.Options{}); err != nil {
		return fmt.Errorf("pgactor: Array[%v].Scan: %w", reflect.TypeFor[T](), err)
	}
	oid := codec.OIDText
	if c, ok := reg.LookupType(elemType[T]()); ok {
		oid = c.OID()
	}
	plan := reg.PlanScan(oid)
	out := make(Array[T], len(elems))
	for i, e := range elems {
		var v []byte // NULL
		if e != nil {
			v = []byte(*e)
		}
		if err := plan.Scan("", codec.TextFormat, v, &out[i], &codec.Options{}); err != nil {
			return fmt.Errorf("pgactor: Array[%v].Scan: element %d: %w", reflect.TypeFor[T](), i+1, err)
		}
	}
	*a = out
	return nil
}

// elemType is the type whose codec reads an element into a T: T itself,
// or what a pointer T points to.
func elemType[T any]() reflect.Type {
	t := reflect.TypeFor[T]()
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return t
}
