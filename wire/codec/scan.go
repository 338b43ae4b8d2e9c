package codec

import (
	"database/sql"
	"database/sql/driver"
	"encoding/json"
	"math"
	"math/big"
	"net"
	"net/netip"
	"reflect"
	"strconv"
	"time"
)

// Scan decodes src into dest: a pointer to a natural type or to a Go type
// that converts without loss (see the package documentation), **T for a
// nullable value, *any, a sql.Scanner (sql.NullInt64 and friends), or a
// Decoder. Errors are *ScanError; use ScanColumn to have them name the
// column.
//
// Scanning int2/int4/int8/float4/float8/bool/date/timestamp/timestamptz
// into the matching *intN/*floatN/*bool/*time.Time does not allocate, and
// binary one-dimensional arrays of those (and of text) fill *[]T directly.
func (r *Registry) Scan(oid uint32, format int16, src []byte, dest any, opts *Options) error {
	return r.ScanColumn("", oid, format, src, dest, opts)
}

// ScanColumn is Scan with the column's name for the error message:
// "column n: cannot scan int8 into *int16 (overflow: 70000 does not fit)".
func (r *Registry) ScanColumn(column string, oid uint32, format int16, src []byte, dest any, opts *Options) error {
	p := r.PlanScan(oid)
	return p.Scan(column, format, src, dest, opts)
}

// ScanPlan is one column's codec, looked up once, for scanning many rows
// of it without a registry lookup per value.
type ScanPlan struct {
	reg   *Registry
	c     Codec
	known bool
	oid   uint32
	fast  fastScanner // c's, when it has one
}

// PlanScan looks up oid's codec for ScanPlan.Scan. Codecs registered
// afterwards are not seen by the plan.
func (r *Registry) PlanScan(oid uint32) ScanPlan {
	c, known := r.Lookup(oid)
	p := ScanPlan{reg: r, c: c, known: known, oid: oid}
	if known {
		p.fast, _ = c.(fastScanner)
	}
	return p
}

// Scan is ScanColumn with the lookup already done.
func (p *ScanPlan) Scan(column string, format int16, src []byte, dest any, opts *Options) error {
	var err error
	if p.fast != nil && src != nil && (format == TextFormat || format == BinaryFormat) && plainDest(dest) {
		// The commonest destinations are no Decoder: straight to the
		// codec's own fast path, without the checks scan makes first.
		var handled bool
		if handled, err = p.fast.scanFast(format, src, dest, opts); !handled {
			err = p.reg.scan(p.c, p.known, p.oid, format, src, dest, opts)
		}
	} else {
		err = p.reg.scan(p.c, p.known, p.oid, format, src, dest, opts)
	}
	if err == nil {
		return nil
	}
	e := &ScanError{Column: column, OID: p.oid, TypeName: unknownName(p.oid), Dest: goTypeName(dest), Err: err}
	if p.known {
		e.TypeName = p.c.Name()
	}
	return e
}

// plainDest reports whether dest is a pointer to one of the commonest
// destination types, none of which is a Decoder.
func plainDest(dest any) bool {
	switch dest.(type) {
	case *int64, *int32, *int16, *int, *float64, *float32, *string, *bool, *time.Time, *[]byte:
		return true
	}
	return false
}

func (r *Registry) scan(c Codec, known bool, oid uint32, format int16, src []byte, dest any, opts *Options) error {
	if d, ok := dest.(Decoder); ok {
		return d.DecodePG(oid, format, src, opts)
	}
	if src == nil {
		return scanNull(dest)
	}
	if format != TextFormat && format != BinaryFormat {
		return invalid("value", "format code %d", format)
	}
	if known {
		if f, ok := c.(fastScanner); ok {
			if handled, err := f.scanFast(format, src, dest, opts); handled {
				return err
			}
		}
		if format == BinaryFormat && !c.DecodesBinary() {
			return invalid(c.Name(), "binary format not supported")
		}
	}
	var val any
	switch {
	case known:
		if d, ok := dest.(*string); ok && format == TextFormat {
			*d = string(src)
			return nil
		}
		if format == TextFormat && wantsString(dest) {
			val = string(src) // already the text form
			break
		}
		if bt, ok := texterOf(c); ok && format == BinaryFormat && wantsText(dest) {
			b, err := bt.appendBinaryText(nil, src, opts)
			if err != nil {
				return err
			}
			val = string(b)
			break
		}
		v, err := c.Decode(format, src, opts)
		if err != nil {
			return err
		}
		val = v
	case opts.ignoreUnknown() || (format == TextFormat && takesText(dest)):
		// A type without a codec still has its text form, which is what a
		// string, *any or Scanner destination gets (enums, extension types).
		c = NewTextCodec(oid, unknownName(oid))
		val = string(src)
	default:
		return &UnknownTypeError{OID: oid}
	}
	if s, ok := dest.(sql.Scanner); ok {
		dv, err := driverValue(val, c, opts)
		if err != nil {
			return err
		}
		return s.Scan(dv)
	}
	return assign(dest, val, c, opts)
}

