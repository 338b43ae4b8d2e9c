package codec

import (
	"encoding/binary"
	"math"
	"math/big"
	"reflect"
	"strconv"
	"strings"
)

// Numeric is an exact decimal of any precision and scale, or NaN, or
// ±Infinity: a PostgreSQL numeric. It keeps the value as the canonical text
// PostgreSQL prints ("-12.340": the scale is part of the value), so it
// round-trips exactly and converts to float64 only when asked. The zero
// value is 0. Numerics are comparable; 1.0 and 1.00 differ, as their text
// does.
type Numeric struct {
	s string // canonical text; "" means "0"
}

// Limits of PostgreSQL's numeric: digits before and after the point.
const (
	numericMaxIntDigits   = 131072
	numericMaxScale       = 0x3FFF
	numericSignPos        = 0x0000
	numericSignNeg        = 0x4000
	numericSignNaN        = 0xC000
	numericSignPosInf     = 0xD000
	numericSignNegInf     = 0xF000
	numericMaxExponentAbs = numericMaxIntDigits + numericMaxScale
)

// Special numerics.
var (
	NumericNaN    = Numeric{"NaN"}
	NumericPosInf = Numeric{"Infinity"}
	NumericNegInf = Numeric{"-Infinity"}
)

// ParseNumeric parses decimal text the way numeric input does: an optional
// sign, digits with an optional point, an optional exponent (which moves the
// point and lowers the scale, never below 0), or NaN / Infinity / -Infinity
// (any case, inf allowed).
func ParseNumeric(s string) (Numeric, error) {
	n, ok := parseNumeric(s)
	if !ok {
		return Numeric{}, invalid("numeric", "text value %q", s)
	}
	return n, nil
}

