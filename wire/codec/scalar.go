package codec

import (
	"encoding/binary"
	"math"
	"reflect"
	"strconv"
)

// scalarCodecs are bool, the integers, oid and the floats.
func scalarCodecs() []Codec {
	return []Codec{
		&builtin{
			oid: OIDBool, name: "bool", goType: reflect.TypeFor[bool](),
			decodeBinary: func(src []byte, _ *Options) (any, error) { return decodeBoolBinary(src) },
			decodeText:   func(src []byte, _ *Options) (any, error) { return decodeBoolText(src) },
			encodeBinary: func(buf []byte, v any, _ *Options) ([]byte, bool, error) {
				b, ok := v.(bool)
				if !ok {
					return buf, false, nil
				}
				if b {
					return append(buf, 1), true, nil
				}
				return append(buf, 0), true, nil
			},
			appendText: func(buf []byte, v any, _ *Options) ([]byte, error) {
				b, ok := v.(bool)
				if !ok {
					return buf, cantEncode(v, "bool")
				}
				if b {
					return append(buf, 't'), nil
				}
				return append(buf, 'f'), nil
			},
			fast: func(format int16, src []byte, dest any, _ *Options) (bool, error) {
				d, ok := dest.(*bool)
				if !ok {
					return false, nil
				}
				var err error
				if format == BinaryFormat {
					*d, err = decodeBoolBinary(src)
				} else {
					*d, err = decodeBoolText(src)
				}
				return true, err
			},
		},
		intCodec(OIDInt2, "int2", 16, reflect.TypeFor[int16]()),
		intCodec(OIDInt4, "int4", 32, reflect.TypeFor[int32]()),
		intCodec(OIDInt8, "int8", 64, reflect.TypeFor[int64]()),
		intCodec(OIDOID, "oid", 0, nil),
		floatCodec(OIDFloat4, "float4", 32, reflect.TypeFor[float32]()),
		floatCodec(OIDFloat8, "float8", 64, reflect.TypeFor[float64]()),
	}
}

func decodeBoolBinary(src []byte) (bool, error) {
	if len(src) != 1 || src[0] > 1 {
		return false, invalid("bool", "binary value %x", src)
	}
	return src[0] == 1, nil
}

func decodeBoolText(src []byte) (bool, error) {
	switch string(src) {
	case "t", "true":
		return true, nil
	case "f", "false":
		return false, nil
	}
	return false, invalid("bool", "text value %q", src)
}

// intCodec builds int2/int4/int8 (bits 16/32/64) and oid (bits 0: unsigned 32).
func intCodec(oid uint32, name string, bits int, goType reflect.Type) Codec {
	size := bits / 8
	if bits == 0 {
		size = 4
	}
	decBin := func(src []byte) (int64, error) {
		if len(src) != size {
			return 0, invalid(name, "binary length %d, want %d", len(src), size)
		}
		switch bits {
		case 16:
			return int64(int16(binary.BigEndian.Uint16(src))), nil
		case 32:
			return int64(int32(binary.BigEndian.Uint32(src))), nil
		case 64:
			return int64(binary.BigEndian.Uint64(src)), nil
		}
		return int64(binary.BigEndian.Uint32(src)), nil
	}
	decText := func(src []byte) (int64, error) {
		if bits == 0 {
			u, err := parseUintBytes(src, 32)
			if err != nil {
				return 0, invalid(name, "text value %q", src)
			}
			return int64(u), nil
		}
		n, err := parseIntBytes(src, bits)
		if err != nil {
			return 0, invalid(name, "text value %q", src)
		}
		return n, nil
	}
	natural := func(n int64) any {
		switch bits {
		case 16:
			return int16(n)
		case 32:
			return int32(n)
		case 64:
			return n
		}
		return uint32(n)
	}
	inRange := func(n int64) bool {
		switch bits {
		case 16:
			return n >= math.MinInt16 && n <= math.MaxInt16
		case 32:
			return n >= math.MinInt32 && n <= math.MaxInt32
		case 64:
			return true
		}
		return n >= 0 && n <= math.MaxUint32
	}
	return &builtin{
		oid: oid, name: name, goType: goType,
		decodeBinary: func(src []byte, _ *Options) (any, error) {
			n, err := decBin(src)
			if err != nil {
				return nil, err
			}
			return natural(n), nil
		},
		decodeText: func(src []byte, _ *Options) (any, error) {
			n, err := decText(src)
			if err != nil {
				return nil, err
			}
			return natural(n), nil
		},
		encodeBinary: func(buf []byte, v any, _ *Options) ([]byte, bool, error) {
			n, ok, err := toInt64(v)
			if !ok || err != nil {
				return buf, ok, err
			}
			if !inRange(n) {
				return buf, false, overflowInt(n)
			}
			switch size {
			case 2:
				return binary.BigEndian.AppendUint16(buf, uint16(n)), true, nil
			case 4:
				return binary.BigEndian.AppendUint32(buf, uint32(n)), true, nil
			}
			return binary.BigEndian.AppendUint64(buf, uint64(n)), true, nil
		},
		appendText: func(buf []byte, v any, _ *Options) ([]byte, error) {
			if num, ok := v.(Numeric); ok {
				n, err := num.Int64()
				if err != nil {
					return buf, err
				}
				v = n
			}
			n, ok, err := toInt64(v)
			if err != nil {
				return buf, err
			}
			if !ok {
				return buf, cantEncode(v, name)
			}
			if !inRange(n) {
				return buf, overflowInt(n)
			}
			return strconv.AppendInt(buf, n, 10), nil
		},
		fast: func(format int16, src []byte, dest any, _ *Options) (bool, error) {
			switch dest.(type) {
			case *int64, *int32, *int16, *int, *uint32, *uint64, *float64:
			default:
				return false, nil
			}
			var n int64
			var err error
			if format == BinaryFormat {
				n, err = decBin(src)
			} else {
				n, err = decText(src)
			}
			if err != nil {
				return true, err
			}
			return true, setInt(dest, n)
		},
	}
}

