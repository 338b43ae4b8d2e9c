package codec_test

import (
	"errors"
	"testing"

	"github.com/pgactor/pgactor/wire/codec"
)

// int4Range builds [lo,hi) as int4range_out normalises it.
func int4Range(lo, hi int32) codec.Range {
	return codec.Range{Lower: lo, Upper: hi, LowerInclusive: true}
}

// TestMultirangeDecode reads multirange_out's and multirange_send's forms
// of the same values.
func TestMultirangeDecode(t *testing.T) {
	r := codec.NewRegistry()
	cases := []struct {
		name   string
		text   string
		binary []byte
		want   codec.Multirange
	}{
		{"empty", "{}", []byte{0, 0, 0, 0}, codec.Multirange{}},
		{
			"two ranges", "{[1,3),[5,7)}",
			[]byte{
				0, 0, 0, 2, // two ranges
				0, 0, 0, 17, // first range: 17 bytes
				0x02,                   // lower inclusive
				0, 0, 0, 4, 0, 0, 0, 1, // lower bound 1
				0, 0, 0, 4, 0, 0, 0, 3, // upper bound 3
				0, 0, 0, 17, // second range
				0x02,
				0, 0, 0, 4, 0, 0, 0, 5,
				0, 0, 0, 4, 0, 0, 0, 7,
			},
			codec.Multirange{int4Range(1, 3), int4Range(5, 7)},
		},
		{
			"unbounded", "{(,3),[10,)}",
			[]byte{
				0, 0, 0, 2,
				0, 0, 0, 9, 0x08, 0, 0, 0, 4, 0, 0, 0, 3, // (,3): lower infinite
				0, 0, 0, 9, 0x12, 0, 0, 0, 4, 0, 0, 0, 10, // [10,): inclusive, upper infinite
			},
			codec.Multirange{{Upper: int32(3), LowerUnbounded: true}, {Lower: int32(10), LowerInclusive: true, UpperUnbounded: true}},
		},
	}
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			for _, f := range []struct {
				format int16
				src    []byte
			}{{codec.TextFormat, []byte(tt.text)}, {codec.BinaryFormat, tt.binary}} {
				v, err := r.DecodeValue(codec.OIDInt4multirange, f.format, f.src, nil)
				if err != nil {
					t.Fatalf("format %d: %v", f.format, err)
				}
				if !sameValue(v, tt.want) {
					t.Fatalf("format %d: %#v, want %#v", f.format, v, tt.want)
				}
				var s string
				if err := r.Scan(codec.OIDInt4multirange, f.format, f.src, &s, nil); err != nil || s != tt.text {
					t.Fatalf("format %d into *string: %q, %v; want %q", f.format, s, err, tt.text)
				}
				var m codec.Multirange
				if err := r.Scan(codec.OIDInt4multirange, f.format, f.src, &m, nil); err != nil || !sameValue(m, tt.want) {
					t.Fatalf("format %d into *Multirange: %#v, %v", f.format, m, err)
				}
				var rs []codec.Range
				if err := r.Scan(codec.OIDInt4multirange, f.format, f.src, &rs, nil); err != nil || !sameValue(codec.Multirange(rs), tt.want) {
					t.Fatalf("format %d into *[]Range: %#v, %v", f.format, rs, err)
				}
			}
			// Encoding gives back the server's binary form.
			out, format, null, err := r.AppendParam(nil, codec.OIDInt4multirange, tt.want, nil)
			if err != nil || null || format != codec.BinaryFormat || string(out) != string(tt.binary) {
				t.Fatalf("encode: %x (format %d, null %v, %v), want %x", out, format, null, err, tt.binary)
			}
			c, ok := r.Lookup(codec.OIDInt4multirange)
			if !ok {
				t.Fatal("no int4multirange codec")
			}
			b, terr := c.AppendText(nil, tt.want, nil)
			if terr != nil || string(b) != tt.text {
				t.Fatalf("AppendText: %q, %v; want %q", b, terr, tt.text)
			}
		})
	}
}

// TestMultirangeText reads the blanks, quotes and "empty" multirange_in
// accepts.
func TestMultirangeText(t *testing.T) {
	r := codec.NewRegistry()
	v, err := r.DecodeValue(codec.OIDDatemultirange, codec.TextFormat, []byte(` { ["2024-01-01","2024-02-01") , empty }`), nil)
	if err != nil {
		t.Fatal(err)
	}
	m := v.(codec.Multirange)
	if len(m) != 2 || !m[1].Empty || m[0].Lower == nil {
		t.Fatalf("got %#v", m)
	}
	v, err = r.DecodeValue(codec.OIDTsmultirange, codec.TextFormat, []byte(`{["2024-01-01 00:00:00","2024-01-01 12:00:00")}`), nil)
	if err != nil || len(v.(codec.Multirange)) != 1 {
		t.Fatalf("tsmultirange: %#v, %v", v, err)
	}
}

// TestMultirangeHostile: malformed values are errors, never panics.
func TestMultirangeHostile(t *testing.T) {
	r := codec.NewRegistry()
	for _, s := range []string{"", "{", "}", "{[1,2)", "{[1,2),}", "{,[1,2)}", "{[1,2) [3,4)}", "{x}", `{["1,2)}`, "[1,2)", "{[1,2)]}"} {
		if v, err := r.DecodeValue(codec.OIDInt4multirange, codec.TextFormat, []byte(s), nil); err == nil {
			t.Errorf("text %q: %#v, want an error", s, v)
		}
	}
	for _, b := range [][]byte{
		{},
		{0, 0, 0},
		{0xff, 0xff, 0xff, 0xff},                // negative count
		{0x7f, 0xff, 0xff, 0xff, 0, 0, 0, 0},    // count beyond the bytes
		{0, 0, 0, 1, 0, 0, 0, 9, 1},             // range length beyond the bytes
		{0, 0, 0, 1, 0, 0, 0, 1, 1, 9},          // trailing bytes
		{0, 0, 0, 1, 0xff, 0xff, 0xff, 0xff, 1}, // negative range length
		{0, 0, 0, 1, 0, 0, 0, 1, 0x02},          // inclusive lower bound missing
	} {
		if v, err := r.DecodeValue(codec.OIDInt4multirange, codec.BinaryFormat, b, nil); err == nil || !errors.Is(err, codec.ErrInvalid) {
			t.Errorf("binary %x: %#v, %v; want ErrInvalid", b, v, err)
		}
	}
}

// TestMultirangeParamOID: the bounds' Go type picks the multirange type.
func TestMultirangeParamOID(t *testing.T) {
	r := codec.NewRegistry()
	cases := []struct {
		v    any
		want uint32
	}{
		{codec.Multirange{int4Range(1, 2)}, codec.OIDInt4multirange},
		{codec.Multirange{{Empty: true}, {Lower: int64(1), UpperUnbounded: true}}, codec.OIDInt8multirange},
		{codec.Multirange{}, 0},
		{[]codec.Multirange{{int4Range(1, 2)}}, codec.OIDInt4multirangeArray},
	}
	for _, tt := range cases {
		if got := r.ParamOID(tt.v); got != tt.want {
			t.Errorf("ParamOID(%#v) = %d, want %d", tt.v, got, tt.want)
		}
	}
}
