package codec_test

import (
	"errors"
	"reflect"
	"testing"

	"github.com/pgactor/pgactor/wire/codec"
)

const hstoreOID = 90001 // an extension's OID differs per database

func hstoreRegistry() *codec.Registry {
	r := codec.NewRegistry()
	r.Register(codec.NewHstoreCodec(hstoreOID))
	return r
}

func strp(s string) *string { return &s }

func TestHstoreRoundTrip(t *testing.T) {
	r := hstoreRegistry()
	c, _ := r.Lookup(hstoreOID)
	want := map[string]*string{"a": strp("1"), `q"uote\`: strp(`v "x" \y`), "null": nil, "": strp(""), "é": strp("ü")}
	for _, in := range []any{want, map[string]string{"a": "1"}} {
		bin, format, err := c.Encode(nil, in, nil)
		if err != nil || format != codec.BinaryFormat {
			t.Fatalf("encode %v: %v %d", in, err, format)
		}
		got, err := r.DecodeValue(hstoreOID, codec.BinaryFormat, bin, nil)
		if err != nil {
			t.Fatal(err)
		}
		text, err := c.AppendText(nil, in, nil)
		if err != nil {
			t.Fatal(err)
		}
		got2, err := r.DecodeValue(hstoreOID, codec.TextFormat, text, nil)
		if err != nil || !reflect.DeepEqual(got, got2) {
			t.Fatalf("text %s: %v %v, binary gave %v", text, got2, err, got)
		}
		if m, ok := in.(map[string]*string); ok && !reflect.DeepEqual(got, any(m)) {
			t.Fatalf("got %v", got)
		}
	}
}

func TestHstoreScan(t *testing.T) {
	r := hstoreRegistry()
	src := []byte(`"a"=>"1", "b"=>NULL, c => d`)
	var pm map[string]*string
	if err := r.Scan(hstoreOID, codec.TextFormat, src, &pm, nil); err != nil || *pm["a"] != "1" || pm["b"] != nil || *pm["c"] != "d" {
		t.Fatalf("%v %v", pm, err)
	}
	var sm map[string]string
	if err := r.Scan(hstoreOID, codec.TextFormat, []byte(`"a"=>"1"`), &sm, nil); err != nil || sm["a"] != "1" {
		t.Fatalf("%v %v", sm, err)
	}
	if err := r.Scan(hstoreOID, codec.TextFormat, src, &sm, nil); !errors.Is(err, codec.ErrNull) {
		t.Fatalf("a NULL value into map[string]string: %v", err)
	}
	for _, bad := range []string{`"a"=>`, `"a" "b"`, `"a"=>"b" "c"`, `"unterminated`, `=>"x"`} {
		if _, err := r.DecodeValue(hstoreOID, codec.TextFormat, []byte(bad), nil); !errors.Is(err, codec.ErrInvalid) {
			t.Errorf("%q: %v", bad, err)
		}
	}
	for _, bad := range [][]byte{{0, 0}, {0, 0, 0, 9}, {0, 0, 0, 1, 0, 0, 0, 5, 'a'}, {0, 0, 0, 1, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0}} {
		if _, err := r.DecodeValue(hstoreOID, codec.BinaryFormat, bad, nil); !errors.Is(err, codec.ErrInvalid) {
			t.Errorf("% x: %v", bad, err)
		}
	}
}

// FuzzHstore: hostile hstore bytes in either format give a value or an
// error, never a panic, and a value that decodes re-encodes to the same.
func FuzzHstore(f *testing.F) {
	f.Add([]byte(`"a"=>"1", "b"=>NULL`), false)
	f.Add([]byte{0, 0, 0, 1, 0, 0, 0, 1, 'k', 0xff, 0xff, 0xff, 0xff}, true)
	r := hstoreRegistry()
	c, _ := r.Lookup(hstoreOID)
	f.Fuzz(func(t *testing.T, src []byte, bin bool) {
		format := codec.TextFormat
		if bin {
			format = codec.BinaryFormat
		}
		v, err := r.DecodeValue(hstoreOID, format, src, nil)
		if err != nil {
			return
		}
		out, _, err := c.Encode(nil, v, nil)
		if err != nil {
			t.Fatalf("re-encode %v: %v", v, err)
		}
		again, err := r.DecodeValue(hstoreOID, codec.BinaryFormat, out, nil)
		if err != nil || !reflect.DeepEqual(again, v) {
			t.Fatalf("%v came back as %v (%v)", v, again, err)
		}
	})
}
