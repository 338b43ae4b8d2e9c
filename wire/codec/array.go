package codec

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math"
	"reflect"
	"time"
)

// maxArrayDims is PostgreSQL's MAXDIM; deeper input is refused before it
// can recurse.
const maxArrayDims = 6

// Array is an array that a flat []any cannot describe: more than one
// dimension, or a lower bound other than 1. Elements are in row-major order,
// nil for NULL. One-dimensional arrays with the default lower bound (the
// common case) and empty arrays decode to []any instead.
type Array struct {
	Dims     []ArrayDimension
	Elements []any
}

// ArrayDimension is the length and lower bound of one array dimension.
type ArrayDimension struct {
	Length     int32
	LowerBound int32
}

// arrayCodec is an array of one element type.
type arrayCodec struct {
	oid  uint32
	name string
	elem Codec
}

// NewArrayCodec returns the codec for an array type whose elements elem
// handles; register one for the array type of each custom type.
func NewArrayCodec(oid uint32, name string, elem Codec) Codec {
	return &arrayCodec{oid: oid, name: name, elem: elem}
}

func (a *arrayCodec) OID() uint32         { return a.oid }
func (a *arrayCodec) Name() string        { return a.name }
func (a *arrayCodec) DecodesBinary() bool { return a.elem.DecodesBinary() }

// Elem returns the element codec.
func (a *arrayCodec) Elem() Codec { return a.elem }

func (a *arrayCodec) Decode(format int16, src []byte, opts *Options) (any, error) {
	var dims []ArrayDimension
	var elems []any
	var err error
	if format == BinaryFormat {
		dims, elems, err = a.decodeBinary(src, opts)
	} else {
		dims, elems, err = a.decodeText(src, opts)
	}
	if err != nil {
		return nil, err
	}
	if len(dims) == 0 {
		return []any{}, nil
	}
	if len(dims) == 1 && dims[0].LowerBound == 1 {
		return elems, nil
	}
	return Array{Dims: dims, Elements: elems}, nil
}

func (a *arrayCodec) decodeBinary(src []byte, opts *Options) ([]ArrayDimension, []any, error) {
	dims, total, src, err := a.binaryHeader(src)
	if err != nil || total == 0 {
		return nil, nil, err
	}
	elems := make([]any, total)
	for i := range elems {
		if len(src) < 4 {
			return nil, nil, invalid(a.name, "truncated element")
		}
		n := int32(binary.BigEndian.Uint32(src))
		src = src[4:]
		if n == -1 {
			continue
		}
		if n < 0 || int(n) > len(src) {
			return nil, nil, invalid(a.name, "element length %d", n)
		}
		v, err := a.elem.Decode(BinaryFormat, src[:n:n], opts)
		if err != nil {
			return nil, nil, err
		}
		elems[i] = v
		src = src[n:]
	}
	if len(src) != 0 {
		return nil, nil, invalid(a.name, "trailing bytes")
	}
	return dims, elems, nil
}

// binaryHeader checks an array's header and returns its dimensions, the
// element count (bounded by the bytes left) and the element bytes. An
// empty array has no dimensions and a zero count.
func (a *arrayCodec) binaryHeader(src []byte) ([]ArrayDimension, int, []byte, error) {
	if len(src) < 12 {
		return nil, 0, nil, invalid(a.name, "binary length %d", len(src))
	}
	ndim := int32(binary.BigEndian.Uint32(src))
	flags := int32(binary.BigEndian.Uint32(src[4:]))
	elemOID := binary.BigEndian.Uint32(src[8:])
	if ndim < 0 || ndim > maxArrayDims || flags&^1 != 0 {
		return nil, 0, nil, invalid(a.name, "%d dimensions, flags %d", ndim, flags)
	}
	if elemOID != a.elem.OID() {
		return nil, 0, nil, invalid(a.name, "element type %d, want %d", elemOID, a.elem.OID())
	}
	src = src[12:]
	if len(src) < 8*int(ndim) {
		return nil, 0, nil, invalid(a.name, "truncated dimensions")
	}
	dims := make([]ArrayDimension, ndim)
	total := int64(1)
	for i := range dims {
		dims[i].Length = int32(binary.BigEndian.Uint32(src))
		dims[i].LowerBound = int32(binary.BigEndian.Uint32(src[4:]))
		src = src[8:]
		if dims[i].Length < 0 || int64(dims[i].LowerBound)+int64(dims[i].Length) > math.MaxInt32+1 {
			return nil, 0, nil, invalid(a.name, "dimension %d", dims[i].Length)
		}
		total *= int64(dims[i].Length)
		// Every element takes at least its 4-byte length, so a count
		// beyond that is a lie; check before allocating for it.
		if total > int64(len(src))/4 {
			return nil, 0, nil, invalid(a.name, "%d elements in %d bytes", total, len(src))
		}
	}
	if ndim == 0 || total == 0 {
		if len(src) != 0 {
			return nil, 0, nil, invalid(a.name, "trailing bytes")
		}
		return nil, 0, nil, nil
	}
	return dims, int(total), src, nil
}

