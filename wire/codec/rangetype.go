package codec

import (
	"encoding/binary"
	"math"
)

// Range is a range value (int4range, tstzrange, ...). Bounds hold their
// element's natural Go value; an unbounded side has a nil bound and its
// Unbounded flag set. An empty range has only Empty set.
type Range struct {
	Lower, Upper                   any
	LowerInclusive, UpperInclusive bool
	LowerUnbounded, UpperUnbounded bool
	Empty                          bool
}

// The flag bits of a range's binary form.
const (
	rangeEmpty = 0x01
	rangeLBInc = 0x02
	rangeUBInc = 0x04
	rangeLBInf = 0x08
	rangeUBInf = 0x10
)

// rangeCodec is a range over one element type.
type rangeCodec struct {
	oid  uint32
	name string
	elem Codec
}

// NewRangeCodec returns the codec for a range type whose bounds elem
// handles.
func NewRangeCodec(oid uint32, name string, elem Codec) Codec {
	return &rangeCodec{oid: oid, name: name, elem: elem}
}

func (c *rangeCodec) OID() uint32         { return c.oid }
func (c *rangeCodec) Name() string        { return c.name }
func (c *rangeCodec) DecodesBinary() bool { return c.elem.DecodesBinary() }

func (c *rangeCodec) Decode(format int16, src []byte, opts *Options) (any, error) {
	if format == BinaryFormat {
		return c.decodeBinary(src, opts)
	}
	return c.decodeText(src, opts)
}

func (c *rangeCodec) decodeBinary(src []byte, opts *Options) (any, error) {
	if len(src) < 1 {
		return nil, invalid(c.name, "empty binary value")
	}
	// Like range_recv: bits beyond the five defined ones are ignored, and an
	// unbounded side is never inclusive.
	flags := src[0] & (rangeEmpty | rangeLBInc | rangeUBInc | rangeLBInf | rangeUBInf)
	src = src[1:]
	var r Range
	if flags&rangeEmpty != 0 {
		if flags != rangeEmpty || len(src) != 0 {
			return nil, invalid(c.name, "flags 0x%02x on an empty range", flags)
		}
		return Range{Empty: true}, nil
	}
	r.LowerInclusive = flags&rangeLBInc != 0
	r.UpperInclusive = flags&rangeUBInc != 0
	r.LowerUnbounded = flags&rangeLBInf != 0
	r.UpperUnbounded = flags&rangeUBInf != 0
	r.LowerInclusive = r.LowerInclusive && !r.LowerUnbounded
	r.UpperInclusive = r.UpperInclusive && !r.UpperUnbounded
	bound := func(dst *any) error {
		if len(src) < 4 {
			return invalid(c.name, "truncated bound")
		}
		n := int32(binary.BigEndian.Uint32(src))
		src = src[4:]
		if n < 0 || int(n) > len(src) {
			return invalid(c.name, "bound length %d", n)
		}
		v, err := c.elem.Decode(BinaryFormat, src[:n:n], opts)
		if err != nil {
			return err
		}
		*dst = v
		src = src[n:]
		return nil
	}
	if !r.LowerUnbounded {
		if err := bound(&r.Lower); err != nil {
			return nil, err
		}
	}
	if !r.UpperUnbounded {
		if err := bound(&r.Upper); err != nil {
			return nil, err
		}
	}
	if len(src) != 0 {
		return nil, invalid(c.name, "trailing bytes")
	}
	return r, nil
}

func (c *rangeCodec) decodeText(src []byte, opts *Options) (any, error) {
	if string(src) == "empty" {
		return Range{Empty: true}, nil
	}
	bad := func() error { return invalid(c.name, "text value %q", src) }
	if len(src) < 3 {
		return nil, bad()
	}
	var r Range
	switch src[0] {
	case '[':
		r.LowerInclusive = true
	case '(':
	default:
		return nil, bad()
	}
	switch src[len(src)-1] {
	case ']':
		r.UpperInclusive = true
	case ')':
	default:
		return nil, bad()
	}
	body := src[1 : len(src)-1]
	lower, rest, ok := readRangeBound(body, ',')
	if !ok || len(rest) == 0 || rest[0] != ',' {
		return nil, bad()
	}
	upper, rest, ok := readRangeBound(rest[1:], 0)
	if !ok || len(rest) != 0 {
		return nil, bad()
	}
	set := func(b []byte, dst *any, unbounded *bool, inclusive *bool) error {
		if b == nil {
			*unbounded, *inclusive = true, false
			return nil
		}
		v, err := c.elem.Decode(TextFormat, b, opts)
		if err != nil {
			return err
		}
		*dst = v
		return nil
	}
	if err := set(lower, &r.Lower, &r.LowerUnbounded, &r.LowerInclusive); err != nil {
		return nil, err
	}
	if err := set(upper, &r.Upper, &r.UpperUnbounded, &r.UpperInclusive); err != nil {
		return nil, err
	}
	return r, nil
}