// setInt stores n into an integer or float64 destination, refusing loss.
func setInt(dest any, n int64) error {
	switch d := dest.(type) {
	case *int64:
		*d = n
	case *int:
		if int64(int(n)) != n {
			return overflowInt(n)
		}
		*d = int(n)
	case *int32:
		if n < math.MinInt32 || n > math.MaxInt32 {
			return overflowInt(n)
		}
		*d = int32(n)
	case *int16:
		if n < math.MinInt16 || n > math.MaxInt16 {
			return overflowInt(n)
		}
		*d = int16(n)
	case *int8:
		if n < math.MinInt8 || n > math.MaxInt8 {
			return overflowInt(n)
		}
		*d = int8(n)
	case *uint64:
		if n < 0 {
			return overflowInt(n)
		}
		*d = uint64(n)
	case *uint:
		if n < 0 || uint64(uint(n)) != uint64(n) {
			return overflowInt(n)
		}
		*d = uint(n)
	case *uint32:
		if n < 0 || n > math.MaxUint32 {
			return overflowInt(n)
		}
		*d = uint32(n)
	case *uint16:
		if n < 0 || n > math.MaxUint16 {
			return overflowInt(n)
		}
		*d = uint16(n)
	case *uint8:
		if n < 0 || n > math.MaxUint8 {
			return overflowInt(n)
		}
		*d = uint8(n)
	case *float64:
		if n > 1<<53 || n < -(1<<53) {
			return overflowInt(n)
		}
		*d = float64(n)
	case *float32:
		if n > 1<<24 || n < -(1<<24) {
			return overflowInt(n)
		}
		*d = float32(n)
	default:
		return mismatch("")
	}
	return nil
}

// toInt64 converts any Go integer; ok=false for non-integers, an overflow
// error for a uint64 beyond int64.
func toInt64(v any) (int64, bool, error) {
	switch n := v.(type) {
	case int:
		return int64(n), true, nil
	case int8:
		return int64(n), true, nil
	case int16:
		return int64(n), true, nil
	case int32:
		return int64(n), true, nil
	case int64:
		return n, true, nil
	case uint:
		if uint64(n) > math.MaxInt64 {
			return 0, true, overflowUint(uint64(n))
		}
		return int64(n), true, nil
	case uint8:
		return int64(n), true, nil
	case uint16:
		return int64(n), true, nil
	case uint32:
		return int64(n), true, nil
	case uint64:
		if n > math.MaxInt64 {
			return 0, true, overflowUint(n)
		}
		return int64(n), true, nil
	}
	return 0, false, nil
}

// parseIntBytes is strconv.ParseInt for a byte slice, without the string.
func parseIntBytes(b []byte, bits int) (int64, error) {
	neg := false
	if len(b) > 0 && (b[0] == '-' || b[0] == '+') {
		neg = b[0] == '-'
		b = b[1:]
	}
	limit := uint64(1) << (bits - 1)
	if !neg {
		limit--
	}
	u, err := parseUintDigits(b, limit)
	if err != nil {
		return 0, err
	}
	if neg {
		return -int64(u), nil
	}
	return int64(u), nil
}

func parseUintBytes(b []byte, bits int) (uint64, error) {
	if len(b) > 0 && b[0] == '+' {
		b = b[1:]
	}
	return parseUintDigits(b, 1<<bits-1)
}

func parseUintDigits(b []byte, limit uint64) (uint64, error) {
	if len(b) == 0 {
		return 0, strconv.ErrSyntax
	}
	var u uint64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, strconv.ErrSyntax
		}
		d := uint64(c - '0')
		if u > (limit-d)/10 {
			return 0, strconv.ErrRange
		}
		u = u*10 + d
	}
	return u, nil
}

