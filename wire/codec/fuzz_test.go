package codec_test

import (
	"strings"
	"testing"

	"github.com/pgactor/pgactor/wire/codec"
)

// fuzzDecode checks one decoder: it returns a value or an error, never
// panics, and a value survives encoding and decoding again unchanged.
func fuzzDecode(t *testing.T, r *codec.Registry, oids []uint32, sel uint16, format int16, data []byte) {
	oid := oids[int(sel)%len(oids)]
	opts := &codec.Options{Location: berlin(t)}
	v, err := r.DecodeValue(oid, format, data, opts)
	var s string
	var a any
	scanErr := r.Scan(oid, format, data, &s, opts)
	_ = r.Scan(oid, format, data, &a, opts)
	if err != nil {
		return
	}
	if scanErr != nil {
		t.Fatalf("%s: DecodeValue succeeded but Scan into *string failed: %v", r.TypeName(oid), scanErr)
	}
	if oid == codec.OIDRecord || oid == codec.OIDRecordArray {
		return // records re-encode as text, where field types are lost by design
	}
	c, _ := r.Lookup(oid)
	if format == codec.TextFormat {
		text, err := c.AppendText(nil, v, opts)
		if err != nil {
			t.Fatalf("%s: %#v decoded from %q does not print: %v", c.Name(), v, data, err)
		}
		again, err := r.DecodeValue(oid, codec.TextFormat, append([]byte{}, text...), opts)
		if err != nil {
			t.Fatalf("%s: %q printed as %q, which does not parse: %v", c.Name(), data, text, err)
		}
		if !sameValue(v, again) {
			t.Fatalf("%s: %q -> %#v -> %q -> %#v", c.Name(), data, v, text, again)
		}
		return
	}
	out, outFormat, err := c.Encode(nil, v, opts)
	if err != nil {
		return // values the server accepts but Go cannot hold exactly are refused, not mangled
	}
	if out == nil {
		out = []byte{}
	}
	again, err := r.DecodeValue(oid, outFormat, out, opts)
	if err != nil {
		t.Fatalf("%s: %x -> %#v -> %x does not decode: %v", c.Name(), data, v, out, err)
	}
	if !sameValue(v, again) {
		t.Fatalf("%s: %x -> %#v -> %x -> %#v", c.Name(), data, v, out, again)
	}
}

// seedIndex finds the selector that picks oid.
func seedIndex(oids []uint32, oid uint32) uint16 {
	for i, o := range oids {
		if o == oid {
			return uint16(i)
		}
	}
	return 0
}

func FuzzDecodeBinary(f *testing.F) {
	r := codec.NewRegistry()
	oids := r.OIDs()
	for _, g := range serverGolden {
		f.Add(seedIndex(oids, g.oid), mustHex(f, g.binHex))
	}
	f.Fuzz(func(t *testing.T, sel uint16, data []byte) {
		fuzzDecode(t, r, oids, sel, codec.BinaryFormat, data)
	})
}

func FuzzDecodeText(f *testing.F) {
	r := codec.NewRegistry()
	oids := r.OIDs()
	for _, g := range serverGolden {
		f.Add(seedIndex(oids, g.oid), []byte(g.text))
	}
	f.Fuzz(func(t *testing.T, sel uint16, data []byte) {
		fuzzDecode(t, r, oids, sel, codec.TextFormat, data)
	})
}

// FuzzRewriteNamed checks that the rewriter never panics, numbers each
// distinct name once, and leaves nothing for a second pass to rewrite.
func FuzzRewriteNamed(f *testing.F) {
	for _, s := range []string{
		"SELECT :a, :b::int, ':a', E'\\':a', \"a:b\", $$ :a $$, $t$ :b $t$ -- :a\n /* /* :a */ */ :b",
		"SELECT a$b, $1, x := 1, arr[1:2]",
		"SELECT :a:b:c:::d",
		"SELECT $a$ :a",
		"U&'\\0041' :a",
		"SELECT @a, a <@b, x@c, @ -1, @@d",
	} {
		f.Add(s, false)
	}
	args := map[string]any{"a": 1, "b": 2, "c": 3, "d": 4, "id": 5}
	f.Fuzz(func(t *testing.T, sql string, backslash bool) {
		// Strict must not panic on anything either.
		codec.NamedRewriter{BackslashQuotes: backslash, Strict: true}.Rewrite(sql, args)
		nr := codec.NamedRewriter{BackslashQuotes: backslash}
		out, vals, err := nr.Rewrite(sql, args)
		if err != nil {
			return
		}
		if vals == nil {
			if out != sql {
				t.Fatalf("no names, yet %q became %q", sql, out)
			}
			return
		}
		for i := range vals {
			if !strings.Contains(out, "$"+itoa(i+1)) {
				t.Fatalf("%q -> %q lacks $%d", sql, out, i+1)
			}
		}
		again, vals2, err := nr.Rewrite(out, args)
		if err != nil || again != out || vals2 != nil {
			t.Fatalf("second pass over %q: %q %v %v", out, again, vals2, err)
		}
	})
}

func itoa(i int) string {
	if i < 10 {
		return string(rune('0' + i))
	}
	return itoa(i/10) + string(rune('0'+i%10))
}
