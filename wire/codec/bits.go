package codec

import (
	"encoding/binary"
	"math"
	"reflect"
)

// BitString is a bit or varbit value: Len bits, most significant first in
// Bytes (whose unused trailing bits are zero).
type BitString struct {
	Bytes []byte
	Len   int32
}

// String prints the bits as 0s and 1s, as PostgreSQL does.
func (b BitString) String() string { return string(appendBits(nil, b)) }

// Bit returns bit i (0 = first).
func (b BitString) Bit(i int) bool { return b.Bytes[i/8]&(0x80>>(i%8)) != 0 }

func appendBits(buf []byte, b BitString) []byte {
	for i := 0; i < int(b.Len); i++ {
		if b.Bit(i) {
			buf = append(buf, '1')
		} else {
			buf = append(buf, '0')
		}
	}
	return buf
}

func parseBits(src []byte) (BitString, bool) {
	if len(src) > math.MaxInt32 {
		return BitString{}, false
	}
	b := BitString{Bytes: make([]byte, (len(src)+7)/8), Len: int32(len(src))}
	for i, c := range src {
		switch c {
		case '1':
			b.Bytes[i/8] |= 0x80 >> (i % 8)
		case '0':
		default:
			return BitString{}, false
		}
	}
	return b, true
}

func bitCodec(oid uint32, name string) Codec {
	var goType reflect.Type
	if oid == OIDVarbit {
		goType = reflect.TypeFor[BitString]()
	}
	return &builtin{
		oid: oid, name: name, goType: goType,
		decodeBinary: func(src []byte, _ *Options) (any, error) {
			if len(src) < 4 {
				return nil, invalid(name, "binary length %d", len(src))
			}
			n := int64(int32(binary.BigEndian.Uint32(src)))
			if n < 0 || (n+7)/8 != int64(len(src)-4) {
				return nil, invalid(name, "%d bits in %d bytes", n, len(src)-4)
			}
			return BitString{Bytes: append(make([]byte, 0, len(src)-4), src[4:]...), Len: int32(n)}, nil
		},
		decodeText: func(src []byte, _ *Options) (any, error) {
			b, ok := parseBits(src)
			if !ok {
				return nil, invalid(name, "text value %q", src)
			}
			return b, nil
		},
		encodeBinary: func(buf []byte, v any, _ *Options) ([]byte, bool, error) {
			b, ok := v.(BitString)
			if !ok {
				return buf, false, nil
			}
			if b.Len < 0 || int64(len(b.Bytes)) != (int64(b.Len)+7)/8 {
				return buf, false, mismatch("BitString length does not match its bytes")
			}
			buf = binary.BigEndian.AppendUint32(buf, uint32(b.Len))
			return append(buf, b.Bytes...), true, nil
		},
		appendText: func(buf []byte, v any, _ *Options) ([]byte, error) {
			b, ok := v.(BitString)
			if !ok {
				return buf, cantEncode(v, name)
			}
			if b.Len < 0 || int64(len(b.Bytes))*8 < int64(b.Len) {
				return buf, mismatch("BitString length does not match its bytes")
			}
			return appendBits(buf, b), nil
		},
	}
}

// otherCodecs are numeric, uuid, json, network and bit types.
func otherCodecs() []Codec {
	return []Codec{
		numericCodec(),
		uuidCodec(),
		jsonCodec(OIDJSON, "json", false),
		jsonCodec(OIDJSONB, "jsonb", true),
		inetCodec(OIDInet, "inet", false),
		inetCodec(OIDCidr, "cidr", true),
		macaddrCodec(OIDMacaddr, "macaddr", 6),
		macaddrCodec(OIDMacaddr8, "macaddr8", 8),
		bitCodec(OIDBit, "bit"),
		bitCodec(OIDVarbit, "varbit"),
	}
}
