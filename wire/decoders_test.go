package wire_test

import (
	"testing"

	"github.com/pgactor/pgactor/internal/fakepg"
	"github.com/pgactor/pgactor/wire"
)

// TestDecodersRefuseTrailingBytes: every backend message with one byte
// more inside its length is a protocol error, never silently accepted.
func TestDecodersRefuseTrailingBytes(t *testing.T) {
	col := fakepg.Column{Name: "x", TypeOID: 25}
	// Each case: what puts the client in the state where the message is
	// expected, then the message.
	cases := []struct {
		name  string
		setup func(c *wire.Client)
		msg   []byte
	}{
		{"RowDescription", simpleQ, fakepg.RowDescription(col)},
		{"CommandComplete", simpleQ, fakepg.CommandComplete("SELECT 0")},
		{"EmptyQueryResponse", simpleQ, fakepg.EmptyQueryResponse()},
		{"ReadyForQuery", simpleQ, fakepg.ReadyForQuery('I')},
		{"ErrorResponse", simpleQ, fakepg.Error("ERROR", "42000", "x")},
		{"NoticeResponse", simpleQ, fakepg.Notice("NOTICE", "00000", "x")},
		{"ParameterStatus", simpleQ, fakepg.ParameterStatus("a", "b")},
		{"NotificationResponse", simpleQ, fakepg.Notification(1, "c", "p")},
		{"CopyOutResponse", simpleQ, fakepg.CopyOutResponse(1)},
		{"CopyDone", simpleQ, fakepg.CopyDone()},
		{"ParseComplete", prepareQ, fakepg.ParseComplete()},
		{"ParameterDescription", func(c *wire.Client) { prepareQ(c); feedRaw(c, fakepg.ParseComplete()) }, fakepg.ParameterDescription(23)},
		{"NoData", func(c *wire.Client) {
			prepareQ(c)
			feedRaw(c, fakepg.Concat(fakepg.ParseComplete(), fakepg.ParameterDescription()))
		}, fakepg.NoData()},
		{"BindComplete", bindQ, fakepg.BindComplete()},
		{"PortalSuspended", func(c *wire.Client) { bindQ(c); feedRaw(c, fakepg.BindComplete()) }, fakepg.PortalSuspended()},
		{"CloseComplete", func(c *wire.Client) { c.CloseStatement("s") }, fakepg.CloseComplete()},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			// The well-formed message is accepted...
			c := started(t, wire.Config{})
			tc.setup(c)
			feedRaw(c, tc.msg)
			if c.Dead() {
				t.Fatalf("well-formed message refused: %v", c.Err())
			}
			// ...and the same with a trailing byte is not.
			c = started(t, wire.Config{})
			tc.setup(c)
			bad := append(append([]byte(nil), tc.msg...), 'x')
			bad[4]++ // the length covers the extra byte
			feedRaw(c, bad)
			if !c.Dead() {
				t.Fatal("trailing byte accepted")
			}
		})
	}
}

func simpleQ(c *wire.Client)  { c.SimpleQuery("SELECT 1") }
func prepareQ(c *wire.Client) { c.Prepare("s", "SELECT 1") }
func bindQ(c *wire.Client) {
	c.BindExecute(&wire.PreparedStatementInfo{Columns: &wire.RowDescription{Fields: []wire.FieldDescription{{Name: "x", TypeOID: 25}}}}, noParams(), 1)
}

func feedRaw(c *wire.Client, b []byte) {
	c.Receive(append([]byte(nil), b...))
	for c.NextEvent() != wire.NeedData {
	}
}
