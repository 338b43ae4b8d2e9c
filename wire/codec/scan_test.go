package codec_test

import (
	"database/sql"
	"encoding/binary"
	"errors"
	"math"
	"math/big"
	"net"
	"net/netip"
	"reflect"
	"strconv"
	"testing"
	"time"

	"github.com/pgactor/pgactor/wire/codec"
)

func be64(v int64) []byte  { return binary.BigEndian.AppendUint64(nil, uint64(v)) }
func be32(v int32) []byte  { return binary.BigEndian.AppendUint32(nil, uint32(v)) }
func be16(v int16) []byte  { return binary.BigEndian.AppendUint16(nil, uint16(v)) }
func f64(v float64) []byte { return binary.BigEndian.AppendUint64(nil, math.Float64bits(v)) }

// encodeOrFail encodes v for oid with a fresh registry.
func encodeOrFail(t *testing.T, oid uint32, v any) ([]byte, int16) {
	t.Helper()
	b, format, null, err := codec.NewRegistry().AppendParam(nil, oid, v, nil)
	if err != nil || null {
		t.Fatalf("AppendParam(%d, %#v): null=%v err=%v", oid, v, null, err)
	}
	return b, format
}

type myInt int32
type myString string

// point decodes itself from text "x,y".
type point struct{ x, y int }

func (p *point) DecodePG(_ uint32, _ int16, src []byte, _ *codec.Options) error {
	if src == nil {
		*p = point{-1, -1}
		return nil
	}
	for i, c := range src {
		if c == ',' {
			x, err1 := strconv.Atoi(string(src[:i]))
			y, err2 := strconv.Atoi(string(src[i+1:]))
			if err1 != nil || err2 != nil {
				return errors.New("bad point")
			}
			*p = point{x, y}
			return nil
		}
	}
	return errors.New("bad point")
}

