package wire_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"strings"
	"testing"

	"github.com/xdg-go/scram"

	"github.com/pgactor/pgactor/internal/fakepg"
	"github.com/pgactor/pgactor/wire"
)

// frontendMsg splits one frontend message off b.
func frontendMsg(t testing.TB, b []byte) (tag byte, body, rest []byte) {
	t.Helper()
	if len(b) < 5 {
		t.Fatalf("short frontend message % x", b)
	}
	n := int(binary.BigEndian.Uint32(b[1:]))
	return b[0], b[5 : 1+n], b[1+n:]
}

func startupRest() []byte {
	return fakepg.Concat(fakepg.ParameterStatus("client_encoding", "UTF8"), fakepg.BackendKeyData(7, 8), fakepg.ReadyForQuery('I'))
}

func TestAuthTrust(t *testing.T) {
	for _, sp := range splitters {
		t.Run(sp.name, func(t *testing.T) {
			c := wire.NewClient(wire.Config{User: "u"})
			c.Startup()
			evs := feed(t, c, fakepg.Startup(7, 8), sp)
			equalKinds(t, evs, "AuthOK", "Param:client_encoding", "Param:server_version", "Param:TimeZone",
				"Param:standard_conforming_strings", "Key", "ZI")
			if pid, secret := c.BackendKey(); pid != 7 || secret != 8 {
				t.Fatalf("backend key %d %d", pid, secret)
			}
			if !c.Ready() || c.State() != wire.StateReadyForQuery {
				t.Fatalf("state %v", c.State())
			}
		})
	}
}

func TestAuthCleartextAndMD5(t *testing.T) {
	c := wire.NewClient(wire.Config{User: "u", Password: "pw"})
	c.Startup()
	evs := feed(t, c, fakepg.AuthCleartext(), splitters[0])
	equalKinds(t, evs, "Auth:password")
	if c.State() != wire.StateCleartextStartup {
		t.Fatalf("state %v", c.State())
	}
	if got, want := c.NeededSync(), cat(s("p"), fakepg.I32(7), s("pw\x00")); !bytes.Equal(got, want) {
		t.Fatalf("password message % x", got)
	}
	if c.State() != wire.StateCleartextSent {
		t.Fatalf("state %v", c.State())
	}
	equalKinds(t, feed(t, c, fakepg.Concat(fakepg.AuthOK(), startupRest()), splitters[0]), "AuthOK", "Param:client_encoding", "Key", "ZI")

	c = wire.NewClient(wire.Config{User: "u", Password: "pw"})
	c.Startup()
	salt := [4]byte{1, 2, 3, 4}
	equalKinds(t, feed(t, c, fakepg.AuthMD5(salt), splitters[1]), "Auth:md5")
	tag, body, _ := frontendMsg(t, c.NeededSync())
	// md5(md5("pwu") hex + salt) hex, computed independently with the formula.
	want := wire.MD5PasswordForTest("u", "pw", salt[:])
	if tag != 'p' || string(body) != want+"\x00" || !strings.HasPrefix(want, "md5") || len(want) != 35 {
		t.Fatalf("md5 message %q %q", tag, body)
	}
	if c.State() != wire.StateMD5Sent {
		t.Fatalf("state %v", c.State())
	}
}

func TestMD5Known(t *testing.T) {
	// Checked against the formula written out independently, and against a
	// fixed vector (md5sum of "secretpostgres" is the inner hash).
	if h := md5Reference("postgres", "secret", nil); h[3:] != md5Hex(md5Hex("secretpostgres")) {
		t.Fatalf("reference disagrees with itself: %s", h)
	}
	got := wire.MD5PasswordForTest("postgres", "secret", []byte{1, 2, 3, 4})
	if got != md5Reference("postgres", "secret", []byte{1, 2, 3, 4}) {
		t.Fatalf("md5 %s", got)
	}
}

// scramServer runs the server side of SCRAM with the scram package.
func scramServer(t testing.TB, password string, cb *scram.ChannelBinding) *scram.ServerConversation {
	t.Helper()
	cl, err := scram.SHA256.NewClient("", password, "")
	if err != nil {
		t.Fatal(err)
	}
	creds, err := cl.GetStoredCredentialsWithError(scram.KeyFactors{Salt: "0123456789abcdef", Iters: 4096})
	if err != nil {
		t.Fatal(err)
	}
	srv, err := scram.SHA256.NewServer(func(string) (scram.StoredCredentials, error) { return creds, nil })
	if err != nil {
		t.Fatal(err)
	}
	if cb != nil {
		return srv.NewConversationWithChannelBinding(*cb)
	}
	return srv.NewConversation()
}