// scanFast fills []T for the element types with a fast scanner (integers,
// floats, bool, text, timestamps) straight from binary, without boxing
// each element. Anything else (NULL elements, more dimensions) falls back
// to the generic path, which also produces the errors.
func (a *arrayCodec) scanFast(format int16, src []byte, dest any, opts *Options) (bool, error) {
	fs, ok := a.elem.(fastScanner)
	if !ok || format != BinaryFormat {
		return false, nil
	}
	switch d := dest.(type) {
	case *[]int64:
		return scanSliceFast(a, fs, src, d, opts)
	case *[]int32:
		return scanSliceFast(a, fs, src, d, opts)
	case *[]int16:
		return scanSliceFast(a, fs, src, d, opts)
	case *[]int:
		return scanSliceFast(a, fs, src, d, opts)
	case *[]float64:
		return scanSliceFast(a, fs, src, d, opts)
	case *[]float32:
		return scanSliceFast(a, fs, src, d, opts)
	case *[]bool:
		return scanSliceFast(a, fs, src, d, opts)
	case *[]string:
		return scanSliceFast(a, fs, src, d, opts)
	case *[]time.Time:
		return scanSliceFast(a, fs, src, d, opts)
	}
	return false, nil
}

func scanSliceFast[T any](a *arrayCodec, fs fastScanner, src []byte, d *[]T, opts *Options) (bool, error) {
	dims, total, rest, err := a.binaryHeader(src)
	if err != nil || len(dims) > 1 {
		return false, nil
	}
	out := make([]T, total)
	for i := range out {
		if len(rest) < 4 {
			return false, nil
		}
		n := int32(binary.BigEndian.Uint32(rest))
		rest = rest[4:]
		if n < 0 || int(n) > len(rest) {
			return false, nil
		}
		handled, err := fs.scanFast(BinaryFormat, rest[:n:n], &out[i], opts)
		if !handled {
			return false, nil
		}
		if err != nil {
			return true, &elementError{index: i, err: err}
		}
		rest = rest[n:]
	}
	if len(rest) != 0 {
		return false, nil
	}
	*d = out
	return true, nil
}

