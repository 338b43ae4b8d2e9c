package codec_test

import (
	"bytes"
	"database/sql"
	"encoding/json"
	"errors"
	"math/big"
	"net"
	"net/netip"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

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
		// (json is the exception: any destination goes through
		// encoding/json, as TestJSONScansIntoAnything shows.)
		var wrong codec.TimeTZ
		if tc.oid == codec.OIDTimetz || tc.oid == codec.OIDJSON {
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

// TestArrayOfRows checks that a []any of []any rows, as decoding an array
// of a record or composite type returns it, encodes and renders with the
// rows as elements, not sub-arrays.
func TestArrayOfRows(t *testing.T) {
	r := codec.NewRegistry()
	pair := codec.NewCompositeCodec(700001, "pair", r)
	r.Register(pair)
	r.Register(codec.NewArrayCodec(700002, "_pair", pair))
	rowsText := `{"(7,\"a b\")",NULL,"(,\"\")"}`
	for _, v := range []any{
		[]any{[]any{int32(7), "a b"}, nil, []any{nil, ""}},
		[][]any{{int32(7), "a b"}, nil, {nil, ""}},
		// What decoding the text form returns: fields as strings.
		[]any{[]any{"7", "a b"}, nil, []any{nil, ""}},
	} {
		b, format, null, err := r.AppendParam(nil, 700002, v, nil)
		if err != nil || null || format != codec.TextFormat || string(b) != rowsText {
			t.Errorf("%#v as _pair = %q (format %d, null %v, %v), want %q", v, b, format, null, err, rowsText)
		}
	}
	if got, err := r.DecodeValue(700002, codec.TextFormat, []byte(rowsText), nil); err != nil ||
		!reflect.DeepEqual(got, []any{[]any{"7", "a b"}, nil, []any{nil, ""}}) {
		t.Errorf("%s decoded to %#v, %v", rowsText, got, err)
	}
	grid := codec.Array{Dims: []codec.ArrayDimension{{Length: 2, LowerBound: 1}, {Length: 1, LowerBound: 1}},
		Elements: []any{[]any{int32(1), "x"}, nil}}
	if b, _, _, err := r.AppendParam(nil, 700002, grid, nil); err != nil || string(b) != `{{"(1,x)"},{NULL}}` {
		t.Errorf("two dimensions of rows = %q, %v", b, err)
	}
	// Outside an array of rows, a []any in a slice is still a sub-array.
	if b, _, _, err := r.AppendParam(nil, codec.OIDInt4Array, []any{[]any{1, 2}, []any{3, 4}}, nil); err != nil ||
		!bytes.Equal(b, slices.Concat(be32(2), be32(0), be32(int32(codec.OIDInt4)), be32(2), be32(1), be32(2), be32(1),
			be32(4), be32(1), be32(4), be32(2), be32(4), be32(3), be32(4), be32(4))) {
		t.Errorf("int4[] of []any = %x, %v", b, err)
	}

	// record[] from the server: ARRAY[ROW(1,'x'::text), NULL,
	// ROW(ROW(2, 'y y'::text), ARRAY[ROW(3)])] and its text output.
	src := mustHex(t, "0000000100000001000008c900000003000000010000001900000002000000170000000400000001000000190000000178ffffffff0000005700000002000008c90000001b000000020000001700000004000000020000001900000003792079000008ef000000280000000100000000000008c900000001000000010000001000000001000000170000000400000003")
	server := `{"(1,x)",NULL,"(\"(2,\"\"y y\"\")\",\"{(3)}\")"}`
	got, err := r.DecodeValue(codec.OIDRecordArray, codec.BinaryFormat, src, nil)
	want := []any{[]any{int32(1), "x"}, nil, []any{[]any{int32(2), "y y"}, []any{[]any{int32(3)}}}}
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("record[] = %#v, %v", got, err)
	}
	var s string
	if err := r.Scan(codec.OIDRecordArray, codec.BinaryFormat, src, &s, nil); err != nil {
		t.Fatal(err)
	}
	// Quoting may differ from the server's (we quote parentheses in
	// arrays, and escape quotes with backslashes); the rows may not.
	ours, theirs := readRows(t, r, s), readRows(t, r, server)
	if !reflect.DeepEqual(ours, theirs) {
		t.Errorf("record[] rendered as %s, reading %#v; server's %s reads %#v", s, ours, server, theirs)
	}
	if want := []any{[]any{"1", "x"}, nil, []any{[]any{"2", "y y"}, []any{[]any{"3"}}}}; !reflect.DeepEqual(theirs, want) {
		t.Errorf("server's %s reads %#v, want %#v", server, theirs, want)
	}
}

// readRows reads the text of a record or array of records down to its
// leaves, so two spellings of the same rows compare equal: a field that
// is itself a row or an array of rows is read again.
func readRows(t *testing.T, r *codec.Registry, v any) any {
	t.Helper()
	switch x := v.(type) {
	case []any:
		for i, e := range x {
			x[i] = readRows(t, r, e)
		}
		return x
	case string:
		oid := codec.OIDRecord
		switch {
		case strings.HasPrefix(x, "{"):
			oid = codec.OIDRecordArray
		case !strings.HasPrefix(x, "("):
			return x
		}
		rows, err := r.DecodeValue(oid, codec.TextFormat, []byte(x), nil)
		if err != nil {
			t.Fatalf("%s: %v", x, err)
		}
		return readRows(t, r, rows)
	}
	return v
}

// TestDomainCodec reads an array of a domain and a record with domain
// fields, which name the domain's OIDs, once the domain is registered.
func TestDomainCodec(t *testing.T) {
	const posint, posintArray = 16385, 16384 // CREATE DOMAIN posint AS int4
	// '{1,2}'::posint[] from the server: the element type is the domain.
	arr := mustHex(t, "000000010000000000004001000000020000000100000004000000010000000400000002")
	// ROW(1::posint, '{1}'::posint[]).
	rec := mustHex(t, "00000002000040010000000400000001000040000000001c00000001000000000000400100000001000000010000000400000001")
	r := codec.NewRegistry()
	if _, err := r.DecodeValue(posintArray, codec.BinaryFormat, arr, nil); !errors.Is(err, codec.ErrUnknownType) {
		t.Errorf("unregistered posint[]: %v", err)
	}
	if _, err := r.DecodeValue(codec.OIDRecord, codec.BinaryFormat, rec, nil); !errors.Is(err, codec.ErrUnknownType) {
		t.Errorf("unregistered posint field: %v", err)
	}
	int4, _ := r.Lookup(codec.OIDInt4)
	dom := codec.NewDomainCodec(posint, "posint", int4)
	r.Register(dom)
	r.Register(codec.NewArrayCodec(posintArray, "_posint", dom))
	if r.TypeName(posint) != "posint" || r.ResultFormat(posintArray) != codec.BinaryFormat {
		t.Errorf("TypeName %s, ResultFormat %d", r.TypeName(posint), r.ResultFormat(posintArray))
	}
	for _, tc := range []struct {
		oid    uint32
		format int16
		src    []byte
		want   any
	}{
		{posintArray, codec.BinaryFormat, arr, []any{int32(1), int32(2)}},
		{posintArray, codec.TextFormat, []byte("{1,2}"), []any{int32(1), int32(2)}},
		{codec.OIDRecord, codec.BinaryFormat, rec, []any{int32(1), []any{int32(1)}}},
	} {
		if got, err := r.DecodeValue(tc.oid, tc.format, tc.src, nil); err != nil || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s (format %d) = %#v, %v", r.TypeName(tc.oid), tc.format, got, err)
		}
	}
	var ints []int32
	var s string
	if err := r.Scan(posintArray, codec.BinaryFormat, arr, &ints, nil); err != nil || !reflect.DeepEqual(ints, []int32{1, 2}) {
		t.Errorf("posint[] into []int32 = %v, %v", ints, err)
	}
	if err := r.Scan(codec.OIDRecord, codec.BinaryFormat, rec, &s, nil); err != nil || s != `(1,"{1}")` {
		t.Errorf("record with posint fields into *string = %q, %v", s, err)
	}
	// A parameter must name the domain as its element type too: array_recv
	// refuses another.
	if b, format, _, err := r.AppendParam(nil, posintArray, []int32{1, 2}, nil); err != nil || format != codec.BinaryFormat || !bytes.Equal(b, arr) {
		t.Errorf("[]int32 as posint[] = %x (format %d), %v; want %x", b, format, err, arr)
	}
	// A domain renders into a string as its base does: from the bytes for
	// a row, through the natural (and driver) value otherwise.
	tstz, _ := r.Lookup(codec.OIDTimestamptz)
	r.Register(codec.NewDomainCodec(700010, "stamp", tstz))
	var nt sql.NullTime
	if err := r.Scan(700010, codec.BinaryFormat, be64(0), &nt, nil); err != nil || !nt.Valid || !nt.Time.Equal(time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("stamp into sql.NullTime = %v, %v", nt, err)
	}
	r.Register(codec.NewDomainCodec(700011, "rowdom", codec.NewCompositeCodec(700012, "pair", r)))
	// ROW(ROW(1, 'x'::text)).
	nestedRow := mustHex(t, "00000001000008c90000001900000002000000170000000400000001000000190000000178")
	if err := r.Scan(700011, codec.BinaryFormat, nestedRow, &s, nil); err != nil || s != `("(1,x)")` {
		t.Errorf("domain over a row with a nested row into *string = %q, %v", s, err)
	}
}

