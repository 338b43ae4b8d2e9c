package wire_test

import (
	"bytes"
	"testing"

	"github.com/pgactor/pgactor/internal/fakepg"
	"github.com/pgactor/pgactor/wire"
)

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
