package session_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"testing"

	"github.com/pgactor/pgactor/internal/pgtest"
	"github.com/pgactor/pgactor/session"
)

func currentUser(t *testing.T, d string) (string, error) {
	t.Helper()
	s, err := session.Connect(context.Background(), d)
	if err != nil {
		return "", err
	}
	defer s.Close(context.Background())
	var u string
	err = s.QueryRow(context.Background(), "SELECT current_user").Scan(&u)
	return u, err
}

func TestEveryAuthRole(t *testing.T) {
	for _, r := range []pgtest.Role{pgtest.Trust, pgtest.Cleartext, pgtest.MD5, pgtest.SCRAM, pgtest.TLSOnly, pgtest.Cert} {
		t.Run(string(r), func(t *testing.T) {
			for _, form := range []string{"keyvalue", "url"} {
				cluster.RequireRole(t, r)
				p := cluster.Params(r)
				d := pgtest.FormatKeyValue(p)
				if form == "url" {
					d = pgtest.FormatURL(p)
				}
				if u, err := currentUser(t, d); err != nil || u != p["user"] {
					t.Fatalf("%s: %q %v", form, u, err)
				}
			}
		})
	}
}

func TestWrongPasswordIsNotEchoed(t *testing.T) {
	d := dsn(t, pgtest.SCRAM, "password", "hunter2-wrong")
	_, err := session.Connect(context.Background(), d)
	var pe *session.PgError
	if !errors.As(err, &pe) || pe.SQLState() != "28P01" {
		t.Fatalf("err %v", err)
	}
	if strings.Contains(err.Error(), "hunter2") {
		t.Fatal("password in the error")
	}
}

func TestSSLModes(t *testing.T) {
	cluster.RequireLocal(t, "TLS certificates of the harness")
	cases := []struct {
		name  string
		extra []string
		ok    bool
	}{
		{"require", []string{"sslmode", "require"}, true},
		{"prefer", []string{"sslmode", "prefer"}, true},
		{"verify-full right CA", []string{"sslmode", "verify-full", "sslrootcert", cluster.CACert, "host", "localhost"}, true},
		{"verify-full by IP", []string{"sslmode", "verify-full", "sslrootcert", cluster.CACert, "host", "127.0.0.1"}, true},
		{"verify-ca right CA", []string{"sslmode", "verify-ca", "sslrootcert", cluster.CACert}, true},
		{"verify-full wrong CA", []string{"sslmode", "verify-full", "sslrootcert", cluster.WrongCACert, "host", "localhost"}, false},
		{"verify-ca wrong CA", []string{"sslmode", "verify-ca", "sslrootcert", cluster.WrongCACert}, false},
		{"require with wrong root file is verify-ca", []string{"sslmode", "require", "sslrootcert", cluster.WrongCACert}, false},
		{"disable refused by hostssl", []string{"sslmode", "disable"}, false},
		{"allow falls back to TLS", []string{"sslmode", "allow"}, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := currentUser(t, dsn(t, pgtest.TLSOnly, tc.extra...))
			if (err == nil) != tc.ok {
				t.Fatalf("err %v", err)
			}
		})
	}
	t.Run("verify-full wrong host", func(t *testing.T) {
		// A name the certificate does not carry, resolved to the right address.
		_, err := currentUser(t, dsn(t, pgtest.TLSOnly, "sslmode", "verify-full", "sslrootcert", cluster.CACert, "host", "wrong.example", "hostaddr", "127.0.0.1"))
		if err == nil || !strings.Contains(err.Error(), "certificate") {
			t.Fatalf("err %v", err)
		}
	})
}

func TestChannelBindingAndRequireAuth(t *testing.T) {
	if _, err := currentUser(t, dsn(t, pgtest.TLSOnly, "channel_binding", "require")); err != nil {
		t.Fatalf("scram-plus over TLS: %v", err)
	}
	// MD5 cannot bind the channel: refused before the password is sent.
	_, err := currentUser(t, dsn(t, pgtest.MD5, "sslmode", "require", "channel_binding", "require"))
	if err == nil || !strings.Contains(err.Error(), "channel binding") {
		t.Fatalf("md5 with channel_binding=require: %v", err)
	}
	_, err = currentUser(t, dsn(t, pgtest.Cleartext, "require_auth", "scram-sha-256"))
	if err == nil || !strings.Contains(err.Error(), "require_auth") {
		t.Fatalf("cleartext with require_auth=scram-sha-256: %v", err)
	}
	if _, err := currentUser(t, dsn(t, pgtest.SCRAM, "require_auth", "scram-sha-256")); err != nil {
		t.Fatal(err)
	}
	_, err = currentUser(t, dsn(t, pgtest.Trust, "require_auth", "!none"))
	if err == nil {
		t.Fatal("trust with require_auth=!none accepted")
	}
	// Methods this client never performs may still be named, as in libpq.
	for _, v := range []string{"!gss", "!gss,!sspi"} {
		if _, err := currentUser(t, dsn(t, pgtest.SCRAM, "require_auth", v)); err != nil {
			t.Fatalf("require_auth=%s: %v", v, err)
		}
	}
	_, err = currentUser(t, dsn(t, pgtest.Trust, "require_auth", "gss"))
	if err == nil || !strings.Contains(err.Error(), "require_auth") {
		t.Fatalf("trust with require_auth=gss: %v", err)
	}
}

