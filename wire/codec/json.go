package codec

import (
	"encoding/json"
)

// jsonCodec is json or jsonb. Values decode to json.RawMessage (a copy);
// jsonb's binary form is a version byte (1) before the text.
func jsonCodec(oid uint32, name string, jsonb bool) Codec {
	decBin := func(src []byte, _ *Options) (any, error) {
		if jsonb {
			if len(src) < 1 || src[0] != 1 {
				return nil, invalid(name, "unsupported binary version")
			}
			src = src[1:]
		}
		return json.RawMessage(append(make([]byte, 0, len(src)), src...)), nil
	}
	return &builtin{
		oid: oid, name: name,
		decodeBinary: decBin,
		decodeText: func(src []byte, _ *Options) (any, error) {
			return json.RawMessage(append(make([]byte, 0, len(src)), src...)), nil
		},
		// No binary encoder: raw JSON (strings, bytes, json.RawMessage) goes
		// out as text, passed through; other Go values are marshalled.
		appendText: func(buf []byte, v any, _ *Options) ([]byte, error) {
			b, err := json.Marshal(v)
			if err != nil {
				return buf, err
			}
			return append(buf, b...), nil
		},
	}
}
