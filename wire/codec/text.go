package codec

import (
	"encoding/hex"
	"reflect"
	"strconv"
)

// textCodecs are the character types, "char", unknown and bytea.
func textCodecs() []Codec {
	cs := []Codec{
		newTextCodec(OIDText, "text", true),
		newTextCodec(OIDVarchar, "varchar", true),
		newTextCodec(OIDBpchar, "bpchar", true),
		newTextCodec(OIDName, "name", true),
		newTextCodec(OIDUnknown, "unknown", false),
		charCodec{},
		&builtin{
			oid: OIDBytea, name: "bytea", goType: reflect.TypeFor[[]byte](),
			decodeBinary: func(src []byte, _ *Options) (any, error) {
				return append(make([]byte, 0, len(src)), src...), nil
			},
			decodeText: func(src []byte, _ *Options) (any, error) { return decodeByteaText(nil, src) },
			encodeBinary: func(buf []byte, v any, _ *Options) ([]byte, bool, error) {
				switch b := v.(type) {
				case []byte:
					return append(buf, b...), true, nil
				case string:
					return append(buf, b...), true, nil
				}
				return buf, false, nil
			},
			appendText: func(buf []byte, v any, _ *Options) ([]byte, error) {
				b, ok := v.([]byte)
				if !ok {
					return buf, cantEncode(v, "bytea")
				}
				buf = append(buf, `\x`...)
				return hex.AppendEncode(buf, b), nil
			},
			fast: func(format int16, src []byte, dest any, _ *Options) (bool, error) {
				d, ok := dest.(*[]byte)
				if !ok {
					return false, nil
				}
				if format == BinaryFormat {
					*d = append(make([]byte, 0, len(src)), src...)
					return true, nil
				}
				b, err := decodeByteaText(nil, src)
				if err == nil {
					*d = b
				}
				return true, err
			},
		},
	}
	return cs
}

// NewTextCodec returns a codec for a type whose values are text in both
// formats: citext, enums, and the like. Values decode to string.
func NewTextCodec(oid uint32, name string) Codec { return newTextCodec(oid, name, false) }

// NewTextOnlyCodec returns a codec that reads and writes a type only in
// its text form, for a type whose binary form is unknown (extension types
// such as ltree, built-in ones without a codec such as point): the
// registry asks the server for text, and values decode to string.
func NewTextOnlyCodec(oid uint32, name string) Codec {
	c := newTextCodec(oid, name, false).(*builtin)
	c.decodeBinary = nil
	return c
}

// newTextCodec sends strings in binary when the type's binary input is
// known to be the bare bytes (the built-in character types): the same
// bytes as text, but it lets text[] parameters go in binary.
func newTextCodec(oid uint32, name string, binaryStrings bool) Codec {
	var goType reflect.Type
	if oid == OIDText {
		goType = reflect.TypeFor[string]()
	}
	var encBin func([]byte, any, *Options) ([]byte, bool, error)
	if binaryStrings {
		encBin = func(buf []byte, v any, _ *Options) ([]byte, bool, error) {
			s, ok := v.(string)
			if !ok {
				return buf, false, nil
			}
			return append(buf, s...), true, nil
		}
	}
	return &builtin{
		encodeBinary: encBin,
		oid:          oid, name: name, goType: goType,
		decodeBinary: func(src []byte, _ *Options) (any, error) { return string(src), nil },
		decodeText:   func(src []byte, _ *Options) (any, error) { return string(src), nil },
		appendText: func(buf []byte, v any, _ *Options) ([]byte, error) {
			// Numbers and booleans have one obvious spelling.
			switch x := v.(type) {
			case bool:
				return strconv.AppendBool(buf, x), nil
			case float64:
				return appendFloat(buf, x, 64), nil
			case float32:
				return appendFloat(buf, float64(x), 32), nil
			case Numeric:
				return append(buf, x.String()...), nil
			}
			if n, ok, err := toInt64(v); ok && err == nil {
				return strconv.AppendInt(buf, n, 10), nil
			}
			if u, ok := v.(uint64); ok {
				return strconv.AppendUint(buf, u, 10), nil
			}
			if u, ok := v.(uint); ok {
				return strconv.AppendUint(buf, uint64(u), 10), nil
			}
			return buf, cantEncode(v, name)
		},
		fast: func(_ int16, src []byte, dest any, _ *Options) (bool, error) {
			switch d := dest.(type) {
			case *string:
				*d = string(src)
			case *[]byte:
				*d = append(make([]byte, 0, len(src)), src...)
			default:
				return false, nil
			}
			return true, nil
		},
	}
}

