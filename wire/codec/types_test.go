package codec_test

import (
	"encoding/json"
	"errors"
	"math/big"
	"net"
	"net/netip"
	"reflect"
	"testing"

	"github.com/pgactor/pgactor/wire/codec"
)

// TestScanExactTypes scans each natural type into a pointer to itself,
// and into a wrong one.
func TestScanExactTypes(t *testing.T) {
	r := codec.NewRegistry()
	cases := []struct {
		oid  uint32
		text string
		dest any
		want any
	}{
		{codec.OIDInterval, "1 day", new(codec.Interval), codec.Interval{Days: 1}},
		{codec.OIDTime, "01:00:00", new(codec.Time), codec.Time{Microseconds: 3600e6}},
		{codec.OIDTimetz, "01:00:00+02", new(codec.TimeTZ), codec.TimeTZ{Microseconds: 3600e6, Offset: 7200}},
		{codec.OIDUUID, "{A0EEBC99-9C0B4EF8-BB6D6BB9-BD380A11}", new(codec.UUID), codec.UUID{0xa0, 0xee, 0xbc, 0x99, 0x9c, 0x0b, 0x4e, 0xf8, 0xbb, 0x6d, 0x6b, 0xb9, 0xbd, 0x38, 0x0a, 0x11}},
		{codec.OIDInet, "::1", new(netip.Prefix), netip.MustParsePrefix("::1/128")},
		{codec.OIDInet, "10.0.0.1", new(net.IP), net.IP{10, 0, 0, 1}},
		{codec.OIDMacaddr, "08:00:2b:01:02:03", new(net.HardwareAddr), net.HardwareAddr{8, 0, 0x2b, 1, 2, 3}},
		{codec.OIDVarbit, "101", new(codec.BitString), codec.BitString{Bytes: []byte{0xa0}, Len: 3}},
		{codec.OIDInt4range, "[1,2)", new(codec.Range), codec.Range{Lower: int32(1), Upper: int32(2), LowerInclusive: true}},
		{codec.OIDInt4Array, "{1}", new(codec.Array), codec.Array{Dims: []codec.ArrayDimension{{Length: 1, LowerBound: 1}}, Elements: []any{int32(1)}}},
		{codec.OIDInt4Array, "{1}", new([]any), []any{int32(1)}},
		{codec.OIDJSON, `{"a":1}`, new(json.RawMessage), json.RawMessage(`{"a":1}`)},
		{codec.OIDText, `[1]`, new(json.RawMessage), json.RawMessage(`[1]`)},
		{codec.OIDNumeric, "12", new(big.Int), *big.NewInt(12)},
		{codec.OIDFloat4, "1.5", new(codec.Numeric), codec.NumericFromFloat64(1.5)},
	}
	for _, tc := range cases {
		if err := r.Scan(tc.oid, codec.TextFormat, []byte(tc.text), tc.dest, nil); err != nil {
			t.Errorf("%s %q: %v", r.TypeName(tc.oid), tc.text, err)
			continue
		}
		if got := reflect.ValueOf(tc.dest).Elem().Interface(); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s %q = %#v, want %#v", r.TypeName(tc.oid), tc.text, got, tc.want)
		}
		// The same value into a destination of another natural type fails.
		var wrong codec.TimeTZ
		if tc.oid == codec.OIDTimetz {
			continue
		}
		if err := r.Scan(tc.oid, codec.TextFormat, []byte(tc.text), &wrong, nil); !errors.Is(err, codec.ErrMismatch) {
			t.Errorf("%s into *TimeTZ: %v", r.TypeName(tc.oid), err)
		}
	}
}

func TestValueHelpers(t *testing.T) {
	u, err := codec.ParseUUID("A0EEBC999C0B4EF8BB6D6BB9BD380A11")
	if err != nil || u.String() != "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11" {
		t.Errorf("ParseUUID = %v, %v", u, err)
	}
	for _, bad := range []string{"", "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a1g", "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11-", "a0ee-bc99-9c0b-4ef8-bb6d-6bb9bd380a11a"} {
		if _, err := codec.ParseUUID(bad); err == nil {
			t.Errorf("ParseUUID(%q) succeeded", bad)
		}
	}
	b := codec.BitString{Bytes: []byte{0xb3, 0x80}, Len: 10}
	if b.String() != "1011001110" || !b.Bit(0) || b.Bit(1) {
		t.Errorf("BitString = %s", b)
	}
	if n := codec.NumericFromBigInt(new(big.Int).Lsh(big.NewInt(1), 70)); n.String() != "1180591620717411303424" {
		t.Errorf("NumericFromBigInt = %s", n)
	}
	if codec.Infinity.String() != "infinity" || codec.NegativeInfinity.String() != "-infinity" || codec.Finite.String() != "finite" {
		t.Error("InfinityModifier strings")
	}
}

func TestNetworkParams(t *testing.T) {
	r := codec.NewRegistry()
	_, ipnet, _ := net.ParseCIDR("10.1.0.0/16")
	for _, v := range []any{ipnet, *ipnet, netip.MustParsePrefix("10.1.0.0/16")} {
		b, format, _, err := r.AppendParam(nil, codec.OIDCidr, v, nil)
		if err != nil || format != codec.BinaryFormat {
			t.Fatalf("%T: %v", v, err)
		}
		got, err := r.DecodeValue(codec.OIDCidr, format, b, nil)
		if err != nil || got != netip.MustParsePrefix("10.1.0.0/16") {
			t.Errorf("%T: %v, %v", v, got, err)
		}
	}
	var n net.IPNet
	if err := r.Scan(codec.OIDCidr, codec.TextFormat, []byte("10.1.0.0/16"), &n, nil); err != nil || n.String() != "10.1.0.0/16" {
		t.Errorf("scan IPNet = %v, %v", n, err)
	}
}

func TestCompositeCodec(t *testing.T) {
	r := codec.NewRegistry()
	r.Register(codec.NewCompositeCodec(700001, "pair", r))
	if r.ResultFormat(700001) != codec.BinaryFormat {
		t.Error("composites decode in binary")
	}
	// Binary composite: two fields, int4 7 and text "x".
	src := []byte{0, 0, 0, 2, 0, 0, 0, 23, 0, 0, 0, 4, 0, 0, 0, 7, 0, 0, 0, 25, 0, 0, 0, 1, 'x'}
	v, err := r.DecodeValue(700001, codec.BinaryFormat, src, nil)
	if err != nil || !reflect.DeepEqual(v, []any{int32(7), "x"}) {
		t.Errorf("composite = %#v, %v", v, err)
	}
	b, format, _, err := r.AppendParam(nil, 700001, []any{int32(7), "a b", nil, ""}, nil)
	if err != nil || format != codec.TextFormat || string(b) != `(7,"a b",,"")` {
		t.Errorf("composite param = %q %d %v", b, format, err)
	}
	if c, _ := r.Lookup(700001); c.Name() != "pair" {
		t.Errorf("Name = %s", c.Name())
	}
}
