package pgtest

import (
	"errors"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"github.com/pgactor/pgactor/session"
)

// The harness renders connection parameters in libpq's two forms, for its
// own roles and for tests that add keys. It does not parse connection
// strings: PGACTOR_TEST_DSN is read by session.ParseConfig, the library's
// one parser (externalParams), so a string the harness accepts is one the
// library accepts, with the same meaning.

// externalParams parses dsn with session.ParseConfig and returns the
// parameters it names, as the harness's own roles have them: host, port,
// user, password, dbname, the TLS files and mode, options,
// application_name and every run-time parameter.
func externalParams(dsn string) (*session.Config, map[string]string, error) {
	cfg, err := session.ParseConfig(dsn)
	if err != nil {
		return nil, nil, err
	}
	if len(cfg.Hosts) == 0 {
		return nil, nil, errors.New("no host")
	}
	p := map[string]string{}
	set := func(k, v string) {
		if v != "" {
			p[k] = v
		}
	}
	hosts := make([]string, len(cfg.Hosts))
	ports := make([]string, len(cfg.Hosts))
	for i, h := range cfg.Hosts {
		hosts[i], ports[i] = h.Host, strconv.Itoa(int(h.Port))
	}
	set("host", strings.Join(hosts, ","))
	set("port", strings.Join(ports, ","))
	set("user", cfg.User)
	password := cfg.Password
	if password == "" {
		password = cfg.Hosts[0].Password // from the password file
	}
	set("password", password)
	set("dbname", cfg.Database)
	set("sslmode", string(cfg.SSLMode))
	set("sslrootcert", cfg.SSLRootCert)
	set("sslcert", cfg.SSLCert)
	set("sslkey", cfg.SSLKey)
	set("options", cfg.Options)
	set("application_name", cfg.ApplicationName)
	for k, v := range cfg.RuntimeParams {
		p[k] = v
	}
	return cfg, p, nil
}

// isSpace is C's isspace in the C locale, which libpq uses.
func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r'
}

// escape percent-encodes every byte but RFC 3986's unreserved ones, so the
// result is safe in any part of a URL.
func escape(s string) string { return escapeExcept(s, 0) }

// escapeQuery is escape that leaves "/" alone: a query may hold it, and
// paths in sslcert or host read better plain.
func escapeQuery(s string) string { return escapeExcept(s, '/') }

func escapeExcept(s string, keep byte) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
			c == '-' || c == '.' || c == '_' || c == '~' || c == keep && keep != 0 {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hex[c>>4])
		b.WriteByte(hex[c&15])
	}
	return b.String()
}

// leadingKeys come first in the key=value form, in this order, because
// people read those first; the rest follow sorted.
var leadingKeys = []string{"host", "port", "user", "password", "dbname"}

func orderedKeys(p map[string]string) []string {
	keys := make([]string, 0, len(p))
	for _, k := range leadingKeys {
		if _, ok := p[k]; ok {
			keys = append(keys, k)
		}
	}
	rest := make([]string, 0, len(p))
	for k := range p {
		if !slices.Contains(leadingKeys, k) {
			rest = append(rest, k)
		}
	}
	slices.Sort(rest)
	return append(keys, rest...)
}

// FormatKeyValue renders connection parameters in libpq's key=value form,
// quoting values that are empty or hold spaces, quotes or backslashes.
func FormatKeyValue(p map[string]string) string {
	var b strings.Builder
	for i, k := range orderedKeys(p) {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(k)
		b.WriteByte('=')
		v := p[k]
		if v != "" && !strings.ContainsFunc(v, func(r rune) bool {
			return r < 0x80 && isSpace(byte(r)) || r == '\'' || r == '\\'
		}) {
			b.WriteString(v)
			continue
		}
		b.WriteByte('\'')
		for j := 0; j < len(v); j++ {
			if v[j] == '\'' || v[j] == '\\' {
				b.WriteByte('\\')
			}
			b.WriteByte(v[j])
		}
		b.WriteByte('\'')
	}
	return b.String()
}

// FormatURL renders connection parameters as a postgres:// URL: user,
// password, a single plain host, its port and the database where a URL has
// places for them, everything else as query parameters.
func FormatURL(p map[string]string) string {
	q := make(map[string]string, len(p))
	for k, v := range p {
		q[k] = v
	}
	var b strings.Builder
	b.WriteString("postgres://")
	if u := q["user"]; u != "" {
		b.WriteString(escape(u))
		delete(q, "user")
		if pw, ok := q["password"]; ok {
			b.WriteByte(':')
			b.WriteString(escape(pw))
			delete(q, "password")
		}
		b.WriteByte('@')
	}
	if h, ok := urlHost(q["host"]); ok {
		b.WriteString(h)
		delete(q, "host")
		if port := q["port"]; isDigits(port) {
			b.WriteByte(':')
			b.WriteString(port)
			delete(q, "port")
		}
	}
	b.WriteByte('/')
	if db := q["dbname"]; db != "" {
		b.WriteString(escape(db))
		delete(q, "dbname")
	}
	for i, k := range orderedKeys(q) {
		if i == 0 {
			b.WriteByte('?')
		} else {
			b.WriteByte('&')
		}
		b.WriteString(k)
		b.WriteByte('=')
		b.WriteString(escapeQuery(q[k]))
	}
	return b.String()
}

// urlHost returns host as it goes in a URL's authority, if it can go there
// unescaped: a name, an IPv4 address or a bracketed IPv6 address. Anything
// else (a socket directory, a list of hosts) goes in the query.
func urlHost(host string) (string, bool) {
	if host == "" {
		return "", false
	}
	if a, err := netip.ParseAddr(host); err == nil && a.Is6() && a.Zone() == "" {
		return "[" + host + "]", true
	}
	for i := 0; i < len(host); i++ {
		c := host[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '.') {
			return "", false
		}
	}
	return host, true
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
