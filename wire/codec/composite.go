package codec

import (
	"database/sql"
	"fmt"
	"reflect"
	"strings"
)

// CompositeField is one attribute of a composite type, in order: its name
// (pg_attribute.attname) and type OID (atttypid).
type CompositeField struct {
	Name string
	OID  uint32
}

// NewCompositeCodecFields is NewCompositeCodec for a composite whose
// attributes are known. Values then also scan into structs field by field,
// matched by `db` tag or by name (case and underscores ignored), in either
// format; structs encode as the composite, their fields by the same names.
// NewCompositeCodec's values scan into structs by position, in binary.
func NewCompositeCodecFields(oid uint32, name string, fields []CompositeField, r *Registry) Codec {
	return &compositeCodec{recordCodec: recordCodec{r: r}, oid: oid, name: name, fields: fields}
}

// structTarget returns the struct dest points to, when dest is a pointer to
// a struct that does not decode itself.
func structTarget(dest any) (reflect.Value, bool) {
	switch dest.(type) {
	case Decoder, sql.Scanner:
		return reflect.Value{}, false
	}
	rv := reflect.ValueOf(dest)
	if rv.Kind() != reflect.Pointer || rv.IsNil() || rv.Elem().Kind() != reflect.Struct {
		return reflect.Value{}, false
	}
	return rv.Elem(), true
}

// structFields lists the exported fields of struct type t that take part
// (not tagged `db:"-"`), in order, with the names they match.
func structFields(t reflect.Type) (idx []int, names []string) {
	for i := range t.NumField() {
		f := t.Field(i)
		tag, _, _ := strings.Cut(f.Tag.Get("db"), ",")
		if !f.IsExported() || tag == "-" {
			continue
		}
		if tag == "" {
			tag = f.Name
		}
		idx = append(idx, i)
		names = append(names, foldName(tag))
	}
	return idx, names
}

func foldName(s string) string { return strings.ToLower(strings.ReplaceAll(s, "_", "")) }

// targets maps each attribute of c to the struct field it fills, by name
// when c knows its attributes, else by position.
func (c *compositeCodec) targets(sv reflect.Value, n int) ([]reflect.Value, error) {
	idx, names := structFields(sv.Type())
	out := make([]reflect.Value, n)
	if c.fields == nil {
		if len(idx) != n {
			return nil, mismatch(fmt.Sprintf("%s has %d fields, %s has %d", c.name, n, sv.Type(), len(idx)))
		}
		for i := range n {
			out[i] = sv.Field(idx[i])
		}
		return out, nil
	}
	if n != len(c.fields) {
		return nil, invalid(c.name, "%d fields, the type has %d", n, len(c.fields))
	}
	used := 0
	for i, f := range c.fields {
		for j, name := range names {
			if name == foldName(f.Name) {
				out[i] = sv.Field(idx[j])
				used++
				break
			}
		}
		if !out[i].IsValid() {
			return nil, mismatch(fmt.Sprintf("%s.%s has no field in %s", c.name, f.Name, sv.Type()))
		}
	}
	if used != len(idx) {
		return nil, mismatch(fmt.Sprintf("%s has fields %s does not", sv.Type(), c.name))
	}
	return out, nil
}

// scanFast scans a composite into a struct, each attribute through the
// codec of its own type.
func (c *compositeCodec) scanFast(format int16, src []byte, dest any, opts *Options) (bool, error) {
	sv, ok := structTarget(dest)
	if !ok {
		return false, nil
	}
	inner, err := nested(opts)
	if err != nil {
		return true, err
	}
	if format == BinaryFormat {
		var fields []reflect.Value
		return true, walkRecordBinary(src, func(i, n int, oid uint32, field []byte) error {
			if fields == nil {
				if fields, err = c.targets(sv, n); err != nil {
					return err
				}
			}
			return c.r.Scan(oid, BinaryFormat, field, fields[i].Addr().Interface(), &inner)
		})
	}
	vals, err := decodeRecordText(src)
	if err != nil {
		return true, err
	}
	texts := vals.([]any)
	fields, err := c.targets(sv, len(texts))
	if err != nil {
		return true, err
	}
	for i, t := range texts {
		oid := OIDText
		if c.fields != nil {
			oid = c.fields[i].OID
		}
		var field []byte
		if t != nil {
			field = []byte(t.(string))
		}
		if err := c.r.Scan(oid, TextFormat, field, fields[i].Addr().Interface(), &inner); err != nil {
			return true, err
		}
	}
	return true, nil
}