func floatCodec(oid uint32, name string, bits int, goType reflect.Type) Codec {
	decBin := func(src []byte) (float64, error) {
		if len(src) != bits/8 {
			return 0, invalid(name, "binary length %d, want %d", len(src), bits/8)
		}
		if bits == 32 {
			return float64(math.Float32frombits(binary.BigEndian.Uint32(src))), nil
		}
		return math.Float64frombits(binary.BigEndian.Uint64(src)), nil
	}
	decText := func(src []byte) (float64, error) {
		f, err := strconv.ParseFloat(string(src), bits)
		if err != nil && !isRangeErr(err) {
			return 0, invalid(name, "text value %q", src)
		}
		return f, nil
	}
	natural := func(f float64) any {
		if bits == 32 {
			return float32(f)
		}
		return f
	}
	return &builtin{
		oid: oid, name: name, goType: goType,
		decodeBinary: func(src []byte, _ *Options) (any, error) {
			f, err := decBin(src)
			if err != nil {
				return nil, err
			}
			return natural(f), nil
		},
		decodeText: func(src []byte, _ *Options) (any, error) {
			f, err := decText(src)
			if err != nil {
				return nil, err
			}
			return natural(f), nil
		},
		encodeBinary: func(buf []byte, v any, _ *Options) ([]byte, bool, error) {
			f, ok, err := toFloat64(v, bits)
			if !ok || err != nil {
				return buf, ok, err
			}
			if bits == 32 {
				return binary.BigEndian.AppendUint32(buf, math.Float32bits(float32(f))), true, nil
			}
			return binary.BigEndian.AppendUint64(buf, math.Float64bits(f)), true, nil
		},
		appendText: func(buf []byte, v any, _ *Options) ([]byte, error) {
			if num, ok := v.(Numeric); ok {
				return append(buf, num.String()...), nil
			}
			f, ok, err := toFloat64(v, bits)
			if err != nil {
				return buf, err
			}
			if !ok {
				return buf, cantEncode(v, name)
			}
			return appendFloat(buf, f, bits), nil
		},
		fast: func(format int16, src []byte, dest any, _ *Options) (bool, error) {
			var f float64
			var err error
			switch dest.(type) {
			case *float64, *float32:
			default:
				return false, nil
			}
			if format == BinaryFormat {
				f, err = decBin(src)
			} else {
				f, err = decText(src)
			}
			if err != nil {
				return true, err
			}
			return true, setFloat(dest, f)
		},
	}
}

func isRangeErr(err error) bool {
	ne, ok := err.(*strconv.NumError)
	return ok && ne.Err == strconv.ErrRange
}

func setFloat(dest any, f float64) error {
	switch d := dest.(type) {
	case *float64:
		*d = f
	case *float32:
		if float64(float32(f)) != f && !math.IsNaN(f) {
			return overflow(strconv.FormatFloat(f, 'g', -1, 64))
		}
		*d = float32(f)
	default:
		return mismatch("")
	}
	return nil
}

// toFloat64 converts floats, and integers the float holds exactly.
func toFloat64(v any, bits int) (float64, bool, error) {
	switch f := v.(type) {
	case float64:
		if bits == 32 && float64(float32(f)) != f && !math.IsNaN(f) {
			return 0, true, overflow(strconv.FormatFloat(f, 'g', -1, 64))
		}
		return f, true, nil
	case float32:
		return float64(f), true, nil
	}
	n, ok, err := toInt64(v)
	if !ok || err != nil {
		return 0, ok, err
	}
	mant := int64(1) << 53
	if bits == 32 {
		mant = 1 << 24
	}
	if n > mant || n < -mant {
		return 0, true, overflowInt(n)
	}
	return float64(n), true, nil
}

// appendFloat writes f the way PostgreSQL 15 prints it with the default
// extra_float_digits=1: shortest round-trip digits, exponent form when the
// decimal exponent is below -4 or at least 15 (6 for float4).
func appendFloat(buf []byte, f float64, bits int) []byte {
	switch {
	case math.IsNaN(f):
		return append(buf, "NaN"...)
	case math.IsInf(f, 1):
		return append(buf, "Infinity"...)
	case math.IsInf(f, -1):
		return append(buf, "-Infinity"...)
	case f == 0:
		if math.Signbit(f) {
			return append(buf, "-0"...)
		}
		return append(buf, '0')
	}
	var tmp [40]byte
	e := strconv.AppendFloat(tmp[:0], f, 'e', -1, bits)
	i := len(e) - 1
	for e[i] != 'e' {
		i--
	}
	exp, _ := strconv.Atoi(string(e[i+1:]))
	maxExp := 15
	if bits == 32 {
		maxExp = 6
	}
	if exp < -4 || exp >= maxExp {
		return append(buf, e...)
	}
	return strconv.AppendFloat(buf, f, 'f', -1, bits)
}
