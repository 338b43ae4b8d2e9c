package session

import (
	"strconv"
	"strings"
)

// This file reads connection strings: the key=value and URL forms, into
// the raw settings the builder (config_build.go) validates.

// sysDeps is everything outside the string that parsing consults, so tests
// can pin it.
type sysDeps struct {
	env       func(string) (string, bool)
	osUser    func() (string, error)
	dirExists func(string) bool
	goos      string
}

// setting is one raw value and where it came from, so that an error about
// a value taken from PGPORT says so.
type setting struct {
	value  string
	envVar string // "" when it came from the connection string
}

// parser carries the raw settings and every secret seen so far; values
// echoed in errors are checked against the secrets first.
type parser struct {
	settings map[string]setting
	secrets  []string
	warnings []string
}

func parseConfig(connString string, deps sysDeps) (*Config, error) {
	p := &parser{settings: make(map[string]setting)}
	if err := p.parseConnString(connString); err != nil {
		return nil, err
	}
	if err := p.expandDBName(); err != nil {
		return nil, err
	}
	if err := p.applyService(deps); err != nil {
		return nil, err
	}
	p.applyEnv(deps.env)
	return p.build(deps)
}

// parseConnString dispatches on the form and stores each key, the last
// occurrence winning.
func (p *parser) parseConnString(s string) error {
	if scheme, ok := urlScheme(s); ok {
		if scheme != "postgres" && scheme != "postgresql" {
			// Anything that looks like a URL must not fall through to the
			// key=value parser, which would echo it (userinfo and all) as
			// a key.
			return &ConfigError{Msg: "unsupported URL scheme " + strconv.Quote(scheme) + ` (want "postgres://" or "postgresql://")`}
		}
		return p.parseURL(s[len(scheme)+len("://"):])
	}
	return p.parseKeywordValue(s)
}

// urlScheme reports the lower-cased scheme when s starts like a URL.
func urlScheme(s string) (string, bool) {
	i := strings.Index(s, "://")
	if i <= 0 {
		return "", false
	}
	for j := 0; j < i; j++ {
		c := s[j]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z':
		case j > 0 && (c >= '0' && c <= '9' || c == '+' || c == '-' || c == '.'):
		default:
			return "", false
		}
	}
	return strings.ToLower(s[:i]), true
}

// set stores one key. Values travel in NUL-terminated protocol strings, so
// a NUL can only be a mistake (or an attack) and is refused here.
func (p *parser) set(key, value string) error {
	if key == "password" || key == "sslpassword" {
		p.addSecret(value)
	}
	if strings.IndexByte(key, 0) >= 0 {
		return &ConfigError{Msg: "a key contains a NUL byte"}
	}
	if strings.IndexByte(value, 0) >= 0 {
		return &ConfigError{Key: key, Msg: "the value contains a NUL byte"}
	}
	p.settings[key] = setting{value: value}
	return nil
}

func (p *parser) addSecret(s string) {
	if s != "" {
		p.secrets = append(p.secrets, s)
	}
}

// mayHoldSecret reports whether echoing v could reveal a password: it
// contains a password seen so far, or the word "password", which is what a
// value looks like after it swallowed a neighbouring password=... through a
// missing space or quote.
func (p *parser) mayHoldSecret(v string) bool {
	if strings.Contains(strings.ToLower(v), "password") {
		return true
	}
	for _, s := range p.secrets {
		if strings.Contains(v, s) {
			return true
		}
	}
	return false
}

// show quotes v for an error message, or stands in for it when it may hold
// a secret.
func (p *parser) show(v string) string {
	if p.mayHoldSecret(v) {
		return "the value (not shown)"
	}
	return strconv.Quote(v)
}

// keyError builds an error naming key, unless the key itself may hold a
// secret (a password typed without "=" becomes a "key").
func (p *parser) keyError(key, msg string) *ConfigError {
	if _, known := knownKeys[key]; !known && p.mayHoldSecret(key) {
		return &ConfigError{Msg: msg + " (key not shown)"}
	}
	return &ConfigError{Key: key, Msg: msg}
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'
}

