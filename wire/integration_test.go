package wire_test

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/xdg-go/scram"

	"github.com/pgactor/pgactor/internal/pgtest"
	"github.com/pgactor/pgactor/wire"
	"github.com/pgactor/pgactor/wire/codec"
)

// conn is the seed's ready loop over a plain net.Conn: no goroutines, the
// test drives the machine step by step.
type conn struct {
	t  *testing.T
	nc net.Conn
	c  *wire.Client
}

func (k *conn) send(b []byte) {
	k.t.Helper()
	if len(b) == 0 {
		return
	}
	if _, err := k.nc.Write(b); err != nil {
		k.t.Fatalf("write: %v", err)
	}
}

// untilReady runs the ready loop until the command at the head of the
// queue (or startup) reaches its ReadyForQuery, returning its events.
func (k *conn) untilReady() []wire.Event {
	k.t.Helper()
	return k.untilReadyOr(func(wire.Event) bool { return false })
}

// untilReadyOr is untilReady that also stops after an event stop accepts.
func (k *conn) untilReadyOr(stop func(wire.Event) bool) []wire.Event {
	k.t.Helper()
	var evs []wire.Event
	for {
		for {
			ev := k.c.NextEvent()
			if ev == wire.NeedData {
				break
			}
			evs = append(evs, snapshot(ev))
			if stop(ev) {
				return evs
			}
			if _, ok := ev.(*wire.ReadyForQuery); ok {
				k.send(k.c.NeededSync())
				return evs
			}
			if k.c.Dead() {
				return evs
			}
		}
		k.send(k.c.NeededSync())
		buf := make([]byte, 32<<10) // a new buffer each time: the client owns what it receives
		k.nc.SetReadDeadline(time.Now().Add(10 * time.Second))
		n, err := k.nc.Read(buf)
		if n > 0 {
			k.c.Receive(buf[:n])
			continue
		}
		if err != nil {
			if err == io.EOF && k.c.Dead() {
				return evs
			}
			k.t.Fatalf("read: %v (state %v)", err, k.c.State())
		}
	}
}

func dial(t *testing.T, r pgtest.Role, cfg wire.Config, useTLS bool) *conn {
	t.Helper()
	cluster.RequireRole(t, r)
	p := cluster.Params(r)
	nc, err := net.Dial("tcp", net.JoinHostPort(p["host"], p["port"]))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close() })
	cfg.User, cfg.Database = p["user"], p["dbname"]
	if cfg.Password == "" {
		cfg.Password = p["password"]
	}
	k := &conn{t: t, nc: nc}
	if useTLS {
		probe := wire.NewClient(cfg)
		k.send(probe.SSLRequest())
		var b [1]byte
		if _, err := io.ReadFull(nc, b[:]); err != nil {
			t.Fatal(err)
		}
		if ok, err := probe.ParseSSLResponse(b[0]); !ok || err != nil {
			t.Fatalf("TLS refused: %v", err)
		}
		pem, _ := os.ReadFile(cluster.CACert)
		pool := x509.NewCertPool()
		pool.AppendCertsFromPEM(pem)
		tc := tls.Client(nc, &tls.Config{RootCAs: pool, ServerName: "localhost"})
		if err := tc.Handshake(); err != nil {
			t.Fatal(err)
		}
		state := tc.ConnectionState()
		cb, err := scram.NewTLSServerEndpointBinding(&state)
		if err != nil {
			t.Fatal(err)
		}
		cfg.ChannelBinding = cb.Data
		k.nc = tc
	}
	k.c = wire.NewClient(cfg)
	k.send(k.c.Startup())
	return k
}