// runSCRAM drives a SCRAM exchange; it returns the client and whether the
// exchange reached ReadyForQuery.
func runSCRAM(t *testing.T, cfg wire.Config, serverPW string, mechs []string, srvCB *scram.ChannelBinding, skipFinal bool) (*wire.Client, []wire.Event) {
	t.Helper()
	c := wire.NewClient(cfg)
	c.Startup()
	conv := scramServer(t, serverPW, srvCB)
	evs := feed(t, c, fakepg.AuthSASL(mechs...), splitters[0])
	if c.Dead() {
		return c, evs
	}
	tag, body, _ := frontendMsg(t, c.NeededSync())
	if tag != 'p' {
		t.Fatalf("tag %q", tag)
	}
	i := bytes.IndexByte(body, 0)
	mech := string(body[:i])
	first := string(body[i+5:])
	if c.State() != wire.StateSASLFirstSent {
		t.Fatalf("state %v", c.State())
	}
	serverFirst, err := conv.Step(first)
	if err != nil {
		t.Fatalf("server step 1 (%s): %v", mech, err)
	}
	evs = append(evs, feed(t, c, fakepg.AuthSASLContinue(serverFirst), splitters[2])...)
	if c.State() != wire.StateSASLFirstReceived {
		t.Fatalf("state %v", c.State())
	}
	_, body, _ = frontendMsg(t, c.NeededSync())
	serverFinal, err := conv.Step(string(body))
	if err != nil {
		// The server refuses: PostgreSQL answers with a FATAL error.
		evs = append(evs, feed(t, c, fakepg.Error("FATAL", "28P01", "password authentication failed for user \"u\""), splitters[0])...)
		return c, evs
	}
	var rest []byte
	if !skipFinal {
		rest = fakepg.AuthSASLFinal(serverFinal)
	}
	rest = fakepg.Concat(rest, fakepg.AuthOK(), startupRest())
	evs = append(evs, feed(t, c, rest, splitters[1])...)
	return c, evs
}

func TestAuthSCRAM(t *testing.T) {
	c, evs := runSCRAM(t, wire.Config{User: "u", Password: "pencil"}, "pencil", []string{"SCRAM-SHA-256"}, nil, false)
	if !c.Ready() {
		t.Fatalf("not ready: %v %q", c.Err(), kinds(evs))
	}
	equalKinds(t, evs, "Auth:scram-sha-256", "AuthOK", "Param:client_encoding", "Key", "ZI")
	if ar := evs[0].(*wire.AuthenticationRequest); ar.Mechanism != "SCRAM-SHA-256" {
		t.Fatalf("mechanism %q", ar.Mechanism)
	}
}

func TestAuthSCRAMWrongPassword(t *testing.T) {
	c, evs := runSCRAM(t, wire.Config{User: "u", Password: "wrong"}, "pencil", []string{"SCRAM-SHA-256"}, nil, false)
	if !c.Dead() {
		t.Fatal("client alive after failed authentication")
	}
	last := evs[len(evs)-1].(*wire.ErrorOrNoticeResponse)
	if last.Code != "28P01" || !last.Fatal() {
		t.Fatalf("last event %+v", last)
	}
	if _, err := c.SimpleQuery("SELECT 1"); !errors.Is(err, wire.ErrDead) {
		t.Fatalf("query on dead client: %v", err)
	}
	var pe *wire.ErrorOrNoticeResponse
	if !errors.As(c.Err(), &pe) || pe.Code != "28P01" {
		t.Fatalf("Err does not carry the server error: %v", c.Err())
	}
}

func TestAuthSCRAMPlus(t *testing.T) {
	data := bytes.Repeat([]byte{0xab}, 32)
	cb := scram.ChannelBinding{Type: scram.ChannelBindingTLSServerEndpoint, Data: data}
	c, evs := runSCRAM(t, wire.Config{User: "u", Password: "pencil", ChannelBinding: data, RequireChannelBinding: true},
		"pencil", []string{"SCRAM-SHA-256-PLUS", "SCRAM-SHA-256"}, &cb, false)
	if !c.Ready() {
		t.Fatalf("not ready: %v", c.Err())
	}
	if ar := evs[0].(*wire.AuthenticationRequest); ar.Mechanism != "SCRAM-SHA-256-PLUS" {
		t.Fatalf("mechanism %q", ar.Mechanism)
	}

	// A different certificate hash on the server side (a man in the
	// middle) fails the exchange.
	other := scram.ChannelBinding{Type: scram.ChannelBindingTLSServerEndpoint, Data: bytes.Repeat([]byte{0xcd}, 32)}
	c, _ = runSCRAM(t, wire.Config{User: "u", Password: "pencil", ChannelBinding: data},
		"pencil", []string{"SCRAM-SHA-256-PLUS"}, &other, false)
	if c.Ready() {
		t.Fatal("channel binding mismatch accepted")
	}
}