// parseKeywordValue parses libpq's key=value form: whitespace around "=",
// values optionally in single quotes, and backslash escaping the next byte
// both inside and outside quotes.
func (p *parser) parseKeywordValue(s string) error {
	i, afterQuote := 0, false
	for {
		if i < len(s) && isSpace(s[i]) {
			afterQuote = false
		}
		for i < len(s) && isSpace(s[i]) {
			i++
		}
		if i == len(s) {
			return nil
		}
		start := i
		for i < len(s) && s[i] != '=' && !isSpace(s[i]) {
			i++
		}
		key := s[start:i]
		for i < len(s) && isSpace(s[i]) {
			i++
		}
		if i == len(s) || s[i] != '=' {
			if afterQuote {
				// A "key" glued to a closing quote is almost always the
				// rest of a value with an unescaped quote in it: perhaps a
				// password, so it is not echoed.
				return &ConfigError{Msg: `missing "=" after a quoted value (write a quote inside a value as \')`}
			}
			return p.keyError(key, `missing "=" after the key`)
		}
		if key == "" {
			return &ConfigError{Msg: `"=" without a key before it`}
		}
		i++
		for i < len(s) && isSpace(s[i]) {
			i++
		}
		var b strings.Builder
		if i < len(s) && s[i] == '\'' {
			i++
			closed := false
			for i < len(s) {
				c := s[i]
				if c == '\\' && i+1 < len(s) {
					b.WriteByte(s[i+1])
					i += 2
					continue
				}
				i++
				if c == '\'' {
					closed = true
					break
				}
				b.WriteByte(c)
			}
			if !closed {
				return p.keyError(key, "unterminated quoted value")
			}
			afterQuote = true
		} else {
			afterQuote = false
			for i < len(s) && !isSpace(s[i]) {
				if s[i] == '\\' {
					i++
					if i == len(s) {
						break
					}
				}
				b.WriteByte(s[i])
				i++
			}
		}
		if err := p.set(key, b.String()); err != nil {
			return err
		}
	}
}

// parseURL parses what follows "postgres://":
// [user[:password]@][host[:port][,host[:port]...]][/dbname][?key=value&...],
// percent-decoding every part.
func (p *parser) parseURL(rest string) error {
	// The userinfo ends at the last "@" before the first "/": host names
	// cannot contain "@", so a password with a raw "@" or "?" still parses.
	authEnd := strings.IndexByte(rest, '/')
	if authEnd < 0 {
		authEnd = len(rest)
	}
	if at := strings.LastIndexByte(rest[:authEnd], '@'); at >= 0 {
		if err := p.parseUserinfo(rest[:at]); err != nil {
			return err
		}
		rest = rest[at+1:]
	}
	// A raw "@" after this point usually means a password with a raw "/"
	// cut the userinfo short; then host and port errors must not echo.
	suspect := strings.Contains(rest, "@")

	hostEnd := strings.IndexAny(rest, "/?")
	if hostEnd < 0 {
		hostEnd = len(rest)
	}
	if err := p.parseHostspec(rest[:hostEnd], suspect); err != nil {
		return err
	}
	rest = rest[hostEnd:]

	if strings.HasPrefix(rest, "/") {
		pathEnd := strings.IndexByte(rest, '?')
		if pathEnd < 0 {
			pathEnd = len(rest)
		}
		db, ok := percentDecode(rest[1:pathEnd])
		if !ok {
			return &ConfigError{Key: "dbname", Msg: "invalid percent-encoding in the URL path"}
		}
		if db != "" {
			if err := p.set("dbname", db); err != nil {
				return err
			}
		}
		rest = rest[pathEnd:]
	}
	if strings.HasPrefix(rest, "?") {
		return p.parseQuery(rest[1:])
	}
	return nil
}

func (p *parser) parseUserinfo(info string) error {
	rawUser, rawPass, hasPass := strings.Cut(info, ":")
	if hasPass {
		p.addSecret(rawPass)
		pass, ok := percentDecode(rawPass)
		if !ok {
			return &ConfigError{Key: "password", Msg: "invalid percent-encoding in the URL password"}
		}
		if pass != "" {
			if err := p.set("password", pass); err != nil {
				return err
			}
		}
	}
	u, ok := percentDecode(rawUser)
	if !ok {
		return &ConfigError{Key: "user", Msg: "invalid percent-encoding in the URL user name " + p.show(rawUser)}
	}
	if u != "" {
		return p.set("user", u)
	}
	return nil
}

// parseHostspec turns "a:1,[::1]:2,b" into host=a,::1,b and port=1,2,
// keeping positions so that ports line up with hosts.
func (p *parser) parseHostspec(spec string, suspect bool) error {
	if spec == "" {
		return nil
	}
	fail := func(key, msg, raw string) error {
		if suspect {
			return &ConfigError{Key: key, Msg: "malformed URL host list (percent-encode \"@\", \"/\" and \"?\" in the user name and password)"}
		}
		return &ConfigError{Key: key, Msg: msg + " in URL host " + p.show(raw)}
	}
	var hosts, ports []string
	anyHost, anyPort := false, false
	for _, h := range strings.Split(spec, ",") {
		var rawHost, rawPort string
		if strings.HasPrefix(h, "[") {
			end := strings.IndexByte(h, ']')
			if end < 0 {
				return fail("host", `missing "]"`, h)
			}
			rawHost = h[1:end]
			if rawHost == "" {
				return fail("host", "empty IPv6 address", h)
			}
			after := h[end+1:]
			if after != "" {
				if after[0] != ':' {
					return fail("host", `unexpected text after "]"`, h)
				}
				rawPort = after[1:]
			}
		} else {
			rawHost, rawPort, _ = strings.Cut(h, ":")
		}
		host, ok := percentDecode(rawHost)
		if !ok {
			return fail("host", "invalid percent-encoding", h)
		}
		port, ok := percentDecode(rawPort)
		if !ok {
			return fail("port", "invalid percent-encoding", h)
		}
		if suspect && !isPortList(port) {
			return fail("port", "", h)
		}
		anyHost = anyHost || host != ""
		anyPort = anyPort || port != ""
		hosts = append(hosts, host)
		ports = append(ports, port)
	}
	if anyHost {
		if err := p.set("host", strings.Join(hosts, ",")); err != nil {
			return err
		}
	}
	if anyPort {
		return p.set("port", strings.Join(ports, ","))
	}
	return nil
}

