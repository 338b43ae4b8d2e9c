package session

import (
	"errors"
	"fmt"
	"iter"
	"reflect"
	"strings"
	"sync"

	"github.com/pgactor/pgactor/wire"
)

// RowToFunc turns the current row into a T.
type RowToFunc[T any] func(r *Rows) (T, error)

// CollectRows reads every row with fn and closes rows.
func CollectRows[T any](rows *Rows, fn RowToFunc[T]) ([]T, error) {
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := fn(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	if err := rows.Close(); err != nil {
		return nil, err
	}
	return out, nil
}

// CollectOne reads the first row with fn and closes rows; ErrNoRows when
// there is none.
func CollectOne[T any](rows *Rows, fn RowToFunc[T]) (T, error) {
	return collectFirst(rows, fn, false)
}

// CollectExactlyOne is CollectOne that also fails with ErrTooManyRows.
func CollectExactlyOne[T any](rows *Rows, fn RowToFunc[T]) (T, error) {
	return collectFirst(rows, fn, true)
}

func collectFirst[T any](rows *Rows, fn RowToFunc[T], exactlyOne bool) (T, error) {
	defer rows.Close()
	var zero T
	if !rows.Next() {
		if err := rows.Close(); err != nil {
			return zero, err
		}
		return zero, ErrNoRows
	}
	v, err := fn(rows)
	if err != nil {
		return zero, err
	}
	if exactlyOne && rows.Next() {
		return zero, ErrTooManyRows
	}
	return v, rows.Close()
}

// RowTo scans a single-column row into a T.
func RowTo[T any](r *Rows) (T, error) {
	var v T
	err := r.Scan(&v)
	return v, err
}

// RowToStructByName scans a row into a struct, matching columns to
// exported fields by their `db` tag or, without one, by name (case
// insensitive, underscores ignored). A column without a field, or a field
// without a column, is an error; tag a field `db:"-"` to skip it.
func RowToStructByName[T any](r *Rows) (T, error) { return rowToStruct[T](r, false) }

// RowToStructByNameLax is RowToStructByName where a field without a column
// is allowed (it keeps its zero value); a column without a field is still
// an error.
func RowToStructByNameLax[T any](r *Rows) (T, error) { return rowToStruct[T](r, true) }

func rowToStruct[T any](r *Rows, lax bool) (T, error) {
	var v T
	rv := reflect.ValueOf(&v).Elem()
	if rv.Kind() != reflect.Struct {
		return v, fmt.Errorf("pgactor: RowToStructByName needs a struct, got %T", v)
	}
	plan, err := namePlan(rv.Type(), r.Columns(), lax)
	if err != nil {
		return v, err
	}
	dest := make([]any, len(plan))
	for i, idx := range plan {
		dest[i] = rv.FieldByIndex(idx).Addr().Interface()
	}
	return v, r.Scan(dest...)
}

// RowToMap returns the row as a map from column name to its natural Go
// value (as Values gives it). A name that appears twice keeps the last
// column's value.
func RowToMap(r *Rows) (map[string]any, error) {
	vals, err := r.Values()
	if err != nil {
		return nil, err
	}
	m := make(map[string]any, len(vals))
	for i, f := range r.Columns() {
		m[f.Name] = vals[i]
	}
	return m, nil
}

// CollectSeq iterates over the rows turned into T by fn:
//
//	for user, err := range session.CollectSeq(rows, session.RowToStructByName[User]) { ... }
//
// It closes rows when the loop ends or breaks; a failure ends it with one
// (zero T, error) pair.
func CollectSeq[T any](rows *Rows, fn RowToFunc[T]) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		defer rows.Close()
		for rows.Next() {
			v, err := fn(rows)
			if err != nil {
				var zero T
				yield(zero, err)
				return
			}
			if !yield(v, nil) {
				return
			}
		}
		if err := rows.Err(); err != nil {
			var zero T
			yield(zero, err)
		}
	}
}

// RowToStructByPos scans a row into a struct's exported fields in order.
func RowToStructByPos[T any](r *Rows) (T, error) {
	var v T
	rv := reflect.ValueOf(&v).Elem()
	if rv.Kind() != reflect.Struct {
		return v, fmt.Errorf("pgactor: RowToStructByPos needs a struct, got %T", v)
	}
	var dest []any
	for i := 0; i < rv.NumField(); i++ {
		f := rv.Type().Field(i)
		if !f.IsExported() || f.Tag.Get("db") == "-" {
			continue
		}
		dest = append(dest, rv.Field(i).Addr().Interface())
	}
	if len(dest) != len(r.Columns()) {
		return v, fmt.Errorf("pgactor: %d columns for %d fields of %T", len(r.Columns()), len(dest), v)
	}
	return v, r.Scan(dest...)
}

type planKey struct {
	t    reflect.Type
	cols string
	lax  bool
}

var plans sync.Map // planKey → [][]int

func normalize(s string) string {
	return strings.ToLower(strings.ReplaceAll(s, "_", ""))
}

// namePlan maps each column to a field index path, cached per struct type
// and column list.
func namePlan(t reflect.Type, cols []wire.FieldDescription, lax bool) ([][]int, error) {
	var names strings.Builder
	for _, c := range cols {
		names.WriteString(c.Name)
		names.WriteByte(0)
	}
	key := planKey{t, names.String(), lax}
	if p, ok := plans.Load(key); ok {
		return p.([][]int), nil
	}
	fields := map[string][]int{}
	tagged := map[string][]int{}
	var walk func(t reflect.Type, prefix []int)
	walk = func(t reflect.Type, prefix []int) {
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			idx := append(append([]int(nil), prefix...), i)
			tag := f.Tag.Get("db")
			if tag == "-" || !f.IsExported() {
				continue
			}
			if f.Anonymous && f.Type.Kind() == reflect.Struct && tag == "" {
				walk(f.Type, idx)
				continue
			}
			if tag != "" {
				tagged[tag] = idx
			} else {
				fields[normalize(f.Name)] = idx
			}
		}
	}
	walk(t, nil)
	plan := make([][]int, len(cols))
	used := 0
	for i, c := range cols {
		if idx, ok := tagged[c.Name]; ok {
			plan[i] = idx
		} else if idx, ok := fields[normalize(c.Name)]; ok {
			plan[i] = idx
		} else {
			return nil, fmt.Errorf("pgactor: column %q has no field in %s", c.Name, t)
		}
		used++
	}
	if !lax && used != len(tagged)+len(fields) {
		return nil, errors.New("pgactor: struct " + t.String() + " has fields the result has no columns for")
	}
	plans.Store(key, plan)
	return plan, nil
}