// TestJSONScansIntoAnything: json and jsonb scan into any destination
// through encoding/json, in both formats; the raw-text destinations keep the
// text as the server sent it.
func TestJSONScansIntoAnything(t *testing.T) {
	r := codec.NewRegistry()
	const doc = `{"name": "x", "tags": ["a", "b"], "n": 3}`
	type item struct {
		Name string   `json:"name"`
		Tags []string `json:"tags"`
		N    int      `json:"n"`
	}
	for _, oid := range []uint32{codec.OIDJSON, codec.OIDJSONB} {
		for _, format := range []int16{codec.TextFormat, codec.BinaryFormat} {
			// json's binary form is its text; jsonb's has a version byte.
			enc := func(text string) []byte {
				if oid == codec.OIDJSONB && format == codec.BinaryFormat {
					return append([]byte{1}, text...)
				}
				return []byte(text)
			}
			src := enc(doc)
			var it item
			if err := r.Scan(oid, format, src, &it, nil); err != nil || it.Name != "x" || len(it.Tags) != 2 || it.N != 3 {
				t.Errorf("%d/%d into a struct: %+v %v", oid, format, it, err)
			}
			var m map[string]any
			if err := r.Scan(oid, format, src, &m, nil); err != nil || m["n"] != float64(3) {
				t.Errorf("%d/%d into a map: %v %v", oid, format, m, err)
			}
			var a any
			if err := r.Scan(oid, format, src, &a, nil); err != nil || a.(map[string]any)["name"] != "x" {
				t.Errorf("%d/%d into *any: %#v %v", oid, format, a, err)
			}
			var raw json.RawMessage
			if err := r.Scan(oid, format, src, &raw, nil); err != nil || string(raw) != doc {
				t.Errorf("%d/%d into json.RawMessage: %s %v", oid, format, raw, err)
			}
			var b []byte
			if err := r.Scan(oid, format, src, &b, nil); err != nil || string(b) != doc {
				t.Errorf("%d/%d into []byte: %s %v", oid, format, b, err)
			}
			var s string
			if err := r.Scan(oid, format, src, &s, nil); err != nil || s != doc {
				t.Errorf("%d/%d into string: %s %v", oid, format, s, err)
			}
			var tags []string
			if err := r.Scan(oid, format, enc(`["a"]`), &tags, nil); err != nil || len(tags) != 1 {
				t.Errorf("%d/%d into a slice: %v %v", oid, format, tags, err)
			}
		}
	}
	var it struct{ N int }
	if err := r.Scan(codec.OIDJSON, codec.TextFormat, []byte(`{"N": "three"}`), &it, nil); !errors.Is(err, codec.ErrInvalid) {
		t.Errorf("a value encoding/json refuses: %v", err)
	}
}