// wantsString reports whether dest is a string behind one or more
// pointers (*string, **string, *MyString), which takes the text form; a
// sql.Scanner decides for itself.
func wantsString(dest any) bool {
	if _, ok := dest.(sql.Scanner); ok {
		return false
	}
	t := reflect.TypeOf(dest)
	if t == nil || t.Kind() != reflect.Pointer {
		return false
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return t.Kind() == reflect.String
}

// takesText reports whether dest takes the text of a value of a type
// without a codec: a string, *any or a sql.Scanner.
func takesText(dest any) bool {
	switch dest.(type) {
	case *any, sql.Scanner:
		return true
	}
	return wantsString(dest)
}

// wantsText reports whether dest takes the text form of a value whose
// codec is a binaryTexter: a string, or a sql.Scanner, which would be
// given the text of a record or array anyway.
func wantsText(dest any) bool {
	if _, ok := dest.(sql.Scanner); ok {
		return true
	}
	return wantsString(dest)
}

// scanNull stores SQL NULL where a destination can hold it.
func scanNull(dest any) error {
	switch d := dest.(type) {
	case *any:
		*d = nil
		return nil
	case sql.Scanner:
		return d.Scan(nil)
	case *[]byte:
		*d = nil
		return nil
	case *json.RawMessage:
		*d = nil
		return nil
	}
	rv := reflect.ValueOf(dest)
	if rv.Kind() != reflect.Pointer || rv.IsNil() {
		return mismatch("destination is not a non-nil pointer")
	}
	switch e := rv.Elem(); e.Kind() {
	case reflect.Pointer, reflect.Slice, reflect.Map, reflect.Interface:
		e.SetZero()
		return nil
	}
	return ErrNull
}

// driverValue converts a natural value to what a sql.Scanner expects.
func driverValue(val any, c Codec, opts *Options) (driver.Value, error) {
	switch v := val.(type) {
	case nil, bool, int64, float64, string, []byte, time.Time:
		return v, nil
	case int16:
		return int64(v), nil
	case int32:
		return int64(v), nil
	case uint32:
		return int64(v), nil
	case float32:
		return float64(v), nil
	case json.RawMessage:
		return []byte(v), nil
	}
	b, err := c.AppendText(nil, val, opts)
	if err != nil {
		return nil, err
	}
	return string(b), nil
}

// intOf extracts an integer from the natural values that hold one.
func intOf(val any) (int64, bool, error) {
	switch v := val.(type) {
	case int16:
		return int64(v), true, nil
	case int32:
		return int64(v), true, nil
	case int64:
		return v, true, nil
	case uint32:
		return int64(v), true, nil
	case Numeric:
		n, err := v.Int64()
		return n, true, err
	}
	return 0, false, nil
}

// assign stores a decoded natural value into dest, converting only without
// loss.
func assign(dest, val any, c Codec, opts *Options) error {
	switch d := dest.(type) {
	case *any:
		*d = val
		return nil
	case *string:
		switch v := val.(type) {
		case string:
			*d = v
		case json.RawMessage:
			*d = string(v)
		default:
			b, err := c.AppendText(nil, val, opts)
			if err != nil {
				return err
			}
			*d = string(b)
		}
		return nil
	case *[]byte:
		switch v := val.(type) {
		case []byte:
			*d = v
		case json.RawMessage:
			*d = []byte(v)
		case string:
			*d = []byte(v)
		default:
			b, err := c.AppendText(nil, val, opts)
			if err != nil {
				return err
			}
			*d = b
		}
		return nil
	case *json.RawMessage:
		switch v := val.(type) {
		case json.RawMessage:
			*d = v
		case string:
			*d = json.RawMessage(v)
		default:
			return mismatch("")
		}
		return nil
	case *bool:
		v, ok := val.(bool)
		if !ok {
			return mismatch("")
		}
		*d = v
		return nil
	case *int, *int8, *int16, *int32, *int64, *uint, *uint8, *uint16, *uint32, *uint64:
		n, ok, err := intOf(val)
		if err != nil {
			return err
		}
		if !ok {
			return mismatch("")
		}
		return setInt(dest, n)
	case *float64, *float32:
		switch v := val.(type) {
		case float64:
			return setFloat(dest, v)
		case float32:
			return setFloat(dest, float64(v))
		case Numeric:
			bits := 64
			if _, ok := d.(*float32); ok {
				bits = 32
			}
			f, err := strconv.ParseFloat(v.String(), bits)
			if err != nil && !v.IsNaN() && !v.IsInf(0) {
				return overflow(v.String())
			}
			if bits == 32 {
				*d.(*float32) = float32(f)
			} else {
				*d.(*float64) = f
			}
			return nil
		}
		n, ok, err := intOf(val)
		if err != nil || !ok {
			return orMismatch(err)
		}
		return setInt(dest, n)
	case *Numeric:
		switch v := val.(type) {
		case Numeric:
			*d = v
		case float64:
			*d = NumericFromFloat64(v)
		case float32:
			*d = NumericFromFloat64(float64(v))
		default:
			n, ok, err := intOf(val)
			if err != nil || !ok {
				return orMismatch(err)
			}
			*d = NumericFromInt64(n)
		}
		return nil
	case *big.Int:
		switch v := val.(type) {
		case Numeric:
			b, err := v.BigInt()
			if err != nil {
				return err
			}
			d.Set(b)
			return nil
		}
		n, ok, err := intOf(val)
		if err != nil || !ok {
			return orMismatch(err)
		}
		d.SetInt64(n)
		return nil
	case *big.Rat:
		v, ok := val.(Numeric)
		if !ok {
			n, isInt, err := intOf(val)
			if err != nil || !isInt {
				return orMismatch(err)
			}
			d.SetInt64(n)
			return nil
		}
		q, err := v.Rat()
		if err != nil {
			return err
		}
		d.Set(q)
		return nil
	case *time.Time:
		switch v := val.(type) {
		case time.Time:
			*d = v
			return nil
		case InfinityModifier:
			return overflow(v.String() + " (scan into *codec.Timestamp)")
		}
		return mismatch("")
	case *Timestamp:
		switch v := val.(type) {
		case time.Time:
			*d = Timestamp{Time: v}
			return nil
		case InfinityModifier:
			*d = Timestamp{InfinityModifier: v}
			return nil
		}
		return mismatch("")
	case *time.Duration:
		switch v := val.(type) {
		case Interval:
			dur, err := v.Duration()
			if err != nil {
				return err
			}
			*d = dur
			return nil
		case Time:
			*d = time.Duration(v.Microseconds) * time.Microsecond
			return nil
		}
		return mismatch("")
	case *Interval:
		return setExact(d, val)
	case *Time:
		return setExact(d, val)
	case *TimeTZ:
		return setExact(d, val)
	case *UUID:
		return setExact(d, val)
	case *[16]byte:
		u, ok := val.(UUID)
		if !ok {
			return mismatch("")
		}
		*d = u
		return nil
	case *netip.Prefix:
		return setExact(d, val)
	case *netip.Addr:
		a, err := hostAddr(val)
		if err != nil {
			return err
		}
		*d = a
		return nil
	case *net.IPNet:
		p, ok := val.(netip.Prefix)
		if !ok {
			return mismatch("")
		}
		*d = net.IPNet{IP: p.Addr().AsSlice(), Mask: net.CIDRMask(p.Bits(), p.Addr().BitLen())}
		return nil
	case *net.IP:
		a, err := hostAddr(val)
		if err != nil {
			return err
		}
		*d = a.AsSlice()
		return nil
	case *net.HardwareAddr:
		return setExact(d, val)
	case *BitString:
		return setExact(d, val)
	case *Range:
		return setExact(d, val)
	case *Multirange:
		return setExact(d, val)
	case *[]Range:
		v, ok := val.(Multirange)
		if !ok {
			return mismatch("")
		}
		*d = v
		return nil
	case *Array:
		switch v := val.(type) {
		case Array:
			*d = v
		case []any:
			if len(v) == 0 {
				*d = Array{Elements: v}
			} else {
				*d = Array{Dims: []ArrayDimension{{Length: int32(len(v)), LowerBound: 1}}, Elements: v}
			}
		default:
			return mismatch("")
		}
		return nil
	}
	return assignReflect(dest, val, c, opts)
}

func orMismatch(err error) error {
	if err != nil {
		return err
	}
	return mismatch("")
}

// setExact stores val when it has exactly dest's element type.
func setExact[T any](d *T, val any) error {
	v, ok := val.(T)
	if !ok {
		return mismatch("")
	}
	*d = v
	return nil
}

// assignReflect handles **T, typed slices for arrays, and named types
// over basic kinds.
func assignReflect(dest, val any, c Codec, opts *Options) error {
	rv := reflect.ValueOf(dest)
	if rv.Kind() != reflect.Pointer || rv.IsNil() {
		return mismatch("destination is not a non-nil pointer")
	}
	e := rv.Elem()
	switch e.Kind() {
	case reflect.Pointer:
		nv := reflect.New(e.Type().Elem())
		if err := assignTo(nv.Interface(), val, c, opts); err != nil {
			return err
		}
		e.Set(nv)
		return nil
	case reflect.Interface:
		if val != nil && reflect.TypeOf(val).AssignableTo(e.Type()) {
			e.Set(reflect.ValueOf(val))
			return nil
		}
	case reflect.Slice:
		if ac, ok := c.(*arrayCodec); ok {
			return assignSlice(e, val, ac.elem, opts)
		}
	case reflect.Bool:
		if b, ok := val.(bool); ok {
			e.SetBool(b)
			return nil
		}
	case reflect.String:
		var s string
		if err := assign(&s, val, c, opts); err != nil {
			return err
		}
		e.SetString(s)
		return nil
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		n, ok, err := intOf(val)
		if err != nil || !ok {
			return orMismatch(err)
		}
		if e.OverflowInt(n) {
			return overflowInt(n)
		}
		e.SetInt(n)
		return nil
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		n, ok, err := intOf(val)
		if err != nil || !ok {
			return orMismatch(err)
		}
		if n < 0 || e.OverflowUint(uint64(n)) {
			return overflowInt(n)
		}
		e.SetUint(uint64(n))
		return nil
	case reflect.Float32, reflect.Float64:
		var f float64
		if err := assign(&f, val, c, opts); err != nil {
			return err
		}
		if e.OverflowFloat(f) || e.Kind() == reflect.Float32 && float64(float32(f)) != f && !math.IsNaN(f) {
			return overflow(strconv.FormatFloat(f, 'g', -1, 64))
		}
		e.SetFloat(f)
		return nil
	}
	return mismatch("")
}

// assignTo is assign with NULL handled, for elements and **T.
func assignTo(dest, val any, c Codec, opts *Options) error {
	if val == nil {
		return scanNull(dest)
	}
	if s, ok := dest.(sql.Scanner); ok {
		dv, err := driverValue(val, c, opts)
		if err != nil {
			return err
		}
		return s.Scan(dv)
	}
	if cc, ok := rowCodecOf(c); ok {
		if sv, ok := structTarget(dest); ok {
			if vals, ok := val.([]any); ok {
				return cc.assignStruct(sv, vals, opts)
			}
		}
	}
	if d, ok := dest.(Decoder); ok {
		// A decoded element has no bytes left to hand over; give the
		// Decoder the text form.
		b, err := c.AppendText(nil, val, opts)
		if err != nil {
			return err
		}
		return d.DecodePG(c.OID(), TextFormat, b, opts)
	}
	return assign(dest, val, c, opts)
}

// assignSlice fills a (possibly nested) Go slice from a decoded array.
// Lower bounds are not kept: a Go slice starts at 0.
func assignSlice(s reflect.Value, val any, elem Codec, opts *Options) error {
	var dims []ArrayDimension
	var elems []any
	switch v := val.(type) {
	case []any:
		dims, elems = []ArrayDimension{{Length: int32(len(v)), LowerBound: 1}}, v
	case Array:
		dims, elems = v.Dims, v.Elements
	default:
		return mismatch("")
	}
	depth := 0
	for t := s.Type(); t.Kind() == reflect.Slice && t.Elem().Kind() != reflect.Uint8 && t != typeOfMultirange; t = t.Elem() {
		depth++
	}
	if len(elems) == 0 {
		s.Set(reflect.MakeSlice(s.Type(), 0, 0))
		return nil
	}
	if depth != len(dims) {
		return mismatch(strconv.Itoa(len(dims)) + "-dimensional array into " + strconv.Itoa(depth) + "-level slice")
	}
	i := 0
	var fill func(s reflect.Value, level int) error
	fill = func(s reflect.Value, level int) error {
		n := int(dims[level].Length)
		s.Set(reflect.MakeSlice(s.Type(), n, n))
		for j := range n {
			if level+1 < len(dims) {
				if err := fill(s.Index(j), level+1); err != nil {
					return err
				}
				continue
			}
			if err := assignTo(s.Index(j).Addr().Interface(), elems[i], elem, opts); err != nil {
				return &elementError{index: i, err: err}
			}
			i++
		}
		return nil
	}
	return fill(s, 0)
}

// elementError names the array element a conversion failed on.
type elementError struct {
	index int
	err   error
}

func (e *elementError) Error() string {
	return "element " + strconv.Itoa(e.index) + ": " + e.err.Error()
}
func (e *elementError) Unwrap() error { return e.err }

// hostAddr is the address of an inet value that names one host; a network
// (fewer bits than the address) does not fit an address destination.
func hostAddr(val any) (netip.Addr, error) {
	p, ok := val.(netip.Prefix)
	if !ok {
		return netip.Addr{}, mismatch("")
	}
	if p.Bits() != p.Addr().BitLen() {
		return netip.Addr{}, mismatch(p.String() + " is a network, not an address")
	}
	return p.Addr(), nil
}
