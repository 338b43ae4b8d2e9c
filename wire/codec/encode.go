package codec

import (
	"database/sql/driver"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/big"
	"net"
	"net/netip"
	"reflect"
	"time"
)

// maxValuerDepth bounds chains of driver.Valuer returning Valuers.
const maxValuerDepth = 8

// AppendParam encodes a Go value as a Bind parameter. oid is the parameter
// type the server declared (from ParameterDescription), or 0 when unknown;
// then the codec is picked from the Go value, as ParamOID describes. It
// returns buf with the value appended (nothing for NULL), the format code,
// and null=true for NULL.
//
// A declared OID this registry does not know (an enum, a domain, an
// extension type) gets the value's text form, which the server parses with
// the type's own input function.
func (r *Registry) AppendParam(buf []byte, oid uint32, v any, opts *Options) (out []byte, format int16, null bool, err error) {
	if e, ok := v.(Encoder); ok && !isNilPointer(v) {
		out, format, null, err = e.EncodePG(buf, oid, opts)
		if err != nil {
			return buf, 0, false, r.encodeError(v, oid, err)
		}
		if null {
			return buf, TextFormat, true, nil
		}
		return out, format, false, nil
	}
	v, null, err = normalize(v)
	if err != nil {
		return buf, 0, false, r.encodeError(v, oid, err)
	}
	if null {
		return buf, TextFormat, true, nil
	}
	if e, ok := v.(Encoder); ok {
		out, format, null, err = e.EncodePG(buf, oid, opts)
		if err != nil {
			return buf, 0, false, r.encodeError(v, oid, err)
		}
		return out, format, null, nil
	}
	if oid != 0 {
		if c, ok := r.Lookup(oid); ok {
			out, format, err = c.Encode(buf, v, opts)
			if err != nil {
				return buf, 0, false, r.encodeError(v, oid, err)
			}
			return out, format, false, nil
		}
	}
	c, declare, err := r.codecForValue(v)
	if err != nil {
		if oid != 0 {
			// The declared type has no codec and the value has no text
			// form of its own (a struct for a composite, a map for
			// hstore): say which type is missing, for whoever can load it.
			err = fmt.Errorf("%w: %w", &UnknownTypeError{OID: oid}, err)
		}
		return buf, 0, false, r.encodeError(v, oid, err)
	}
	if oid == 0 && declare != 0 {
		out, format, err = c.Encode(buf, v, opts)
	} else {
		// The server infers the type, or knows one we do not: send the
		// text form, which its input function parses.
		format = TextFormat
		out, err = c.AppendText(buf, v, opts)
	}
	if err != nil {
		return buf, 0, false, r.encodeError(v, oid, err)
	}
	return out, format, false, nil
}

// ParamOID picks the OID to declare in Parse for a Go value when no type is
// known; 0 lets the server infer it. Declared: bool, the integer and float
// kinds (int2 for 8- and 16-bit, int4 for int32/uint16, int8 for the rest,
// numeric for a uint64 beyond int8), []byte (bytea), time.Time and
// Timestamp (timestamptz), time.Duration and Interval (interval), UUID and
// [16]byte, Numeric and *big.Int (numeric), netip (inet), net.HardwareAddr
// (macaddr), BitString (varbit), Time, TimeTZ, ranges of those, and arrays
// (slices) of them. Left to the server, because more than one type fits:
// strings, json.RawMessage (json or jsonb), []string, []any, records, nil.
func (r *Registry) ParamOID(v any) uint32 {
	if e, ok := v.(ParamTyper); ok && !isNilPointer(v) {
		return e.PGParamOID()
	}
	if _, ok := v.(Encoder); ok {
		return 0
	}
	v, null, err := normalize(v)
	if err != nil || null {
		return 0
	}
	if e, ok := v.(ParamTyper); ok {
		return e.PGParamOID()
	}
	_, declare, err := r.codecForValue(v)
	if err != nil {
		return 0
	}
	return declare
}

func (r *Registry) encodeError(v any, oid uint32, err error) error {
	e := &EncodeError{Value: goTypeName(v), OID: oid, Err: err}
	if oid != 0 {
		e.TypeName = r.TypeName(oid)
	}
	return e
}