// decodeByteaText accepts both bytea_output styles: hex (\x0102, the
// default) and escape (octal \ooo, \\ for a backslash, other bytes as is).
func decodeByteaText(dst, src []byte) ([]byte, error) {
	if len(src) >= 2 && src[0] == '\\' && src[1] == 'x' {
		h := src[2:]
		if len(h)%2 != 0 {
			return nil, invalid("bytea", "odd hex length %d", len(h))
		}
		out := make([]byte, len(h)/2)
		if _, err := hex.Decode(out, h); err != nil {
			return nil, invalid("bytea", "bad hex digit")
		}
		return out, nil
	}
	out := make([]byte, 0, len(src))
	for i := 0; i < len(src); i++ {
		c := src[i]
		if c != '\\' {
			out = append(out, c)
			continue
		}
		if i+1 < len(src) && src[i+1] == '\\' {
			out = append(out, '\\')
			i++
			continue
		}
		if i+3 >= len(src) {
			return nil, invalid("bytea", "truncated escape")
		}
		n := 0
		for _, d := range src[i+1 : i+4] {
			if d < '0' || d > '7' {
				return nil, invalid("bytea", "bad escape")
			}
			n = n*8 + int(d-'0')
		}
		if n > 255 {
			return nil, invalid("bytea", "bad escape")
		}
		out = append(out, byte(n))
		i += 3
	}
	return out, nil
}

// charCodec is "char", a single byte. Its Go value is a string of that
// byte, except the zero byte, which is "": the server reads an empty
// string as the zero byte and prints the zero byte as an empty string, so
// "" is its value in both formats. A byte above 127 is not a character:
// the decoded string holds the raw byte, and the server prints it as an
// octal escape (\303), so rendering goes through appendCharText.
type charCodec struct{}

func (charCodec) OID() uint32         { return OIDChar }
func (charCodec) Name() string        { return "char" }
func (charCodec) DecodesBinary() bool { return true }

func (charCodec) Decode(format int16, src []byte, _ *Options) (any, error) {
	if format == TextFormat && len(src) == 4 && src[0] == '\\' {
		n := 0
		for _, c := range src[1:] {
			if c < '0' || c > '7' {
				return nil, invalid("char", "text value %q", src)
			}
			n = n*8 + int(c-'0')
		}
		if n > 255 {
			return nil, invalid("char", "text value %q", src)
		}
		return charValue(byte(n)), nil
	}
	switch len(src) {
	case 0:
		return "", nil
	case 1:
		return charValue(src[0]), nil
	}
	return nil, invalid("char", "value of %d bytes", len(src))
}

// charValue is the Go value of a "char" byte.
func charValue(b byte) string {
	if b == 0 {
		return ""
	}
	return string([]byte{b})
}

// Encode sends a string of at most one byte in binary ("" as the zero
// byte: charrecv refuses an empty value); a longer one is text input for
// charin, which takes an octal escape or the first byte.
func (c charCodec) Encode(buf []byte, v any, opts *Options) ([]byte, int16, error) {
	if s, ok := charString(v); ok && len(s) <= 1 {
		if s == "" {
			return append(buf, 0), BinaryFormat, nil
		}
		return append(buf, s...), BinaryFormat, nil
	}
	out, err := c.AppendText(buf, v, opts)
	return out, TextFormat, err
}

func (charCodec) AppendText(buf []byte, v any, _ *Options) ([]byte, error) {
	s, ok := charString(v)
	if !ok {
		return buf, cantEncode(v, "char")
	}
	return appendCharText(buf, s), nil
}

// appendBinaryText renders a binary "char" as charout does, so that
// scanning one into a string gives the text form, not a raw byte that is
// not UTF-8.
func (c charCodec) appendBinaryText(buf, src []byte, opts *Options) ([]byte, error) {
	v, err := c.Decode(BinaryFormat, src, opts)
	if err != nil {
		return buf, err
	}
	return appendCharText(buf, v.(string)), nil
}

func charString(v any) (string, bool) {
	switch s := plain(v).(type) {
	case string:
		return s, true
	case []byte:
		return string(s), true
	}
	return "", false
}

// appendCharText writes one byte as charout prints it: a byte above 127
// as \ooo, the zero byte as nothing. Longer strings are passed through as
// input for charin.
func appendCharText(buf []byte, s string) []byte {
	switch {
	case s == "\x00":
		return buf
	case len(s) == 1 && s[0] >= 0x80:
		return append(buf, '\\', '0'+s[0]>>6, '0'+s[0]>>3&7, '0'+s[0]&7)
	}
	return append(buf, s...)
}
