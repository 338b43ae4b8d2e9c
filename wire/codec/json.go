package codec

import (
	"database/sql"
	"encoding/json"
)

// jsonCodec is json or jsonb. Values decode to json.RawMessage (a copy);
// jsonb's binary form is a version byte (1) before the text. Scanning goes
// through encoding/json for any destination that does not ask for the raw
// text: a struct, a map, a slice, a number, *any (which gets what
// encoding/json gives: map[string]any, []any, float64, string, bool, nil).
// *string, *[]byte, *json.RawMessage, sql.Scanner and Decoder keep the text.
func jsonCodec(oid uint32, name string, jsonb bool) Codec {
	raw := func(format int16, src []byte) ([]byte, error) {
		if jsonb && format == BinaryFormat {
			if len(src) < 1 || src[0] != 1 {
				return nil, invalid(name, "unsupported binary version")
			}
			return src[1:], nil
		}
		return src, nil
	}
	decode := func(format int16) func([]byte, *Options) (any, error) {
		return func(src []byte, _ *Options) (any, error) {
			b, err := raw(format, src)
			if err != nil {
				return nil, err
			}
			return json.RawMessage(append(make([]byte, 0, len(b)), b...)), nil
		}
	}
	return &builtin{
		oid: oid, name: name,
		decodeBinary: decode(BinaryFormat),
		decodeText:   decode(TextFormat),
		// No binary encoder: raw JSON (strings, bytes, json.RawMessage) goes
		// out as text, passed through; other Go values are marshalled.
		appendText: func(buf []byte, v any, _ *Options) ([]byte, error) {
			b, err := json.Marshal(v)
			if err != nil {
				return buf, err
			}
			return append(buf, b...), nil
		},
		fast: func(format int16, src []byte, dest any, _ *Options) (bool, error) {
			if keepsJSONText(dest) {
				return false, nil
			}
			b, err := raw(format, src)
			if err != nil {
				return true, err
			}
			if err := json.Unmarshal(b, dest); err != nil {
				return true, invalid(name, "%v", err)
			}
			return true, nil
		},
	}
}

// keepsJSONText reports whether dest takes a json value's text as it is,
// through the generic path, rather than through encoding/json.
func keepsJSONText(dest any) bool {
	switch dest.(type) {
	case *[]byte, *json.RawMessage, sql.Scanner, Decoder:
		return true
	}
	return wantsString(dest)
}