// Decode decodes a composite to []any. In text, a composite whose
// attributes are known decodes each field by its attribute's type, so
// that both formats give the same values (a statement prepared before the
// type was known asks for text).
func (c *compositeCodec) Decode(format int16, src []byte, opts *Options) (any, error) {
	if format != TextFormat || c.fields == nil {
		return c.recordCodec.Decode(format, src, opts)
	}
	inner, err := nested(opts)
	if err != nil {
		return nil, err
	}
	vals, err := decodeRecordText(src)
	if err != nil {
		return nil, err
	}
	texts := vals.([]any)
	if len(c.fields) == 0 && len(texts) == 1 && texts[0] == nil {
		return []any{}, nil // "()": no attributes
	}
	if len(texts) != len(c.fields) {
		return nil, invalid(c.name, "%d fields, the type has %d", len(texts), len(c.fields))
	}
	for i, t := range texts {
		if t == nil {
			continue
		}
		v, err := c.r.DecodeValue(c.fields[i].OID, TextFormat, []byte(t.(string)), &inner)
		if err != nil {
			return nil, err
		}
		texts[i] = v
	}
	return texts, nil
}

// rowCodecOf returns c as a composite codec with known attributes,
// looking through domains.
func rowCodecOf(c Codec) (*compositeCodec, bool) {
	for {
		d, ok := c.(*domainCodec)
		if !ok {
			break
		}
		c = d.Codec
	}
	cc, ok := c.(*compositeCodec)
	return cc, ok && cc.fields != nil
}

// assignStruct fills the struct sv from a decoded row (an element of an
// array of the composite), each field through its attribute's codec.
func (c *compositeCodec) assignStruct(sv reflect.Value, vals []any, opts *Options) error {
	fields, err := c.targets(sv, len(vals))
	if err != nil {
		return err
	}
	for i, v := range vals {
		fc, ok := c.r.Lookup(c.fields[i].OID)
		if !ok {
			fc = NewTextCodec(c.fields[i].OID, unknownName(c.fields[i].OID))
		}
		if err := assignTo(fields[i].Addr().Interface(), v, fc, opts); err != nil {
			return fmt.Errorf("%s.%s: %w", c.name, c.fields[i].Name, err)
		}
	}
	return nil
}

// Encode writes a struct (or []any, or text) as the composite's text.
func (c *compositeCodec) Encode(buf []byte, v any, opts *Options) ([]byte, int16, error) {
	out, err := c.AppendText(buf, v, opts)
	return out, TextFormat, err
}

func (c *compositeCodec) AppendText(buf []byte, v any, opts *Options) ([]byte, error) {
	rv := reflect.ValueOf(v)
	for rv.Kind() == reflect.Pointer && !rv.IsNil() {
		rv = rv.Elem()
	}
	if rv.Kind() != reflect.Struct {
		return c.recordCodec.AppendText(buf, v, opts)
	}
	n := len(c.fields)
	if c.fields == nil {
		idx, _ := structFields(rv.Type())
		n = len(idx)
	}
	targets, err := c.targets(rv, n)
	if err != nil {
		return buf, err
	}
	vals := make([]any, n)
	for i, f := range targets {
		vals[i] = f.Interface()
	}
	return c.recordCodec.AppendText(buf, vals, opts)
}