func TestScanConversions(t *testing.T) {
	r := codec.NewRegistry()
	num := func(s string) []byte {
		n, err := codec.ParseNumeric(s)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := encodeOrFail(t, codec.OIDNumeric, n)
		return b
	}
	arr, _ := encodeOrFail(t, codec.OIDInt8Array, []any{int64(1), nil, int64(3)})
	arr2d, _ := encodeOrFail(t, codec.OIDInt4Array, [][]int32{{1, 2}, {3, 4}})
	arrBig, _ := encodeOrFail(t, codec.OIDInt8Array, []int64{1, 1 << 40})
	textArr, _ := encodeOrFail(t, codec.OIDTextArray, []string{"a", ""})
	ptrInt := func(v int64) *int64 { return &v }
	tests := []struct {
		name   string
		oid    uint32
		format int16
		src    []byte
		dest   any   // pointer to a fresh destination
		want   any   // what *dest holds afterwards
		err    error // wrapped cause, nil for success
	}{
		{"int8 into int64", codec.OIDInt8, codec.BinaryFormat, be64(-5), new(int64), int64(-5), nil},
		{"int8 into int16 fits", codec.OIDInt8, codec.BinaryFormat, be64(300), new(int16), int16(300), nil},
		{"int8 into int16 overflow", codec.OIDInt8, codec.BinaryFormat, be64(70000), new(int16), nil, codec.ErrOverflow},
		{"int8 negative into uint32", codec.OIDInt8, codec.BinaryFormat, be64(-1), new(uint32), nil, codec.ErrOverflow},
		{"int4 into uint8", codec.OIDInt4, codec.BinaryFormat, be32(255), new(uint8), uint8(255), nil},
		{"int2 into named int", codec.OIDInt2, codec.BinaryFormat, be16(7), new(myInt), myInt(7), nil},
		{"int8 text into int", codec.OIDInt8, codec.TextFormat, []byte("-42"), new(int), -42, nil},
		{"int8 huge into float64", codec.OIDInt8, codec.BinaryFormat, be64(1<<60 + 1), new(float64), nil, codec.ErrOverflow},
		{"int4 into float64", codec.OIDInt4, codec.BinaryFormat, be32(12), new(float64), 12.0, nil},
		{"float8 into int64", codec.OIDFloat8, codec.BinaryFormat, f64(1), new(int64), nil, codec.ErrMismatch},
		{"float8 into float32 exact", codec.OIDFloat8, codec.BinaryFormat, f64(0.5), new(float32), float32(0.5), nil},
		{"float8 into float32 inexact", codec.OIDFloat8, codec.BinaryFormat, f64(0.1), new(float32), nil, codec.ErrOverflow},
		{"text into int64", codec.OIDText, codec.TextFormat, []byte("12"), new(int64), nil, codec.ErrMismatch},
		{"text into named string", codec.OIDText, codec.BinaryFormat, []byte("hi"), new(myString), myString("hi"), nil},
		{"int8 into string", codec.OIDInt8, codec.BinaryFormat, be64(99), new(string), "99", nil},
		{"bool into string", codec.OIDBool, codec.BinaryFormat, []byte{1}, new(string), "t", nil},
		{"numeric into int64", codec.OIDNumeric, codec.BinaryFormat, num("12.000"), new(int64), int64(12), nil},
		{"numeric fraction into int64", codec.OIDNumeric, codec.BinaryFormat, num("12.5"), new(int64), nil, codec.ErrMismatch},
		{"numeric into int8 overflow", codec.OIDNumeric, codec.BinaryFormat, num("300"), new(int8), nil, codec.ErrOverflow},
		{"numeric into float64", codec.OIDNumeric, codec.BinaryFormat, num("-2.25"), new(float64), -2.25, nil},
		{"numeric into string", codec.OIDNumeric, codec.BinaryFormat, num("1.50"), new(string), "1.50", nil},
		{"numeric into big.Rat", codec.OIDNumeric, codec.BinaryFormat, num("0.125"), new(big.Rat), *big.NewRat(1, 8), nil},
		{"numeric NaN into big.Int", codec.OIDNumeric, codec.BinaryFormat, num("NaN"), new(big.Int), nil, codec.ErrOverflow},
		{"int8 into Numeric", codec.OIDInt8, codec.BinaryFormat, be64(5), new(codec.Numeric), codec.NumericFromInt64(5), nil},
		{"timestamptz infinity into time", codec.OIDTimestamptz, codec.BinaryFormat, be64(math.MaxInt64), new(time.Time), nil, codec.ErrOverflow},
		{"timestamptz infinity into Timestamp", codec.OIDTimestamptz, codec.BinaryFormat, be64(math.MaxInt64), new(codec.Timestamp), codec.Timestamp{InfinityModifier: codec.Infinity}, nil},
		{"date into Timestamp", codec.OIDDate, codec.BinaryFormat, be32(1), new(codec.Timestamp), codec.Timestamp{Time: time.Date(2000, 1, 2, 0, 0, 0, 0, time.UTC)}, nil},
		{"timestamptz into string", codec.OIDTimestamptz, codec.BinaryFormat, be64(0), new(string), "2000-01-01 00:00:00+00", nil},
		{"interval into duration", codec.OIDInterval, codec.TextFormat, []byte("1 day 01:00:00"), new(time.Duration), 25 * time.Hour, nil},
		{"interval with months into duration", codec.OIDInterval, codec.TextFormat, []byte("1 mon"), new(time.Duration), nil, codec.ErrMismatch},
		{"time into duration", codec.OIDTime, codec.TextFormat, []byte("01:00:00.5"), new(time.Duration), time.Hour + 500*time.Millisecond, nil},
		{"inet host into Addr", codec.OIDInet, codec.TextFormat, []byte("10.1.2.3"), new(netip.Addr), netip.MustParseAddr("10.1.2.3"), nil},
		{"inet network into Addr", codec.OIDInet, codec.TextFormat, []byte("10.1.2.3/8"), new(netip.Addr), nil, codec.ErrMismatch},
		{"cidr into IPNet", codec.OIDCidr, codec.TextFormat, []byte("10.0.0.0/8"), new(net.IPNet), net.IPNet{IP: net.IP{10, 0, 0, 0}, Mask: net.CIDRMask(8, 32)}, nil},
		{"uuid into [16]byte", codec.OIDUUID, codec.BinaryFormat, make([]byte, 16), new([16]byte), [16]byte{}, nil},
		{"jsonb into []byte", codec.OIDJSONB, codec.BinaryFormat, []byte("\x01[1]"), new([]byte), []byte("[1]"), nil},
		{"bytea into string is its text form", codec.OIDBytea, codec.BinaryFormat, []byte{1, 0xab}, new(string), `\x01ab`, nil},
		{"int8[] into []*int64", codec.OIDInt8Array, codec.BinaryFormat, arr, new([]*int64), []*int64{ptrInt(1), nil, ptrInt(3)}, nil},
		{"int8[] into []sql.NullInt64", codec.OIDInt8Array, codec.BinaryFormat, arr, new([]sql.NullInt64), []sql.NullInt64{{Int64: 1, Valid: true}, {}, {Int64: 3, Valid: true}}, nil},
		{"int8[] with NULL into []int64", codec.OIDInt8Array, codec.BinaryFormat, arr, new([]int64), nil, codec.ErrNull},
		{"int8[] into []int16 overflow", codec.OIDInt8Array, codec.BinaryFormat, arrBig, new([]int16), nil, codec.ErrOverflow},
		{"int8[] into []int32", codec.OIDInt8Array, codec.BinaryFormat, arrBig[:len(arrBig)-12], new([]int32), nil, codec.ErrInvalid},
		{"text[] into []string", codec.OIDTextArray, codec.BinaryFormat, textArr, new([]string), []string{"a", ""}, nil},
		{"int4[][] into [][]int16", codec.OIDInt4Array, codec.BinaryFormat, arr2d, new([][]int16), [][]int16{{1, 2}, {3, 4}}, nil},
		{"int4[][] into []int32", codec.OIDInt4Array, codec.BinaryFormat, arr2d, new([]int32), nil, codec.ErrMismatch},
		{"text array into []string", codec.OIDTextArray, codec.TextFormat, []byte(`{a,"b c"}`), new([]string), []string{"a", "b c"}, nil},
		{"empty array into []int32", codec.OIDInt4Array, codec.TextFormat, []byte(`{}`), new([]int32), []int32{}, nil},
		{"int8 into sql.NullInt64", codec.OIDInt8, codec.BinaryFormat, be64(9), new(sql.NullInt64), sql.NullInt64{Int64: 9, Valid: true}, nil},
		{"int8 into sql.NullInt16 overflow", codec.OIDInt8, codec.BinaryFormat, be64(1 << 20), new(sql.NullInt16), nil, errAny},
		{"text into sql.NullString", codec.OIDText, codec.TextFormat, []byte("x"), new(sql.NullString), sql.NullString{String: "x", Valid: true}, nil},
		{"numeric into sql.NullString", codec.OIDNumeric, codec.BinaryFormat, num("3.10"), new(sql.NullString), sql.NullString{String: "3.10", Valid: true}, nil},
		{"Decoder", codec.OIDText, codec.TextFormat, []byte("3,4"), new(point), point{3, 4}, nil},
		{"int8 into any", codec.OIDInt8, codec.BinaryFormat, be64(1), new(any), int64(1), nil},
		{"int8 into **int64", codec.OIDInt8, codec.BinaryFormat, be64(8), new(*int64), ptrInt(8), nil},
		{"unknown type into string", 99999, codec.TextFormat, []byte("x"), new(string), "x", nil},
		{"unknown type into any", 99999, codec.TextFormat, []byte("x"), new(any), "x", nil},
		{"unknown type into sql.NullString", 99999, codec.TextFormat, []byte("x"), new(sql.NullString), sql.NullString{String: "x", Valid: true}, nil},
		{"unknown type in binary", 99999, codec.BinaryFormat, []byte("x"), new(string), nil, codec.ErrUnknownType},
		{"bad binary length", codec.OIDInt8, codec.BinaryFormat, []byte{1, 2}, new(int64), nil, codec.ErrInvalid},
		{"bad format code", codec.OIDInt8, 7, be64(1), new(int64), nil, codec.ErrInvalid},
		{"non-pointer", codec.OIDInt8, codec.BinaryFormat, be64(1), int64(0), nil, codec.ErrMismatch},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := r.Scan(tc.oid, tc.format, tc.src, tc.dest, nil)
			if tc.err != nil {
				var se *codec.ScanError
				if !errors.As(err, &se) {
					t.Fatalf("err = %v, want a *ScanError", err)
				}
				if tc.err != errAny && !errors.Is(err, tc.err) {
					t.Fatalf("err = %v, want %v", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got := reflect.ValueOf(tc.dest).Elem().Interface()
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got %#v, want %#v", got, tc.want)
			}
		})
	}
}