func TestIntegrationAuthMethods(t *testing.T) {
	cases := []struct {
		role pgtest.Role
		tls  bool
		want wire.AuthMethod
	}{
		{pgtest.Trust, false, ""},
		{pgtest.Cleartext, false, wire.AuthPassword},
		{pgtest.MD5, false, wire.AuthMD5},
		{pgtest.SCRAM, false, wire.AuthSCRAMSHA256},
		{pgtest.TLSOnly, true, wire.AuthSCRAMSHA256},
	}
	for _, tc := range cases {
		t.Run(string(tc.role), func(t *testing.T) {
			cfg := wire.Config{}
			if tc.tls {
				cfg.RequireChannelBinding = true
			}
			k := dial(t, tc.role, cfg, tc.tls)
			evs := k.untilReady()
			if !k.c.Ready() {
				t.Fatalf("not ready: %v %q", k.c.Err(), kinds(evs))
			}
			var got wire.AuthMethod
			for _, ev := range evs {
				if ar, ok := ev.(*wire.AuthenticationRequest); ok {
					got = ar.Method
					if tc.tls && ar.Mechanism != "SCRAM-SHA-256-PLUS" {
						t.Fatalf("mechanism %q", ar.Mechanism)
					}
				}
			}
			if got != tc.want {
				t.Fatalf("auth method %q, want %q", got, tc.want)
			}
			if pid, _ := k.c.BackendKey(); pid == 0 {
				t.Fatal("no BackendKeyData")
			}
			k.send(k.c.Terminate())
		})
	}
}

func TestIntegrationWrongPassword(t *testing.T) {
	for _, r := range []pgtest.Role{pgtest.Cleartext, pgtest.MD5, pgtest.SCRAM} {
		t.Run(string(r), func(t *testing.T) {
			k := dial(t, r, wire.Config{Password: "not-the-password"}, false)
			evs := k.untilReady()
			last, ok := evs[len(evs)-1].(*wire.ErrorOrNoticeResponse)
			if !ok || last.Code != "28P01" || !k.c.Dead() {
				t.Fatalf("events %q dead=%v", kinds(evs), k.c.Dead())
			}
		})
	}
}

func TestIntegrationRequireAuthRefusesBeforePassword(t *testing.T) {
	k := dial(t, pgtest.Cleartext, wire.Config{RequireAuth: []string{"scram-sha-256"}}, false)
	k.untilReady()
	var ae *wire.AuthError
	if !errors.As(k.c.Err(), &ae) {
		t.Fatalf("err %v", k.c.Err())
	}
}

func TestIntegrationQueries(t *testing.T) {
	k := dial(t, pgtest.Trust, wire.Config{RuntimeParams: map[string]string{"TimeZone": "Asia/Tokyo"}, ResultFormat: codec.Default().ResultFormat}, false)
	k.untilReady()
	if tz := k.c.ServerParameter("TimeZone"); tz != "Asia/Tokyo" {
		t.Fatalf("timezone %q", tz)
	}

	// Simple query with two statements.
	b, _ := k.c.SimpleQuery("SELECT 1 AS one, 'x' AS two; SELECT NULL::text")
	k.send(b)
	evs := k.untilReady()
	equalKinds(t, evs, "RowDesc", "Row:1:x", "Complete:SELECT 1", "RowDesc", "Row:NULL", "Complete:SELECT 1", "ZI")

	// An error, then recovery.
	b, _ = k.c.SimpleQuery("SELECT * FROM no_such_table")
	k.send(b)
	evs = k.untilReady()
	if e := evs[0].(*wire.ErrorOrNoticeResponse); e.Code != "42P01" || e.Position == 0 {
		t.Fatalf("error %+v", e)
	}
	if !k.c.Ready() {
		t.Fatal("not ready after a recoverable error")
	}

	// Prepare, then bind-execute with paging.
	b, _ = k.c.Prepare("gen", "SELECT g, g::text FROM generate_series(1, $1::int4) g")
	k.send(b)
	evs = k.untilReady()
	equalKinds(t, evs, "ParseComplete", "ParamDesc", "Info", "ZI")
	info := evs[2].(*wire.PreparedStatementInfo)
	if info.ParamOIDs[0] != 23 || info.Columns.Fields[0].TypeOID != 23 {
		t.Fatalf("info %+v", info)
	}
	b, err := k.c.BindExecute(info, encParams(t, info.ParamOIDs, int32(7)), 3)
	if err != nil {
		t.Fatal(err)
	}
	k.send(b)
	evs = k.untilReady()
	var rows, pages int
	for _, ev := range evs {
		switch e := ev.(type) {
		case *wire.DataRow:
			rows++
			if string(e.Values[1]) != strconv.Itoa(rows) || !bytes.Equal(e.Values[0], []byte{0, 0, 0, byte(rows)}) {
				t.Fatalf("row %d: %q", rows, e.Values)
			}
		case *wire.PortalSuspended:
			pages++
		}
	}
	if rows != 7 || pages != 2 {
		t.Fatalf("rows %d pages %d: %q", rows, pages, kinds(evs))
	}
	k.send(k.c.Terminate())
}

