package wire_test

import (
	"bytes"
	"errors"
	"strconv"
	"testing"

	"github.com/pgactor/pgactor/internal/fakepg"
	"github.com/pgactor/pgactor/wire"
	"github.com/pgactor/pgactor/wire/codec"
)

// encParams encodes args with the default registry as parameters of the
// types oids, as a caller of BindExecute does.
func encParams(t testing.TB, oids []uint32, args ...any) *wire.Params {
	t.Helper()
	data, err := codec.Default().AppendParams(nil, oids, args, nil)
	if err != nil {
		t.Fatalf("encoding parameters: %v", err)
	}
	return &wire.Params{OIDs: oids, Data: data}
}

// unnamedParams encodes args for an unnamed statement, with the types
// their Go values imply (0 lets the server infer one).
func unnamedParams(t testing.TB, args ...any) *wire.Params {
	t.Helper()
	return encParams(t, codec.Default().ParamOIDs(nil, args), args...)
}

// noParams returns encoded empty parameters, for statements without any.
func noParams() *wire.Params {
	data, err := codec.Default().AppendParams(nil, nil, nil, nil)
	if err != nil {
		panic(err)
	}
	return &wire.Params{Data: data}
}

// decode decodes column i of row with the default registry, as its
// description says (type and format).
func decode(row *wire.DataRow, i int, opts *codec.Options) (any, error) {
	if row.Columns == nil || i < 0 || i >= len(row.Values) || i >= len(row.Columns.Fields) {
		return nil, errors.New("column " + strconv.Itoa(i) + " out of range or undescribed")
	}
	f := &row.Columns.Fields[i]
	return codec.Default().DecodeValue(f.TypeOID, f.Format, row.Values[i], opts)
}

// value decodes column i of row, failing the test if it cannot.
func value(t testing.TB, row *wire.DataRow, i int) any {
	t.Helper()
	v, err := decode(row, i, &codec.Options{})
	if err != nil {
		t.Fatalf("column %d: %v", i, err)
	}
	return v
}

// splitter feeds a byte stream to a client in some pattern.
type splitter struct {
	name  string
	split func([]byte) [][]byte
}

var splitters = []splitter{
	{"whole", func(b []byte) [][]byte { return [][]byte{b} }},
	{"byte-at-a-time", func(b []byte) [][]byte {
		out := make([][]byte, len(b))
		for i := range b {
			out[i] = []byte{b[i]}
		}
		return out
	}},
	{"sevens", func(b []byte) [][]byte {
		var out [][]byte
		for len(b) > 7 {
			out = append(out, b[:7])
			b = b[7:]
		}
		return append(out, b)
	}},
}

// snapshot copies an event so it survives the client's reuse of hot-path
// events.
func snapshot(ev wire.Event) wire.Event {
	switch e := ev.(type) {
	case *wire.DataRow:
		c := e.Clone()
		for i, v := range c.Values {
			if v != nil {
				c.Values[i] = bytes.Clone(v) // the tests reuse their buffers
			}
		}
		return c
	case *wire.CommandComplete:
		c := *e
		return &c
	case *wire.ReadyForQuery:
		c := *e
		return &c
	case *wire.BindComplete:
		return &wire.BindComplete{}
	}
	return ev
}

// feed hands the stream to c through the splitter, collecting events and
// sending nothing back.
func feed(t testing.TB, c *wire.Client, stream []byte, sp splitter) []wire.Event {
	t.Helper()
	var evs []wire.Event
	for _, chunk := range sp.split(stream) {
		c.Receive(bytes.Clone(chunk))
		for {
			ev := c.NextEvent()
			if ev == wire.NeedData {
				break
			}
			evs = append(evs, snapshot(ev))
		}
	}
	return evs
}

// started returns a client that has completed a trust startup.
func started(t testing.TB, cfg wire.Config) *wire.Client {
	t.Helper()
	if cfg.User == "" {
		cfg.User = "alice"
	}
	c := wire.NewClient(cfg)
	if c.Startup() == nil {
		t.Fatalf("startup: %v", c.Err())
	}
	feed(t, c, fakepg.Startup(42, 4242), splitters[0])
	if !c.Ready() {
		t.Fatalf("not ready after startup: state %v err %v", c.State(), c.Err())
	}
	return c
}

// kinds names the events for compact comparisons.
func kinds(evs []wire.Event) []string {
	out := make([]string, len(evs))
	for i, ev := range evs {
		switch e := ev.(type) {
		case *wire.AuthenticationRequest:
			out[i] = "Auth:" + string(e.Method)
		case *wire.AuthenticationCompleted:
			out[i] = "AuthOK"
		case *wire.ParameterStatus:
			out[i] = "Param:" + e.Name
		case *wire.BackendKeyData:
			out[i] = "Key"
		case *wire.ReadyForQuery:
			out[i] = "Z" + string(e.TxStatus)
		case *wire.RowDescription:
			out[i] = "RowDesc"
		case *wire.DataRow:
			s := "Row"
			for _, v := range e.Values {
				if v == nil {
					s += ":NULL"
				} else {
					s += ":" + string(v)
				}
			}
			out[i] = s
		case *wire.CommandComplete:
			out[i] = "Complete:" + e.Tag
		case *wire.EmptyQueryResponse:
			out[i] = "Empty"
		case *wire.ErrorOrNoticeResponse:
			if e.Notice {
				out[i] = "Notice:" + e.Code
			} else {
				out[i] = "Error:" + e.Code
			}
		case *wire.ParseComplete:
			out[i] = "ParseComplete"
		case *wire.ParameterDescription:
			out[i] = "ParamDesc"
		case *wire.PreparedStatementInfo:
			out[i] = "Info"
		case *wire.BindComplete:
			out[i] = "BindComplete"
		case *wire.PortalSuspended:
			out[i] = "Suspended"
		case *wire.NotificationResponse:
			out[i] = "Notify:" + e.Channel
		case *wire.CopyInResponse:
			out[i] = "CopyIn"
		case *wire.CopyOutResponse:
			out[i] = "CopyOut"
		case *wire.CopyData:
			out[i] = "CopyData:" + string(e.Data)
		case *wire.CopyDone:
			out[i] = "CopyDone"
		case *wire.ProtocolError:
			out[i] = "ProtocolError"
		default:
			out[i] = "?"
		}
	}
	return out
}

func equalKinds(t testing.TB, got []wire.Event, want ...string) {
	t.Helper()
	k := kinds(got)
	if len(k) != len(want) {
		t.Fatalf("events:\n got %q\nwant %q", k, want)
	}
	for i := range k {
		if k[i] != want[i] {
			t.Fatalf("events:\n got %q\nwant %q", k, want)
		}
	}
}