func isNilPointer(v any) bool {
	rv := reflect.ValueOf(v)
	return rv.Kind() == reflect.Pointer && rv.IsNil()
}

// normalize unwraps what codecs never see: nil, nil pointers and nil
// slices (all NULL), pointers, and driver.Valuer. Named types are kept:
// a registered Go type must reach its codec as itself.
func normalize(v any) (any, bool, error) {
	for range maxValuerDepth {
		switch x := v.(type) {
		case nil:
			return nil, true, nil
		case bool, int, int8, int16, int32, int64, uint, uint8, uint16, uint32, uint64,
			float32, float64, string, time.Time, time.Duration,
			Numeric, Interval, Time, TimeTZ, Timestamp, InfinityModifier, UUID, [16]byte,
			BitString, Range, Array, netip.Prefix, netip.Addr, net.IPNet, big.Int:
			return v, false, nil
		case []byte:
			return v, x == nil, nil
		case []any:
			return v, x == nil, nil
		case *big.Int:
			return v, x == nil, nil
		case *net.IPNet:
			return v, x == nil, nil
		case Encoder:
			return v, false, nil
		case driver.Valuer:
			if isNilPointer(v) {
				return nil, true, nil
			}
			dv, err := x.Value()
			if err != nil {
				return nil, false, err
			}
			v = dv
			continue
		}
		rv := reflect.ValueOf(v)
		switch rv.Kind() {
		case reflect.Pointer:
			if rv.IsNil() {
				return nil, true, nil
			}
			v = rv.Elem().Interface()
			continue
		case reflect.Slice:
			// Scan stores a NULL array as a nil slice, so a nil slice must
			// go back as NULL; an empty non-nil one is '{}'.
			if rv.IsNil() {
				return nil, true, nil
			}
		}
		return v, false, nil
	}
	return nil, false, mismatch("driver.Valuer chain too long")
}

// plain converts a named type over a basic kind (type Status string) to
// the basic type, so built-in codecs take it; the named types they know
// by name are left alone.
func plain(v any) any {
	switch v.(type) {
	case bool, int, int8, int16, int32, int64, uint, uint8, uint16, uint32, uint64,
		float32, float64, string, []byte, time.Duration, json.RawMessage, InfinityModifier,
		UUID, [16]byte, net.IP, net.HardwareAddr:
		return v
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Bool:
		return rv.Bool()
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return reflect.ValueOf(rv.Int()).Convert(basicType(rv.Kind())).Interface()
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return reflect.ValueOf(rv.Uint()).Convert(basicType(rv.Kind())).Interface()
	case reflect.Float32, reflect.Float64:
		return reflect.ValueOf(rv.Float()).Convert(basicType(rv.Kind())).Interface()
	case reflect.String:
		return rv.String()
	case reflect.Slice:
		if rv.Type().Elem().Kind() == reflect.Uint8 {
			return rv.Bytes()
		}
	}
	return v
}

func basicType(k reflect.Kind) reflect.Type {
	switch k {
	case reflect.Int:
		return reflect.TypeFor[int]()
	case reflect.Int8:
		return reflect.TypeFor[int8]()
	case reflect.Int16:
		return reflect.TypeFor[int16]()
	case reflect.Int32:
		return reflect.TypeFor[int32]()
	case reflect.Int64:
		return reflect.TypeFor[int64]()
	case reflect.Uint:
		return reflect.TypeFor[uint]()
	case reflect.Uint8:
		return reflect.TypeFor[uint8]()
	case reflect.Uint16:
		return reflect.TypeFor[uint16]()
	case reflect.Uint32:
		return reflect.TypeFor[uint32]()
	case reflect.Uint64, reflect.Uintptr:
		return reflect.TypeFor[uint64]()
	case reflect.Float32:
		return reflect.TypeFor[float32]()
	}
	return reflect.TypeFor[float64]()
}

