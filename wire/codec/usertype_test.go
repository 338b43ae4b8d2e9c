package codec_test

import (
	"reflect"

	"github.com/pgactor/pgactor/wire/codec"
)

// ci is a case-insensitive string, stored as citext.
type ci string

var typeOfCI = reflect.TypeFor[ci]()

// citext is a user codec for an extension type with a made-up OID.
type citext struct{}

func (citext) OID() uint32          { return 500001 }
func (citext) Name() string         { return "citext" }
func (citext) DecodesBinary() bool  { return false }
func (citext) GoType() reflect.Type { return typeOfCI }
func (citext) Decode(_ int16, src []byte, _ *codec.Options) (any, error) {
	return ci(src), nil
}
func (c citext) Encode(buf []byte, v any, opts *codec.Options) ([]byte, int16, error) {
	out, err := c.AppendText(buf, v, opts)
	return out, codec.TextFormat, err
}
func (citext) AppendText(buf []byte, v any, _ *codec.Options) ([]byte, error) {
	switch s := v.(type) {
	case ci:
		return append(buf, s...), nil
	case string:
		return append(buf, s...), nil
	}
	return buf, codec.ErrMismatch
}
