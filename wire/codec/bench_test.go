package codec_test

import (
	"testing"
	"time"

	"github.com/pgactor/pgactor/wire/codec"
)

func benchScan(b *testing.B, oid uint32, format int16, src []byte, dest any) {
	r := codec.NewRegistry()
	opts := &codec.Options{Location: time.UTC}
	b.ReportAllocs()
	b.SetBytes(int64(len(src)))
	for b.Loop() {
		if err := r.Scan(oid, format, src, dest, opts); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkScanInt8Binary(b *testing.B) {
	var v int64
	benchScan(b, codec.OIDInt8, codec.BinaryFormat, be64(123456789), &v)
}

func BenchmarkScanFloat8Binary(b *testing.B) {
	var v float64
	benchScan(b, codec.OIDFloat8, codec.BinaryFormat, f64(3.25), &v)
}

func BenchmarkScanBoolBinary(b *testing.B) {
	var v bool
	benchScan(b, codec.OIDBool, codec.BinaryFormat, []byte{1}, &v)
}

func BenchmarkScanTimestamptzBinary(b *testing.B) {
	var v time.Time
	benchScan(b, codec.OIDTimestamptz, codec.BinaryFormat, be64(773_000_000_000_000), &v)
}

// BenchmarkScanTextBinary allocates once: the string itself.
func BenchmarkScanTextBinary(b *testing.B) {
	var v string
	benchScan(b, codec.OIDText, codec.BinaryFormat, []byte("a row's text column"), &v)
}

func BenchmarkScanInt8Text(b *testing.B) {
	var v int64
	benchScan(b, codec.OIDInt8, codec.TextFormat, []byte("123456789"), &v)
}

func BenchmarkScanTimestamptzText(b *testing.B) {
	var v time.Time
	benchScan(b, codec.OIDTimestamptz, codec.TextFormat, []byte("2024-07-01 12:34:56.789+02"), &v)
}

func BenchmarkScanNumericBinary(b *testing.B) {
	n, _ := codec.ParseNumeric("-1234567.890123")
	src, _, _, _ := codec.NewRegistry().AppendParam(nil, codec.OIDNumeric, n, nil)
	var v codec.Numeric
	benchScan(b, codec.OIDNumeric, codec.BinaryFormat, src, &v)
}

func BenchmarkScanNumericIntoFloat64(b *testing.B) {
	n, _ := codec.ParseNumeric("-1234567.890123")
	src, _, _, _ := codec.NewRegistry().AppendParam(nil, codec.OIDNumeric, n, nil)
	var v float64
	benchScan(b, codec.OIDNumeric, codec.BinaryFormat, src, &v)
}

func int4Array(n int) []byte {
	xs := make([]int32, n)
	for i := range xs {
		xs[i] = int32(i)
	}
	src, _, _, _ := codec.NewRegistry().AppendParam(nil, codec.OIDInt4Array, xs, nil)
	return src
}

func BenchmarkScanInt4ArrayIntoSlice100(b *testing.B) {
	var v []int32
	benchScan(b, codec.OIDInt4Array, codec.BinaryFormat, int4Array(100), &v)
}

func BenchmarkDecodeValueInt4Array100(b *testing.B) {
	r := codec.NewRegistry()
	src := int4Array(100)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := r.DecodeValue(codec.OIDInt4Array, codec.BinaryFormat, src, nil); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecodeValueTextArrayText(b *testing.B) {
	r := codec.NewRegistry()
	src := []byte(`{alpha,"beta gamma",NULL,"d\"e",epsilon}`)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := r.DecodeValue(codec.OIDTextArray, codec.TextFormat, src, nil); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkAppendParamInt8(b *testing.B) {
	r := codec.NewRegistry()
	buf := make([]byte, 0, 64)
	b.ReportAllocs()
	for b.Loop() {
		var err error
		if buf, _, _, err = r.AppendParam(buf[:0], codec.OIDInt8, int64(42), nil); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkAppendParamInt4Slice100(b *testing.B) {
	r := codec.NewRegistry()
	xs := make([]int32, 100)
	buf := make([]byte, 0, 1024)
	b.ReportAllocs()
	for b.Loop() {
		var err error
		if buf, _, _, err = r.AppendParam(buf[:0], codec.OIDInt4Array, xs, nil); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkRewriteNamed(b *testing.B) {
	sql := "SELECT * FROM t WHERE a = :a AND b::text = :b AND c = 'x:y' -- :z\n AND d = :a"
	args := map[string]any{"a": 1, "b": "two"}
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := codec.RewriteNamed(sql, args); err != nil {
			b.Fatal(err)
		}
	}
}
