package wire_test

import (
	"bytes"
	"math/rand/v2"
	"testing"

	"github.com/pgactor/pgactor/internal/fakepg"
	"github.com/pgactor/pgactor/wire"
)

// TestTagsComeBackInOrder: a value tagged on each command comes back in the
// ReadyForQuery that ends it, and Pending shows the ones still in flight,
// so a caller needs no queue of its own.
func TestTagsComeBackInOrder(t *testing.T) {
	c := started(t, wire.Config{})
	for _, sql := range []string{"a", "b", "c"} {
		if _, err := c.SimpleQuery(sql); err != nil {
			t.Fatal(err)
		}
		c.Tag(sql)
	}
	if c.Pending(0) != "a" || c.Pending(2) != "c" || c.Pending(3) != nil || c.Pending(-1) != nil {
		t.Fatalf("pending %v %v %v", c.Pending(0), c.Pending(2), c.Pending(3))
	}
	var got []any
	for range 3 {
		c.Receive(fakepg.Concat(fakepg.EmptyQueryResponse(), fakepg.ReadyForQuery('I')))
		for ev := c.NextEvent(); ev != wire.NeedData; ev = c.NextEvent() {
			if r, ok := ev.(*wire.ReadyForQuery); ok {
				got = append(got, r.Tag)
			}
		}
	}
	if len(got) != 3 || got[0] != "a" || got[1] != "b" || got[2] != "c" || c.InFlight() != 0 || c.Pending(0) != nil {
		t.Fatalf("tags %v, in flight %d", got, c.InFlight())
	}
}

// TestRawRows: with RawRows a DataRow carries its bytes unsplit, and one
// whose column count disagrees with its description is a protocol error.
func TestRawRows(t *testing.T) {
	c := started(t, wire.Config{RawRows: true})
	c.SimpleQuery("x")
	c.Receive(fakepg.Concat(fakepg.RowDescription(fakepg.Column{Name: "v", TypeOID: 25}), fakepg.TextRow("hello")))
	c.NextEvent()
	row, ok := c.NextEvent().(*wire.DataRow)
	if !ok || row.Values != nil || len(row.Raw) == 0 || row.Columns == nil {
		t.Fatalf("row %+v", row)
	}
	vals, err := wire.ParseDataRow(row.Raw, nil)
	if err != nil || len(vals) != 1 || string(vals[0]) != "hello" {
		t.Fatalf("split %q %v", vals, err)
	}
	c.Receive(fakepg.TextRow("a", "b"))
	if ev, ok := c.NextEvent().(*wire.ProtocolError); !ok {
		t.Fatalf("two columns for a one-column description: %T %v", ev, ev)
	}
	if !c.Dead() {
		t.Fatal("client survived a malformed row")
	}
}

// TestRawRowsSurviveStitching keeps every row view the client hands out,
// uncopied, while rows of every size straddle chunk boundaries at every
// offset (headers split too), then checks each view still holds its row:
// copying straddling messages never writes over one handed out before.
func TestRawRowsSurviveStitching(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	for round := range 40 {
		c := started(t, wire.Config{RawRows: true})
		c.SimpleQuery("x")
		var want []string
		msgs := [][]byte{fakepg.RowDescription(fakepg.Column{Name: "v", TypeOID: 25})}
		for i := range 300 {
			size := rng.IntN(40)
			if i%37 == 0 {
				size = 900 + rng.IntN(3000) // some over the carve limit
			}
			v := make([]byte, size)
			for j := range v {
				v[j] = byte('a' + (i+j)%26)
			}
			want = append(want, string(v))
			msgs = append(msgs, fakepg.DataRow(v))
		}
		msgs = append(msgs, fakepg.SelectComplete(len(want)), fakepg.ReadyForQuery('I'))
		stream := fakepg.Concat(msgs...)
		var got [][]byte
		maxChunk := 1 + round%12
		if round%4 == 3 {
			maxChunk = 5000
		}
		for len(stream) > 0 {
			n := min(1+rng.IntN(maxChunk), len(stream))
			chunk := bytes.Clone(stream[:n])
			c.Receive(chunk[:n:n])
			stream = stream[n:]
			for {
				ev := c.NextEvent()
				if ev == wire.NeedData {
					break
				}
				if row, ok := ev.(*wire.DataRow); ok {
					got = append(got, row.Raw)
				}
				if pe, ok := ev.(*wire.ProtocolError); ok {
					t.Fatal(pe)
				}
			}
		}
		if len(got) != len(want) {
			t.Fatalf("round %d: %d rows, want %d", round, len(got), len(want))
		}
		for i, raw := range got {
			vals, err := wire.ParseDataRow(raw, nil)
			if err != nil || len(vals) != 1 || string(vals[0]) != want[i] {
				t.Fatalf("round %d: row %d reads %q (%v), want %q", round, i, vals, err, want[i])
			}
		}
	}
}
