package pgtest_test

import (
	"maps"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/pgactor/pgactor/internal/pgtest"
	"github.com/pgactor/pgactor/session"
)

// TestExternalParams: PGACTOR_TEST_DSN is read by the library's parser,
// in either form, and comes back as the parameters the harness renders.
func TestExternalParams(t *testing.T) {
	tests := []struct {
		in   string
		want map[string]string
		err  string
	}{
		{"host=127.0.0.1 port=5433 user=u password='it\\'s' dbname=d sslmode=disable timezone=UTC",
			map[string]string{"host": "127.0.0.1", "port": "5433", "user": "u", "password": "it's", "dbname": "d", "sslmode": "disable", "timezone": "UTC"}, ""},
		{"postgresql://u:p%40ss@h:5432/db?sslmode=require&application_name=x%26y",
			map[string]string{"host": "h", "port": "5432", "user": "u", "password": "p@ss", "dbname": "db", "sslmode": "require", "application_name": "x&y"}, ""},
		{"postgres://u@[::1]:5434/db?sslmode=disable&options=-c%20x%3D1",
			map[string]string{"host": "::1", "port": "5434", "user": "u", "dbname": "db", "sslmode": "disable", "options": "-c x=1"}, ""},
		{"postgres://u@h1:1,h2:2/db?sslmode=disable", map[string]string{"host": "h1,h2", "port": "1,2", "user": "u", "dbname": "db", "sslmode": "disable"}, ""},
		{"host=h port=x", nil, "port"},
		{"host='open", nil, "unterminated"},
		{"mysql://h/db", nil, "scheme"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			cfg, got, err := pgtest.ExternalParams(tt.in)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("got %v, %v; want error with %q", got, err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !maps.Equal(got, tt.want) {
				t.Fatalf("got %q\nwant %q", got, tt.want)
			}
			if cfg.Database != tt.want["dbname"] || cfg.Hosts[0].Host != strings.Split(tt.want["host"], ",")[0] {
				t.Fatalf("config %s", cfg)
			}
		})
	}
}

// parsedAs checks that the library reads s as params say, with nothing
// from the environment.
func parsedAs(t *testing.T, s string, params map[string]string) {
	t.Helper()
	cfg, err := session.ParseConfigEnv(s, nil)
	if err != nil {
		t.Fatalf("ParseConfig(%s): %v", s, err)
	}
	got := map[string]string{
		"user": cfg.User, "password": cfg.Password, "options": cfg.Options,
		"application_name": cfg.ApplicationName, "sslcert": cfg.SSLCert, "sslkey": cfg.SSLKey,
	}
	if params["sslmode"] != "" {
		got["sslmode"] = string(cfg.SSLMode)
	}
	if db, ok := params["dbname"]; ok && db != "" {
		got["dbname"] = cfg.Database
	}
	if h := params["host"]; h != "" {
		got["host"] = cfg.Hosts[0].Host
	}
	if port := params["port"]; port != "" {
		got["port"] = strconv.Itoa(int(cfg.Hosts[0].Port))
	}
	for k, v := range got {
		if want, ok := params[k]; ok && v != want || !ok && v != "" && k != "user" {
			t.Errorf("ParseConfig(%s): %s = %q, want %q", s, k, v, want)
		}
	}
}

func TestFormat(t *testing.T) {
	tests := []struct {
		name    string
		params  map[string]string
		url, kv string
	}{
		{
			"cluster role",
			map[string]string{"host": "127.0.0.1", "port": "5432", "user": "scram_user", "password": "pgactor-secret", "dbname": "pgactor", "sslmode": "disable"},
			"postgres://scram_user:pgactor-secret@127.0.0.1:5432/pgactor?sslmode=disable",
			"host=127.0.0.1 port=5432 user=scram_user password=pgactor-secret dbname=pgactor sslmode=disable",
		},
		{
			"certificate paths",
			map[string]string{"host": "127.0.0.1", "port": "1", "user": "cert_user", "dbname": "pgactor", "sslmode": "require", "sslcert": "/tmp/a b/c.crt", "sslkey": "/tmp/k'"},
			"postgres://cert_user@127.0.0.1:1/pgactor?sslcert=/tmp/a%20b/c.crt&sslkey=/tmp/k%27&sslmode=require",
			`host=127.0.0.1 port=1 user=cert_user dbname=pgactor sslcert='/tmp/a b/c.crt' sslkey='/tmp/k\'' sslmode=require`,
		},
		{
			"socket, IPv6-less host in the query",
			map[string]string{"host": "/tmp/sock", "port": "5432", "user": "u"},
			"postgres://u@/?host=/tmp/sock&port=5432",
			"host=/tmp/sock port=5432 user=u",
		},
		{
			"IPv6",
			map[string]string{"host": "::1", "port": "5432"},
			"postgres://[::1]:5432/",
			"host=::1 port=5432",
		},
		{
			"awkward values",
			map[string]string{"user": "a@b:c", "password": `p\w d`, "dbname": "", "options": "-c x=1"},
			"postgres://a%40b%3Ac:p%5Cw%20d@/?dbname=&options=-c%20x%3D1",
			`user=a@b:c password='p\\w d' dbname='' options='-c x=1'`,
		},
		{
			"password without user",
			map[string]string{"password": "p", "host": "h"},
			"postgres://h/?password=p",
			"host=h password=p",
		},
		{"empty", map[string]string{}, "postgres:///", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := pgtest.FormatURL(tt.params); got != tt.url {
				t.Errorf("FormatURL = %s\nwant        %s", got, tt.url)
			}
			if got := pgtest.FormatKeyValue(tt.params); got != tt.kv {
				t.Errorf("FormatKeyValue = %s\nwant             %s", got, tt.kv)
			}
			for _, s := range []string{tt.url, tt.kv} {
				parsedAs(t, s, tt.params)
			}
		})
	}
}

// FuzzFormat: whatever values the harness renders, in either form, the
// library reads back unchanged.
func FuzzFormat(f *testing.F) {
	f.Add("u", "p w", "db", "app", "-c x=1")
	f.Add("a@b:c", `p\'w`, "d b/c?", "x&y=z", "")
	f.Add("", "", "", "%41", "'")
	f.Fuzz(func(t *testing.T, user, password, dbname, app, options string) {
		p := map[string]string{"host": "127.0.0.1", "port": "5432", "sslmode": "disable"}
		for k, v := range map[string]string{"user": user, "password": password, "dbname": dbname, "application_name": app, "options": options} {
			if strings.IndexByte(v, 0) >= 0 || !utf8.ValidString(v) {
				return // no connection string can carry these
			}
			if v != "" {
				p[k] = v
			}
		}
		if user == "" {
			p["user"] = "someone" // else the library asks the OS
		}
		if strings.Contains(dbname, "=") || strings.Contains(dbname, "://") {
			// libpq reads such a dbname as a connection string of its
			// own (expand_dbname), as the library does.
			return
		}
		for _, s := range []string{pgtest.FormatKeyValue(p), pgtest.FormatURL(p)} {
			parsedAs(t, s, p)
		}
	})
}
