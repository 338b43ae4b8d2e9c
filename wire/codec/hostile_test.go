package codec_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"strings"
	"testing"

	"github.com/pgactor/pgactor/wire/codec"
)

// TestHostileArrays feeds arrays whose headers lie.
func TestHostileArrays(t *testing.T) {
	r := codec.NewRegistry()
	hdr := func(ndim, flags int32, elem uint32, dims ...int32) []byte {
		b := binary.BigEndian.AppendUint32(nil, uint32(ndim))
		b = binary.BigEndian.AppendUint32(b, uint32(flags))
		b = binary.BigEndian.AppendUint32(b, elem)
		for _, d := range dims {
			b = binary.BigEndian.AppendUint32(b, uint32(d))
		}
		return b
	}
	tests := []struct {
		name string
		src  []byte
	}{
		{"huge element count", hdr(1, 0, codec.OIDInt4, 1<<30, 1)},
		{"product of dimensions overflows", hdr(3, 0, codec.OIDInt4, 1<<20, 1, 1<<20, 1, 1<<20, 1)},
		{"too many dimensions", hdr(7, 0, codec.OIDInt4, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1)},
		{"negative dimension", hdr(1, 0, codec.OIDInt4, -1, 1)},
		{"wrong element type", append(hdr(1, 0, codec.OIDInt8, 1, 1), 0, 0, 0, 4, 0, 0, 0, 1)},
		{"element longer than the rest", append(hdr(1, 0, codec.OIDInt4, 1, 1), 0, 0, 0, 40, 0, 0, 0, 1)},
		{"element length -2", append(hdr(1, 0, codec.OIDInt4, 1, 1), 0xff, 0xff, 0xff, 0xfe)},
		{"trailing bytes", append(hdr(1, 0, codec.OIDInt4, 1, 1), 0, 0, 0, 4, 0, 0, 0, 1, 9)},
		{"upper bound overflows", append(hdr(1, 0, codec.OIDInt4, 2, 0x7fffffff), 0, 0, 0, 4, 0, 0, 0, 1, 0, 0, 0, 4, 0, 0, 0, 1)},
		{"bad flags", hdr(0, 2, codec.OIDInt4)},
	}
	for _, tc := range tests {
		if _, err := r.DecodeValue(codec.OIDInt4Array, codec.BinaryFormat, tc.src, nil); !errors.Is(err, codec.ErrInvalid) {
			t.Errorf("%s: err = %v, want ErrInvalid", tc.name, err)
		}
	}
	texts := []string{
		"{", "{1,2", "{{1},{2,3}}", "{{1},2}", "{1,{2}}", "{{}}", `{"a}`, `{1}x`,
		strings.Repeat("{", 7) + "1" + strings.Repeat("}", 7),
		strings.Repeat("{", 100000),
		"[1:2]={1}", "[2:1]={}", "[1:1]", "[a:b]={1}", "{1\\", "1,2",
	}
	for _, s := range texts {
		if _, err := r.DecodeValue(codec.OIDInt4Array, codec.TextFormat, []byte(s), nil); !errors.Is(err, codec.ErrInvalid) {
			t.Errorf("%.30q: err = %v, want ErrInvalid", s, err)
		}
	}
}

// TestHostileRecords nests records past the limit and lies about counts.
func TestHostileRecords(t *testing.T) {
	r := codec.NewRegistry()
	// A record whose only field is a record whose only field is ...
	inner := binary.BigEndian.AppendUint32(nil, 0)
	for range 40 {
		b := binary.BigEndian.AppendUint32(nil, 1)
		b = binary.BigEndian.AppendUint32(b, codec.OIDRecord)
		b = binary.BigEndian.AppendUint32(b, uint32(len(inner)))
		inner = append(b, inner...)
	}
	if _, err := r.DecodeValue(codec.OIDRecord, codec.BinaryFormat, inner, nil); !errors.Is(err, codec.ErrInvalid) {
		t.Errorf("deep nesting: err = %v", err)
	}
	lie := binary.BigEndian.AppendUint32(nil, 1<<30)
	if _, err := r.DecodeValue(codec.OIDRecord, codec.BinaryFormat, lie, nil); !errors.Is(err, codec.ErrInvalid) {
		t.Errorf("lying count: err = %v", err)
	}
	unknownField := append(binary.BigEndian.AppendUint32(nil, 1), 0, 0, 0x30, 0x39, 0, 0, 0, 1, 'x')
	if _, err := r.DecodeValue(codec.OIDRecord, codec.BinaryFormat, unknownField, nil); !errors.Is(err, codec.ErrUnknownType) {
		t.Errorf("unknown field type: err = %v", err)
	}
	v, err := r.DecodeValue(codec.OIDRecord, codec.BinaryFormat, unknownField, &codec.Options{IgnoreUnknownTypes: true})
	if err != nil || v.([]any)[0] != "x" {
		t.Errorf("unknown field type ignored: %v, %v", v, err)
	}
	// Rendering into a string walks the same bytes and refuses the same.
	var s string
	for _, tc := range []struct {
		name string
		src  []byte
		opts *codec.Options
		want error
	}{
		{"deep nesting", inner, nil, codec.ErrInvalid},
		{"lying count", lie, nil, codec.ErrInvalid},
		{"trailing bytes", append(binary.BigEndian.AppendUint32(nil, 0), 0), nil, codec.ErrInvalid},
		{"unknown field type", unknownField, nil, codec.ErrUnknownType},
	} {
		if err := r.Scan(codec.OIDRecord, codec.BinaryFormat, tc.src, &s, tc.opts); !errors.Is(err, tc.want) {
			t.Errorf("%s into *string: err = %v, want %v", tc.name, err, tc.want)
		}
	}
	if err := r.Scan(codec.OIDRecord, codec.BinaryFormat, unknownField, &s, &codec.Options{IgnoreUnknownTypes: true}); err != nil || s != "(x)" {
		t.Errorf("unknown field type ignored, into *string: %q, %v", s, err)
	}
}