// errAny accepts any *ScanError (sql.Null* types make their own causes).
var errAny = errors.New("any")

func TestScanNull(t *testing.T) {
	r := codec.NewRegistry()
	var i int64
	err := r.ScanColumn("n", codec.OIDInt8, codec.BinaryFormat, nil, &i, nil)
	if !errors.Is(err, codec.ErrNull) || err.Error() != "column n: cannot scan int8 into *int64 (NULL)" {
		t.Errorf("NULL into *int64: %v", err)
	}
	p := new(int64)
	if err := r.Scan(codec.OIDInt8, codec.BinaryFormat, nil, &p, nil); err != nil || p != nil {
		t.Errorf("NULL into **int64: %v, %v", p, err)
	}
	a := any(1)
	if err := r.Scan(codec.OIDInt8, codec.BinaryFormat, nil, &a, nil); err != nil || a != nil {
		t.Errorf("NULL into *any: %v, %v", a, err)
	}
	ns := sql.NullString{String: "x", Valid: true}
	if err := r.Scan(codec.OIDText, codec.TextFormat, nil, &ns, nil); err != nil || ns.Valid {
		t.Errorf("NULL into sql.NullString: %v, %v", ns, err)
	}
	s := []int32{1}
	if err := r.Scan(codec.OIDInt4Array, codec.BinaryFormat, nil, &s, nil); err != nil || s != nil {
		t.Errorf("NULL into *[]int32: %v, %v", s, err)
	}
	var pt point
	if err := r.Scan(codec.OIDText, codec.TextFormat, nil, &pt, nil); err != nil || pt != (point{-1, -1}) {
		t.Errorf("NULL into Decoder: %v, %v", pt, err)
	}
}