func TestIntegrationPipeline(t *testing.T) {
	k := dial(t, pgtest.Trust, wire.Config{ResultFormat: codec.Default().ResultFormat}, false)
	k.untilReady()
	b, _ := k.c.Prepare("add", "SELECT $1::int8 + 1")
	k.send(b)
	evs := k.untilReady()
	info := evs[2].(*wire.PreparedStatementInfo)
	var out []byte
	for i := range 100 {
		var err error
		if i%10 == 5 {
			out, err = k.c.AppendSimpleQuery(out, "SELECT 1/0")
		} else {
			out, err = k.c.AppendBindExecute(out, info, encParams(t, info.ParamOIDs, int64(i)), 0)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	k.send(out) // one write for all 100
	for i := range 100 {
		evs := k.untilReady()
		if i%10 == 5 {
			if e, ok := evs[0].(*wire.ErrorOrNoticeResponse); !ok || e.Code != "22012" {
				t.Fatalf("#%d: %q", i, kinds(evs))
			}
			continue
		}
		row := evs[1].(*wire.DataRow)
		if row.Columns.Fields[0].Format != 1 {
			t.Fatalf("#%d: int8 result format %d", i, row.Columns.Fields[0].Format)
		}
		if v := value(t, row, 0); v != int64(i+1) {
			t.Fatalf("#%d: %v %T", i, v, v)
		}
	}
	if !k.c.Ready() {
		t.Fatal("not ready after pipeline")
	}
	k.send(k.c.Terminate())
	k.nc.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := k.nc.Read(make([]byte, 1)); err != io.EOF {
		t.Fatalf("server did not close after Terminate: %v", err)
	}
}

func TestIntegrationCopyIn(t *testing.T) {
	k := dial(t, pgtest.Trust, wire.Config{}, false)
	k.untilReady()
	b, _ := k.c.SimpleQuery("CREATE TEMP TABLE cp (id int8, name text)")
	k.send(b)
	k.untilReady()
	b, _ = k.c.CopyIn("COPY cp (id, name) FROM STDIN")
	q, _ := k.c.SimpleQuery("SELECT count(*), max(name) FROM cp") // held until the copy ends
	k.send(append(b, q...))
	evs := k.untilReadyOr(func(ev wire.Event) bool { _, ok := ev.(*wire.CopyInResponse); return ok })
	if _, ok := evs[len(evs)-1].(*wire.CopyInResponse); !ok {
		t.Fatalf("events %q", kinds(evs))
	}
	var out []byte
	for i := range 1000 {
		out, _ = k.c.CopyData(out, []byte(strconv.Itoa(i)+"\tname\\t"+strconv.Itoa(i)+"\n"))
	}
	out, _ = k.c.EndCopy(out, "")
	k.send(append(out, k.c.NeededSync()...))
	evs = k.untilReady()
	if cc, ok := evs[0].(*wire.CommandComplete); !ok || cc.Rows != 1000 {
		t.Fatalf("copy: %q", kinds(evs))
	}
	evs = k.untilReady()
	row := evs[1].(*wire.DataRow)
	if string(row.Values[0]) != "1000" || string(row.Values[1]) != "name\t999" {
		t.Fatalf("after copy: %q", row.Values)
	}
}