// codecForValue picks the codec for a normalised value and the OID to
// declare for it (0 when more than one PostgreSQL type fits).
func (r *Registry) codecForValue(v any) (Codec, uint32, error) {
	if c, ok := r.LookupType(reflect.TypeOf(v)); ok {
		// Built-in types registered by Go type are declared, except
		// those listed below as ambiguous.
		switch v.(type) {
		case string, json.RawMessage:
		default:
			return c, c.OID(), nil
		}
	}
	oid, declare := scalarOID(plain(v))
	if oid != 0 {
		c, ok := r.Lookup(oid)
		if !ok {
			return nil, 0, mismatch("no codec for " + unknownName(oid))
		}
		if !declare {
			return c, 0, nil
		}
		return c, oid, nil
	}
	switch x := v.(type) {
	case Range:
		return r.rangeCodecFor(x)
	case Multirange:
		return r.multirangeCodecFor(x)
	case []any:
		if len(x) == 0 {
			c, _ := r.Lookup(OIDTextArray)
			return c, 0, nil
		}
	case Array:
	default:
		if !isArrayValue(reflect.ValueOf(v)) {
			return nil, 0, mismatch("unsupported Go type " + goTypeName(v))
		}
	}
	return r.arrayCodecFor(v)
}

// scalarOID maps the Go types with a natural PostgreSQL type; declare is
// false when the type is ambiguous and the server should infer it.
func scalarOID(v any) (uint32, bool) {
	switch x := v.(type) {
	case bool:
		return OIDBool, true
	case int8, int16, uint8:
		return OIDInt2, true
	case int32, uint16:
		return OIDInt4, true
	case int, int64, uint32:
		return OIDInt8, true
	case uint:
		if uint64(x) > math.MaxInt64 {
			return OIDNumeric, true
		}
		return OIDInt8, true
	case uint64:
		if x > math.MaxInt64 {
			return OIDNumeric, true
		}
		return OIDInt8, true
	case float32:
		return OIDFloat4, true
	case float64:
		return OIDFloat8, true
	case string:
		return OIDText, false
	case []byte:
		return OIDBytea, true
	case json.RawMessage:
		return OIDJSON, false
	case time.Time, Timestamp, InfinityModifier:
		return OIDTimestamptz, true
	case time.Duration, Interval:
		return OIDInterval, true
	case Time:
		return OIDTime, true
	case TimeTZ:
		return OIDTimetz, true
	case UUID, [16]byte:
		return OIDUUID, true
	case Numeric, *big.Int, big.Int:
		return OIDNumeric, true
	case netip.Prefix, netip.Addr, net.IP, net.IPNet, *net.IPNet:
		return OIDInet, true
	case net.HardwareAddr:
		if len(x) == 8 {
			return OIDMacaddr8, true
		}
		return OIDMacaddr, true
	case BitString:
		return OIDVarbit, true
	}
	return 0, false
}

// arrayCodecFor finds the array type of a slice's elements from its first
// non-NULL leaf element; an all-NULL array is left to the server.
func (r *Registry) arrayCodecFor(v any) (Codec, uint32, error) {
	_, elems, err := flattenArray(v, false)
	if err != nil {
		return nil, 0, err
	}
	textArray, _ := r.Lookup(OIDTextArray)
	for _, e := range elems {
		e, null, err := normalize(e)
		if err != nil {
			return nil, 0, err
		}
		if null {
			continue
		}
		ec, declare, err := r.codecForValue(e)
		if err != nil {
			return nil, 0, err
		}
		ac, ok := r.arrayOf(ec.OID())
		if !ok {
			return nil, 0, mismatch("no array type for " + ec.Name())
		}
		if declare == 0 {
			return ac, 0, nil
		}
		return ac, ac.OID(), nil
	}
	// No element to look at: go by the slice's static element type.
	if t, ok := leafType(reflect.TypeOf(v)); ok {
		if ec, declare, err := r.codecForValue(reflect.Zero(t).Interface()); err == nil && declare != 0 {
			if ac, ok := r.arrayOf(ec.OID()); ok {
				return ac, ac.OID(), nil
			}
		}
	}
	return textArray, 0, nil
}

// leafType is the element type under nested slices, pointers removed;
// false for interface elements, which say nothing.
func leafType(t reflect.Type) (reflect.Type, bool) {
	for t != nil && (t.Kind() == reflect.Slice || t.Kind() == reflect.Array) && t.Elem().Kind() != reflect.Uint8 && t != typeOfMultirange {
		t = t.Elem()
	}
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == nil || t.Kind() == reflect.Interface || t == reflect.TypeFor[Array]() {
		return nil, false
	}
	return t, true
}

