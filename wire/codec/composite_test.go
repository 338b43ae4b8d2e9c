package codec_test

import (
	"errors"
	"testing"

	"github.com/pgactor/pgactor/wire/codec"
)

func TestCompositeStructText(t *testing.T) {
	r := codec.NewRegistry()
	named := codec.NewCompositeCodecFields(90003, "pair", []codec.CompositeField{{"n", codec.OIDInt4}, {"long_name", codec.OIDText}}, r)
	r.Register(named)
	type pair struct {
		Name string `db:"long_name"`
		N    *int32
	}
	var p pair
	if err := r.Scan(90003, codec.TextFormat, []byte(`(,"x, \"y\"")`), &p, nil); err != nil || p.N != nil || p.Name != `x, "y"` {
		t.Fatalf("%+v %v", p, err)
	}
	n := int32(4)
	out, err := named.AppendText(nil, pair{Name: "a b", N: &n}, nil)
	if err != nil || string(out) != `(4,"a b")` {
		t.Fatalf("%s %v", out, err)
	}
	var extra struct {
		N     int32
		Other string
	}
	if err := r.Scan(90003, codec.TextFormat, []byte(`(1,x)`), &extra, nil); !errors.Is(err, codec.ErrMismatch) {
		t.Fatalf("a struct field the type lacks: %v", err)
	}
}

// FuzzCompositeStruct: hostile composite bytes scanned into a struct give
// a value or an error, never a panic.
func FuzzCompositeStruct(f *testing.F) {
	f.Add([]byte(`(1,"a b",)`), false)
	f.Add([]byte{0, 0, 0, 2, 0, 0, 0, 23, 0, 0, 0, 4, 0, 0, 0, 7, 0, 0, 0, 25, 0, 0, 0, 1, 'x'}, true)
	r := codec.NewRegistry()
	r.Register(codec.NewCompositeCodecFields(90002, "pair", []codec.CompositeField{{"n", codec.OIDInt4}, {"s", codec.OIDText}}, r))
	type pair struct {
		N *int32
		S string
	}
	f.Fuzz(func(t *testing.T, src []byte, bin bool) {
		format := codec.TextFormat
		if bin {
			format = codec.BinaryFormat
		}
		var p pair
		r.Scan(90002, format, src, &p, nil)
	})
}
