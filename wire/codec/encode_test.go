package codec_test

import (
	"bytes"
	"database/sql"
	"database/sql/driver"
	"encoding/json"
	"errors"
	"math"
	"math/big"
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/pgactor/pgactor/wire/codec"
)

type status string // named string, declared as nothing special

// money encodes itself as numeric text.
type money struct{ cents int64 }

func (m money) EncodePG(buf []byte, _ uint32, _ *codec.Options) ([]byte, int16, bool, error) {
	n, err := codec.NumericFromRat(big.NewRat(m.cents, 100), 2)
	if err != nil {
		return buf, 0, false, err
	}
	return append(buf, n.String()...), codec.TextFormat, false, nil
}

func (money) PGParamOID() uint32 { return codec.OIDNumeric }

// valuer is a driver.Valuer returning a string.
type valuer struct{ s string }

func (v valuer) Value() (driver.Value, error) { return v.s, nil }

func TestParamOID(t *testing.T) {
	r := codec.NewRegistry()
	i := int64(3)
	var nilPtr *int64
	tests := []struct {
		v    any
		want uint32
	}{
		{true, codec.OIDBool},
		{int8(1), codec.OIDInt2},
		{int16(1), codec.OIDInt2},
		{uint8(1), codec.OIDInt2},
		{int32(1), codec.OIDInt4},
		{uint16(1), codec.OIDInt4},
		{1, codec.OIDInt8},
		{int64(1), codec.OIDInt8},
		{uint32(1), codec.OIDInt8},
		{uint64(1), codec.OIDInt8},
		{uint64(math.MaxUint64), codec.OIDNumeric},
		{myInt(1), codec.OIDInt4},
		{float32(1), codec.OIDFloat4},
		{1.5, codec.OIDFloat8},
		{"s", 0},
		{status("s"), 0},
		{[]byte{1}, codec.OIDBytea},
		{json.RawMessage(`{}`), 0},
		{time.Now(), codec.OIDTimestamptz},
		{codec.Infinity, codec.OIDTimestamptz},
		{time.Second, codec.OIDInterval},
		{codec.Interval{Days: 1}, codec.OIDInterval},
		{codec.Time{}, codec.OIDTime},
		{codec.TimeTZ{}, codec.OIDTimetz},
		{codec.UUID{}, codec.OIDUUID},
		{[16]byte{}, codec.OIDUUID},
		{codec.NumericFromInt64(1), codec.OIDNumeric},
		{big.NewInt(1), codec.OIDNumeric},
		{netip.MustParseAddr("::1"), codec.OIDInet},
		{netip.MustParsePrefix("10.0.0.0/8"), codec.OIDInet},
		{net.HardwareAddr{1, 2, 3, 4, 5, 6}, codec.OIDMacaddr},
		{net.HardwareAddr{1, 2, 3, 4, 5, 6, 7, 8}, codec.OIDMacaddr8},
		{codec.BitString{}, codec.OIDVarbit},
		{[]int64{1}, codec.OIDInt8Array},
		{[][]int32{{1}}, codec.OIDInt4Array},
		{[]*int64{nil, &i}, codec.OIDInt8Array},
		{[]float64{}, codec.OIDFloat8Array},
		{[]string{"a"}, 0},
		{[]any{}, 0},
		{[]any{nil, int16(1)}, codec.OIDInt2Array},
		{[]time.Time{{}}, codec.OIDTimestamptzArray},
		{[]codec.UUID{{}}, codec.OIDUUIDArray},
		{codec.Range{Lower: int32(1), Upper: int32(2)}, codec.OIDInt4range},
		{codec.Range{Lower: int64(1), UpperUnbounded: true}, codec.OIDInt8range},
		{codec.Range{Empty: true}, 0},
		{&i, codec.OIDInt8},
		{nilPtr, 0},
		{nil, 0},
		{valuer{"x"}, 0},
		{money{1}, codec.OIDNumeric},
		{sql.NullInt64{Int64: 1, Valid: true}, codec.OIDInt8},
		{struct{}{}, 0},
	}
	for _, tc := range tests {
		if got := r.ParamOID(tc.v); got != tc.want {
			t.Errorf("ParamOID(%T %v) = %d, want %d", tc.v, tc.v, got, tc.want)
		}
	}
}

