package pgtest_test

import (
	"maps"
	"strings"
	"testing"

	"github.com/pgactor/pgactor/internal/pgtest"
)

func TestParseDSN(t *testing.T) {
	tests := []struct {
		in   string
		want map[string]string
		err  string
	}{
		{"", map[string]string{}, ""},
		{"host=127.0.0.1 port=5432 user=u dbname=d", map[string]string{"host": "127.0.0.1", "port": "5432", "user": "u", "dbname": "d"}, ""},
		{"  host = h\tport=\n1  ", map[string]string{"host": "h", "port": "1"}, ""},
		{`password='it\'s a \\ secret' sslmode=disable`, map[string]string{"password": `it's a \ secret`, "sslmode": "disable"}, ""},
		{`password=a\ b\=c`, map[string]string{"password": "a b=c"}, ""},
		{`password=trailing\`, map[string]string{"password": "trailing"}, ""},
		{"user= dbname=''", map[string]string{"user": "dbname=''"}, ""},
		{"user='' dbname=x", map[string]string{"user": "", "dbname": "x"}, ""},
		{"host=a host=b", map[string]string{"host": "b"}, ""},
		{"host", nil, `missing "="`},
		{"host x=1", nil, `missing "="`},
		{"host='open", nil, "unterminated"},
		{`host='open\'`, nil, "unterminated"},
		{"=value", nil, "invalid keyword"},
		{"ho-st=x", nil, "invalid keyword"},

		{"postgres://", map[string]string{}, ""},
		{"postgresql://u:p@h:5432/db?sslmode=require", map[string]string{"user": "u", "password": "p", "host": "h", "port": "5432", "dbname": "db", "sslmode": "require"}, ""},
		{"postgres://u@h/db", map[string]string{"user": "u", "host": "h", "dbname": "db"}, ""},
		{"postgres://u:@h", map[string]string{"user": "u", "password": "", "host": "h"}, ""},
		{"postgres://p%40ss%3Aw%2Bo+rd:x%2Fy@h/d%20b", map[string]string{"user": "p@ss:w+o+rd", "password": "x/y", "host": "h", "dbname": "d b"}, ""},
		{"postgres://a:b@c@h", map[string]string{"user": "a", "password": "b@c", "host": "h"}, ""},
		{"postgres://[::1]:5433/db", map[string]string{"host": "::1", "port": "5433", "dbname": "db"}, ""},
		{"postgres://h1:1,h2,[::1]:3/", map[string]string{"host": "h1,h2,::1", "port": "1,,3"}, ""},
		{"postgres://:5432", map[string]string{"port": "5432"}, ""},
		{"postgres:///db?host=%2Ftmp%2Fsock&port=5", map[string]string{"host": "/tmp/sock", "port": "5", "dbname": "db"}, ""},
		{"postgres://h/?sslcert=/a/b.crt&application_name=x%26y=z", map[string]string{"host": "h", "sslcert": "/a/b.crt", "application_name": "x&y=z"}, ""},
		{"postgres://h?user=q&user=r", map[string]string{"host": "h", "user": "r"}, ""},
		{"postgres://h/db?sslmode", nil, `has no "="`},
		{"postgres://h/db?bad-key=1", nil, "invalid keyword"},
		{"postgres://h/d%zz", nil, "percent-encoding"},
		{"postgres://h/d%4", nil, "percent-encoding"},
		{"postgres://[::1/db", nil, `missing "]"`},
		{"postgres://[::1]x/db", nil, "after host"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := pgtest.ParseDSN(tt.in)
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
		})
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
				back, err := pgtest.ParseDSN(s)
				if err != nil || !maps.Equal(back, tt.params) {
					t.Errorf("ParseDSN(%s) = %q, %v; want %q", s, back, err, tt.params)
				}
			}
		})
	}
}

// FuzzParseDSN: any input parses or fails cleanly, and whatever parses
// survives a trip through both formats unchanged.
func FuzzParseDSN(f *testing.F) {
	for _, s := range []string{
		"host=127.0.0.1 port=5432 user=u password='a \\' b' dbname=d sslmode=disable",
		"postgres://u:p%20w@h:5432/db?sslmode=require&sslcert=/a/b",
		"postgresql://[::1]:1,h2:2/x?host=%2Ftmp",
		"postgres://@/?dbname=",
		"a=\\",
		"k='",
		"postgres://h/%",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := pgtest.ParseDSN(s)
		if err != nil {
			return
		}
		for _, form := range []string{pgtest.FormatKeyValue(p), pgtest.FormatURL(p)} {
			back, err := pgtest.ParseDSN(form)
			if err != nil {
				t.Fatalf("ParseDSN(%q) = %q; its rendering %q fails: %v", s, p, form, err)
			}
			if !maps.Equal(back, p) {
				t.Fatalf("ParseDSN(%q) = %q; its rendering %q parses as %q", s, p, form, back)
			}
		}
	})
}