// readRangeBound reads one bound of range_out's syntax up to stop (or the
// end when stop is 0): nil for an omitted (unbounded) bound, else its
// unquoted text. Inside quotes "" and \x both escape.
func readRangeBound(b []byte, stop byte) ([]byte, []byte, bool) {
	if len(b) == 0 || b[0] == stop {
		return nil, b, true
	}
	out := []byte{}
	i := 0
	for i < len(b) {
		ch := b[i]
		if ch == stop && stop != 0 {
			break
		}
		switch ch {
		case '"':
			i++
			for {
				if i >= len(b) {
					return nil, nil, false
				}
				ch = b[i]
				if ch == '"' {
					if i+1 < len(b) && b[i+1] == '"' {
						out = append(out, '"')
						i += 2
						continue
					}
					i++
					break
				}
				if ch == '\\' {
					i++
					if i >= len(b) {
						return nil, nil, false
					}
					ch = b[i]
				}
				out = append(out, ch)
				i++
			}
		case '\\':
			i++
			if i >= len(b) {
				return nil, nil, false
			}
			out = append(out, b[i])
			i++
		default:
			out = append(out, ch)
			i++
		}
	}
	return out, b[i:], true
}

func (c *rangeCodec) Encode(buf []byte, v any, opts *Options) ([]byte, int16, error) {
	r, ok := v.(Range)
	if !ok {
		if s, isStr := v.(string); isStr {
			return append(buf, s...), TextFormat, nil
		}
		return buf, 0, cantEncode(v, c.name)
	}
	start := len(buf)
	flags := byte(0)
	switch {
	case r.Empty:
		return append(buf, rangeEmpty), BinaryFormat, nil
	}
	if r.LowerInclusive && !r.LowerUnbounded {
		flags |= rangeLBInc
	}
	if r.UpperInclusive && !r.UpperUnbounded {
		flags |= rangeUBInc
	}
	if r.LowerUnbounded {
		flags |= rangeLBInf
	}
	if r.UpperUnbounded {
		flags |= rangeUBInf
	}
	buf = append(buf, flags)
	for _, b := range [2]struct {
		v         any
		unbounded bool
	}{{r.Lower, r.LowerUnbounded}, {r.Upper, r.UpperUnbounded}} {
		if b.unbounded {
			continue
		}
		at := len(buf)
		buf = append(buf, 0, 0, 0, 0)
		out, format, null, err := encodeElement(buf, c.elem, b.v, opts)
		if err != nil {
			return buf[:start], 0, err
		}
		if null {
			return buf[:start], 0, mismatch("nil bound; set LowerUnbounded or UpperUnbounded")
		}
		if format != BinaryFormat {
			out, err := c.AppendText(buf[:start], r, opts)
			return out, TextFormat, err
		}
		buf = out
		if len(buf)-at-4 > math.MaxInt32 {
			return buf[:start], 0, overflow("range bound")
		}
		binary.BigEndian.PutUint32(buf[at:], uint32(len(buf)-at-4))
	}
	return buf, BinaryFormat, nil
}

func (c *rangeCodec) AppendText(buf []byte, v any, opts *Options) ([]byte, error) {
	r, ok := v.(Range)
	if !ok {
		if s, isStr := v.(string); isStr {
			return append(buf, s...), nil
		}
		return buf, cantEncode(v, c.name)
	}
	if r.Empty {
		return append(buf, "empty"...), nil
	}
	if r.LowerInclusive && !r.LowerUnbounded {
		buf = append(buf, '[')
	} else {
		buf = append(buf, '(')
	}
	var tmp []byte
	for i, b := range [2]struct {
		v         any
		unbounded bool
	}{{r.Lower, r.LowerUnbounded}, {r.Upper, r.UpperUnbounded}} {
		if i == 1 {
			buf = append(buf, ',')
		}
		if b.unbounded {
			continue
		}
		var null bool
		var err error
		tmp, null, err = textElement(tmp[:0], c.elem, b.v, opts)
		if err != nil {
			return buf, err
		}
		if null {
			return buf, mismatch("nil bound; set LowerUnbounded or UpperUnbounded")
		}
		buf = appendQuotedBound(buf, tmp)
	}
	if r.UpperInclusive && !r.UpperUnbounded {
		return append(buf, ']'), nil
	}
	return append(buf, ')'), nil
}

// appendQuotedBound quotes a range bound as range_out does when it holds
// syntax characters or spaces, or is empty.
func appendQuotedBound(buf, s []byte) []byte {
	need := len(s) == 0
	for _, ch := range s {
		if ch == '"' || ch == '\\' || ch == '(' || ch == ')' || ch == '[' || ch == ']' || ch == ',' || isSpace(ch) {
			need = true
			break
		}
	}
	if !need {
		return append(buf, s...)
	}
	buf = append(buf, '"')
	for _, ch := range s {
		if ch == '"' || ch == '\\' {
			buf = append(buf, ch)
		}
		buf = append(buf, ch)
	}
	return append(buf, '"')
}

func registerRanges(r *Registry) {
	for _, p := range []struct {
		oid, elem uint32
		name      string
	}{
		{OIDInt4range, OIDInt4, "int4range"}, {OIDInt8range, OIDInt8, "int8range"},
		{OIDNumrange, OIDNumeric, "numrange"}, {OIDTsrange, OIDTimestamp, "tsrange"},
		{OIDTstzrange, OIDTimestamptz, "tstzrange"}, {OIDDaterange, OIDDate, "daterange"},
	} {
		elem, _ := r.Lookup(p.elem)
		r.Register(NewRangeCodec(p.oid, p.name, elem))
	}
}
