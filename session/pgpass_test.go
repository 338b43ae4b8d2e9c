package session_test

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/pgactor/pgactor/session"
)

// writePgpass writes a password file with the given mode and returns its
// path.
func writePgpass(t *testing.T, content string, mode os.FileMode) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "pgpass")
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	// WriteFile's mode is filtered by the umask; Chmod is not.
	if err := os.Chmod(path, mode); err != nil {
		t.Fatal(err)
	}
	return path
}

const testPgpass = `# comment line, then a blank one

db.example.com:5432:app:alice:exact
db.example.com:5432:app:alice:shadowed (first match wins)
db.example.com:*:*:bob:bob-any-port
*:6000:*:*:any-host-on-6000
host\:with\:colons:5432:*:*:colon-host
esc.example.com:5432:*:carol:pa\:ss\\word
star.example.com:5432:\*:*:literal-star-db
localhost:5432:*:dave:dave-local
/run/pg:5432:*:dave:dave-socket
10.0.0.9:5432:*:erin:erin-addr
crlf.example.com:5432:*:*:crlf-pw` + "\r" + `
too:few:fields:x
trailing.example.com:5432:*:*:pw:ignored-sixth-field
`

func TestPgpassLookup(t *testing.T) {
	path := writePgpass(t, testPgpass, 0o600)
	cases := []struct {
		name string
		in   string
		dirs []string
		want []string // per host
	}{
		{"exact", "host=db.example.com dbname=app user=alice", nil, []string{"exact"}},
		{"wildcards", "host=db.example.com port=7777 dbname=other user=bob", nil, []string{"bob-any-port"}},
		{"wildcard host", "host=anything.example port=6000 user=zed", nil, []string{"any-host-on-6000"}},
		{"no match", "host=nowhere.example user=zed", nil, []string{""}},
		{"escaped colons in host", `host=host:with:colons user=x`, nil, []string{"colon-host"}},
		{"escaped password", "host=esc.example.com user=carol", nil, []string{`pa:ss\word`}},
		{"escaped star is literal", "host=star.example.com dbname=* user=u", nil, []string{"literal-star-db"}},
		{"escaped star does not match others", "host=star.example.com dbname=db user=u", nil, []string{""}},
		{"default socket dir is localhost", "user=dave", []string{"/var/run/postgresql"}, []string{"dave-local"}},
		{"explicit default socket dir is localhost", "host=/tmp user=dave", nil, []string{"dave-local"}},
		{"other socket dir by path", "host=/run/pg user=dave", nil, []string{"dave-socket"}},
		{"hostaddr alone matched by address", "hostaddr=10.0.0.9 user=erin", nil, []string{"erin-addr"}},
		{"host name preferred over hostaddr", "host=localhost hostaddr=10.0.0.9 user=erin", nil, []string{""}},
		{"CRLF line", "host=crlf.example.com user=u", nil, []string{"crlf-pw"}},
		{"sixth field ignored", "host=trailing.example.com user=u", nil, []string{"pw"}},
		{"per host", "host=db.example.com,esc.example.com,x port=5432,5432,6000 dbname=app user=carol", nil,
			[]string{"", `pa:ss\word`, "any-host-on-6000"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d := deps("PGPASSFILE", path)
			d.Dirs = tc.dirs
			c, err := session.ParseConfigDeps(tc.in, d)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, h := range c.Hosts {
				got = append(got, h.Password)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("host passwords %q, want %q", got, tc.want)
			}
			if c.Password != "" || len(c.Warnings) != 0 || c.PassFile != path {
				t.Errorf("Password %q, Warnings %q, PassFile %q", c.Password, c.Warnings, c.PassFile)
			}
		})
	}
}

func TestPgpassPrecedence(t *testing.T) {
	path := writePgpass(t, "*:*:*:*:from-file\n", 0o600)
	cases := []struct {
		name string
		in   string
		env  []string
		want string
	}{
		{"file", "host=h", nil, "from-file"},
		{"PGPASSWORD beats file", "host=h", []string{"PGPASSWORD", "from-env"}, "from-env"},
		{"string beats PGPASSWORD", "host=h password=from-string", []string{"PGPASSWORD", "from-env"}, "from-string"},
		{"URL beats PGPASSWORD", "postgres://u:from-url@h", []string{"PGPASSWORD", "from-env"}, "from-url"},
		// libpq: an empty password in the string blocks PGPASSWORD, and an
		// empty password means "look in the file".
		{"empty string password falls to file", "host=h password=''", []string{"PGPASSWORD", "from-env"}, "from-file"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, err := session.ParseConfigDeps(tc.in, deps(append(tc.env, "PGPASSFILE", path)...))
			if err != nil {
				t.Fatal(err)
			}
			if got := c.Hosts[0].Password; got != tc.want {
				t.Errorf("password %q, want %q", got, tc.want)
			}
		})
	}
}

