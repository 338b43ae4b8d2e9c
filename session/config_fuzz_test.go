package session_test

import (
	"reflect"
	"strings"
	"testing"

	"github.com/pgactor/pgactor/session"
)

// FuzzParseConfig feeds arbitrary strings to the parser, alone and with a
// password placed in front of them in both forms. Properties: no panic; a
// successful parse has a dialable host and survives String and a second
// parse unchanged (passwords aside); and neither an error nor String shows
// the password (written escaped, or in a URL also as typed), unless the
// same text shows up with a different password
// in its place (then the rest of the input, not the password, put it
// there).
func FuzzParseConfig(f *testing.F) {
	seeds := []struct{ rest, pw string }{
		{"", "hunter2"},
		{"host=a,b port=1,2 user=u dbname=d", "hunter2"},
		{"port=abc", "hunter2"},
		{"port=5432password=hunter2", "hunter2"},
		{`application_name='it\'s' options='-c a=b'`, "p'w\\"},
		{"host=/tmp hostaddr=::1 sslmode=verify-full sslrootcert=system", "x"},
		{"h:1,[::1]:2/db?sslmode=require&application_name=a%20b", "p@ss/w?rd"},
		{"%2Ftmp/db?host=/run&search_path=x", "pw"},
		{"[::1/db", "pw"},
		{"h:99999/db", "secret"},
		{"h/db?ssl=true&sslsni=0&require_auth=!md5,!password", "s"},
		{"dbname='host=x port=1'", "pw"},
		{"postgres://u:pw@h:1,h2/db", "abc"},
		{"connect_timeout=1 statement_cache_mode=unnamed pool_min_conns=3 pool_max_conn_lifetime=90s", "pw"},
		{"keepalives=0 gssencmode=disable replication=off", "pw"},
		{"a.b='' TimeZone=UTC", "pw"},
		{"password", "pw"},
		{"='x'", "pw"},
		{"h/db", "pa%zzss"},
		{"h/db", "pa/ss"},
		{"host=h", "it's"},
	}
	for _, s := range seeds {
		f.Add(s.rest, s.pw)
	}
	d := session.Deps{Env: map[string]string{}, OSUser: "fuzzuser"}
	f.Fuzz(func(t *testing.T, rest, pw string) {
		checkParse(t, rest, d)
		if pw == "" || strings.IndexByte(pw, 0) >= 0 {
			return
		}
		sentinel := "S3nt1nel"
		if strings.Contains(sentinel, pw) || strings.Contains(pw, sentinel) {
			sentinel = "0therW0rd"
		}
		forms := map[string]func(string) string{
			"keyword/value": func(p string) string { return "password='" + quoteKV(p) + "' " + rest },
			"URL":           func(p string) string { return "postgres://u:" + encodeURL(p) + "@" + rest },
		}
		// Unescaped, the password itself can be malformed ("%zz", "%00").
		// Raw "/", "?", "@" or "#" would move the userinfo's boundary and
		// make the comparison with the sentinel meaningless.
		if !strings.ContainsAny(pw, "/?@#") {
			forms["raw URL"] = func(p string) string { return "postgres://u:" + p + "@" + rest }
		}
		for name, build := range forms {
			c, err := session.ParseConfigDeps(build(pw), d)
			var shown string
			if err != nil {
				shown = err.Error()
			} else {
				checkConfig(t, c)
				shown = c.String()
			}
			if !strings.Contains(shown, pw) {
				continue
			}
			c2, err2 := session.ParseConfigDeps(build(sentinel), d)
			var other string
			if err2 != nil {
				other = err2.Error()
			} else {
				other = c2.String()
			}
			if !strings.Contains(other, pw) {
				t.Fatalf("%s form shows the password %q:\ninput: %q\nshown: %s", name, pw, build(pw), shown)
			}
		}
	})
}

// checkParse parses s and checks what a successful parse must satisfy.
func checkParse(t *testing.T, s string, d session.Deps) {
	c, err := session.ParseConfigDeps(s, d)
	if err != nil {
		return
	}
	checkConfig(t, c)
	if strings.Contains(c.Database, "=") || strings.Contains(c.Database, "://") {
		return // String cannot say such a dbname in a way that reads back
	}
	again, err := session.ParseConfigDeps(c.String(), d)
	if err != nil {
		t.Fatalf("String() of %q does not parse: %v\nString(): %s", s, err, c.String())
	}
	clearPasswords(c)
	clearPasswords(again)
	if !reflect.DeepEqual(c, again) {
		t.Fatalf("round trip of %q changed the config\nString(): %s\nfirst:  %+v\nsecond: %+v", s, c.String(), *c, *again)
	}
}

func checkConfig(t *testing.T, c *session.Config) {
	if len(c.Hosts) == 0 {
		t.Fatalf("no hosts in %+v", *c)
	}
	for _, h := range c.Hosts {
		if h.Port == 0 || h.Addr == "" || h.Host == "" || (h.Network != "tcp" && h.Network != "unix") {
			t.Fatalf("undialable host %+v", h)
		}
	}
	if c.User == "" || c.Database == "" || c.RuntimeParams == nil {
		t.Fatalf("missing defaults in %+v", *c)
	}
}

// quoteKV escapes s for a single-quoted key=value value.
func quoteKV(s string) string {
	return strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(s)
}

// encodeURL percent-encodes every byte but letters and digits.
func encodeURL(s string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hex[c>>4])
		b.WriteByte(hex[c&15])
	}
	return b.String()
}

// FuzzPgpassLine checks that the password file line parser never panics
// and that a parsed line, escaped again, parses to the same entry.
func FuzzPgpassLine(f *testing.F) {
	for _, s := range []string{
		"h:1:d:u:p",
		"*:*:*:*:p",
		`\*:*:d:u:p`,
		`a\:b:1:d\\x:u:p\:q\\r`,
		"h:1:d:u:p:extra\r",
		`h:1:d:u:p\`,
		"# comment",
		"::::",
		"h:1:d",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, line string) {
		e, ok := session.ParsePgpassLine(line)
		if !ok || strings.HasSuffix(e.Password, "\r") {
			return // a trailing CR cannot be written: it is taken for CRLF
		}
		var parts []string
		for i, field := range e.Fields {
			switch {
			case e.Wild[i]:
				parts = append(parts, "*")
			case field == "*":
				parts = append(parts, `\*`)
			default:
				parts = append(parts, escapePgpass(field))
			}
		}
		if strings.HasPrefix(parts[0], "#") {
			parts[0] = `\` + parts[0]
		}
		again := strings.Join(append(parts, escapePgpass(e.Password)), ":")
		got, ok := session.ParsePgpassLine(again)
		if !ok || !reflect.DeepEqual(got, e) {
			t.Fatalf("line %q parsed to %+v; escaped again as %q it parsed to %+v (ok %v)", line, e, again, got, ok)
		}
	})
}

func escapePgpass(s string) string {
	return strings.NewReplacer(`\`, `\\`, `:`, `\:`).Replace(s)
}
