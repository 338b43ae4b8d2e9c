package codec

import (
	"encoding/json"
	"reflect"
)

// builtin is the codec of one built-in type, assembled from functions so
// each type family's file holds only its conversions.
type builtin struct {
	oid    uint32
	name   string
	goType reflect.Type // parameters of this Go type declare oid; nil for none

	decodeBinary func(src []byte, opts *Options) (any, error) // nil: text only
	decodeText   func(src []byte, opts *Options) (any, error)
	// encodeBinary appends v in binary; ok=false means v is not a type it
	// writes in binary, and Encode falls back to text.
	encodeBinary func(buf []byte, v any, opts *Options) (out []byte, ok bool, err error)
	appendText   func(buf []byte, v any, opts *Options) ([]byte, error)
	// fast scans without boxing; nil or handled=false uses the generic path.
	fast func(format int16, src []byte, dest any, opts *Options) (bool, error)
}

func (b *builtin) OID() uint32          { return b.oid }
func (b *builtin) Name() string         { return b.name }
func (b *builtin) DecodesBinary() bool  { return b.decodeBinary != nil }
func (b *builtin) GoType() reflect.Type { return b.goType }

func (b *builtin) Decode(format int16, src []byte, opts *Options) (any, error) {
	if format == BinaryFormat {
		if b.decodeBinary == nil {
			return nil, invalid(b.name, "binary format not supported")
		}
		return b.decodeBinary(src, opts)
	}
	return b.decodeText(src, opts)
}

func (b *builtin) Encode(buf []byte, v any, opts *Options) ([]byte, int16, error) {
	v = plain(v)
	if b.encodeBinary != nil {
		out, ok, err := b.encodeBinary(buf, v, opts)
		if err != nil {
			return buf, 0, err
		}
		if ok {
			return out, BinaryFormat, nil
		}
	}
	out, err := b.AppendText(buf, v, opts)
	return out, TextFormat, err
}

// AppendText passes strings and raw bytes through as text input (the server
// parses and validates them); other values go to the type's formatter.
func (b *builtin) AppendText(buf []byte, v any, opts *Options) ([]byte, error) {
	v = plain(v)
	switch s := v.(type) {
	case string:
		return append(buf, s...), nil
	case []byte:
		if b.oid != OIDBytea {
			return append(buf, s...), nil
		}
	case json.RawMessage:
		return append(buf, s...), nil
	}
	return b.appendText(buf, v, opts)
}

func (b *builtin) scanFast(format int16, src []byte, dest any, opts *Options) (bool, error) {
	if b.fast == nil {
		return false, nil
	}
	return b.fast(format, src, dest, opts)
}

// registerBuiltins fills a new registry; order matters only in that arrays
// and ranges look up their element codecs.
func registerBuiltins(r *Registry) {
	for _, c := range scalarCodecs() {
		r.Register(c)
	}
	for _, c := range textCodecs() {
		r.Register(c)
	}
	for _, c := range timeCodecs() {
		r.Register(c)
	}
	for _, c := range otherCodecs() {
		r.Register(c)
	}
	r.Register(newRecordCodec(r))
	registerRanges(r)
	registerMultiranges(r)
	registerArrays(r)
}

// cantEncode is the cause for a value a codec does not take.
func cantEncode(v any, name string) error {
	return mismatch(goTypeName(v) + " is not a " + name + " value")
}

func goTypeName(v any) string {
	if v == nil {
		return "nil"
	}
	return reflect.TypeOf(v).String()
}