func TestScanErrorMessages(t *testing.T) {
	r := codec.NewRegistry()
	var i16 int16
	err := r.ScanColumn("total", codec.OIDInt8, codec.BinaryFormat, be64(70000), &i16, nil)
	if got, want := err.Error(), "column total: cannot scan int8 into *int16 (overflow: 70000 does not fit)"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	var f float64
	err = r.ScanColumn("name", codec.OIDText, codec.TextFormat, []byte("x"), &f, nil)
	if got, want := err.Error(), "column name: cannot scan text into *float64 (type mismatch)"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	var n int64
	err = r.Scan(12345, codec.TextFormat, []byte("x"), &n, nil)
	if got, want := err.Error(), "cannot scan OID 12345 into *int64 (unknown type)"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	var a []int64
	arr, _ := encodeOrFail(t, codec.OIDInt8Array, []any{int64(1), nil})
	err = r.ScanColumn("xs", codec.OIDInt8Array, codec.BinaryFormat, arr, &a, nil)
	if got, want := err.Error(), "column xs: cannot scan _int8 into *[]int64 (element 1: NULL)"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestUnknownTypes(t *testing.T) {
	r := codec.NewRegistry()
	// The text of a type without a codec is its value; its binary form is
	// unreadable without IgnoreUnknownTypes.
	if v, err := r.DecodeValue(424242, codec.TextFormat, []byte("happy"), nil); err != nil || v != "happy" {
		t.Errorf("DecodeValue unknown, text: %#v %v", v, err)
	}
	if _, err := r.DecodeValue(424242, codec.BinaryFormat, []byte("happy"), nil); !errors.Is(err, codec.ErrUnknownType) ||
		err.Error() != "codec: cannot decode OID 424242: unknown type (register a codec or set IgnoreUnknownTypes)" {
		t.Errorf("DecodeValue unknown, binary: %v", err)
	}
	opts := &codec.Options{IgnoreUnknownTypes: true}
	v, err := r.DecodeValue(424242, codec.BinaryFormat, []byte("happy"), opts)
	if err != nil || v != "happy" {
		t.Errorf("IgnoreUnknownTypes: %#v, %v", v, err)
	}
	var s string
	if err := r.Scan(424242, codec.TextFormat, []byte("happy"), &s, opts); err != nil || s != "happy" {
		t.Errorf("Scan with IgnoreUnknownTypes: %q, %v", s, err)
	}
	if r.ResultFormat(424242) != codec.TextFormat {
		t.Error("unknown OIDs must be requested in text")
	}
	// Registering makes it known, with its array.
	enum := codec.NewTextCodec(424242, "mood")
	r.Register(enum)
	r.Register(codec.NewArrayCodec(424243, "_mood", enum))
	v, err = r.DecodeValue(424243, codec.TextFormat, []byte("{happy,sad}"), nil)
	if err != nil || !reflect.DeepEqual(v, []any{"happy", "sad"}) {
		t.Errorf("registered enum array: %#v, %v", v, err)
	}
	if c, ok := r.Lookup(424242); !ok || c.Name() != "mood" {
		t.Errorf("Lookup = %v, %v", c, ok)
	}
}

// TestScanDoesNotAllocate pins the zero-allocation hot paths.
func TestScanDoesNotAllocate(t *testing.T) {
	r := codec.NewRegistry()
	opts := &codec.Options{Location: time.UTC}
	var i64 int64
	var i32 int32
	var f float64
	var b bool
	var ts time.Time
	cases := []struct {
		name string
		oid  uint32
		src  []byte
		dest any
	}{
		{"int8", codec.OIDInt8, be64(42), &i64},
		{"int4", codec.OIDInt4, be32(42), &i32},
		{"float8", codec.OIDFloat8, f64(4.2), &f},
		{"bool", codec.OIDBool, []byte{1}, &b},
		{"timestamptz", codec.OIDTimestamptz, be64(1234567), &ts},
		{"timestamp", codec.OIDTimestamp, be64(1234567), &ts},
		{"date", codec.OIDDate, be32(12), &ts},
	}
	for _, tc := range cases {
		allocs := testing.AllocsPerRun(100, func() {
			if err := r.Scan(tc.oid, codec.BinaryFormat, tc.src, tc.dest, opts); err != nil {
				t.Fatal(err)
			}
		})
		if allocs != 0 {
			t.Errorf("%s: %v allocations per scan", tc.name, allocs)
		}
	}
	text := []byte("-9876543210")
	allocs := testing.AllocsPerRun(100, func() {
		if err := r.Scan(codec.OIDInt8, codec.TextFormat, text, &i64, opts); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Errorf("int8 text: %v allocations per scan", allocs)
	}
}

// TestConcurrentUse scans from many goroutines while a type is registered,
// for the race detector.
func TestConcurrentUse(t *testing.T) {
	r := codec.NewRegistry()
	src := be64(7)
	done := make(chan struct{})
	for range 4 {
		go func() {
			defer func() { done <- struct{}{} }()
			for range 1000 {
				var v int64
				if err := r.Scan(codec.OIDInt8, codec.BinaryFormat, src, &v, nil); err != nil || v != 7 {
					t.Error(v, err)
					return
				}
				r.ParamOID([]int64{1})
			}
		}()
	}
	for i := range 50 {
		r.Register(codec.NewTextCodec(uint32(600000+i), "custom"))
	}
	for range 4 {
		<-done
	}
}
