package codec

import (
	"encoding/binary"
	"reflect"
)

// maxRecordDepth bounds records nested in records (directly or through
// arrays), so hostile input cannot recurse without end.
const maxRecordDepth = 32

// recordCodec decodes record and composite values to []any. In binary each
// field names its own type, so fields get their natural Go values; the text
// form does not, so fields come back as strings (nil for NULL).
type recordCodec struct {
	r *Registry
}

func newRecordCodec(r *Registry) Codec { return &recordCodec{r: r} }

// NewCompositeCodec returns a codec for a composite (row) type: values
// decode like record, to []any.
func NewCompositeCodec(oid uint32, name string, r *Registry) Codec {
	return &compositeCodec{recordCodec: recordCodec{r: r}, oid: oid, name: name}
}

type compositeCodec struct {
	recordCodec
	oid    uint32
	name   string
	fields []CompositeField // nil: attributes unknown (NewCompositeCodec)
}

func (c *compositeCodec) OID() uint32  { return c.oid }
func (c *compositeCodec) Name() string { return c.name }

func (c *recordCodec) OID() uint32          { return OIDRecord }
func (c *recordCodec) Name() string         { return "record" }
func (c *recordCodec) DecodesBinary() bool  { return true }
func (c *recordCodec) GoType() reflect.Type { return nil }

func (c *recordCodec) Decode(format int16, src []byte, opts *Options) (any, error) {
	inner, err := nested(opts)
	if err != nil {
		return nil, err
	}
	if format == TextFormat {
		return decodeRecordText(src)
	}
	var fields []any
	err = walkRecordBinary(src, func(i, n int, oid uint32, field []byte) error {
		if fields == nil {
			fields = make([]any, n)
		}
		v, err := c.r.DecodeValue(oid, BinaryFormat, field, &inner)
		fields[i] = v
		return err
	})
	if err != nil {
		return nil, err
	}
	if fields == nil {
		fields = []any{}
	}
	return fields, nil
}

// nested returns the options for the fields of a record, one level deeper,
// or an error past maxRecordDepth.
func nested(opts *Options) (Options, error) {
	var inner Options
	if opts != nil {
		inner = *opts
	}
	if inner.depth >= maxRecordDepth {
		return inner, invalid("record", "nested deeper than %d", maxRecordDepth)
	}
	inner.depth++
	return inner, nil
}

// walkRecordBinary checks a binary record and calls field for each field
// in order: its index, the field count, its type OID, and its bytes (nil
// for NULL; only valid during the call).
func walkRecordBinary(src []byte, field func(i, n int, oid uint32, src []byte) error) error {
	if len(src) < 4 {
		return invalid("record", "binary length %d", len(src))
	}
	n := int32(binary.BigEndian.Uint32(src))
	src = src[4:]
	// Each field takes at least 8 bytes (its oid and length).
	if n < 0 || int64(n) > int64(len(src))/8 {
		return invalid("record", "%d fields in %d bytes", n, len(src))
	}
	for i := range int(n) {
		if len(src) < 8 {
			return invalid("record", "truncated field")
		}
		oid := binary.BigEndian.Uint32(src)
		size := int32(binary.BigEndian.Uint32(src[4:]))
		src = src[8:]
		var f []byte
		if size != -1 {
			if size < 0 || int(size) > len(src) {
				return invalid("record", "field length %d", size)
			}
			f, src = src[:size:size], src[size:]
		}
		if err := field(i, int(n), oid, f); err != nil {
			return err
		}
	}
	if len(src) != 0 {
		return invalid("record", "trailing bytes")
	}
	return nil
}

// appendBinaryText renders a binary record as record_out prints it,
// straight from its bytes: each field goes through the codec of the OID it
// carries, so a nested record stays a row. The decoded []any could not
// say that: a nested record and an array both decode to []any.
func (c *recordCodec) appendBinaryText(buf, src []byte, opts *Options) ([]byte, error) {
	inner, err := nested(opts)
	if err != nil {
		return buf, err
	}
	buf = append(buf, '(')
	var tmp []byte
	err = walkRecordBinary(src, func(i, _ int, oid uint32, field []byte) error {
		if i > 0 {
			buf = append(buf, ',')
		}
		if field == nil {
			return nil
		}
		var err error
		tmp, err = c.r.appendBinaryText(tmp[:0], oid, field, &inner)
		buf = appendQuotedElement(buf, tmp, ',')
		return err
	})
	return append(buf, ')'), err
}

// isRowCodec reports whether values of c are rows (record or composite),
// which arrive as []any.
func isRowCodec(c Codec) bool {
	switch x := c.(type) {
	case *recordCodec, *compositeCodec:
		return true
	case *domainCodec:
		return isRowCodec(x.Codec)
	}
	return false
}

// decodeRecordText reads record_out's syntax: "(a,,\"b c\")". An empty
// unquoted field is NULL; inside quotes "" and \x escape.
func decodeRecordText(src []byte) (any, error) {
	if len(src) < 2 || src[0] != '(' || src[len(src)-1] != ')' {
		return nil, invalid("record", "text value %q", src)
	}
	body := src[1 : len(src)-1]
	fields := []any{}
	for {
		var field []byte
		quoted := false
		i := 0
		for i < len(body) && body[i] != ',' {
			ch := body[i]
			switch ch {
			case '"':
				quoted = true
				i++
				for {
					if i >= len(body) {
						return nil, invalid("record", "unterminated quote in %q", src)
					}
					ch = body[i]
					if ch == '"' {
						if i+1 < len(body) && body[i+1] == '"' {
							field = append(field, '"')
							i += 2
							continue
						}
						i++
						break
					}
					if ch == '\\' {
						i++
						if i >= len(body) {
							return nil, invalid("record", "unterminated escape in %q", src)
						}
						ch = body[i]
					}
					field = append(field, ch)
					i++
				}
			case '\\':
				i++
				if i >= len(body) {
					return nil, invalid("record", "unterminated escape in %q", src)
				}
				field = append(field, body[i])
				i++
			default:
				field = append(field, ch)
				i++
			}
		}
		if len(field) == 0 && !quoted {
			fields = append(fields, nil)
		} else {
			fields = append(fields, string(field))
		}
		if i >= len(body) {
			break
		}
		body = body[i+1:]
	}
	return fields, nil
}

// Encode writes a record in text: "(a,b)". The server accepts that for
// named composite types; anonymous records cannot be parameters at all.
func (c *recordCodec) Encode(buf []byte, v any, opts *Options) ([]byte, int16, error) {
	out, err := c.AppendText(buf, v, opts)
	return out, TextFormat, err
}

func (c *recordCodec) AppendText(buf []byte, v any, opts *Options) ([]byte, error) {
	if s, ok := v.(string); ok {
		return append(buf, s...), nil
	}
	fields, ok := v.([]any)
	if !ok {
		return buf, cantEncode(v, "record")
	}
	buf = append(buf, '(')
	var tmp []byte
	for i, f := range fields {
		if i > 0 {
			buf = append(buf, ',')
		}
		f, null, err := normalize(f)
		if err != nil {
			return buf, err
		}
		if null {
			continue
		}
		fc, _, err := c.r.codecForValue(f)
		if err != nil {
			return buf, err
		}
		var fnull bool
		tmp, fnull, err = textElement(tmp[:0], fc, f, opts)
		if err != nil {
			return buf, err
		}
		if !fnull {
			buf = appendQuotedElement(buf, tmp, ',')
			if len(tmp) == 0 {
				continue
			}
		}
	}
	return append(buf, ')'), nil
}