// arrayOf finds the registered array codec whose element is elem.
func (r *Registry) arrayOf(elem uint32) (Codec, bool) {
	for _, p := range builtinArrays {
		if p.elem == elem {
			return r.Lookup(p.array)
		}
	}
	for ; r != nil; r = r.parent {
		for _, c := range r.tables.Load().byOID {
			if a, ok := c.(*arrayCodec); ok && a.elem.OID() == elem {
				return c, true
			}
		}
	}
	return nil, false
}

// rangeCodecFor picks a range type from the Go type of a bound.
func (r *Registry) rangeCodecFor(rg Range) (Codec, uint32, error) {
	b := rg.Lower
	if b == nil {
		b = rg.Upper
	}
	var oid uint32
	switch b.(type) {
	case int8, int16, int32, uint8, uint16:
		oid = OIDInt4range
	case int, int64, uint32:
		oid = OIDInt8range
	case Numeric, float64, float32:
		oid = OIDNumrange
	case time.Time, Timestamp:
		oid = OIDTstzrange
	}
	if oid == 0 {
		// Unknown or empty: text form, the server infers the range type.
		c, _ := r.Lookup(OIDInt8range)
		return c, 0, nil
	}
	c, _ := r.Lookup(oid)
	return c, oid, nil
}

// encodeElement encodes one array element or range bound with the
// element codec.
func encodeElement(buf []byte, c Codec, v any, opts *Options) ([]byte, int16, bool, error) {
	if e, ok := v.(Encoder); ok && !isNilPointer(v) {
		return e.EncodePG(buf, c.OID(), opts)
	}
	v, null, err := normalize(v)
	if err != nil || null {
		return buf, 0, null, err
	}
	if e, ok := v.(Encoder); ok {
		return e.EncodePG(buf, c.OID(), opts)
	}
	out, format, err := c.Encode(buf, v, opts)
	return out, format, false, err
}

// textElement appends one element's text form; null reports NULL.
func textElement(buf []byte, c Codec, v any, opts *Options) ([]byte, bool, error) {
	if e, ok := v.(Encoder); ok && !isNilPointer(v) {
		out, format, null, err := e.EncodePG(buf, c.OID(), opts)
		if err == nil && !null && format != TextFormat {
			err = mismatch("Encoder gave binary inside a text array")
		}
		return out, null, err
	}
	v, null, err := normalize(v)
	if err != nil || null {
		return buf, null, err
	}
	if e, ok := v.(Encoder); ok {
		return textElement(buf, c, e, opts)
	}
	out, err := c.AppendText(buf, v, opts)
	return out, false, err
}

// AppendText encodes a Go value in PostgreSQL's text input syntax, as COPY
// text format and other text-only paths want it: the codec of oid when this
// registry knows it, else the one the Go value implies. It unwraps pointers
// and driver.Valuer like AppendParam; nothing is appended for NULL.
func (r *Registry) AppendText(buf []byte, oid uint32, v any, opts *Options) (out []byte, null bool, err error) {
	if e, ok := v.(Encoder); ok && !isNilPointer(v) {
		b, format, null, err := e.EncodePG(buf, oid, opts)
		if err != nil {
			return buf, false, r.encodeError(v, oid, err)
		}
		if !null && format != TextFormat {
			return buf, false, r.encodeError(v, oid, errTextOnly)
		}
		return b, null, nil
	}
	v, null, err = normalize(v)
	if err != nil {
		return buf, false, r.encodeError(v, oid, err)
	}
	if null {
		return buf, true, nil
	}
	c, ok := r.Lookup(oid)
	if !ok {
		if c, _, err = r.codecForValue(v); err != nil {
			return buf, false, r.encodeError(v, oid, err)
		}
	}
	out, err = c.AppendText(buf, v, opts)
	if err != nil {
		return buf, false, r.encodeError(v, oid, err)
	}
	return out, false, nil
}

// errTextOnly is the error for an Encoder that answered in binary where only
// text will do.
var errTextOnly = errors.New("the value's Encoder produced binary, but only the text format can be used here")
