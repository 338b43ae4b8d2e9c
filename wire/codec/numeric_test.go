package codec_test

import (
	"errors"
	"math/big"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/pgactor/pgactor/wire/codec"
)

func TestParseNumeric(t *testing.T) {
	tests := []struct{ in, want string }{
		{"0", "0"},
		{"-0", "0"},
		{"-0.00", "0.00"},
		{"007.50", "7.50"},
		{".5", "0.5"},
		{"5.", "5"},
		{"+12", "12"},
		{"1e3", "1000"},
		{"1.5E-3", "0.0015"},
		{"1.50e1", "15.0"},
		{"-12.5e-2", "-0.125"},
		{"0e5", "0"},
		{"nan", "NaN"},
		{"-inf", "-Infinity"},
		{"Infinity", "Infinity"},
		{" 42 ", "42"},
	}
	for _, tc := range tests {
		n, err := codec.ParseNumeric(tc.in)
		if err != nil || n.String() != tc.want {
			t.Errorf("ParseNumeric(%q) = %q, %v; want %q", tc.in, n, err, tc.want)
		}
	}
	for _, bad := range []string{"", "-", ".", "1.2.3", "1e", "e5", "1e99999999", "0x10", "1,5", "--1"} {
		if _, err := codec.ParseNumeric(bad); !errors.Is(err, codec.ErrInvalid) {
			t.Errorf("ParseNumeric(%q) err = %v, want ErrInvalid", bad, err)
		}
	}
}

func TestNumericConversions(t *testing.T) {
	n, _ := codec.ParseNumeric("-123.000")
	if v, err := n.Int64(); err != nil || v != -123 {
		t.Errorf("Int64 = %d, %v", v, err)
	}
	if n.Scale() != 3 {
		t.Errorf("Scale = %d", n.Scale())
	}
	frac, _ := codec.ParseNumeric("1.001")
	if _, err := frac.Int64(); !errors.Is(err, codec.ErrMismatch) {
		t.Errorf("Int64 of a fraction: %v", err)
	}
	big1, _ := codec.ParseNumeric("9223372036854775808")
	if _, err := big1.Int64(); !errors.Is(err, codec.ErrOverflow) {
		t.Errorf("Int64 beyond int64: %v", err)
	}
	if b, err := big1.BigInt(); err != nil || b.String() != "9223372036854775808" {
		t.Errorf("BigInt = %v, %v", b, err)
	}
	if r, err := frac.Rat(); err != nil || r.Cmp(big.NewRat(1001, 1000)) != 0 {
		t.Errorf("Rat = %v, %v", r, err)
	}
	if f, err := frac.Float64(); err != nil || f != 1.001 {
		t.Errorf("Float64 = %v, %v", f, err)
	}
	huge, _ := codec.ParseNumeric("1e400")
	if _, err := huge.Float64(); !errors.Is(err, codec.ErrOverflow) {
		t.Errorf("Float64 of 1e400: %v", err)
	}
	if q, err := codec.NumericFromRat(big.NewRat(2, 3), 4); err != nil || q.String() != "0.6667" {
		t.Errorf("NumericFromRat = %v, %v", q, err)
	}
	if codec.NumericFromFloat64(0.1).String() != "0.1" {
		t.Errorf("NumericFromFloat64(0.1) = %v", codec.NumericFromFloat64(0.1))
	}
	if !codec.NumericNaN.IsNaN() || !codec.NumericNegInf.IsInf(-1) || codec.NumericNegInf.IsInf(1) || (codec.Numeric{}).String() != "0" {
		t.Error("special values misreport")
	}
	if _, err := codec.NumericPosInf.Int64(); err == nil {
		t.Error("Int64 of Infinity succeeded")
	}
}

// TestNumericBinaryRoundTrip pushes random decimals through the binary form.
func TestNumericBinaryRoundTrip(t *testing.T) {
	r := codec.NewRegistry()
	rng := rand.New(rand.NewPCG(1, 2))
	digits := func(n int) string {
		var b strings.Builder
		for range n {
			b.WriteByte(byte('0' + rng.IntN(10)))
		}
		return b.String()
	}
	for range 2000 {
		s := digits(rng.IntN(40) + 1)
		if rng.IntN(2) == 0 {
			s += "." + digits(rng.IntN(30))
		}
		if rng.IntN(3) == 0 {
			s = "-" + s
		}
		n, err := codec.ParseNumeric(s)
		if err != nil {
			t.Fatal(err)
		}
		b, format, _, err := r.AppendParam(nil, codec.OIDNumeric, n, nil)
		if err != nil || format != codec.BinaryFormat {
			t.Fatalf("%s: %v", s, err)
		}
		got, err := r.DecodeValue(codec.OIDNumeric, codec.BinaryFormat, b, nil)
		if err != nil || got != n {
			t.Fatalf("%s -> %x -> %v, %v", n, b, got, err)
		}
	}
}

func TestNumericBinaryHostile(t *testing.T) {
	r := codec.NewRegistry()
	for _, tc := range []struct {
		name string
		hex  string
	}{
		{"short", "000100"},
		{"digit count beyond bytes", "0002000000000000" + "0001"},
		{"negative digit count", "ffff000000000000"},
		{"digit over 9999", "0001000000000000" + "2710"},
		{"bad sign", "0000000012340000"},
		{"scale over limit", "000000000000ffff"},
	} {
		if _, err := r.DecodeValue(codec.OIDNumeric, codec.BinaryFormat, mustHex(t, tc.hex), nil); !errors.Is(err, codec.ErrInvalid) {
			t.Errorf("%s: err = %v", tc.name, err)
		}
	}
	// Non-normalised digits (a leading zero digit) still print canonically.
	v, err := r.DecodeValue(codec.OIDNumeric, codec.BinaryFormat, mustHex(t, "00020001400000010000000500"), nil)
	if err == nil {
		t.Errorf("odd length accepted: %v", v)
	}
	v, err = r.DecodeValue(codec.OIDNumeric, codec.BinaryFormat, mustHex(t, "000200014000000100000005"), nil)
	if err != nil || v.(codec.Numeric).String() != "-5.0" {
		t.Errorf("non-normalised = %v, %v", v, err)
	}
}