func TestAppendParam(t *testing.T) {
	r := codec.NewRegistry()
	var nilPtr *int64
	five := int64(5)
	tests := []struct {
		name   string
		oid    uint32
		v      any
		want   []byte
		format int16
		null   bool
		err    error
	}{
		{"nil", 0, nil, nil, codec.TextFormat, true, nil},
		{"nil pointer", codec.OIDInt8, nilPtr, nil, codec.TextFormat, true, nil},
		{"pointer", codec.OIDInt8, &five, be64(5), codec.BinaryFormat, false, nil},
		// Scan stores a NULL array as a nil slice; it must go back as NULL.
		{"nil slice", codec.OIDInt4Array, []int32(nil), nil, codec.TextFormat, true, nil},
		{"nil slice undeclared", 0, []string(nil), nil, codec.TextFormat, true, nil},
		{"nil []any", codec.OIDTextArray, []any(nil), nil, codec.TextFormat, true, nil},
		{"nil nested slice", codec.OIDInt4Array, [][]int32(nil), nil, codec.TextFormat, true, nil},
		{"empty slice", codec.OIDInt4Array, []int32{}, []byte{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 23}, codec.BinaryFormat, false, nil},
		// "char": charrecv needs one byte, the zero byte for "".
		{`"char" empty`, codec.OIDChar, "", []byte{0}, codec.BinaryFormat, false, nil},
		{`"char" high byte`, codec.OIDChar, "\xc3", []byte{0xc3}, codec.BinaryFormat, false, nil},
		{`"char" escape as text`, codec.OIDChar, `\303`, []byte(`\303`), codec.TextFormat, false, nil},
		{`"char" array`, codec.OIDCharArray, []string{"", "\xc3"}, mustHex(t, "0000000100000000000000120000000200000001000000010000000001c3"), codec.BinaryFormat, false, nil},
		{"null Valuer", codec.OIDInt8, sql.NullInt64{}, nil, codec.TextFormat, true, nil},
		{"Valuer", codec.OIDInt8, sql.NullInt64{Int64: 2, Valid: true}, be64(2), codec.BinaryFormat, false, nil},
		{"int into int2", codec.OIDInt2, 7, be16(7), codec.BinaryFormat, false, nil},
		{"int into int2 overflow", codec.OIDInt2, 70000, nil, 0, false, codec.ErrOverflow},
		{"uint64 into int8 overflow", codec.OIDInt8, uint64(math.MaxUint64), nil, 0, false, codec.ErrOverflow},
		{"uint64 huge undeclared", 0, uint64(math.MaxUint64), []byte{0, 5, 0, 4, 0, 0, 0, 0, 0x07, 0x34, 0x1a, 0x58, 0x02, 0xe1, 0x03, 0xbb, 0x06, 0x4f}, codec.BinaryFormat, false, nil},
		{"int into oid", codec.OIDOID, 7, be32(7), codec.BinaryFormat, false, nil},
		{"negative into oid", codec.OIDOID, -1, nil, 0, false, codec.ErrOverflow},
		{"string into int8 passes text", codec.OIDInt8, "12", []byte("12"), codec.TextFormat, false, nil},
		{"float into int8", codec.OIDInt8, 1.5, nil, 0, false, codec.ErrMismatch},
		{"int into float8", codec.OIDFloat8, 3, f64(3), codec.BinaryFormat, false, nil},
		{"huge int into float8", codec.OIDFloat8, int64(1<<60 + 1), nil, 0, false, codec.ErrOverflow},
		{"float64 into float4 inexact", codec.OIDFloat4, 0.1, nil, 0, false, codec.ErrOverflow},
		{"float into numeric", codec.OIDNumeric, 0.25, []byte{0, 1, 0xff, 0xff, 0, 0, 0, 2, 0x09, 0xc4}, codec.BinaryFormat, false, nil},
		{"named string", codec.OIDText, status("on"), []byte("on"), codec.BinaryFormat, false, nil},
		{"string undeclared", 0, "x", []byte("x"), codec.TextFormat, false, nil},
		{"string into unknown OID", 99999, "x", []byte("x"), codec.TextFormat, false, nil},
		{"int into unknown OID is text", 99999, 42, []byte("42"), codec.TextFormat, false, nil},
		{"bytes into bytea", codec.OIDBytea, []byte{0, 1}, []byte{0, 1}, codec.BinaryFormat, false, nil},
		{"bytes into jsonb are json text", codec.OIDJSONB, []byte(`{"a":1}`), []byte(`{"a":1}`), codec.TextFormat, false, nil},
		{"map into jsonb is marshalled", codec.OIDJSONB, map[string]int{"a": 1}, []byte(`{"a":1}`), codec.TextFormat, false, nil},
		{"Encoder", 0, money{1234}, []byte("12.34"), codec.TextFormat, false, nil},
		{"time into date", codec.OIDDate, time.Date(2000, 1, 3, 23, 0, 0, 0, time.FixedZone("x", -3600)), be32(2), codec.BinaryFormat, false, nil},
		{"time into timestamp keeps wall clock", codec.OIDTimestamp, time.Date(2000, 1, 1, 1, 0, 0, 0, time.FixedZone("x", 3600)), be64(3600e6), codec.BinaryFormat, false, nil},
		{"time into timestamptz is the instant", codec.OIDTimestamptz, time.Date(2000, 1, 1, 1, 0, 0, 0, time.FixedZone("x", 3600)), be64(0), codec.BinaryFormat, false, nil},
		{"infinity into date", codec.OIDDate, codec.Infinity, be32(math.MaxInt32), codec.BinaryFormat, false, nil},
		{"duration into interval", codec.OIDInterval, 90 * time.Minute, append(be64(5400e6), 0, 0, 0, 0, 0, 0, 0, 0), codec.BinaryFormat, false, nil},
		{"duration into time", codec.OIDTime, 90 * time.Minute, be64(5400e6), codec.BinaryFormat, false, nil},
		{"duration over a day into time", codec.OIDTime, 25 * time.Hour, nil, 0, false, codec.ErrOverflow},
		{"string slice undeclared", 0, []string{"a", "b c", "", "NULL"}, []byte(`{a,"b c","","NULL"}`), codec.TextFormat, false, nil},
		{"any slice with nil", 0, []any{nil, "x"}, []byte(`{NULL,x}`), codec.TextFormat, false, nil},
		{"ragged slice", codec.OIDInt4Array, [][]int32{{1}, {2, 3}}, nil, 0, false, codec.ErrMismatch},
		{"int slice into text[] declared", codec.OIDTextArray, []int{1, 2}, []byte(`{1,2}`), codec.TextFormat, false, nil},
		{"bad element into int4[]", codec.OIDInt4Array, []float64{1}, nil, 0, false, codec.ErrMismatch},
		{"struct undeclared", 0, struct{ A int }{}, nil, 0, false, codec.ErrMismatch},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, format, null, err := r.AppendParam([]byte("prefix"), tc.oid, tc.v, nil)
			if tc.err != nil {
				var ee *codec.EncodeError
				if !errors.As(err, &ee) || !errors.Is(err, tc.err) {
					t.Fatalf("err = %v, want an EncodeError wrapping %v", err, tc.err)
				}
				if string(got) != "prefix" {
					t.Errorf("failed encode left %q in the buffer", got)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.HasPrefix(got, []byte("prefix")) {
				t.Fatalf("buffer prefix lost: %q", got)
			}
			got = got[len("prefix"):]
			if null != tc.null || format != tc.format || !bytes.Equal(got, tc.want) {
				t.Errorf("got %x format %d null %v, want %x format %d null %v", got, format, null, tc.want, tc.format, tc.null)
			}
		})
	}
}

