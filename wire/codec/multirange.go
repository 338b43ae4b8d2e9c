package codec

import (
	"encoding/binary"
	"math"
)

// Multirange is a multirange value (int4multirange, tstzmultirange, ...):
// its ranges in order. The server sends them sorted, merged and never
// empty; what is sent to it is normalised by the server the same way.
type Multirange []Range

// multirangeCodec is a multirange over one range type.
type multirangeCodec struct {
	oid  uint32
	name string
	rng  Codec
}

// NewMultirangeCodec returns the codec for a multirange type whose ranges
// rng handles (a codec from NewRangeCodec, or a built-in range's).
func NewMultirangeCodec(oid uint32, name string, rng Codec) Codec {
	return &multirangeCodec{oid: oid, name: name, rng: rng}
}

func (c *multirangeCodec) OID() uint32         { return c.oid }
func (c *multirangeCodec) Name() string        { return c.name }
func (c *multirangeCodec) DecodesBinary() bool { return c.rng.DecodesBinary() }

func (c *multirangeCodec) Decode(format int16, src []byte, opts *Options) (any, error) {
	if format == BinaryFormat {
		return c.decodeBinary(src, opts)
	}
	return c.decodeText(src, opts)
}

// decodeBinary reads multirange_send's form: a count, then each range
// with its length.
func (c *multirangeCodec) decodeBinary(src []byte, opts *Options) (any, error) {
	if len(src) < 4 {
		return nil, invalid(c.name, "truncated range count")
	}
	n := int32(binary.BigEndian.Uint32(src))
	src = src[4:]
	// Each range takes at least its length and a flags byte.
	if n < 0 || int64(n) > int64(len(src)/5) {
		return nil, invalid(c.name, "range count %d for %d bytes", n, len(src))
	}
	out := make(Multirange, 0, n)
	for range n {
		if len(src) < 4 {
			return nil, invalid(c.name, "truncated range length")
		}
		size := int32(binary.BigEndian.Uint32(src))
		src = src[4:]
		if size < 0 || int(size) > len(src) {
			return nil, invalid(c.name, "range length %d", size)
		}
		r, err := c.rangeValue(BinaryFormat, src[:size:size], opts)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
		src = src[size:]
	}
	if len(src) != 0 {
		return nil, invalid(c.name, "trailing bytes")
	}
	return out, nil
}

// decodeText reads multirange_out's form, {[1,3),[5,7)}, with the blanks
// multirange_in allows around the ranges.
func (c *multirangeCodec) decodeText(src []byte, opts *Options) (any, error) {
	bad := func() error { return invalid(c.name, "text value %q", src) }
	s := trimSpace(src)
	if len(s) < 2 || s[0] != '{' || s[len(s)-1] != '}' {
		return nil, bad()
	}
	body := trimSpace(s[1 : len(s)-1])
	out := Multirange{}
	for len(body) > 0 {
		end, ok := rangeTextEnd(body)
		if !ok {
			return nil, bad()
		}
		r, err := c.rangeValue(TextFormat, body[:end], opts)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
		body = trimSpace(body[end:])
		if len(body) == 0 {
			break
		}
		if body[0] != ',' {
			return nil, bad()
		}
		body = trimSpace(body[1:])
		if len(body) == 0 {
			return nil, bad() // a comma with no range after it
		}
	}
	return out, nil
}

// rangeValue decodes one range with the range codec.
func (c *multirangeCodec) rangeValue(format int16, src []byte, opts *Options) (Range, error) {
	v, err := c.rng.Decode(format, src, opts)
	if err != nil {
		return Range{}, err
	}
	r, ok := v.(Range)
	if !ok {
		return Range{}, invalid(c.name, "range codec %s gave %T", c.rng.Name(), v)
	}
	return r, nil
}

// rangeTextEnd returns the length of the range literal b starts with:
// "empty", or a bracket up to its closing bracket outside quotes.
func rangeTextEnd(b []byte) (int, bool) {
	const empty = "empty"
	if len(b) >= len(empty) && string(b[:len(empty)]) == empty {
		return len(empty), true
	}
	if b[0] != '[' && b[0] != '(' {
		return 0, false
	}
	quoted := false
	for i := 1; i < len(b); i++ {
		switch ch := b[i]; {
		case ch == '\\':
			i++ // the next byte is literal, in quotes or not
		case ch == '"':
			quoted = !quoted // "" inside quotes toggles twice: still quoted
		case !quoted && (ch == ']' || ch == ')'):
			return i + 1, true
		}
	}
	return 0, false
}

