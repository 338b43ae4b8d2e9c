package codec_test

import (
	"errors"
	"testing"

	"github.com/pgactor/pgactor/wire/codec"
)

// TestOverlay: an overlay sees its parent's codecs, including ones
// registered later, keeps its own to itself, and decodes record fields
// with its own codecs.
func TestOverlay(t *testing.T) {
	parent := codec.NewRegistry()
	o := parent.Overlay()
	if c, ok := o.Lookup(codec.OIDInt4); !ok || c.Name() != "int4" {
		t.Fatal("overlay does not see a built-in")
	}
	const enumOID, enumArrOID, lateOID = 900001, 900002, 900003
	enum := codec.NewTextCodec(enumOID, "mood")
	o.Register(enum)
	o.Register(codec.NewArrayCodec(enumArrOID, "_mood", enum))
	if _, ok := parent.Lookup(enumOID); ok {
		t.Fatal("a codec registered on the overlay reached the parent")
	}
	parent.Register(codec.NewTextCodec(lateOID, "late"))
	if _, ok := o.Lookup(lateOID); !ok {
		t.Fatal("overlay misses a codec registered on the parent afterwards")
	}
	// A binary record with a field of the overlay's type: the overlay
	// decodes it, the parent names the OID it does not know.
	rec := []byte{
		0, 0, 0, 1, // one field
		0, 0x0d, 0xbb, 0xa1, // OID 900001
		0, 0, 0, 2, 'o', 'k',
	}
	v, err := o.DecodeValue(codec.OIDRecord, codec.BinaryFormat, rec, nil)
	if err != nil || !sameValue(v, []any{"ok"}) {
		t.Fatalf("record through the overlay: %#v %v", v, err)
	}
	var ute *codec.UnknownTypeError
	if _, err := parent.DecodeValue(codec.OIDRecord, codec.BinaryFormat, rec, nil); !errors.As(err, &ute) || ute.OID != enumOID || !errors.Is(err, codec.ErrUnknownType) {
		t.Fatalf("record through the parent: %v, want UnknownTypeError for %d", err, enumOID)
	}
	// Unregister removes the overlay's codec only.
	o.Register(codec.NewTextCodec(codec.OIDInt4, "shadow"))
	if c, _ := o.Lookup(codec.OIDInt4); c.Name() != "shadow" {
		t.Fatal("the overlay's own codec does not come first")
	}
	o.Unregister(codec.OIDInt4)
	if c, _ := o.Lookup(codec.OIDInt4); c.Name() != "int4" {
		t.Fatal("after Unregister the parent's codec does not show")
	}
	o.Unregister(enumOID)
	if _, ok := o.Lookup(enumOID); ok {
		t.Fatal("Unregister left the codec")
	}
	parent.Unregister(codec.OIDInt4) // the parent's own: gone from both
	if _, ok := o.Lookup(codec.OIDInt4); ok {
		t.Fatal("a codec unregistered from the parent still shows")
	}
}

// TestUnknownParamType: a value that has no text form of its own, for a
// declared type without a codec, names that type.
func TestUnknownParamType(t *testing.T) {
	r := codec.NewRegistry()
	type pt struct{ X int }
	for _, v := range []any{pt{1}, []pt{{1}}, map[string]*string{}} {
		_, _, _, err := r.AppendParam(nil, 900010, v, nil)
		var ute *codec.UnknownTypeError
		var ee *codec.EncodeError
		if !errors.As(err, &ute) || ute.OID != 900010 || !errors.As(err, &ee) {
			t.Errorf("%T: %v, want an EncodeError naming OID 900010", v, err)
		}
	}
	// A string still goes as text, for the server to parse.
	if out, format, _, err := r.AppendParam(nil, 900010, "sad", nil); err != nil || format != codec.TextFormat || string(out) != "sad" {
		t.Errorf("string: %q %d %v", out, format, err)
	}
}