func TestPgpassLocation(t *testing.T) {
	home := t.TempDir()
	if err := os.WriteFile(filepath.Join(home, ".pgpass"), []byte("*:*:*:*:home\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	other := writePgpass(t, "*:*:*:*:other\n", 0o600)
	cases := []struct {
		name string
		in   string
		env  []string
		want string
	}{
		{"HOME", "host=h", []string{"HOME", home}, "home"},
		{"PGPASSFILE beats HOME", "host=h", []string{"HOME", home, "PGPASSFILE", other}, "other"},
		{"passfile beats PGPASSFILE", "host=h passfile=" + filepath.Join(home, ".pgpass"), []string{"PGPASSFILE", other}, "home"},
		{"missing file is no error", "host=h passfile=" + filepath.Join(home, "nope"), nil, ""},
		{"no HOME, no file", "host=h", nil, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, err := session.ParseConfigDeps(tc.in, deps(tc.env...))
			if err != nil {
				t.Fatal(err)
			}
			if got := c.Hosts[0].Password; got != tc.want {
				t.Errorf("password %q, want %q", got, tc.want)
			}
			if len(c.Warnings) != 0 {
				t.Errorf("unexpected warnings %q", c.Warnings)
			}
		})
	}
}

func TestPgpassIgnored(t *testing.T) {
	cases := []struct {
		name string
		mode os.FileMode
		dir  bool
		goos string
		warn string
		want string
	}{
		{"group readable", 0o640, false, "", "group or world access", ""},
		{"world readable", 0o604, false, "", "group or world access", ""},
		{"group executable", 0o610, false, "", "group or world access", ""},
		{"windows skips the permission check", 0o644, false, "windows", "", "pw"},
		{"directory", 0o700, true, "", "not a plain file", ""},
		{"owner only", 0o400, false, "", "", "pw"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			path := writePgpass(t, "*:*:*:*:pw\n", tc.mode)
			if tc.dir {
				path = t.TempDir()
			}
			d := deps("PGPASSFILE", path)
			d.GOOS = tc.goos
			c, err := session.ParseConfigDeps("host=h", d)
			if err != nil {
				t.Fatal(err)
			}
			if got := c.Hosts[0].Password; got != tc.want {
				t.Errorf("password %q, want %q", got, tc.want)
			}
			switch {
			case tc.warn == "" && len(c.Warnings) != 0:
				t.Errorf("unexpected warnings %q", c.Warnings)
			case tc.warn != "" && (len(c.Warnings) != 1 || !strings.Contains(c.Warnings[0], tc.warn)):
				t.Errorf("warnings %q, want one containing %q", c.Warnings, tc.warn)
			}
		})
	}
}

func TestPgpassLongLine(t *testing.T) {
	content := "first.example:*:*:*:first\n" + strings.Repeat("x", 2<<20) + "\n*:*:*:*:after\n"
	path := writePgpass(t, content, 0o600)
	for host, want := range map[string]string{"first.example": "first", "other.example": ""} {
		c, err := session.ParseConfigDeps("host="+host, deps("PGPASSFILE", path))
		if err != nil {
			t.Fatal(err)
		}
		if got := c.Hosts[0].Password; got != want {
			t.Errorf("%s: password %q, want %q", host, got, want)
		}
		if len(c.Warnings) != 1 || !strings.Contains(c.Warnings[0], "read only in part") {
			t.Errorf("warnings %q, want one about a partial read", c.Warnings)
		}
	}
}

func TestPgpassParseLine(t *testing.T) {
	cases := []struct {
		line string
		ok   bool
		want session.PgpassLine
	}{
		{"h:1:d:u:p", true, session.PgpassLine{Fields: [4]string{"h", "1", "d", "u"}, Password: "p"}},
		{"*:*:*:*:p", true, session.PgpassLine{Fields: [4]string{"*", "*", "*", "*"}, Wild: [4]bool{true, true, true, true}, Password: "p"}},
		{`\*:*:d:u:p`, true, session.PgpassLine{Fields: [4]string{"*", "*", "d", "u"}, Wild: [4]bool{false, true, false, false}, Password: "p"}},
		{`a\:b:1:d\\x:u:p\:q\\r`, true, session.PgpassLine{Fields: [4]string{"a:b", "1", `d\x`, "u"}, Password: `p:q\r`}},
		{"h:1:d:u:", true, session.PgpassLine{Fields: [4]string{"h", "1", "d", "u"}}},
		{"h:1:d:u:p:extra", true, session.PgpassLine{Fields: [4]string{"h", "1", "d", "u"}, Password: "p"}},
		{"h:1:d:u:p\r", true, session.PgpassLine{Fields: [4]string{"h", "1", "d", "u"}, Password: "p"}},
		{`h:1:d:u:p\`, true, session.PgpassLine{Fields: [4]string{"h", "1", "d", "u"}, Password: `p\`}},
		{"::::", true, session.PgpassLine{}},
		{"h:1:d:u", false, session.PgpassLine{}},
		{`h:1:d:u\:p`, false, session.PgpassLine{}},
		{"# h:1:d:u:p", false, session.PgpassLine{}},
		{"", false, session.PgpassLine{}},
	}
	for _, tc := range cases {
		got, ok := session.ParsePgpassLine(tc.line)
		if ok != tc.ok || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("ParsePgpassLine(%q) = %+v, %v; want %+v, %v", tc.line, got, ok, tc.want, tc.ok)
		}
	}
}