func trimSpace(b []byte) []byte {
	for len(b) > 0 && isSpace(b[0]) {
		b = b[1:]
	}
	for len(b) > 0 && isSpace(b[len(b)-1]) {
		b = b[:len(b)-1]
	}
	return b
}

// multirangeOf returns v's ranges: a Multirange or a []Range.
func multirangeOf(v any) (Multirange, bool) {
	switch x := v.(type) {
	case Multirange:
		return x, true
	case []Range:
		return x, true
	}
	return nil, false
}

func (c *multirangeCodec) Encode(buf []byte, v any, opts *Options) ([]byte, int16, error) {
	m, ok := multirangeOf(v)
	if !ok {
		if s, isStr := v.(string); isStr {
			return append(buf, s...), TextFormat, nil
		}
		return buf, 0, cantEncode(v, c.name)
	}
	start := len(buf)
	if int64(len(m)) > math.MaxInt32 {
		return buf, 0, overflow("multirange length")
	}
	buf = binary.BigEndian.AppendUint32(buf, uint32(len(m)))
	for _, r := range m {
		at := len(buf)
		buf = append(buf, 0, 0, 0, 0)
		out, format, err := c.rng.Encode(buf, r, opts)
		if err != nil {
			return buf[:start], 0, err
		}
		if format != BinaryFormat {
			// A bound that only has a text form: send the whole value
			// as text.
			out, err := c.AppendText(buf[:start], m, opts)
			return out, TextFormat, err
		}
		buf = out
		if len(buf)-at-4 > math.MaxInt32 {
			return buf[:start], 0, overflow("range")
		}
		binary.BigEndian.PutUint32(buf[at:], uint32(len(buf)-at-4))
	}
	return buf, BinaryFormat, nil
}

func (c *multirangeCodec) AppendText(buf []byte, v any, opts *Options) ([]byte, error) {
	m, ok := multirangeOf(v)
	if !ok {
		if s, isStr := v.(string); isStr {
			return append(buf, s...), nil
		}
		return buf, cantEncode(v, c.name)
	}
	start := len(buf)
	buf = append(buf, '{')
	for i, r := range m {
		if i > 0 {
			buf = append(buf, ',')
		}
		var err error
		if buf, err = c.rng.AppendText(buf, r, opts); err != nil {
			return buf[:start], err
		}
	}
	return append(buf, '}'), nil
}

// builtinMultiranges pairs each built-in multirange with its range type.
var builtinMultiranges = []struct {
	oid, rng uint32
	name     string
}{
	{OIDInt4multirange, OIDInt4range, "int4multirange"}, {OIDInt8multirange, OIDInt8range, "int8multirange"},
	{OIDNummultirange, OIDNumrange, "nummultirange"}, {OIDTsmultirange, OIDTsrange, "tsmultirange"},
	{OIDTstzmultirange, OIDTstzrange, "tstzmultirange"}, {OIDDatemultirange, OIDDaterange, "datemultirange"},
}

func registerMultiranges(r *Registry) {
	for _, p := range builtinMultiranges {
		rng, _ := r.Lookup(p.rng)
		r.Register(NewMultirangeCodec(p.oid, p.name, rng))
	}
}

// multirangeCodecFor picks a multirange type from its first non-empty
// range, as rangeCodecFor picks a range type; without one the server
// infers the type from the text form.
func (r *Registry) multirangeCodecFor(m Multirange) (Codec, uint32, error) {
	for _, rg := range m {
		if rg.Empty || (rg.LowerUnbounded && rg.UpperUnbounded) {
			continue
		}
		_, declared, err := r.rangeCodecFor(rg)
		if err != nil {
			return nil, 0, err
		}
		for _, p := range builtinMultiranges {
			if p.rng == declared {
				c, _ := r.Lookup(p.oid)
				return c, p.oid, nil
			}
		}
		break
	}
	c, _ := r.Lookup(OIDInt8multirange)
	return c, 0, nil
}