func parseNumeric(s string) (Numeric, bool) {
	t := strings.TrimSpace(s)
	switch strings.ToLower(t) {
	case "nan", "+nan", "-nan":
		return NumericNaN, true
	case "infinity", "+infinity", "inf", "+inf":
		return NumericPosInf, true
	case "-infinity", "-inf":
		return NumericNegInf, true
	}
	neg := false
	if t != "" && (t[0] == '+' || t[0] == '-') {
		neg = t[0] == '-'
		t = t[1:]
	}
	mant, exp := t, 0
	if i := strings.IndexAny(t, "eE"); i >= 0 {
		mant = t[:i]
		e, err := strconv.Atoi(t[i+1:])
		if err != nil || e > numericMaxExponentAbs || e < -numericMaxExponentAbs {
			return Numeric{}, false
		}
		exp = e
	}
	intPart, frac := mant, ""
	if i := strings.IndexByte(mant, '.'); i >= 0 {
		intPart, frac = mant[:i], mant[i+1:]
	}
	if intPart == "" && frac == "" || !allDigits(intPart) || !allDigits(frac) {
		return Numeric{}, false
	}
	scale := len(frac) - exp
	if scale < 0 {
		scale = 0
	}
	// Move the point exp places: digits holds every digit and point is
	// the count of them before the point.
	digits := intPart + frac
	point := len(intPart) + exp
	if point < 0 {
		digits = strings.Repeat("0", -point) + digits
		point = 0
	}
	if point > len(digits) {
		digits += strings.Repeat("0", point-len(digits))
	}
	ip, fp := strings.TrimLeft(digits[:point], "0"), digits[point:]
	if len(fp) > scale {
		fp = fp[:scale] // only zeros: scale >= len(frac)-exp covers every given digit
	} else if len(fp) < scale {
		fp += strings.Repeat("0", scale-len(fp))
	}
	if len(ip) > numericMaxIntDigits || scale > numericMaxScale {
		return Numeric{}, false
	}
	if ip == "" {
		ip = "0"
	}
	var b strings.Builder
	b.Grow(len(ip) + len(fp) + 2)
	if neg && (strings.Trim(ip, "0") != "" || strings.Trim(fp, "0") != "") {
		b.WriteByte('-')
	}
	b.WriteString(ip)
	if scale > 0 {
		b.WriteByte('.')
		b.WriteString(fp)
	}
	return Numeric{b.String()}, true
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// NumericFromInt64 returns n as a numeric of scale 0.
func NumericFromInt64(n int64) Numeric { return Numeric{strconv.FormatInt(n, 10)} }

// NumericFromBigInt returns n as a numeric of scale 0.
func NumericFromBigInt(n *big.Int) Numeric { return Numeric{n.String()} }

// NumericFromRat returns r rounded to scale digits after the point (halves
// away from zero).
func NumericFromRat(r *big.Rat, scale int) (Numeric, error) {
	if scale < 0 || scale > numericMaxScale {
		return Numeric{}, invalid("numeric", "scale %d", scale)
	}
	n, _ := parseNumeric(r.FloatString(scale))
	return n, nil
}

// NumericFromFloat64 returns the shortest decimal that reads back as f;
// NaN and the infinities map to their numeric counterparts.
func NumericFromFloat64(f float64) Numeric {
	switch {
	case math.IsNaN(f):
		return NumericNaN
	case math.IsInf(f, 1):
		return NumericPosInf
	case math.IsInf(f, -1):
		return NumericNegInf
	}
	n, _ := parseNumeric(strconv.FormatFloat(f, 'f', -1, 64))
	return n
}

// String returns the value as PostgreSQL prints it.
func (n Numeric) String() string {
	if n.s == "" {
		return "0"
	}
	return n.s
}

// IsNaN reports whether n is NaN.
func (n Numeric) IsNaN() bool { return n.s == "NaN" }

// IsInf reports whether n is +Infinity (sign > 0), -Infinity (sign < 0) or
// either (sign == 0), like math.IsInf.
func (n Numeric) IsInf(sign int) bool {
	return (sign >= 0 && n.s == "Infinity") || (sign <= 0 && n.s == "-Infinity")
}

func (n Numeric) finite() bool { return !n.IsNaN() && !n.IsInf(0) }

// Scale returns the number of digits after the point (0 for specials).
func (n Numeric) Scale() int {
	if i := strings.IndexByte(n.s, '.'); i >= 0 {
		return len(n.s) - i - 1
	}
	return 0
}

// Float64 converts to the nearest float64; values beyond its range give
// ±Inf and an ErrOverflow error.
func (n Numeric) Float64() (float64, error) {
	f, err := strconv.ParseFloat(n.String(), 64)
	if err != nil {
		return f, overflow(n.String())
	}
	return f, nil
}

// Int64 returns n if it is an integer within int64; a fraction with
// non-zero digits or a special value is an error, never truncated.
func (n Numeric) Int64() (int64, error) {
	if !n.finite() {
		return 0, overflow(n.String())
	}
	ip, ok := n.integerPart()
	if !ok {
		return 0, mismatch(n.String() + " is not an integer")
	}
	v, err := strconv.ParseInt(ip, 10, 64)
	if err != nil {
		return 0, overflow(n.String())
	}
	return v, nil
}

// integerPart returns the text before the point when every digit after it
// is zero.
func (n Numeric) integerPart() (string, bool) {
	s := n.String()
	if i := strings.IndexByte(s, '.'); i >= 0 {
		if strings.Trim(s[i+1:], "0") != "" {
			return "", false
		}
		s = s[:i]
	}
	if s == "-0" {
		s = "0"
	}
	return s, true
}

// BigInt returns n as an integer; a non-zero fraction or a special value is
// an error.
func (n Numeric) BigInt() (*big.Int, error) {
	if !n.finite() {
		return nil, overflow(n.String())
	}
	ip, ok := n.integerPart()
	if !ok {
		return nil, mismatch(n.String() + " is not an integer")
	}
	b, _ := new(big.Int).SetString(ip, 10)
	return b, nil
}

// Rat returns n as an exact rational; special values are an error.
func (n Numeric) Rat() (*big.Rat, error) {
	if !n.finite() {
		return nil, overflow(n.String())
	}
	r, _ := new(big.Rat).SetString(n.String())
	return r, nil
}

func decodeNumericBinary(src []byte) (Numeric, error) {
	if len(src) < 8 {
		return Numeric{}, invalid("numeric", "binary length %d", len(src))
	}
	nd := int(int16(binary.BigEndian.Uint16(src)))
	weight := int(int16(binary.BigEndian.Uint16(src[2:])))
	sign := binary.BigEndian.Uint16(src[4:])
	dscale := int(binary.BigEndian.Uint16(src[6:]))
	if nd < 0 || len(src) != 8+2*nd {
		return Numeric{}, invalid("numeric", "%d digits in %d bytes", nd, len(src))
	}
	switch sign {
	case numericSignNaN:
		return NumericNaN, nil
	case numericSignPosInf:
		return NumericPosInf, nil
	case numericSignNegInf:
		return NumericNegInf, nil
	case numericSignPos, numericSignNeg:
	default:
		return Numeric{}, invalid("numeric", "sign 0x%04x", sign)
	}
	if dscale > numericMaxScale {
		return Numeric{}, invalid("numeric", "scale %d", dscale)
	}
	digit := func(i int) int {
		if i < 0 || i >= nd {
			return 0
		}
		return int(binary.BigEndian.Uint16(src[8+2*i:]))
	}
	for i := range nd {
		if digit(i) > 9999 {
			return Numeric{}, invalid("numeric", "digit %d", digit(i))
		}
	}
	b := make([]byte, 0, 4*max(weight+1, 1)+dscale+2)
	b = append(b, '-')
	if weight < 0 || nd == 0 {
		b = append(b, '0')
	} else {
		for i := 0; i <= weight; i++ {
			b = appendDigit4(b, digit(i))
		}
		// Groups are zero-padded; the first may carry leading zeros.
		j := 1
		for j < len(b)-1 && b[j] == '0' {
			j++
		}
		b = append(b[:1], b[j:]...)
	}
	if dscale > 0 {
		b = append(b, '.')
		start := len(b)
		for i := weight + 1; len(b)-start < dscale; i++ {
			b = appendDigit4(b, digit(i))
		}
		b = b[:start+dscale]
	}
	if sign == numericSignPos || strings.Trim(string(b[1:]), "0.") == "" {
		b = b[1:]
	}
	return Numeric{string(b)}, nil
}

func appendDigit4(b []byte, d int) []byte {
	return append(b, byte('0'+d/1000), byte('0'+d/100%10), byte('0'+d/10%10), byte('0'+d%10))
}

// appendNumericBinary writes n in the base-10000 wire form.
func appendNumericBinary(buf []byte, n Numeric) ([]byte, error) {
	s := n.String()
	var sign uint16
	switch s {
	case "NaN":
		return binary.BigEndian.AppendUint64(buf, uint64(numericSignNaN)<<16), nil
	case "Infinity":
		return binary.BigEndian.AppendUint64(buf, uint64(numericSignPosInf)<<16), nil
	case "-Infinity":
		return binary.BigEndian.AppendUint64(buf, uint64(numericSignNegInf)<<16), nil
	}
	if s[0] == '-' {
		sign = numericSignNeg
		s = s[1:]
	}
	ip, fp := s, ""
	if i := strings.IndexByte(s, '.'); i >= 0 {
		ip, fp = s[:i], s[i+1:]
	}
	dscale := len(fp)
	// Pad both parts to whole base-10000 digits.
	lead := (4 - len(ip)%4) % 4
	trail := (4 - len(fp)%4) % 4
	all := strings.Repeat("0", lead) + ip + fp + strings.Repeat("0", trail)
	weight := (lead+len(ip))/4 - 1
	groups := make([]uint16, 0, len(all)/4)
	for i := 0; i < len(all); i += 4 {
		g, _ := strconv.Atoi(all[i : i+4])
		groups = append(groups, uint16(g))
	}
	for len(groups) > 0 && groups[0] == 0 {
		groups = groups[1:]
		weight--
	}
	for len(groups) > 0 && groups[len(groups)-1] == 0 {
		groups = groups[:len(groups)-1]
	}
	if len(groups) == 0 {
		weight, sign = 0, numericSignPos
	}
	if len(groups) > math.MaxInt16 || weight > math.MaxInt16 || weight < math.MinInt16 {
		return buf, overflow("numeric with " + strconv.Itoa(len(groups)) + " base-10000 digits")
	}
	buf = binary.BigEndian.AppendUint16(buf, uint16(len(groups)))
	buf = binary.BigEndian.AppendUint16(buf, uint16(int16(weight)))
	buf = binary.BigEndian.AppendUint16(buf, sign)
	buf = binary.BigEndian.AppendUint16(buf, uint16(dscale))
	for _, g := range groups {
		buf = binary.BigEndian.AppendUint16(buf, g)
	}
	return buf, nil
}

// toNumeric converts the Go values a numeric parameter accepts.
func toNumeric(v any) (Numeric, bool, error) {
	switch x := v.(type) {
	case Numeric:
		return x, true, nil
	case float64:
		return NumericFromFloat64(x), true, nil
	case float32:
		return NumericFromFloat64(float64(x)), true, nil
	case *big.Int:
		return NumericFromBigInt(x), true, nil
	case big.Int:
		return NumericFromBigInt(&x), true, nil
	case uint64:
		return Numeric{strconv.FormatUint(x, 10)}, true, nil
	case uint:
		return Numeric{strconv.FormatUint(uint64(x), 10)}, true, nil
	}
	n, ok, err := toInt64(v)
	if !ok || err != nil {
		return Numeric{}, ok, err
	}
	return NumericFromInt64(n), true, nil
}

func numericCodec() Codec {
	return &builtin{
		oid: OIDNumeric, name: "numeric", goType: reflect.TypeFor[Numeric](),
		decodeBinary: func(src []byte, _ *Options) (any, error) {
			n, err := decodeNumericBinary(src)
			if err != nil {
				return nil, err
			}
			return n, nil
		},
		decodeText: func(src []byte, _ *Options) (any, error) {
			n, ok := parseNumeric(string(src))
			if !ok {
				return nil, invalid("numeric", "text value %q", src)
			}
			return n, nil
		},
		encodeBinary: func(buf []byte, v any, _ *Options) ([]byte, bool, error) {
			n, ok, err := toNumeric(v)
			if !ok || err != nil {
				return buf, ok, err
			}
			out, err := appendNumericBinary(buf, n)
			return out, err == nil, err
		},
		appendText: func(buf []byte, v any, _ *Options) ([]byte, error) {
			n, ok, err := toNumeric(v)
			if err != nil {
				return buf, err
			}
			if !ok {
				return buf, cantEncode(v, "numeric")
			}
			return append(buf, n.String()...), nil
		},
	}
}
