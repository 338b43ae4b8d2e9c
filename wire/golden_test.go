package wire_test

import (
	"bytes"
	"errors"
	"testing"

	"github.com/pgactor/pgactor/internal/fakepg"
	"github.com/pgactor/pgactor/wire"
)

func cat(parts ...[]byte) []byte { return bytes.Join(parts, nil) }
func s(x string) []byte          { return []byte(x) }

func TestGoldenStartup(t *testing.T) {
	c := wire.NewClient(wire.Config{User: "bob", RuntimeParams: map[string]string{"search_path": "app"}})
	body := cat(
		[]byte{0, 3, 0, 0}, // protocol 3.0
		s("user\x00bob\x00"),
		s("database\x00bob\x00"), // defaults to the user
		s("application_name\x00pgactor\x00"),
		s("client_encoding\x00UTF8\x00"),
		s("DateStyle\x00ISO, MDY\x00"),
		s("search_path\x00app\x00"),
		[]byte{0}, // end of parameters
	)
	want := cat(fakepg.I32(int32(4+len(body))), body)
	if got := c.Startup(); !bytes.Equal(got, want) {
		t.Fatalf("startup:\n got %q\nwant %q", got, want)
	}
	if c.State() != wire.StateSentStartup {
		t.Fatalf("state %v", c.State())
	}
}

func TestGoldenSSLAndCancel(t *testing.T) {
	c := wire.NewClient(wire.Config{User: "u"})
	if got, want := c.SSLRequest(), []byte{0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f}; !bytes.Equal(got, want) {
		t.Fatalf("SSLRequest % x", got)
	}
	got := wire.CancelRequest(0x01020304, 0x0a0b0c0d)
	want := []byte{
		0, 0, 0, 16, // length
		0x04, 0xd2, 0x16, 0x2e, // 80877102
		1, 2, 3, 4, // pid
		0x0a, 0x0b, 0x0c, 0x0d, // secret
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("CancelRequest % x", got)
	}
	for _, tc := range []struct {
		b    byte
		ok   bool
		fail bool
	}{{'S', true, false}, {'N', false, false}, {'E', false, true}, {'X', false, true}} {
		c := wire.NewClient(wire.Config{User: "u"})
		ok, err := c.ParseSSLResponse(tc.b)
		if ok != tc.ok || (err != nil) != tc.fail {
			t.Errorf("%q: ok=%v err=%v", tc.b, ok, err)
		}
		if tc.fail && !c.Dead() {
			t.Errorf("%q: client should be dead", tc.b)
		}
	}
}

func TestGoldenCommands(t *testing.T) {
	c := started(t, wire.Config{})
	q, err := c.SimpleQuery("SELECT 1")
	if err != nil {
		t.Fatal(err)
	}
	if want := cat(s("Q"), fakepg.I32(13), s("SELECT 1\x00")); !bytes.Equal(q, want) {
		t.Fatalf("Query % x", q)
	}

	p, err := c.Prepare("s1", "SELECT $1", 23)
	if err != nil {
		t.Fatal(err)
	}
	want := cat(
		s("P"), fakepg.I32(4+3+10+2+4), s("s1\x00"), s("SELECT $1\x00"),
		fakepg.I16(1), fakepg.U32(23), // one parameter, int4
		s("D"), fakepg.I32(4+1+3), s("S"), s("s1\x00"), // describe statement s1
		s("S"), fakepg.I32(4), // Sync
	)
	if !bytes.Equal(p, want) {
		t.Fatalf("Prepare:\n got % x\nwant % x", p, want)
	}

	info := &wire.PreparedStatementInfo{Name: "s1", ParamOIDs: []uint32{25, 25}}
	b, err := c.BindExecute(info, encParams(t, info.ParamOIDs, "hi", nil), 0)
	if err != nil {
		t.Fatal(err)
	}
	bind := cat(
		s("\x00"),              // unnamed portal
		s("s1\x00"),            // statement
		fakepg.I16(1),          // one format code for all parameters
		fakepg.I16(1),          // binary: for text the bytes are the same
		fakepg.I16(2),          // two parameters
		fakepg.I32(2), s("hi"), // $1
		fakepg.I32(-1), // $2 NULL
		fakepg.I16(0),  // no result format codes: all text (no columns)
	)
	want = cat(
		s("B"), fakepg.I32(int32(4+len(bind))), bind,
		s("E"), fakepg.I32(4+1+4), s("\x00"), fakepg.I32(0), // Execute unnamed, all rows
		s("S"), fakepg.I32(4),
	)
	if !bytes.Equal(b, want) {
		t.Fatalf("BindExecute:\n got % x\nwant % x", b, want)
	}

	if got, want := c.Terminate(), []byte{'X', 0, 0, 0, 4}; !bytes.Equal(got, want) {
		t.Fatalf("Terminate % x", got)
	}
	if c.State() != wire.StateTerminated {
		t.Fatalf("state after terminate: %v", c.State())
	}
	if _, err := c.SimpleQuery("SELECT 1"); err == nil {
		t.Fatal("query after terminate succeeded")
	}
}

func TestEncodersRefuseNUL(t *testing.T) {
	c := started(t, wire.Config{})
	if _, err := c.SimpleQuery("SELECT 1\x00; DROP TABLE x"); err == nil {
		t.Fatal("NUL in query accepted")
	}
	if _, err := c.Prepare("a\x00b", "SELECT 1"); err == nil {
		t.Fatal("NUL in name accepted")
	}
	if !c.Ready() || c.InFlight() != 0 {
		t.Fatal("a refused command must leave nothing in flight")
	}
	bad := wire.NewClient(wire.Config{User: "u\x00x"})
	if bad.Startup() != nil || !bad.Dead() {
		t.Fatal("NUL in user accepted")
	}
}

func TestMessageSizeLimit(t *testing.T) {
	c := started(t, wire.Config{})
	defer wire.SetMaxFrontendBodyForTest(100)()
	huge := string(bytes.Repeat([]byte("x"), 100))
	if _, err := c.SimpleQuery(huge); !errors.Is(err, wire.ErrMessageTooLarge) {
		t.Fatalf("oversized query: %v", err)
	}
	info := &wire.PreparedStatementInfo{ParamOIDs: []uint32{25}}
	if _, err := c.BindExecute(info, encParams(t, info.ParamOIDs, huge), 0); !errors.Is(err, wire.ErrMessageTooLarge) {
		t.Fatalf("oversized parameter: %v", err)
	}
	if c.InFlight() != 0 || c.Dead() {
		t.Fatal("refusal must not change the client")
	}
}
