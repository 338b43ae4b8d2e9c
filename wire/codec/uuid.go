package codec

import (
	"encoding/hex"
	"reflect"
)

// UUID is a PostgreSQL uuid. [16]byte parameters encode as uuid too.
type UUID [16]byte

// String returns the canonical lower-case 8-4-4-4-12 form.
func (u UUID) String() string { return string(appendUUID(nil, u)) }

// ParseUUID reads the forms uuid input accepts: canonical, upper case,
// without hyphens, or in braces.
func ParseUUID(s string) (UUID, error) {
	u, ok := parseUUID([]byte(s))
	if !ok {
		return UUID{}, invalid("uuid", "text value %q", s)
	}
	return u, nil
}

func appendUUID(buf []byte, u UUID) []byte {
	var tmp [36]byte
	hex.Encode(tmp[0:8], u[0:4])
	tmp[8] = '-'
	hex.Encode(tmp[9:13], u[4:6])
	tmp[13] = '-'
	hex.Encode(tmp[14:18], u[6:8])
	tmp[18] = '-'
	hex.Encode(tmp[19:23], u[8:10])
	tmp[23] = '-'
	hex.Encode(tmp[24:36], u[10:16])
	return append(buf, tmp[:]...)
}

func parseUUID(b []byte) (UUID, bool) {
	var u UUID
	if len(b) >= 2 && b[0] == '{' && b[len(b)-1] == '}' {
		b = b[1 : len(b)-1]
	}
	n := 0
	for i := 0; i < len(b); i++ {
		if b[i] == '-' && n > 0 && n%4 == 0 && i+1 < len(b) && b[i+1] != '-' {
			continue
		}
		if n >= 32 {
			return u, false
		}
		v, ok := unhex(b[i])
		if !ok {
			return u, false
		}
		if n%2 == 0 {
			u[n/2] = v << 4
		} else {
			u[n/2] |= v
		}
		n++
	}
	return u, n == 32
}

func unhex(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

func toUUID(v any) (UUID, bool) {
	switch x := v.(type) {
	case UUID:
		return x, true
	case [16]byte:
		return x, true
	}
	return UUID{}, false
}

func uuidCodec() Codec {
	return &builtin{
		oid: OIDUUID, name: "uuid", goType: reflect.TypeFor[UUID](),
		decodeBinary: func(src []byte, _ *Options) (any, error) {
			if len(src) != 16 {
				return nil, invalid("uuid", "binary length %d, want 16", len(src))
			}
			return UUID(src), nil
		},
		decodeText: func(src []byte, _ *Options) (any, error) {
			u, ok := parseUUID(src)
			if !ok {
				return nil, invalid("uuid", "text value %q", src)
			}
			return u, nil
		},
		encodeBinary: func(buf []byte, v any, _ *Options) ([]byte, bool, error) {
			u, ok := toUUID(v)
			if !ok {
				return buf, false, nil
			}
			return append(buf, u[:]...), true, nil
		},
		appendText: func(buf []byte, v any, _ *Options) ([]byte, error) {
			u, ok := toUUID(v)
			if !ok {
				return buf, cantEncode(v, "uuid")
			}
			return appendUUID(buf, u), nil
		},
	}
}