func TestMultiHostFallback(t *testing.T) {
	cluster.RequireLocal(t, "a second, dead host next to the harness")
	// A port nobody listens on: take one and close it.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := l.Addr().(*net.TCPAddr).Port
	l.Close()
	p := cluster.Params(pgtest.Trust)
	d := fmt.Sprintf("host=127.0.0.1,127.0.0.1 port=%d,%s user=%s dbname=%s sslmode=disable", dead, p["port"], p["user"], p["dbname"])
	if u, err := currentUser(t, d); err != nil || u != p["user"] {
		t.Fatalf("%q %v", u, err)
	}
	url := fmt.Sprintf("postgres://%s@127.0.0.1:%d,127.0.0.1:%s/%s?sslmode=disable", p["user"], dead, p["port"], p["dbname"])
	if _, err := currentUser(t, url); err != nil {
		t.Fatal(err)
	}
	// Both dead: one error naming both.
	_, err = currentUser(t, fmt.Sprintf("host=127.0.0.1,127.0.0.1 port=%d,%d user=x sslmode=disable", dead, dead))
	if err == nil || strings.Count(err.Error(), fmt.Sprint(dead)) < 2 {
		t.Fatalf("err %v", err)
	}
}

func TestTargetSessionAttrs(t *testing.T) {
	p := cluster.Params(pgtest.Trust)
	ro := fmt.Sprintf("host=%s port=%s user=%s dbname=%s sslmode=disable options='-c default_transaction_read_only=on'", p["host"], p["port"], p["user"], p["dbname"])
	if _, err := currentUser(t, ro+" target_session_attrs=read-write"); err == nil || !strings.Contains(err.Error(), "read-write") {
		t.Fatalf("read-only session accepted as read-write: %v", err)
	}
	if _, err := currentUser(t, ro+" target_session_attrs=read-only"); err != nil {
		t.Fatal(err)
	}
	if _, err := currentUser(t, dsn(t, pgtest.Trust, "target_session_attrs", "primary")); err != nil {
		t.Fatal(err)
	}
	if _, err := currentUser(t, dsn(t, pgtest.Trust, "target_session_attrs", "standby")); err == nil {
		t.Fatal("primary accepted as standby")
	}
	if _, err := currentUser(t, dsn(t, pgtest.Trust, "target_session_attrs", "prefer-standby")); err != nil {
		t.Fatalf("prefer-standby falls back to the primary: %v", err)
	}
}

func TestUnixSocket(t *testing.T) {
	cluster.RequireLocal(t, "the harness's unix socket")
	p := cluster.Params(pgtest.Trust)
	d := fmt.Sprintf("host=%s port=%d user=%s dbname=%s", cluster.SocketDir, cluster.Port, p["user"], p["dbname"])
	if u, err := currentUser(t, d); err != nil || u != p["user"] {
		t.Fatalf("%q %v", u, err)
	}
}

func TestUnnamedStatementMode(t *testing.T) {
	s := connect(t, dsn(t, pgtest.Trust, "statement_cache_mode", "unnamed"))
	ctx := context.Background()
	for i := range 20 {
		var v int64
		if err := s.QueryRow(ctx, "SELECT $1::int8 * 2", int64(i)).Scan(&v); err != nil || v != int64(i*2) {
			t.Fatalf("%d %v", v, err)
		}
	}
	var n int64
	s.QueryRow(ctx, "SELECT count(*) FROM pg_prepared_statements").Scan(&n)
	if n != 0 {
		t.Fatalf("%d named statements exist", n)
	}
}

func TestMalformedDSN(t *testing.T) {
	_, err := session.Connect(context.Background(), "host=localhost port=notaport password=topsecret")
	var ce *session.ConfigError
	if !errors.As(err, &ce) || strings.Contains(err.Error(), "topsecret") || !strings.Contains(err.Error(), "port") {
		t.Fatalf("err %v", err)
	}
}

// TestPgxConnectionString: a connection string written for pgx connects,
// and none of pgx's keys reaches the server as a run-time parameter.
func TestPgxConnectionString(t *testing.T) {
	d := dsn(t, pgtest.Trust, "default_query_exec_mode", "exec", "statement_cache_capacity", "100",
		"pool_max_conn_lifetime_jitter", "1s", "pool_min_idle_conns", "0", "pool_max_conns", "2")
	p := newPool(t, d, nil)
	ctx := context.Background()
	var v int64
	if err := p.QueryRow(ctx, "SELECT $1::int8", int64(5)).Scan(&v); err != nil || v != 5 {
		t.Fatalf("%d %v", v, err)
	}
}
