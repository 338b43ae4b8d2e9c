package pgtest

import (
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"
)

// The harness reads connection strings only to learn host, port and database
// of PGACTOR_TEST_DSN and to re-render it in the other form, so it accepts
// libpq's syntax without knowing libpq's list of keywords: a keyword is any
// run of letters, digits and underscores.

// parseDSN parses a libpq connection string, URL (postgres:// or
// postgresql://) or key=value form, into its parameters.
func parseDSN(s string) (map[string]string, error) {
	if strings.HasPrefix(s, "postgres://") || strings.HasPrefix(s, "postgresql://") {
		return parseURL(s)
	}
	return parseKeyValue(s)
}

func validKey(k string) bool {
	if k == "" {
		return false
	}
	for i := 0; i < len(k); i++ {
		c := k[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}

// isSpace is C's isspace in the C locale, which libpq uses.
func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r'
}

func parseKeyValue(s string) (map[string]string, error) {
	p := map[string]string{}
	i := 0
	skip := func() {
		for i < len(s) && isSpace(s[i]) {
			i++
		}
	}
	for {
		skip()
		if i == len(s) {
			return p, nil
		}
		start := i
		for i < len(s) && s[i] != '=' && !isSpace(s[i]) {
			i++
		}
		key := s[start:i]
		skip()
		if i == len(s) || s[i] != '=' {
			return nil, fmt.Errorf("pgtest: connection string: missing \"=\" after %q", key)
		}
		if !validKey(key) {
			return nil, fmt.Errorf("pgtest: connection string: invalid keyword %q", key)
		}
		i++
		skip()
		var v strings.Builder
		if i < len(s) && s[i] == '\'' {
			i++
			for {
				if i == len(s) {
					return nil, fmt.Errorf("pgtest: connection string: unterminated quoted value of %q", key)
				}
				c := s[i]
				i++
				if c == '\'' {
					break
				}
				if c == '\\' {
					if i == len(s) {
						return nil, fmt.Errorf("pgtest: connection string: unterminated quoted value of %q", key)
					}
					c = s[i]
					i++
				}
				v.WriteByte(c)
			}
		} else {
			for i < len(s) && !isSpace(s[i]) {
				c := s[i]
				i++
				if c == '\\' {
					// libpq drops a backslash that ends the string.
					if i == len(s) {
						break
					}
					c = s[i]
					i++
				}
				v.WriteByte(c)
			}
		}
		p[key] = v.String()
	}
}

func parseURL(s string) (map[string]string, error) {
	rest, ok := strings.CutPrefix(s, "postgresql://")
	if !ok {
		rest, _ = strings.CutPrefix(s, "postgres://")
	}
	p := map[string]string{}
	rest, query, hasQuery := strings.Cut(rest, "?")
	authority, path, hasPath := strings.Cut(rest, "/")

	if at := strings.LastIndexByte(authority, '@'); at >= 0 {
		userinfo := authority[:at]
		authority = authority[at+1:]
		user, pass, hasPass := strings.Cut(userinfo, ":")
		u, err := unescape(user)
		if err != nil {
			return nil, err
		}
		if u != "" {
			p["user"] = u
		}
		if hasPass {
			pw, err := unescape(pass)
			if err != nil {
				return nil, err
			}
			p["password"] = pw
		}
	}

	if authority != "" {
		var hosts, ports []string
		anyHost, anyPort := false, false
		for _, hp := range strings.Split(authority, ",") {
			var host, port string
			if strings.HasPrefix(hp, "[") {
				end := strings.IndexByte(hp, ']')
				if end < 0 {
					return nil, fmt.Errorf("pgtest: connection URL: missing \"]\" in host %q", hp)
				}
				host, port = hp[1:end], hp[end+1:]
				if port != "" {
					if port[0] != ':' {
						return nil, fmt.Errorf("pgtest: connection URL: unexpected %q after host", port)
					}
					port = port[1:]
				}
			} else if colon := strings.LastIndexByte(hp, ':'); colon >= 0 {
				host, port = hp[:colon], hp[colon+1:]
			} else {
				host = hp
			}
			h, err := unescape(host)
			if err != nil {
				return nil, err
			}
			pt, err := unescape(port)
			if err != nil {
				return nil, err
			}
			anyHost = anyHost || h != ""
			anyPort = anyPort || pt != ""
			hosts, ports = append(hosts, h), append(ports, pt)
		}
		if anyHost {
			p["host"] = strings.Join(hosts, ",")
		}
		if anyPort {
			p["port"] = strings.Join(ports, ",")
		}
	}

	if hasPath && path != "" {
		db, err := unescape(path)
		if err != nil {
			return nil, err
		}
		p["dbname"] = db
	}

	if hasQuery && query != "" {
		for _, kv := range strings.Split(query, "&") {
			k, v, ok := strings.Cut(kv, "=")
			if !ok {
				return nil, fmt.Errorf("pgtest: connection URL: query parameter %q has no \"=\"", kv)
			}
			key, err := unescape(k)
			if err != nil {
				return nil, err
			}
			if !validKey(key) {
				return nil, fmt.Errorf("pgtest: connection URL: invalid keyword %q", key)
			}
			val, err := unescape(v)
			if err != nil {
				return nil, err
			}
			p[key] = val
		}
	}
	return p, nil
}

var errBadEscape = errors.New("pgtest: connection URL: invalid percent-encoding")

// unescape decodes %XX like libpq does: unlike a form decoder it leaves "+"
// alone.
func unescape(s string) (string, error) {
	if strings.IndexByte(s, '%') < 0 {
		return s, nil
	}
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		if s[i] != '%' {
			b = append(b, s[i])
			continue
		}
		if i+2 >= len(s) {
			return "", errBadEscape
		}
		hi, ok1 := unhex(s[i+1])
		lo, ok2 := unhex(s[i+2])
		if !ok1 || !ok2 {
			return "", errBadEscape
		}
		b = append(b, hi<<4|lo)
		i += 2
	}
	return string(b), nil
}

func unhex(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
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