// isPortList reports whether s is empty or decimal digits only.
func isPortList(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func (p *parser) parseQuery(q string) error {
	for _, kv := range strings.Split(q, "&") {
		if kv == "" {
			continue
		}
		rawKey, rawValue, ok := strings.Cut(kv, "=")
		key, kok := percentDecode(rawKey)
		if !kok {
			return &ConfigError{Msg: "invalid percent-encoding in a URL query key"}
		}
		if !ok {
			return p.keyError(key, `missing "=" in URL query parameter`)
		}
		value, vok := percentDecode(rawValue)
		if key == "password" || key == "sslpassword" {
			p.addSecret(rawValue)
		}
		if !vok {
			return p.keyError(key, "invalid percent-encoding in URL query value")
		}
		// libpq accepts ssl=true for JDBC compatibility.
		if key == "ssl" {
			if value != "true" {
				return &ConfigError{Key: key, Msg: p.show(value) + ` is not supported (only "ssl=true", meaning sslmode=require)`}
			}
			key, value = "sslmode", string(SSLModeRequire)
		}
		if err := p.set(key, value); err != nil {
			return err
		}
	}
	return nil
}

// percentDecode decodes %XX escapes. Unlike query-string decoding, "+"
// stays "+", as in libpq.
func percentDecode(s string) (string, bool) {
	if strings.IndexByte(s, '%') < 0 {
		return s, true
	}
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		if s[i] != '%' {
			b = append(b, s[i])
			continue
		}
		if i+2 >= len(s) {
			return "", false
		}
		hi, ok1 := unhex(s[i+1])
		lo, ok2 := unhex(s[i+2])
		if !ok1 || !ok2 {
			return "", false
		}
		b = append(b, hi<<4|lo)
		i += 2
	}
	return string(b), true
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

// looksLikeConnString is libpq's test for a dbname that is itself a
// connection string.
func looksLikeConnString(s string) bool {
	if strings.Contains(s, "=") {
		return true
	}
	scheme, ok := urlScheme(s)
	return ok && (scheme == "postgres" || scheme == "postgresql")
}

// expandDBName replaces a dbname holding a connection string by its
// settings, which override the ones around it. It expands once: a dbname
// inside that one is a plain name.
func (p *parser) expandDBName() error {
	db, ok := p.settings["dbname"]
	if !ok || !looksLikeConnString(db.value) {
		return nil
	}
	inner := &parser{settings: make(map[string]setting), secrets: p.secrets}
	if err := inner.parseConnString(db.value); err != nil {
		if ce, ok := err.(*ConfigError); ok {
			ce.Msg += " (in the connection string given as dbname)"
		}
		return err
	}
	delete(p.settings, "dbname")
	for k, v := range inner.settings {
		p.settings[k] = v
	}
	p.secrets = inner.secrets
	return nil
}

// knownKeys are the keys that are not runtime parameters: libpq's own and
// pgactor's. The order of keyOrder fixes which error wins when several keys
// are wrong, so the same input always gives the same error.
var knownKeys = map[string]struct{}{}

var keyOrder = []string{
	"service", "servicefile",
	"host", "hostaddr", "port", "dbname", "user", "password", "passfile",
	"connect_timeout", "application_name", "fallback_application_name", "options",
	"sslmode", "sslrootcert", "sslcert", "sslkey", "sslsni",
	"ssl_min_protocol_version", "ssl_max_protocol_version",
	"channel_binding", "require_auth", "target_session_attrs", "load_balance_hosts",
	"statement_cache_size", "statement_cache_mode", "max_in_flight",
	"pool_max_conns", "pool_min_conns", "pool_max_conn_lifetime",
	"pool_max_conn_idle_time", "pool_health_check_period", "pool_max_conn_lifetime_jitter",
	// pgx's keys; see buildPgxKeys.
	"statement_cache_capacity", "description_cache_capacity", "default_query_exec_mode",
	"pool_min_idle_conns", "min_read_buffer_size",
	// libpq keys pgactor does not implement; see unsupportedKey.
	"keepalives", "keepalives_idle", "keepalives_interval", "keepalives_count",
	"tcp_user_timeout", "sslcompression", "krbsrvname", "gsslib", "gssdelegation",
	"gssencmode", "sslnegotiation", "sslcertmode", "replication",
	"min_protocol_version", "max_protocol_version",
	"sslcrl", "sslcrldir", "sslpassword", "requirepeer",
}

func init() {
	for _, k := range keyOrder {
		knownKeys[k] = struct{}{}
	}
}