func (a *arrayCodec) decodeText(src []byte, opts *Options) ([]ArrayDimension, []any, error) {
	p := arrayTextParser{src: src, leaf: -1, name: a.name}
	var bounds []ArrayDimension
	if len(src) > 0 && src[0] == '[' {
		var ok bool
		bounds, ok = p.parseBounds()
		if !ok {
			return nil, nil, invalid(a.name, "bad dimension decoration in %q", src)
		}
	}
	var elems []any
	err := p.parseLevel(0, func(tok []byte, quoted bool) error {
		if !quoted && len(tok) == 4 && bytes.EqualFold(tok, []byte("NULL")) {
			elems = append(elems, nil)
			return nil
		}
		v, err := a.elem.Decode(TextFormat, tok, opts)
		if err != nil {
			return err
		}
		elems = append(elems, v)
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	p.skipSpace()
	if p.pos != len(src) {
		return nil, nil, invalid(a.name, "trailing text in %q", src)
	}
	if len(elems) == 0 {
		if bounds != nil {
			return nil, nil, invalid(a.name, "dimensions on an empty array")
		}
		return nil, nil, nil
	}
	dims := make([]ArrayDimension, len(p.lens))
	for i, n := range p.lens {
		dims[i] = ArrayDimension{Length: n, LowerBound: 1}
	}
	if bounds != nil {
		if len(bounds) != len(dims) {
			return nil, nil, invalid(a.name, "dimension decoration does not match %q", src)
		}
		for i := range dims {
			if bounds[i].Length != dims[i].Length {
				return nil, nil, invalid(a.name, "dimension decoration does not match %q", src)
			}
		}
		dims = bounds
	}
	return dims, elems, nil
}

// arrayTextParser reads array_out's syntax: nested braces, elements
// separated by commas, double-quoted with backslash escapes when needed.
type arrayTextParser struct {
	src  []byte
	pos  int
	name string
	lens []int32 // element count at each depth, fixed by the first sub-array
	leaf int     // depth where scalars live; -1 until the first one
	buf  []byte  // unescaped element text, reused
}

func (p *arrayTextParser) skipSpace() {
	for p.pos < len(p.src) && isSpace(p.src[p.pos]) {
		p.pos++
	}
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'
}

// parseBounds reads "[l:u][l:u]=".
func (p *arrayTextParser) parseBounds() ([]ArrayDimension, bool) {
	var dims []ArrayDimension
	for p.pos < len(p.src) && p.src[p.pos] == '[' {
		if len(dims) == maxArrayDims {
			return nil, false
		}
		end := bytes.IndexByte(p.src[p.pos:], ']')
		if end < 0 {
			return nil, false
		}
		inner := p.src[p.pos+1 : p.pos+end]
		p.pos += end + 1
		lo, hi, found := bytes.Cut(inner, []byte(":"))
		if !found {
			lo, hi = []byte("1"), inner
		}
		l, err1 := parseIntBytes(lo, 32)
		u, err2 := parseIntBytes(hi, 32)
		if err1 != nil || err2 != nil || u < l-1 || u-l+1 > math.MaxInt32 {
			return nil, false
		}
		dims = append(dims, ArrayDimension{Length: int32(u - l + 1), LowerBound: int32(l)})
	}
	if p.pos >= len(p.src) || p.src[p.pos] != '=' {
		return nil, false
	}
	p.pos++
	p.skipSpace()
	return dims, true
}

func (p *arrayTextParser) fail(what string) error {
	return invalid(p.name, "%s at offset %d of %q", what, p.pos, p.src)
}

func (p *arrayTextParser) parseLevel(depth int, emit func([]byte, bool) error) error {
	p.skipSpace()
	if p.pos >= len(p.src) || p.src[p.pos] != '{' {
		return p.fail("expected '{'")
	}
	if depth >= maxArrayDims {
		return p.fail("too many dimensions")
	}
	p.pos++
	p.skipSpace()
	if p.pos < len(p.src) && p.src[p.pos] == '}' {
		p.pos++
		if depth != 0 {
			return p.fail("empty sub-array")
		}
		return nil
	}
	var count int32
	for {
		p.skipSpace()
		if p.pos >= len(p.src) {
			return p.fail("unterminated array")
		}
		if p.src[p.pos] == '{' {
			if p.leaf >= 0 && p.leaf <= depth {
				return p.fail("sub-array where an element belongs")
			}
			if err := p.parseLevel(depth+1, emit); err != nil {
				return err
			}
		} else {
			if p.leaf < 0 {
				p.leaf = depth
			} else if p.leaf != depth {
				return p.fail("element where a sub-array belongs")
			}
			tok, quoted, err := p.element()
			if err != nil {
				return err
			}
			if err := emit(tok, quoted); err != nil {
				return err
			}
		}
		count++
		p.skipSpace()
		if p.pos >= len(p.src) {
			return p.fail("unterminated array")
		}
		c := p.src[p.pos]
		p.pos++
		if c == '}' {
			break
		}
		if c != ',' {
			return p.fail("expected ',' or '}'")
		}
	}
	// Inner levels finish first, so the slot may not exist yet.
	for len(p.lens) <= depth {
		p.lens = append(p.lens, -1)
	}
	switch p.lens[depth] {
	case -1:
		p.lens[depth] = count
	case count:
	default:
		return p.fail("sub-arrays of different lengths")
	}
	return nil
}

// element reads one element, unescaping into p.buf.
func (p *arrayTextParser) element() ([]byte, bool, error) {
	p.buf = p.buf[:0]
	if p.src[p.pos] == '"' {
		p.pos++
		for p.pos < len(p.src) {
			c := p.src[p.pos]
			p.pos++
			switch c {
			case '"':
				return p.buf, true, nil
			case '\\':
				if p.pos >= len(p.src) {
					return nil, false, p.fail("unterminated escape")
				}
				c = p.src[p.pos]
				p.pos++
			}
			p.buf = append(p.buf, c)
		}
		return nil, false, p.fail("unterminated quoted element")
	}
	for p.pos < len(p.src) {
		c := p.src[p.pos]
		if c == ',' || c == '}' {
			break
		}
		if c == '{' || c == '"' {
			return nil, false, p.fail("unexpected character")
		}
		p.pos++
		if c == '\\' {
			if p.pos >= len(p.src) {
				return nil, false, p.fail("unterminated escape")
			}
			c = p.src[p.pos]
			p.pos++
		}
		p.buf = append(p.buf, c)
	}
	return bytes.TrimRight(p.buf, " \t\n\r\v\f"), false, nil
}

// Encode writes the array in binary when every element encodes in binary,
// else in text.
func (a *arrayCodec) Encode(buf []byte, v any, opts *Options) ([]byte, int16, error) {
	if out, ok := a.encodeSliceFast(buf, v); ok {
		return out, BinaryFormat, nil
	}
	dims, elems, err := flattenArray(v, isRowCodec(a.elem))
	if err != nil {
		return buf, 0, err
	}
	out, ok, err := a.encodeBinary(buf, dims, elems, opts)
	if err != nil {
		return buf, 0, err
	}
	if ok {
		return out, BinaryFormat, nil
	}
	out, err = a.appendTextFlat(buf, dims, elems, opts)
	return out, TextFormat, err
}

func (a *arrayCodec) AppendText(buf []byte, v any, opts *Options) ([]byte, error) {
	if s, ok := v.(string); ok {
		return append(buf, s...), nil
	}
	dims, elems, err := flattenArray(v, isRowCodec(a.elem))
	if err != nil {
		return buf, err
	}
	return a.appendTextFlat(buf, dims, elems, opts)
}

// appendBinaryText renders a binary array in text straight from its bytes,
// each element by the element codec from its own bytes: a decoded row is
// a []any, which rendering a decoded array could take for a sub-array.
func (a *arrayCodec) appendBinaryText(buf, src []byte, opts *Options) ([]byte, error) {
	dims, _, rest, err := a.binaryHeader(src)
	if err != nil {
		return buf, err
	}
	buf, err = appendArrayText(buf, dims, func(buf []byte) ([]byte, bool, error) {
		if len(rest) < 4 {
			return buf, false, invalid(a.name, "truncated element")
		}
		n := int32(binary.BigEndian.Uint32(rest))
		rest = rest[4:]
		if n == -1 {
			return buf, true, nil
		}
		if n < 0 || int(n) > len(rest) {
			return buf, false, invalid(a.name, "element length %d", n)
		}
		elem := rest[:n:n]
		rest = rest[n:]
		out, err := appendBinaryText(buf, a.elem, elem, opts)
		return out, false, err
	})
	if err == nil && len(rest) != 0 {
		err = invalid(a.name, "trailing bytes")
	}
	return buf, err
}

func (a *arrayCodec) encodeBinary(buf []byte, dims []ArrayDimension, elems []any, opts *Options) ([]byte, bool, error) {
	start := len(buf)
	if len(elems) == 0 {
		dims = nil
	}
	buf = binary.BigEndian.AppendUint32(buf, uint32(len(dims)))
	flagAt := len(buf)
	buf = binary.BigEndian.AppendUint32(buf, 0)
	buf = binary.BigEndian.AppendUint32(buf, a.elem.OID())
	for _, d := range dims {
		buf = binary.BigEndian.AppendUint32(buf, uint32(d.Length))
		buf = binary.BigEndian.AppendUint32(buf, uint32(d.LowerBound))
	}
	hasNull := false
	for _, e := range elems {
		at := len(buf)
		buf = append(buf, 0, 0, 0, 0)
		out, format, null, err := encodeElement(buf, a.elem, e, opts)
		if err != nil {
			return buf[:start], false, err
		}
		if null {
			hasNull = true
			binary.BigEndian.PutUint32(buf[at:], math.MaxUint32)
			continue
		}
		if format != BinaryFormat {
			return buf[:start], false, nil
		}
		buf = out
		n := len(buf) - at - 4
		if n > math.MaxInt32 {
			return buf[:start], false, overflow("array element")
		}
		binary.BigEndian.PutUint32(buf[at:], uint32(n))
	}
	if hasNull {
		binary.BigEndian.PutUint32(buf[flagAt:], 1)
	}
	return buf, true, nil
}

func (a *arrayCodec) appendTextFlat(buf []byte, dims []ArrayDimension, elems []any, opts *Options) ([]byte, error) {
	if len(elems) == 0 {
		dims = nil
	}
	i := 0
	return appendArrayText(buf, dims, func(buf []byte) ([]byte, bool, error) {
		e := elems[i]
		i++
		return textElement(buf, a.elem, e, opts)
	})
}

// appendArrayText writes array_out's syntax for dims (none: "{}"), with
// decoration when a lower bound is not 1. elem appends the next element's
// unquoted text, in row-major order, or reports NULL.
func appendArrayText(buf []byte, dims []ArrayDimension, elem func([]byte) ([]byte, bool, error)) ([]byte, error) {
	if len(dims) == 0 {
		return append(buf, "{}"...), nil
	}
	for _, d := range dims {
		if d.LowerBound != 1 {
			for _, d := range dims {
				buf = append(buf, '[')
				buf = appendPadded(buf, int(d.LowerBound), 1)
				buf = append(buf, ':')
				buf = appendPadded(buf, int(d.LowerBound+d.Length-1), 1)
				buf = append(buf, ']')
			}
			buf = append(buf, '=')
			break
		}
	}
	var tmp []byte
	var level func(depth int) error
	level = func(depth int) error {
		buf = append(buf, '{')
		for j := int32(0); j < dims[depth].Length; j++ {
			if j > 0 {
				buf = append(buf, ',')
			}
			if depth+1 < len(dims) {
				if err := level(depth + 1); err != nil {
					return err
				}
				continue
			}
			var null bool
			var err error
			tmp, null, err = elem(tmp[:0])
			if err != nil {
				return err
			}
			if null {
				buf = append(buf, "NULL"...)
			} else {
				buf = appendQuotedElement(buf, tmp, ',')
			}
		}
		buf = append(buf, '}')
		return nil
	}
	if err := level(0); err != nil {
		return buf, err
	}
	return buf, nil
}

// appendQuotedElement quotes an array or record element when array_in or
// record_in would otherwise misread it.
func appendQuotedElement(buf, s []byte, delim byte) []byte {
	need := len(s) == 0 || bytes.EqualFold(s, []byte("NULL"))
	for _, c := range s {
		if c == '"' || c == '\\' || c == '{' || c == '}' || c == '(' || c == ')' || c == delim || isSpace(c) {
			need = true
			break
		}
	}
	if !need {
		return append(buf, s...)
	}
	buf = append(buf, '"')
	for _, c := range s {
		if c == '"' || c == '\\' {
			buf = append(buf, '\\')
		}
		buf = append(buf, c)
	}
	return append(buf, '"')
}

// flattenArray turns an Array, a slice or array (nested for more
// dimensions), or []any into dimensions and row-major elements. Byte
// slices and byte arrays are elements, not dimensions. With rows (the
// element type is a record or composite) a []any below the top is an
// element, a row as decoding returns it, not a sub-array.
func flattenArray(v any, rows bool) ([]ArrayDimension, []any, error) {
	if a, ok := v.(Array); ok {
		total := int64(1)
		for _, d := range a.Dims {
			total *= int64(d.Length)
		}
		if len(a.Dims) > maxArrayDims || len(a.Dims) == 0 && len(a.Elements) != 0 || len(a.Dims) > 0 && total != int64(len(a.Elements)) {
			return nil, nil, mismatch("Array dimensions do not match its elements")
		}
		return a.Dims, a.Elements, nil
	}
	rv := reflect.ValueOf(v)
	if !isArrayValue(rv) {
		return nil, nil, mismatch(goTypeName(v) + " is not a slice")
	}
	f := flattener{leaf: -1, rows: rows}
	if err := f.walk(rv, 0); err != nil {
		return nil, nil, err
	}
	dims := make([]ArrayDimension, len(f.lens))
	for i, n := range f.lens {
		dims[i] = ArrayDimension{Length: n, LowerBound: 1}
	}
	return dims, f.elems, nil
}

type flattener struct {
	lens  []int32
	elems []any
	leaf  int
	rows  bool // []any values are elements (rows), not sub-arrays
}

func (f *flattener) walk(v reflect.Value, depth int) error {
	if depth >= maxArrayDims {
		return mismatch("more than 6 array dimensions")
	}
	n := v.Len()
	if n > math.MaxInt32 {
		return overflowInt(int64(n))
	}
	switch {
	case depth == len(f.lens):
		f.lens = append(f.lens, int32(n))
	case f.lens[depth] != int32(n):
		return mismatch("sub-arrays of different lengths")
	}
	for i := range n {
		e := v.Index(i)
		for e.Kind() == reflect.Interface && !e.IsNil() {
			e = e.Elem()
		}
		if isArrayValue(e) && !(f.rows && e.Type() == anySliceType) {
			if f.leaf >= 0 && f.leaf <= depth {
				return mismatch("sub-array where an element belongs")
			}
			if err := f.walk(e, depth+1); err != nil {
				return err
			}
			continue
		}
		if f.leaf < 0 {
			f.leaf = depth
		} else if f.leaf != depth {
			return mismatch("element where a sub-array belongs")
		}
		var x any
		if e.IsValid() && (e.Kind() != reflect.Interface || !e.IsNil()) {
			x = e.Interface()
		}
		f.elems = append(f.elems, x)
	}
	return nil
}

var anySliceType = reflect.TypeFor[[]any]()

// isArrayValue reports whether v is a slice or Go array that stands for a
// PostgreSQL array (byte slices are bytea, uuid, and the like).
func isArrayValue(v reflect.Value) bool {
	if !v.IsValid() {
		return false
	}
	k := v.Kind()
	if k != reflect.Slice && k != reflect.Array {
		return false
	}
	return v.Type().Elem().Kind() != reflect.Uint8 && v.Type() != typeOfMultirange
}

// typeOfMultirange is a slice that is one value, not an array level.
var typeOfMultirange = reflect.TypeFor[Multirange]()

// registerArrays adds the array type of every built-in element type.
func registerArrays(r *Registry) {
	for _, p := range builtinArrays {
		elem, ok := r.Lookup(p.elem)
		if !ok {
			panic(fmt.Sprintf("BUG: array element %d not registered", p.elem))
		}
		r.Register(NewArrayCodec(p.array, "_"+elem.Name(), elem))
	}
}

var builtinArrays = []struct{ array, elem uint32 }{
	{OIDBoolArray, OIDBool}, {OIDByteaArray, OIDBytea}, {OIDCharArray, OIDChar},
	{OIDNameArray, OIDName}, {OIDInt2Array, OIDInt2}, {OIDInt4Array, OIDInt4},
	{OIDTextArray, OIDText}, {OIDBpcharArray, OIDBpchar}, {OIDVarcharArray, OIDVarchar},
	{OIDInt8Array, OIDInt8}, {OIDFloat4Array, OIDFloat4}, {OIDFloat8Array, OIDFloat8},
	{OIDOIDArray, OIDOID}, {OIDMacaddrArray, OIDMacaddr}, {OIDInetArray, OIDInet},
	{OIDTimestampArray, OIDTimestamp}, {OIDDateArray, OIDDate}, {OIDTimeArray, OIDTime},
	{OIDTimestamptzArray, OIDTimestamptz}, {OIDIntervalArray, OIDInterval},
	{OIDNumericArray, OIDNumeric}, {OIDTimetzArray, OIDTimetz}, {OIDBitArray, OIDBit},
	{OIDVarbitArray, OIDVarbit}, {OIDJSONArray, OIDJSON}, {OIDCidrArray, OIDCidr},
	{OIDMacaddr8Array, OIDMacaddr8}, {OIDUUIDArray, OIDUUID}, {OIDRecordArray, OIDRecord},
	{OIDJSONBArray, OIDJSONB}, {OIDInt4rangeArray, OIDInt4range},
	{OIDNumrangeArray, OIDNumrange}, {OIDTsrangeArray, OIDTsrange},
	{OIDTstzrangeArray, OIDTstzrange}, {OIDDaterangeArray, OIDDaterange},
	{OIDInt8rangeArray, OIDInt8range},
	{OIDInt4multirangeArray, OIDInt4multirange}, {OIDNummultirangeArray, OIDNummultirange},
	{OIDTsmultirangeArray, OIDTsmultirange}, {OIDTstzmultirangeArray, OIDTstzmultirange},
	{OIDDatemultirangeArray, OIDDatemultirange}, {OIDInt8multirangeArray, OIDInt8multirange},
}

// encodeSliceFast writes the common one-dimensional slices whose Go
// element type is exactly the array's element type without boxing each
// element; ok=false leaves everything else to the general path.
func (a *arrayCodec) encodeSliceFast(buf []byte, v any) ([]byte, bool) {
	be := binary.BigEndian
	switch x := v.(type) {
	case []int64:
		if a.elem.OID() == OIDInt8 {
			return appendArrayOf(buf, a.elem.OID(), x, func(b []byte, e int64) []byte { return be.AppendUint64(b, uint64(e)) }), true
		}
	case []int32:
		if a.elem.OID() == OIDInt4 {
			return appendArrayOf(buf, a.elem.OID(), x, func(b []byte, e int32) []byte { return be.AppendUint32(b, uint32(e)) }), true
		}
	case []int16:
		if a.elem.OID() == OIDInt2 {
			return appendArrayOf(buf, a.elem.OID(), x, func(b []byte, e int16) []byte { return be.AppendUint16(b, uint16(e)) }), true
		}
	case []float64:
		if a.elem.OID() == OIDFloat8 {
			return appendArrayOf(buf, a.elem.OID(), x, func(b []byte, e float64) []byte { return be.AppendUint64(b, math.Float64bits(e)) }), true
		}
	case []float32:
		if a.elem.OID() == OIDFloat4 {
			return appendArrayOf(buf, a.elem.OID(), x, func(b []byte, e float32) []byte { return be.AppendUint32(b, math.Float32bits(e)) }), true
		}
	case []bool:
		if a.elem.OID() == OIDBool {
			return appendArrayOf(buf, a.elem.OID(), x, func(b []byte, e bool) []byte {
				if e {
					return append(b, 1)
				}
				return append(b, 0)
			}), true
		}
	case []string:
		switch a.elem.OID() {
		case OIDText, OIDVarchar, OIDBpchar, OIDName:
			for _, e := range x {
				if len(e) > math.MaxInt32 {
					return buf, false
				}
			}
			return appendArrayOf(buf, a.elem.OID(), x, func(b []byte, e string) []byte { return append(b, e...) }), true
		}
	}
	return buf, false
}

func appendArrayOf[T any](buf []byte, elemOID uint32, xs []T, appendElem func([]byte, T) []byte) []byte {
	be := binary.BigEndian
	if len(xs) == 0 {
		buf = be.AppendUint64(buf, 0)
		return be.AppendUint32(buf, elemOID)
	}
	buf = be.AppendUint32(buf, 1)
	buf = be.AppendUint32(buf, 0)
	buf = be.AppendUint32(buf, elemOID)
	buf = be.AppendUint32(buf, uint32(len(xs)))
	buf = be.AppendUint32(buf, 1)
	for _, x := range xs {
		at := len(buf)
		buf = append(buf, 0, 0, 0, 0)
		buf = appendElem(buf, x)
		be.PutUint32(buf[at:], uint32(len(buf)-at-4))
	}
	return buf
}
