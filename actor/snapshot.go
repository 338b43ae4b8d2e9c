package actor

import (
	"math/big"
	"reflect"
)

// snapshotArgs returns a deep copy of args: what the caller may change
// after Send returns (the bytes of a []byte, a slice's elements, a map, what
// a pointer points to) is copied, so that encoding the copy later gives
// what encoding args now would. Values held in an interface are already
// copies; only what they reference needs copying. Unexported fields of
// structs are copied as they are (shared): the codec reads exported fields
// only, except for types it knows, whose unexported state is either
// immutable (time.Time's location, netip's zone) or copied here (big
// numbers).
func snapshotArgs(args []any) []any {
	if len(args) == 0 {
		return nil
	}
	out := make([]any, len(args))
	for i, a := range args {
		out[i] = snapshot(a)
	}
	return out
}

// snapshotDepth bounds the recursion, for cyclic structures: past it,
// values are shared.
const snapshotDepth = 32

func snapshot(v any) any {
	switch x := v.(type) {
	case nil, bool, string, int, int8, int16, int32, int64, uint, uint8, uint16, uint32, uint64, float32, float64:
		return v
	case []byte:
		if x == nil {
			return x
		}
		return append(make([]byte, 0, len(x)), x...)
	case *big.Int:
		if x == nil {
			return x
		}
		return new(big.Int).Set(x)
	case *big.Float:
		if x == nil {
			return x
		}
		return new(big.Float).Copy(x)
	case *big.Rat:
		if x == nil {
			return x
		}
		return new(big.Rat).Set(x)
	}
	rv := reflect.ValueOf(v)
	if !needsCopy(rv.Type(), 0) {
		return v
	}
	return deepCopy(rv, 0).Interface()
}

// needsCopy reports whether values of t can reference memory the caller
// may change.
func needsCopy(t reflect.Type, depth int) bool {
	if depth > snapshotDepth {
		return true
	}
	switch t.Kind() {
	case reflect.Slice, reflect.Map, reflect.Pointer, reflect.Interface:
		return true
	case reflect.Array:
		return needsCopy(t.Elem(), depth+1)
	case reflect.Struct:
		for i := range t.NumField() {
			f := t.Field(i)
			if f.IsExported() && needsCopy(f.Type, depth+1) {
				return true
			}
		}
	}
	return false
}

func deepCopy(v reflect.Value, depth int) reflect.Value {
	if depth > snapshotDepth {
		return v
	}
	if v.Type() == bigIntType || v.Type() == bigFloatType || v.Type() == bigRatType {
		if v.IsNil() {
			return v
		}
		return reflect.ValueOf(snapshot(v.Interface()))
	}
	switch v.Kind() {
	case reflect.Slice:
		if v.IsNil() {
			return v
		}
		n := reflect.MakeSlice(v.Type(), v.Len(), v.Len())
		if !needsCopy(v.Type().Elem(), depth+1) {
			reflect.Copy(n, v)
			return n
		}
		for i := range v.Len() {
			n.Index(i).Set(deepCopy(v.Index(i), depth+1))
		}
		return n
	case reflect.Map:
		if v.IsNil() {
			return v
		}
		n := reflect.MakeMapWithSize(v.Type(), v.Len())
		it := v.MapRange()
		for it.Next() {
			n.SetMapIndex(it.Key(), deepCopy(it.Value(), depth+1))
		}
		return n
	case reflect.Pointer:
		if v.IsNil() {
			return v
		}
		n := reflect.New(v.Type().Elem())
		n.Elem().Set(deepCopy(v.Elem(), depth+1))
		return n
	case reflect.Interface:
		if v.IsNil() {
			return v
		}
		n := reflect.New(v.Type()).Elem()
		n.Set(deepCopy(v.Elem(), depth+1))
		return n
	case reflect.Array:
		n := reflect.New(v.Type()).Elem()
		n.Set(v)
		if needsCopy(v.Type().Elem(), depth+1) {
			for i := range v.Len() {
				n.Index(i).Set(deepCopy(v.Index(i), depth+1))
			}
		}
		return n
	case reflect.Struct:
		n := reflect.New(v.Type()).Elem()
		n.Set(v) // unexported fields as they are
		t := v.Type()
		for i := range v.NumField() {
			if f := t.Field(i); f.IsExported() && needsCopy(f.Type, depth+1) {
				n.Field(i).Set(deepCopy(v.Field(i), depth+1))
			}
		}
		return n
	}
	return v
}

var (
	bigIntType   = reflect.TypeFor[*big.Int]()
	bigFloatType = reflect.TypeFor[*big.Float]()
	bigRatType   = reflect.TypeFor[*big.Rat]()
)