func TestHostileScalars(t *testing.T) {
	r := codec.NewRegistry()
	tests := []struct {
		oid    uint32
		format int16
		src    []byte
	}{
		{codec.OIDBool, codec.BinaryFormat, []byte{2}},
		{codec.OIDBool, codec.TextFormat, []byte("yes")},
		{codec.OIDInt2, codec.TextFormat, []byte("32768")},
		{codec.OIDInt8, codec.TextFormat, []byte("9223372036854775808")},
		{codec.OIDInt8, codec.TextFormat, []byte("")},
		{codec.OIDOID, codec.TextFormat, []byte("-1")},
		{codec.OIDFloat8, codec.TextFormat, []byte("1.5x")},
		{codec.OIDBytea, codec.TextFormat, []byte(`\x0`)},
		{codec.OIDBytea, codec.TextFormat, []byte(`\xzz`)},
		{codec.OIDBytea, codec.TextFormat, []byte(`a\0`)},
		{codec.OIDBytea, codec.TextFormat, []byte(`\777`)},
		{codec.OIDChar, codec.BinaryFormat, []byte("ab")},
		{codec.OIDUUID, codec.TextFormat, []byte("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a1")},
		{codec.OIDUUID, codec.TextFormat, []byte("--a0eebc999c0b4ef8bb6d6bb9bd380a11")},
		{codec.OIDJSONB, codec.BinaryFormat, []byte("\x02{}")},
		{codec.OIDInet, codec.BinaryFormat, []byte{2, 33, 0, 4, 1, 2, 3, 4}},
		{codec.OIDInet, codec.BinaryFormat, []byte{3, 0, 0, 4, 1, 2, 3, 4}},
		{codec.OIDInet, codec.TextFormat, []byte("fe80::1%eth0")},
		{codec.OIDMacaddr, codec.TextFormat, []byte("08:00:2b:01:02:03:04:05")},
		{codec.OIDVarbit, codec.BinaryFormat, []byte{0, 0, 0, 9, 0xff}},
		{codec.OIDVarbit, codec.BinaryFormat, []byte{0xff, 0xff, 0xff, 0xff}},
		{codec.OIDVarbit, codec.TextFormat, []byte("012")},
		{codec.OIDTime, codec.BinaryFormat, be64(86400e6 + 1)},
		{codec.OIDTimetz, codec.BinaryFormat, append(be64(0), be32(100000)...)},
		{codec.OIDInterval, codec.BinaryFormat, make([]byte, 15)},
		{codec.OIDInt4range, codec.BinaryFormat, []byte{0x03}},
		{codec.OIDInt4range, codec.BinaryFormat, []byte{0x02, 0, 0, 0, 9, 1}},
		{codec.OIDInt4range, codec.TextFormat, []byte("[1,2")},
		{codec.OIDInt4range, codec.TextFormat, []byte(`["1,2)`)},
		{codec.OIDInt4range, codec.TextFormat, []byte("[1,2,3]")},
		{codec.OIDRecord, codec.TextFormat, []byte(`("a)`)},
	}
	for _, tc := range tests {
		_, err := r.DecodeValue(tc.oid, tc.format, tc.src, nil)
		if !errors.Is(err, codec.ErrInvalid) {
			t.Errorf("%s %q: err = %v, want ErrInvalid", r.TypeName(tc.oid), tc.src, err)
		}
	}
	// The escape form of bytea is still read.
	v, err := r.DecodeValue(codec.OIDBytea, codec.TextFormat, []byte(`a\\b\001`), nil)
	if err != nil || !bytes.Equal(v.([]byte), []byte{'a', '\\', 'b', 1}) {
		t.Errorf("escape bytea = %q, %v", v, err)
	}
}
