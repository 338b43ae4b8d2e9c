package codec

import (
	"encoding/binary"
	"fmt"
	"sort"
	"strings"
)

// NewHstoreCodec returns a codec for the hstore extension type, whose OID
// differs from database to database (SELECT 'hstore'::regtype::oid).
// Values decode to map[string]*string (nil for a NULL value) and scan into
// map[string]*string or map[string]string (where a NULL value is an
// error); both map types encode, in binary.
func NewHstoreCodec(oid uint32) Codec {
	return &builtin{
		oid: oid, name: "hstore",
		decodeBinary: func(src []byte, _ *Options) (any, error) { return decodeHstoreBinary(src) },
		decodeText:   func(src []byte, _ *Options) (any, error) { return decodeHstoreText(src) },
		encodeBinary: func(buf []byte, v any, _ *Options) ([]byte, bool, error) {
			m, ok := hstoreMap(v)
			if !ok {
				return buf, false, nil
			}
			buf = binary.BigEndian.AppendUint32(buf, uint32(len(m)))
			for _, k := range sortedKeys(m) {
				buf = binary.BigEndian.AppendUint32(buf, uint32(len(k)))
				buf = append(buf, k...)
				if m[k] == nil {
					buf = binary.BigEndian.AppendUint32(buf, 0xffffffff)
					continue
				}
				buf = binary.BigEndian.AppendUint32(buf, uint32(len(*m[k])))
				buf = append(buf, *m[k]...)
			}
			return buf, true, nil
		},
		appendText: func(buf []byte, v any, _ *Options) ([]byte, error) {
			m, ok := hstoreMap(v)
			if !ok {
				return buf, fmt.Errorf("%w: cannot encode %T as hstore", ErrMismatch, v)
			}
			for i, k := range sortedKeys(m) {
				if i > 0 {
					buf = append(buf, ", "...)
				}
				buf = appendHstoreString(buf, k)
				buf = append(buf, "=>"...)
				if m[k] == nil {
					buf = append(buf, "NULL"...)
				} else {
					buf = appendHstoreString(buf, *m[k])
				}
			}
			return buf, nil
		},
		fast: func(format int16, src []byte, dest any, opts *Options) (bool, error) {
			switch dest.(type) {
			case *map[string]string, *map[string]*string:
			default:
				return false, nil
			}
			var m map[string]*string
			var err error
			if format == BinaryFormat {
				m, err = decodeHstoreBinary(src)
			} else {
				m, err = decodeHstoreText(src)
			}
			if err != nil {
				return true, err
			}
			d, ok := dest.(*map[string]string)
			if !ok {
				*dest.(*map[string]*string) = m
				return true, nil
			}
			out := make(map[string]string, len(m))
			for k, v := range m {
				if v == nil {
					return true, fmt.Errorf("%w: hstore value of %q is NULL (scan into map[string]*string)", ErrNull, k)
				}
				out[k] = *v
			}
			*d = out
			return true, nil
		},
	}
}

// hstoreMap takes either map type as map[string]*string.
func hstoreMap(v any) (map[string]*string, bool) {
	switch m := v.(type) {
	case map[string]*string:
		return m, true
	case map[string]string:
		out := make(map[string]*string, len(m))
		for k, s := range m {
			out[k] = &s
		}
		return out, true
	}
	return nil, false
}

func sortedKeys(m map[string]*string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func appendHstoreString(buf []byte, s string) []byte {
	buf = append(buf, '"')
	for i := 0; i < len(s); i++ {
		if s[i] == '"' || s[i] == '\\' {
			buf = append(buf, '\\')
		}
		buf = append(buf, s[i])
	}
	return append(buf, '"')
}

func decodeHstoreBinary(src []byte) (map[string]*string, error) {
	if len(src) < 4 {
		return nil, invalid("hstore", "short value")
	}
	n := binary.BigEndian.Uint32(src)
	src = src[4:]
	if uint64(n) > uint64(len(src)/8) {
		return nil, invalid("hstore", "%d pairs in %d bytes", n, len(src))
	}
	m := make(map[string]*string, n)
	read := func() (string, bool, error) {
		if len(src) < 4 {
			return "", false, invalid("hstore", "truncated pair")
		}
		l := int32(binary.BigEndian.Uint32(src))
		src = src[4:]
		if l == -1 {
			return "", true, nil
		}
		if l < 0 || int(l) > len(src) {
			return "", false, invalid("hstore", "bad length %d", l)
		}
		s := string(src[:l])
		src = src[l:]
		return s, false, nil
	}
	for range n {
		k, null, err := read()
		if err != nil {
			return nil, err
		}
		if null {
			return nil, invalid("hstore", "NULL key")
		}
		v, null, err := read()
		if err != nil {
			return nil, err
		}
		if null {
			m[k] = nil
		} else {
			m[k] = &v
		}
	}
	if len(src) != 0 {
		return nil, invalid("hstore", "%d bytes after the last pair", len(src))
	}
	return m, nil
}

// decodeHstoreText reads hstore's output: "k"=>"v" pairs separated by
// ", ", a value NULL unquoted; it also takes unquoted keys and values, as
// the input function does.
func decodeHstoreText(src []byte) (map[string]*string, error) {
	s := string(src)
	m := map[string]*string{}
	i := 0
	skipSpace := func() {
		for i < len(s) && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r') {
			i++
		}
	}
	word := func() (string, bool, error) { // value, quoted
		if i < len(s) && s[i] == '"' {
			var b strings.Builder
			for i++; i < len(s); i++ {
				switch s[i] {
				case '\\':
					i++
					if i < len(s) {
						b.WriteByte(s[i])
					}
				case '"':
					i++
					return b.String(), true, nil
				default:
					b.WriteByte(s[i])
				}
			}
			return "", false, invalid("hstore", "unterminated string")
		}
		start := i
		for i < len(s) && s[i] != '=' && s[i] != ',' && s[i] != ' ' && s[i] != '"' {
			i++
		}
		if i == start {
			return "", false, invalid("hstore", "expected a key or value at byte %d", i)
		}
		return s[start:i], false, nil
	}
	for {
		skipSpace()
		if i >= len(s) {
			return m, nil
		}
		k, _, err := word()
		if err != nil {
			return nil, err
		}
		skipSpace()
		if !strings.HasPrefix(s[i:], "=>") {
			return nil, invalid("hstore", "expected => at byte %d", i)
		}
		i += 2
		skipSpace()
		v, quoted, err := word()
		if err != nil {
			return nil, err
		}
		if !quoted && strings.EqualFold(v, "NULL") {
			m[k] = nil
		} else {
			m[k] = &v
		}
		skipSpace()
		if i < len(s) {
			if s[i] != ',' {
				return nil, invalid("hstore", "expected , at byte %d", i)
			}
			i++
		}
	}
}
