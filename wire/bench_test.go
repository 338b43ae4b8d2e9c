package wire_test

import (
	"testing"

	"github.com/pgactor/pgactor/internal/fakepg"
	"github.com/pgactor/pgactor/wire"
	"github.com/pgactor/pgactor/wire/codec"
)

// BenchmarkDataRow measures framing and splitting one DataRow of four
// columns (int8, text, float8, timestamptz in binary).
func BenchmarkDataRow(b *testing.B) {
	c := started(b, wire.Config{})
	info := &wire.PreparedStatementInfo{Columns: &wire.RowDescription{Fields: []wire.FieldDescription{
		{Name: "a", TypeOID: 20, Format: 1}, {Name: "b", TypeOID: 25}, {Name: "c", TypeOID: 701, Format: 1}, {Name: "d", TypeOID: 1184, Format: 1}}}}
	if _, err := c.BindExecute(info, noParams(), 0); err != nil {
		b.Fatal(err)
	}
	c.Receive(fakepg.BindComplete())
	c.NextEvent()
	row := fakepg.DataRow([]byte{0, 0, 0, 0, 0, 0, 0, 1}, []byte("hello world"), []byte{0x40, 0x09, 0x21, 0xfb, 0x54, 0x44, 0x2d, 0x18}, []byte{0, 2, 0x1f, 0, 0, 0, 0, 0})
	const perChunk = 256
	chunk := make([]byte, 0, len(row)*perChunk)
	for range perChunk {
		chunk = append(chunk, row...)
	}
	b.ReportAllocs()
	b.SetBytes(int64(len(row)))
	n := 0
	for b.Loop() {
		if n == 0 {
			c.Receive(chunk) // the same bytes again: the client never writes to them
			n = perChunk
		}
		if _, ok := c.NextEvent().(*wire.DataRow); !ok {
			b.Fatal("not a row")
		}
		n--
	}
}

// BenchmarkBindExecute measures encoding Bind + Execute + Sync with an int8
// and a text parameter: the parameters with the codec, then the messages.
func BenchmarkBindExecute(b *testing.B) {
	c := started(b, wire.Config{})
	info := &wire.PreparedStatementInfo{Name: "stmt_1", ParamOIDs: []uint32{20, 25},
		Columns: &wire.RowDescription{Fields: []wire.FieldDescription{{Name: "a", TypeOID: 20, Format: 1}}}}
	reg := codec.Default()
	params := []any{int64(42), "some text"}
	p := &wire.Params{OIDs: info.ParamOIDs, Data: make([]byte, 0, 64)}
	buf := make([]byte, 0, 256)
	// The client never writes to received bytes, so one answer can be fed
	// again and again.
	resp := fakepg.Concat(fakepg.BindComplete(), fakepg.SelectComplete(0), fakepg.ReadyForQuery('I'))
	b.ReportAllocs()
	for b.Loop() {
		data, err := reg.AppendParams(p.Data[:0], info.ParamOIDs, params, nil)
		if err != nil {
			b.Fatal(err)
		}
		p.Data = data
		out, err := c.AppendBindExecute(buf[:0], info, p, 0)
		if err != nil {
			b.Fatal(err)
		}
		buf = out
		// Answer it so the in-flight queue does not grow.
		c.Receive(resp)
		for c.NextEvent() != wire.NeedData {
		}
	}
}