func TestEncodeErrorMessage(t *testing.T) {
	_, _, _, err := codec.NewRegistry().AppendParam(nil, codec.OIDInt2, 70000, nil)
	if got, want := err.Error(), "cannot encode int as int2 (overflow: 70000 does not fit)"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

// TestRoundTrip encodes Go values as ParamOID chooses and decodes them
// back to their natural values.
func TestRoundTrip(t *testing.T) {
	r := codec.NewRegistry()
	loc := berlin(t)
	opts := &codec.Options{Location: loc}
	n := func(s string) codec.Numeric {
		v, err := codec.ParseNumeric(s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	tests := []struct {
		in, want any
		oid      uint32 // 0: as ParamOID picks
	}{
		{true, true, 0},
		{int64(math.MinInt64), int64(math.MinInt64), 0},
		{int16(-3), int16(-3), 0},
		{math.Inf(-1), math.Inf(-1), 0},
		{float32(2.5), float32(2.5), 0},
		{n("-0.000001"), n("-0.000001"), 0},
		{n("123456789012345678901234567890.123456789"), n("123456789012345678901234567890.123456789"), 0},
		{n("1e300"), n("1" + string(bytes.Repeat([]byte("0"), 300))), 0},
		{codec.NumericNaN, codec.NumericNaN, 0},
		{codec.NumericPosInf, codec.NumericPosInf, 0},
		{[]byte{}, []byte{}, 0},
		{time.Date(2024, 2, 29, 12, 0, 0, 123456000, time.UTC), time.Date(2024, 2, 29, 13, 0, 0, 123456000, loc), 0},
		{time.Date(-300, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(-300, 1, 1, 0, 0, 0, 0, time.UTC).In(loc), 0},
		{time.Date(2000, 1, 1, 0, 0, 0, 999, time.UTC), time.Date(2000, 1, 1, 1, 0, 0, 1000, loc), 0},
		{codec.NegativeInfinity, codec.NegativeInfinity, 0},
		{time.Date(1999, 12, 31, 0, 0, 0, 0, time.UTC), time.Date(1999, 12, 31, 0, 0, 0, 0, time.UTC), codec.OIDDate},
		{time.Date(1999, 12, 31, 23, 1, 2, 0, time.UTC), time.Date(1999, 12, 31, 23, 1, 2, 0, time.UTC), codec.OIDTimestamp},
		{-36 * time.Hour, codec.Interval{Microseconds: -36 * 3600e6}, 0},
		{codec.Interval{Months: -1, Days: 2, Microseconds: 3}, codec.Interval{Months: -1, Days: 2, Microseconds: 3}, 0},
		{codec.TimeTZ{Microseconds: 1, Offset: -3600}, codec.TimeTZ{Microseconds: 1, Offset: -3600}, 0},
		{codec.UUID{1, 2, 3}, codec.UUID{1, 2, 3}, 0},
		{json.RawMessage(`[1]`), json.RawMessage(`[1]`), codec.OIDJSONB},
		{netip.MustParseAddr("2001:db8::1"), netip.MustParsePrefix("2001:db8::1/128"), 0},
		{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("10.0.0.0/8"), codec.OIDCidr},
		{net.ParseIP("1.2.3.4"), netip.MustParsePrefix("1.2.3.4/32"), 0},
		{net.HardwareAddr{1, 2, 3, 4, 5, 6, 7, 8}, net.HardwareAddr{1, 2, 3, 4, 5, 6, 7, 8}, 0},
		{codec.BitString{Bytes: []byte{0xa0}, Len: 3}, codec.BitString{Bytes: []byte{0xa0}, Len: 3}, 0},
		{[]int32{1, 2}, []any{int32(1), int32(2)}, 0},
		{[]*string{nil}, []any{nil}, codec.OIDTextArray},
		{"", "", codec.OIDChar},
		{"\x00", "", codec.OIDChar},
		{"\xff", "\xff", codec.OIDChar},
		{[]any{"", "\x80", nil}, []any{"", "\x80", nil}, codec.OIDCharArray},
		{[]string{"a,b", `"`, `\`, " x "}, []any{"a,b", `"`, `\`, " x "}, codec.OIDTextArray},
		{[][]string{{"a"}, {"b"}}, codec.Array{Dims: []codec.ArrayDimension{{Length: 2, LowerBound: 1}, {Length: 1, LowerBound: 1}}, Elements: []any{"a", "b"}}, codec.OIDVarcharArray},
		{[]int32{}, []any{}, 0},
		{[][]int32{{}, {}}, []any{}, 0},
		{codec.Array{Dims: []codec.ArrayDimension{{Length: 2, LowerBound: -5}}, Elements: []any{int64(1), nil}}, codec.Array{Dims: []codec.ArrayDimension{{Length: 2, LowerBound: -5}}, Elements: []any{int64(1), nil}}, codec.OIDInt8Array},
		{[]codec.Numeric{n("1.5")}, []any{n("1.5")}, 0},
		{[]json.RawMessage{json.RawMessage(`{"a":"b,c"}`)}, []any{json.RawMessage(`{"a":"b,c"}`)}, codec.OIDJSONArray},
		{codec.Range{Lower: int32(1), Upper: int32(9), LowerInclusive: true}, codec.Range{Lower: int32(1), Upper: int32(9), LowerInclusive: true}, 0},
		{codec.Range{Lower: time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC), UpperUnbounded: true}, codec.Range{Lower: time.Date(2000, 1, 1, 1, 0, 0, 0, loc), UpperUnbounded: true}, 0},
		{codec.Range{Empty: true}, codec.Range{Empty: true}, codec.OIDDaterange},
		{[]codec.Range{{Lower: int64(1), Upper: int64(2)}}, []any{codec.Range{Lower: int64(1), Upper: int64(2)}}, codec.OIDInt8rangeArray},
	}
	for _, tc := range tests {
		oid := tc.oid
		if oid == 0 {
			oid = r.ParamOID(tc.in)
		}
		if oid == 0 {
			t.Errorf("%#v: no OID", tc.in)
			continue
		}
		b, format, null, err := r.AppendParam(nil, oid, tc.in, opts)
		if err != nil || null {
			t.Errorf("%#v: encode: null=%v %v", tc.in, null, err)
			continue
		}
		if b == nil {
			b = []byte{} // an empty value, not NULL (null said so)
		}
		got, err := r.DecodeValue(oid, format, b, opts)
		if err != nil {
			t.Errorf("%#v: decode %x: %v", tc.in, b, err)
			continue
		}
		if !sameValue(got, tc.want) {
			t.Errorf("%#v round-tripped (format %d) to %#v, want %#v", tc.in, format, got, tc.want)
		}
		// The text form must read back to the same value too.
		c, _ := r.Lookup(oid)
		text, err := c.AppendText(nil, tc.in, opts)
		if err != nil {
			t.Errorf("%#v: AppendText: %v", tc.in, err)
			continue
		}
		if text == nil {
			text = []byte{} // empty text (the "char" zero byte), not NULL
		}
		got, err = r.DecodeValue(oid, codec.TextFormat, text, opts)
		if err != nil || !sameValue(got, tc.want) {
			t.Errorf("%#v: text %q decoded to %#v (%v), want %#v", tc.in, text, got, err, tc.want)
		}
	}
}

// TestRegistryUserType registers a codec for a Go type and checks that
// parameters of that type find it.
func TestRegistryUserType(t *testing.T) {
	r := codec.NewRegistry()
	r.Register(citext{})
	if got := r.ParamOID(ci("Hello")); got != 500001 {
		t.Errorf("ParamOID = %d", got)
	}
	b, format, _, err := r.AppendParam(nil, 0, ci("Hello"), nil)
	if err != nil || string(b) != "Hello" || format != codec.TextFormat {
		t.Errorf("AppendParam = %q %d %v", b, format, err)
	}
	if c, ok := r.LookupType(typeOfCI); !ok || c.OID() != 500001 {
		t.Errorf("LookupType = %v %v", c, ok)
	}
	if a, b := codec.Default(), codec.Default(); a != b {
		t.Error("Default is not shared")
	}
	if _, ok := codec.Default().Lookup(500001); ok {
		t.Error("registering on one registry leaked into Default")
	}
}

// TestArrayFastPathMatchesGeneral compares the typed-slice encoder with
// the general one (fed the same elements as []any).
func TestArrayFastPathMatchesGeneral(t *testing.T) {
	r := codec.NewRegistry()
	tests := []struct {
		oid   uint32
		typed any
		boxed []any
	}{
		{codec.OIDInt8Array, []int64{1, -1, math.MaxInt64}, []any{int64(1), int64(-1), int64(math.MaxInt64)}},
		{codec.OIDInt4Array, []int32{7}, []any{int32(7)}},
		{codec.OIDInt2Array, []int16{-7, 8}, []any{int16(-7), int16(8)}},
		{codec.OIDFloat8Array, []float64{math.NaN(), 0.5}, []any{math.NaN(), 0.5}},
		{codec.OIDFloat4Array, []float32{1.5}, []any{float32(1.5)}},
		{codec.OIDBoolArray, []bool{true, false}, []any{true, false}},
		{codec.OIDTextArray, []string{"a", "", "b c"}, []any{"a", "", "b c"}},
		{codec.OIDVarcharArray, []string{"x"}, []any{"x"}},
		{codec.OIDInt4Array, []int32{}, []any{}},
	}
	for _, tc := range tests {
		fast, f1, _, err1 := r.AppendParam(nil, tc.oid, tc.typed, nil)
		slow, f2, _, err2 := r.AppendParam(nil, tc.oid, tc.boxed, nil)
		if err1 != nil || err2 != nil || f1 != codec.BinaryFormat || f2 != codec.BinaryFormat || !bytes.Equal(fast, slow) {
			t.Errorf("%T: fast %x (%v), general %x (%v)", tc.typed, fast, err1, slow, err2)
		}
	}
}

func TestAppendText(t *testing.T) {
	r := codec.Default()
	cases := []struct {
		oid  uint32
		v    any
		want string
		null bool
	}{
		{codec.OIDInt8, int64(42), "42", false},
		{0, int64(-7), "-7", false},
		{codec.OIDText, "tab\there", "tab\there", false},
		{codec.OIDBytea, []byte{1, 2}, `\x0102`, false},
		{codec.OIDInt4Array, []int32{1, 2}, "{1,2}", false},
		{codec.OIDInt8, nil, "", true},
		{codec.OIDInt8, (*int64)(nil), "", true},
	}
	for _, tc := range cases {
		out, null, err := r.AppendText(nil, tc.oid, tc.v, nil)
		if err != nil || null != tc.null || string(out) != tc.want {
			t.Errorf("%d %#v: %q null=%v err=%v", tc.oid, tc.v, out, null, err)
		}
	}
	if _, _, err := r.AppendText(nil, codec.OIDInt2, int64(1<<40), nil); err == nil {
		t.Error("out-of-range int2 accepted")
	}
}