func TestAuthSkippedSASLFinalRefused(t *testing.T) {
	c, _ := runSCRAM(t, wire.Config{User: "u", Password: "pencil"}, "pencil", []string{"SCRAM-SHA-256"}, nil, true)
	if c.Ready() || !c.Dead() {
		t.Fatal("AuthenticationOk without SASLFinal accepted")
	}
	var ae *wire.AuthError
	if !errors.As(c.Err(), &ae) {
		t.Fatalf("err %v", c.Err())
	}
}

// TestAuthDowngradeRefused checks that a server (or a man in the middle)
// cannot talk the client into a weaker method than it requires, and that
// not one byte of the password is sent when it tries.
func TestAuthDowngradeRefused(t *testing.T) {
	cases := []struct {
		name   string
		cfg    wire.Config
		server []byte
	}{
		{"cleartext when scram required", wire.Config{RequireAuth: []string{"scram-sha-256"}}, fakepg.AuthCleartext()},
		{"md5 when scram required", wire.Config{RequireAuth: []string{"scram-sha-256"}}, fakepg.AuthMD5([4]byte{})},
		{"trust when scram required", wire.Config{RequireAuth: []string{"scram-sha-256"}}, fakepg.AuthOK()},
		{"cleartext negated", wire.Config{RequireAuth: []string{"!password"}}, fakepg.AuthCleartext()},
		{"none negated", wire.Config{RequireAuth: []string{"!none"}}, fakepg.AuthOK()},
		{"md5 under channel binding", wire.Config{RequireChannelBinding: true, ChannelBinding: []byte{1}}, fakepg.AuthMD5([4]byte{})},
		{"trust under channel binding", wire.Config{RequireChannelBinding: true, ChannelBinding: []byte{1}}, fakepg.AuthOK()},
		{"scram without plus under channel binding", wire.Config{RequireChannelBinding: true, ChannelBinding: []byte{1}}, fakepg.AuthSASL("SCRAM-SHA-256")},
		{"channel binding without TLS", wire.Config{RequireChannelBinding: true}, fakepg.AuthSASL("SCRAM-SHA-256-PLUS", "SCRAM-SHA-256")},
		{"unsupported GSS", wire.Config{}, fakepg.Msg('R', fakepg.I32(7))},
		{"no password given", wire.Config{Password: "-"}, fakepg.AuthCleartext()},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tc.cfg.User = "u"
			if tc.cfg.Password == "" {
				tc.cfg.Password = "secret"
			} else if tc.cfg.Password == "-" {
				tc.cfg.Password = ""
			}
			c := wire.NewClient(tc.cfg)
			if c.Startup() == nil {
				t.Fatal(c.Err())
			}
			evs := feed(t, c, tc.server, splitters[0])
			if !c.Dead() {
				t.Fatalf("accepted: %q", kinds(evs))
			}
			if out := c.NeededSync(); len(out) != 0 {
				t.Fatalf("sent % x after refusing", out)
			}
			var ae *wire.AuthError
			if !errors.As(c.Err(), &ae) {
				t.Fatalf("err %v", c.Err())
			}
			if len(evs) == 0 {
				t.Fatal("no event reported the refusal")
			}
			if _, ok := evs[len(evs)-1].(*wire.ProtocolError); !ok {
				t.Fatalf("last event %q", kinds(evs))
			}
		})
	}
}

func TestRequireAuthAllows(t *testing.T) {
	c := wire.NewClient(wire.Config{User: "u", Password: "pw", RequireAuth: []string{"md5", "password"}})
	c.Startup()
	feed(t, c, fakepg.AuthCleartext(), splitters[0])
	if c.Dead() || len(c.NeededSync()) == 0 {
		t.Fatal("allowed method refused")
	}
	c = wire.NewClient(wire.Config{User: "u", RequireAuth: []string{"md5", "!password"}})
	if c.Startup() != nil {
		t.Fatal("mixed negation accepted")
	}
	c = wire.NewClient(wire.Config{User: "u", RequireAuth: []string{"kerberos"}})
	if c.Startup() != nil || !strings.Contains(c.Err().Error(), "kerberos") {
		t.Fatalf("unknown method: %v", c.Err())
	}
}

func TestStartupFatalError(t *testing.T) {
	c := wire.NewClient(wire.Config{User: "u", Password: "x"})
	c.Startup()
	evs := feed(t, c, fakepg.Concat(fakepg.AuthCleartext(),
		fakepg.Error("FATAL", "28P01", "password authentication failed for user \"u\"")), splitters[0])
	equalKinds(t, evs, "Auth:password", "Error:28P01")
	if !c.Dead() || c.State() != wire.StateUnrecoverableError {
		t.Fatalf("state %v", c.State())
	}
	if c.NextEvent() != wire.NeedData {
		t.Fatal("dead client produced another event")
	}
}
