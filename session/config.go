package session

import (
	"net"
	"net/netip"
	"os"
	"os/user"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"time"
)

// SSLMode is the libpq sslmode: how hard to insist on TLS and how much of
// the server's certificate to check.
type SSLMode string

// The sslmode values libpq accepts, weakest first.
const (
	SSLModeDisable    SSLMode = "disable"
	SSLModeAllow      SSLMode = "allow"
	SSLModePrefer     SSLMode = "prefer"
	SSLModeRequire    SSLMode = "require"
	SSLModeVerifyCA   SSLMode = "verify-ca"
	SSLModeVerifyFull SSLMode = "verify-full"
)

// TargetSessionAttrs is the libpq target_session_attrs: which kind of server
// a multi-host connection must end up on.
type TargetSessionAttrs string

// The target_session_attrs values libpq accepts.
const (
	TargetSessionAttrsAny           TargetSessionAttrs = "any"
	TargetSessionAttrsReadWrite     TargetSessionAttrs = "read-write"
	TargetSessionAttrsReadOnly      TargetSessionAttrs = "read-only"
	TargetSessionAttrsPrimary       TargetSessionAttrs = "primary"
	TargetSessionAttrsStandby       TargetSessionAttrs = "standby"
	TargetSessionAttrsPreferStandby TargetSessionAttrs = "prefer-standby"
)

// Statement cache modes (key statement_cache_mode).
const (
	// StatementCacheModePrepare caches named prepared statements per
	// connection, so a repeated statement skips Parse and Describe.
	StatementCacheModePrepare = "prepare"
	// StatementCacheModeUnnamed uses only the unnamed statement, which
	// survives PgBouncer in transaction mode because nothing outlives a Sync.
	StatementCacheModeUnnamed = "unnamed"
)

// Defaults applied by ParseConfig when a setting is absent.
const (
	DefaultPort                  = 5432
	DefaultStatementCacheSize    = 512
	DefaultMaxInFlight           = 1024
	DefaultPoolMaxConnLifetime   = time.Hour
	DefaultPoolMaxConnIdleTime   = 30 * time.Minute
	DefaultPoolHealthCheckPeriod = time.Minute
)

// Upper bounds for pgactor's own numeric keys; past them a typo is likelier
// than a plan, and each unit costs memory.
const (
	maxStatementCacheSize = 1 << 20
	maxMaxInFlight        = 1 << 20
	maxPoolConns          = 1 << 16
)

// HostConfig is one host of a possibly multi-host configuration, with
// everything needed to dial it.
type HostConfig struct {
	// Host is a host name, an IP address, or an absolute unix socket
	// directory (starting with "/", or "@" for Linux's abstract namespace).
	// TLS verifies the server certificate against it.
	Host string
	// HostAddr is the numeric address to dial instead of resolving Host
	// (libpq hostaddr); empty when Host is resolved normally.
	HostAddr string
	// Port is the TCP port, or the number in the socket file name.
	Port uint16
	// Network is "tcp" or "unix", as net.Dial wants it.
	Network string
	// Addr is what to dial: "host:port" (IPv6 bracketed) or
	// "/dir/.s.PGSQL.5432".
	Addr string
	// Password is the password for this host: Config.Password if set, or
	// the .pgpass entry for this host and port (which is why it is per host).
	Password string
}

// Config is a parsed connection string. ParseConfig fills every field;
// callers may adjust fields before connecting.
type Config struct {
	// Hosts has at least one entry, tried in order (or shuffled when
	// LoadBalanceHosts is "random"). A host left empty is the first of
	// /var/run/postgresql, /run/postgresql and /tmp that exists as a
	// directory (a unix socket), else "localhost"; the port defaults to 5432.
	Hosts []HostConfig
	// Database defaults to User.
	Database string
	// User defaults to PGUSER, then the operating system user name.
	User string
	// Password was given in the connection string or PGPASSWORD; .pgpass
	// results live in HostConfig.Password.
	Password string
	// PassFile is the password file consulted (passfile, PGPASSFILE, or
	// ~/.pgpass); empty if there was none to consult.
	PassFile string
	// ConnectTimeout bounds each host attempt (libpq semantics); 0 means no
	// bound. Values under two seconds become two seconds, as in libpq.
	ConnectTimeout time.Duration
	// ApplicationName is sent as the application_name startup parameter.
	ApplicationName string
	// Options is the "options" startup parameter, e.g. "-c search_path=x".
	Options string
	// SSLMode defaults to "prefer" (to "verify-full" with sslrootcert=system).
	SSLMode SSLMode
	// SSLRootCert is a CA file path, or "system" for the system pool.
	SSLRootCert string
	// SSLCert and SSLKey are the client certificate and key file paths.
	SSLCert, SSLKey string
	// SSLSNI says whether to send the host name in the TLS handshake
	// (default true).
	SSLSNI bool
	// SSLMinProtocolVersion and SSLMaxProtocolVersion bound the TLS version:
	// "TLSv1", "TLSv1.1", "TLSv1.2" or "TLSv1.3". The minimum defaults to
	// "TLSv1.2" as in libpq; an empty maximum means no bound.
	SSLMinProtocolVersion, SSLMaxProtocolVersion string
	// ChannelBinding is "disable", "prefer" (default) or "require".
	ChannelBinding string
	// RequireAuth lists the authentication methods the server may use (or,
	// when every entry starts with "!", may not use); nil allows any.
	RequireAuth []string
	// TargetSessionAttrs defaults to "any".
	TargetSessionAttrs TargetSessionAttrs
	// LoadBalanceHosts is "disable" (default) or "random".
	LoadBalanceHosts string
	// RuntimeParams are sent in the startup packet: every key the parser
	// does not know (search_path, TimeZone, ...), client_encoding, and the
	// PGTZ, PGDATESTYLE, PGGEQO and PGCLIENTENCODING defaults. Never nil.
	RuntimeParams map[string]string

	// StatementCacheSize (key statement_cache_size, default 512) is the
	// number of prepared statements kept per connection; 0 disables the
	// cache.
	StatementCacheSize int
	// StatementCacheMode (key statement_cache_mode) is "prepare" (default)
	// or "unnamed" (for PgBouncer in transaction mode).
	StatementCacheMode string
	// MaxInFlight (key max_in_flight, default 1024) bounds the commands in
	// flight on one connection.
	MaxInFlight int
	// PoolMaxConns (key pool_max_conns) defaults to max(4, runtime.NumCPU()).
	PoolMaxConns int
	// PoolMinConns (key pool_min_conns) defaults to 0.
	PoolMinConns int
	// PoolMaxConnLifetime (key pool_max_conn_lifetime, default 1h); 0 means
	// connections are never retired for age.
	PoolMaxConnLifetime time.Duration
	// PoolMaxConnIdleTime (key pool_max_conn_idle_time, default 30m); 0
	// means idle connections are never closed.
	PoolMaxConnIdleTime time.Duration
	// PoolHealthCheckPeriod (key pool_health_check_period, default 1m); 0
	// disables the periodic check.
	PoolHealthCheckPeriod time.Duration

	// Warnings records what was ignored on the way, such as a .pgpass file
	// readable by others or a libpq key pgactor does not implement.
	Warnings []string
}

// ConfigError reports a malformed connection string or environment
// variable. Its text names the key and never contains a password.
type ConfigError struct {
	// Key is the connection parameter at fault; empty when the string could
	// not be split into keys at all.
	Key string
	// Msg says what is wrong.
	Msg string
}

// Error implements error.
func (e *ConfigError) Error() string {
	if e.Key == "" {
		return "pgactor: invalid connection string: " + e.Msg
	}
	return "pgactor: invalid connection string: key " + strconv.Quote(e.Key) + ": " + e.Msg
}

// ParseConfig parses a libpq connection string, either a URL
// (postgres://user:password@host:port/dbname?key=value) or key=value pairs,
// and fills what it leaves unset from the PG* environment variables, the
// password file and libpq's defaults. The empty string is valid: everything
// then comes from the environment.
//
// Keys that are neither libpq's nor pgactor's become RuntimeParams. libpq
// keys pgactor does not implement are ignored with a warning when ignoring
// them is harmless (keepalives, ...), and refused when it is not (sslcrl,
// requirepeer, gssencmode=require, service, ...). A dbname that contains
// "=" or starts with postgres:// is itself parsed as a connection string,
// once. Errors are *ConfigError and never contain a password.
func ParseConfig(connString string) (*Config, error) {
	return ParseConfigEnv(connString, processEnv)
}

// ParseConfigEnv is ParseConfig with an injected environment: every
// environment lookup, including PGPASSFILE, HOME and APPDATA, goes through
// env, so the result does not depend on the process environment. A nil env
// is an empty environment.
func ParseConfigEnv(connString string, env func(string) (string, bool)) (*Config, error) {
	if env == nil {
		env = func(string) (string, bool) { return "", false }
	}
	return parseConfig(connString, sysDeps{
		env:       env,
		osUser:    currentUserName,
		dirExists: dirExists,
		goos:      runtime.GOOS,
	})
}

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
	"service",
	"host", "hostaddr", "port", "dbname", "user", "password", "passfile",
	"connect_timeout", "application_name", "fallback_application_name", "options",
	"sslmode", "sslrootcert", "sslcert", "sslkey", "sslsni",
	"ssl_min_protocol_version", "ssl_max_protocol_version",
	"channel_binding", "require_auth", "target_session_attrs", "load_balance_hosts",
	"statement_cache_size", "statement_cache_mode", "max_in_flight",
	"pool_max_conns", "pool_min_conns", "pool_max_conn_lifetime",
	"pool_max_conn_idle_time", "pool_health_check_period",
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

// builder turns the raw settings into a Config.
type builder struct {
	*parser
	cfg  *Config
	deps sysDeps
}

// get returns the value of key; empty means "use the default", as in
// libpq, whether the key was absent or given empty.
func (b *builder) get(key string) string {
	return b.settings[key].value
}

// fail builds an error about key's value, saying when that value came from
// an environment variable rather than the string.
func (b *builder) fail(key, msg string) error {
	if ev := b.settings[key].envVar; ev != "" {
		msg += " (from " + ev + ")"
	}
	return &ConfigError{Key: key, Msg: msg}
}

// oneOf validates an enumerated value, returning def for empty.
func (b *builder) oneOf(key, def string, allowed ...string) (string, error) {
	v := b.get(key)
	if v == "" {
		return def, nil
	}
	for _, a := range allowed {
		if v == a {
			return v, nil
		}
	}
	return "", b.fail(key, b.show(v)+" is not one of "+strings.Join(allowed, ", "))
}

func (b *builder) intValue(key string, def, lo, hi int) (int, error) {
	v := strings.TrimSpace(b.get(key))
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		return 0, b.fail(key, b.show(b.get(key))+" is not an integer")
	}
	if n < lo || n > hi {
		return 0, b.fail(key, b.show(v)+" is out of range ["+strconv.Itoa(lo)+", "+strconv.Itoa(hi)+"]")
	}
	return n, nil
}

func (b *builder) durationValue(key string, def time.Duration) (time.Duration, error) {
	v := strings.TrimSpace(b.get(key))
	if v == "" {
		return def, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		return 0, b.fail(key, b.show(b.get(key))+` is not a duration (write e.g. "90s" or "1h30m")`)
	}
	if d < 0 {
		return 0, b.fail(key, b.show(v)+" is negative")
	}
	return d, nil
}

func (p *parser) build(deps sysDeps) (*Config, error) {
	b := &builder{parser: p, deps: deps, cfg: &Config{RuntimeParams: map[string]string{}}}
	return b.run()
}

func (b *builder) run() (*Config, error) {
	steps := []func() error{
		b.checkUnsupported,
		b.buildIdentity,
		b.buildTLS,
		b.buildSession,
		b.buildOwn,
		b.buildRuntimeParams,
		b.buildHosts,
		b.lookupPasswords,
	}
	for _, step := range steps {
		if err := step(); err != nil {
			return nil, err
		}
	}
	b.cfg.Warnings = b.warnings
	return b.cfg, nil
}

// checkUnsupported handles the libpq keys pgactor does not implement:
// tuning knobs are ignored with a warning; anything that would weaken
// security or change the protocol if ignored is an error unless its value
// asks for nothing beyond what pgactor does anyway.
func (b *builder) checkUnsupported() error {
	if b.get("service") != "" {
		return b.fail("service", "connection service files (service, PGSERVICE) are not supported; spell the parameters out")
	}
	for _, k := range []string{"keepalives", "keepalives_idle", "keepalives_interval", "keepalives_count",
		"tcp_user_timeout", "sslcompression", "krbsrvname", "gsslib", "gssdelegation"} {
		if _, ok := b.settings[k]; ok {
			b.warnings = append(b.warnings, "key "+strconv.Quote(k)+" is ignored: pgactor does not implement it")
		}
	}
	for _, k := range []string{"sslcrl", "sslcrldir", "sslpassword", "requirepeer"} {
		if b.get(k) != "" {
			return b.fail(k, "not supported by pgactor (ignoring it would weaken the connection's security)")
		}
	}
	if _, err := b.oneOf("gssencmode", "prefer", "disable", "prefer", "require"); err != nil {
		return err
	}
	if b.get("gssencmode") == "require" {
		return b.fail("gssencmode", `"require" is not supported: pgactor does not implement GSSAPI encryption`)
	}
	checks := []struct{ key, ok, why string }{
		{"sslnegotiation", "postgres", "pgactor only negotiates TLS the PostgreSQL way"},
		{"sslcertmode", "allow", "pgactor sends a client certificate when sslcert is set"},
		{"min_protocol_version", "3.0", "pgactor speaks protocol 3.0"},
	}
	for _, c := range checks {
		if v := b.get(c.key); v != "" && v != c.ok {
			return b.fail(c.key, b.show(v)+" is not supported: "+c.why)
		}
	}
	if _, err := b.oneOf("max_protocol_version", "3.0", "3.0", "3.2", "latest"); err != nil {
		return err
	}
	if v := b.get("replication"); v != "" {
		on, err := parseBool(v)
		if err != nil || on {
			return b.fail("replication", b.show(v)+" is not supported: pgactor does not speak the replication protocol")
		}
	}
	return nil
}

// parseBool accepts the spellings PostgreSQL accepts for booleans.
func parseBool(v string) (bool, error) {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "1", "t", "true", "y", "yes", "on":
		return true, nil
	case "0", "f", "false", "n", "no", "off":
		return false, nil
	}
	return false, strconv.ErrSyntax
}

func (b *builder) buildIdentity() error {
	c := b.cfg
	c.User = b.get("user")
	if c.User == "" {
		name, err := b.deps.osUser()
		if err != nil || name == "" {
			return &ConfigError{Key: "user", Msg: "no user name given (user, PGUSER) and the operating system user is unknown"}
		}
		c.User = name
	}
	c.Database = b.get("dbname")
	if c.Database == "" {
		c.Database = c.User
	}
	c.Password = b.get("password")
	c.PassFile = b.get("passfile")
	if c.PassFile == "" {
		c.PassFile = defaultPassFile(b.deps)
	}

	v := strings.TrimSpace(b.get("connect_timeout"))
	if v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n > int64(time.Duration(1<<63-1)/time.Second) {
			return b.fail("connect_timeout", b.show(b.get("connect_timeout"))+" is not a whole number of seconds")
		}
		switch {
		case n <= 0:
			// libpq: zero or negative means wait forever.
		case n < 2:
			c.ConnectTimeout = 2 * time.Second
		default:
			c.ConnectTimeout = time.Duration(n) * time.Second
		}
	}
	return nil
}

var tlsVersions = []string{"TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3"}

// tlsVersion returns the canonical spelling (libpq compares without case)
// and the rank, or -1.
func tlsVersion(v string) (string, int) {
	for i, t := range tlsVersions {
		if strings.EqualFold(v, t) {
			return t, i
		}
	}
	return "", -1
}

func (b *builder) buildTLS() error {
	c := b.cfg
	mode, err := b.oneOf("sslmode", "", string(SSLModeDisable), string(SSLModeAllow), string(SSLModePrefer),
		string(SSLModeRequire), string(SSLModeVerifyCA), string(SSLModeVerifyFull))
	if err != nil {
		return err
	}
	c.SSLRootCert = b.get("sslrootcert")
	c.SSLCert = b.get("sslcert")
	c.SSLKey = b.get("sslkey")
	switch {
	case c.SSLRootCert == "system" && mode == "":
		// libpq 16: public CAs vouch for anyone's host name, so only
		// verify-full means anything with them; it becomes the default.
		mode = string(SSLModeVerifyFull)
	case c.SSLRootCert == "system" && mode != string(SSLModeVerifyFull):
		return b.fail("sslmode", strconv.Quote(mode)+` is too weak for sslrootcert=system (anyone can get a certificate from a public CA); use "verify-full"`)
	case mode == "":
		mode = string(SSLModePrefer)
	}
	c.SSLMode = SSLMode(mode)

	c.SSLSNI = true
	if v := b.get("sslsni"); v != "" {
		on, err := parseBool(v)
		if err != nil {
			return b.fail("sslsni", b.show(v)+" is not a boolean (use 1 or 0)")
		}
		c.SSLSNI = on
	}

	var lo, hi = 2, len(tlsVersions)
	c.SSLMinProtocolVersion = "TLSv1.2"
	if v := b.get("ssl_min_protocol_version"); v != "" {
		if c.SSLMinProtocolVersion, lo = tlsVersion(v); lo < 0 {
			return b.fail("ssl_min_protocol_version", b.show(v)+" is not one of "+strings.Join(tlsVersions, ", "))
		}
	}
	if v := b.get("ssl_max_protocol_version"); v != "" {
		if c.SSLMaxProtocolVersion, hi = tlsVersion(v); hi < 0 {
			return b.fail("ssl_max_protocol_version", b.show(v)+" is not one of "+strings.Join(tlsVersions, ", "))
		}
	}
	if hi < lo {
		return b.fail("ssl_max_protocol_version", c.SSLMaxProtocolVersion+" is below ssl_min_protocol_version "+c.SSLMinProtocolVersion)
	}

	c.ChannelBinding, err = b.oneOf("channel_binding", "prefer", "disable", "prefer", "require")
	if err != nil {
		return err
	}
	if c.ChannelBinding == "require" && c.SSLMode == SSLModeDisable {
		return b.fail("channel_binding", `"require" needs TLS, but sslmode is "disable"`)
	}
	return b.buildRequireAuth()
}

var authMethods = []string{"password", "md5", "scram-sha-256", "gss", "sspi", "none"}

// buildRequireAuth validates require_auth as libpq does: known methods,
// no repeats, and either every entry negated with "!" or none.
func (b *builder) buildRequireAuth() error {
	v := b.get("require_auth")
	if strings.TrimSpace(v) == "" {
		return nil
	}
	var list []string
	seen := map[string]bool{}
	negated := 0
	for _, m := range strings.Split(v, ",") {
		m = strings.TrimSpace(m)
		name, neg := strings.CutPrefix(m, "!")
		known := false
		for _, a := range authMethods {
			known = known || name == a
		}
		if !known {
			return b.fail("require_auth", "unknown authentication method "+b.show(m)+" (want "+strings.Join(authMethods, ", ")+`, each optionally negated with "!")`)
		}
		if seen[name] {
			return b.fail("require_auth", "method "+strconv.Quote(name)+" is given more than once")
		}
		seen[name] = true
		if neg {
			negated++
		}
		list = append(list, m)
	}
	if negated != 0 && negated != len(list) {
		return b.fail("require_auth", `negated ("!") and plain methods cannot be mixed`)
	}
	b.cfg.RequireAuth = list
	return nil
}

func (b *builder) buildSession() error {
	c := b.cfg
	c.ApplicationName = b.get("application_name")
	if c.ApplicationName == "" {
		c.ApplicationName = b.get("fallback_application_name")
	}
	c.Options = b.get("options")
	tsa, err := b.oneOf("target_session_attrs", string(TargetSessionAttrsAny),
		string(TargetSessionAttrsAny), string(TargetSessionAttrsReadWrite), string(TargetSessionAttrsReadOnly),
		string(TargetSessionAttrsPrimary), string(TargetSessionAttrsStandby), string(TargetSessionAttrsPreferStandby))
	if err != nil {
		return err
	}
	c.TargetSessionAttrs = TargetSessionAttrs(tsa)
	c.LoadBalanceHosts, err = b.oneOf("load_balance_hosts", "disable", "disable", "random")
	return err
}

func (b *builder) buildOwn() (err error) {
	c := b.cfg
	if c.StatementCacheSize, err = b.intValue("statement_cache_size", DefaultStatementCacheSize, 0, maxStatementCacheSize); err != nil {
		return err
	}
	if c.StatementCacheMode, err = b.oneOf("statement_cache_mode", StatementCacheModePrepare,
		StatementCacheModePrepare, StatementCacheModeUnnamed); err != nil {
		return err
	}
	if c.MaxInFlight, err = b.intValue("max_in_flight", DefaultMaxInFlight, 1, maxMaxInFlight); err != nil {
		return err
	}
	if c.PoolMaxConns, err = b.intValue("pool_max_conns", max(4, runtime.NumCPU()), 1, maxPoolConns); err != nil {
		return err
	}
	if c.PoolMinConns, err = b.intValue("pool_min_conns", 0, 0, maxPoolConns); err != nil {
		return err
	}
	if c.PoolMinConns > c.PoolMaxConns {
		return b.fail("pool_min_conns", strconv.Itoa(c.PoolMinConns)+" is above pool_max_conns "+strconv.Itoa(c.PoolMaxConns))
	}
	if c.PoolMaxConnLifetime, err = b.durationValue("pool_max_conn_lifetime", DefaultPoolMaxConnLifetime); err != nil {
		return err
	}
	if c.PoolMaxConnIdleTime, err = b.durationValue("pool_max_conn_idle_time", DefaultPoolMaxConnIdleTime); err != nil {
		return err
	}
	c.PoolHealthCheckPeriod, err = b.durationValue("pool_health_check_period", DefaultPoolHealthCheckPeriod)
	return err
}

// buildRuntimeParams passes every unknown key to the server. Names are
// checked against what a configuration parameter can be called, so a typo
// in the string fails here rather than as a FATAL from the server, and
// String can print every key unquoted.
func (b *builder) buildRuntimeParams() error {
	var keys []string
	for k := range b.settings {
		if _, known := knownKeys[k]; !known {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	for _, k := range keys {
		if !validParamName(k) {
			return b.keyError(k, "not a connection parameter, and not a valid run-time parameter name")
		}
		if k == "database" {
			return &ConfigError{Key: k, Msg: `not a connection parameter (did you mean "dbname"?)`}
		}
		b.cfg.RuntimeParams[k] = b.settings[k].value
	}
	return nil
}

// validParamName accepts what PostgreSQL accepts as a configuration
// parameter name: letters, digits, "_" and "." (for extension settings).
func validParamName(k string) bool {
	if k == "" {
		return false
	}
	for i := 0; i < len(k); i++ {
		c := k[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '.') {
			return false
		}
	}
	return true
}

// splitList splits a comma list; an empty value is one empty entry.
func splitList(v string) []string {
	parts := strings.Split(v, ",")
	for i := range parts {
		parts[i] = strings.TrimSpace(parts[i])
	}
	return parts
}

// buildHosts pairs the host, hostaddr and port lists as libpq does: host
// and hostaddr lists must have the same length when both are given; a
// single port applies to every host, otherwise there must be one per host.
func (b *builder) buildHosts() error {
	hostVal, addrVal, portVal := b.get("host"), b.get("hostaddr"), b.get("port")
	var hosts, addrs []string
	if hostVal != "" {
		hosts = splitList(hostVal)
	}
	if addrVal != "" {
		addrs = splitList(addrVal)
	}
	n := 1
	switch {
	case hosts != nil && addrs != nil && len(hosts) != len(addrs):
		return b.fail("hostaddr", "could not match "+strconv.Itoa(len(hosts))+" host names to "+strconv.Itoa(len(addrs))+" hostaddr values")
	case hosts != nil:
		n = len(hosts)
	case addrs != nil:
		n = len(addrs)
	}
	var ports []string
	if portVal != "" {
		ports = splitList(portVal)
		if len(ports) != 1 && len(ports) != n {
			return b.fail("port", "could not match "+strconv.Itoa(len(ports))+" port numbers to "+strconv.Itoa(n)+" hosts")
		}
	}
	for i := 0; i < n; i++ {
		var h HostConfig
		if hosts != nil {
			h.Host = unbracket(hosts[i])
		}
		if addrs != nil && addrs[i] != "" {
			a, err := netip.ParseAddr(addrs[i])
			if err != nil {
				return b.fail("hostaddr", b.show(addrs[i])+" is not a numeric IP address")
			}
			h.HostAddr = a.String()
		}
		h.Port = DefaultPort
		if ports != nil {
			p := ports[0]
			if len(ports) > 1 {
				p = ports[i]
			}
			if p != "" {
				n, err := strconv.ParseUint(p, 10, 16)
				if err != nil || n == 0 {
					return b.fail("port", b.show(p)+" is not a port number")
				}
				h.Port = uint16(n)
			}
		}
		switch {
		case h.Host == "" && h.HostAddr != "":
			// TLS verification and .pgpass then use the address, as in libpq.
			h.Host = h.HostAddr
		case h.Host == "":
			h.Host = defaultHost(b.deps)
		}
		port := strconv.Itoa(int(h.Port))
		switch {
		case h.HostAddr != "":
			h.Network, h.Addr = "tcp", net.JoinHostPort(h.HostAddr, port)
		case isUnixSocket(h.Host):
			h.Network, h.Addr = "unix", strings.TrimSuffix(h.Host, "/")+"/.s.PGSQL."+port
		default:
			h.Network, h.Addr = "tcp", net.JoinHostPort(h.Host, port)
		}
		b.cfg.Hosts = append(b.cfg.Hosts, h)
	}
	return nil
}

// unbracket turns "[::1]", written out of URL habit, into "::1"; anything
// else in brackets is left for the resolver to reject.
func unbracket(host string) string {
	if len(host) > 2 && host[0] == '[' && host[len(host)-1] == ']' {
		if a, err := netip.ParseAddr(host[1 : len(host)-1]); err == nil && a.Is6() {
			return host[1 : len(host)-1]
		}
	}
	return host
}

// isUnixSocket is libpq's test: an absolute path, or "@" for the Linux
// abstract namespace.
func isUnixSocket(host string) bool {
	return strings.HasPrefix(host, "/") || strings.HasPrefix(host, "@")
}

// lookupPasswords fills HostConfig.Password: the explicit password for
// every host, otherwise the .pgpass entry for each host.
func (b *builder) lookupPasswords() error {
	c := b.cfg
	if c.Password != "" {
		for i := range c.Hosts {
			c.Hosts[i].Password = c.Password
		}
		return nil
	}
	if c.PassFile == "" {
		return nil
	}
	entries, warn := readPassFile(c.PassFile, b.deps.goos)
	if warn != "" {
		b.warnings = append(b.warnings, warn)
	}
	for i := range c.Hosts {
		h := &c.Hosts[i]
		h.Password = matchPgpass(entries, pgpassHost(h.Host), strconv.Itoa(int(h.Port)), c.Database, c.User)
	}
	return nil
}

// String returns the configuration as a key=value connection string with
// the password replaced by "xxxxx", so it is safe to log. Parsing it again
// gives the same Config (but for the password), unless Database itself
// looks like a connection string.
func (c *Config) String() string {
	var sb strings.Builder
	addAlways := func(k, v string) {
		if sb.Len() > 0 {
			sb.WriteByte(' ')
		}
		sb.WriteString(k)
		sb.WriteByte('=')
		writeValue(&sb, v)
	}
	add := func(k, v string) {
		if v != "" {
			addAlways(k, v)
		}
	}
	hosts := make([]string, len(c.Hosts))
	addrs := make([]string, len(c.Hosts))
	ports := make([]string, len(c.Hosts))
	anyAddr := false
	for i, h := range c.Hosts {
		hosts[i], addrs[i], ports[i] = h.Host, h.HostAddr, strconv.Itoa(int(h.Port))
		anyAddr = anyAddr || h.HostAddr != ""
	}
	add("host", strings.Join(hosts, ","))
	if anyAddr {
		add("hostaddr", strings.Join(addrs, ","))
	}
	add("port", strings.Join(ports, ","))
	add("dbname", c.Database)
	add("user", c.User)
	if c.Password != "" {
		add("password", "xxxxx")
	}
	add("passfile", c.PassFile)
	if c.ConnectTimeout > 0 {
		add("connect_timeout", strconv.FormatInt(int64((c.ConnectTimeout+time.Second-1)/time.Second), 10))
	}
	add("application_name", c.ApplicationName)
	add("options", c.Options)
	add("sslmode", string(c.SSLMode))
	add("sslrootcert", c.SSLRootCert)
	add("sslcert", c.SSLCert)
	add("sslkey", c.SSLKey)
	if c.SSLSNI {
		add("sslsni", "1")
	} else {
		add("sslsni", "0")
	}
	add("ssl_min_protocol_version", c.SSLMinProtocolVersion)
	add("ssl_max_protocol_version", c.SSLMaxProtocolVersion)
	add("channel_binding", c.ChannelBinding)
	add("require_auth", strings.Join(c.RequireAuth, ","))
	add("target_session_attrs", string(c.TargetSessionAttrs))
	add("load_balance_hosts", c.LoadBalanceHosts)
	add("statement_cache_size", strconv.Itoa(c.StatementCacheSize))
	add("statement_cache_mode", c.StatementCacheMode)
	add("max_in_flight", strconv.Itoa(c.MaxInFlight))
	add("pool_max_conns", strconv.Itoa(c.PoolMaxConns))
	add("pool_min_conns", strconv.Itoa(c.PoolMinConns))
	add("pool_max_conn_lifetime", c.PoolMaxConnLifetime.String())
	add("pool_max_conn_idle_time", c.PoolMaxConnIdleTime.String())
	add("pool_health_check_period", c.PoolHealthCheckPeriod.String())
	keys := make([]string, 0, len(c.RuntimeParams))
	for k := range c.RuntimeParams {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if k == "password" {
			continue
		}
		// An empty run-time parameter still means something to the
		// server, so it is written out.
		addAlways(k, c.RuntimeParams[k])
	}
	return sb.String()
}

// writeValue writes v bare when it can be, else single-quoted with "'" and
// "\" escaped.
func writeValue(sb *strings.Builder, v string) {
	plain := v != ""
	for i := 0; i < len(v); i++ {
		if c := v[i]; isSpace(c) || c == '\'' || c == '\\' {
			plain = false
			break
		}
	}
	if plain {
		sb.WriteString(v)
		return
	}
	sb.WriteByte('\'')
	for i := 0; i < len(v); i++ {
		if v[i] == '\'' || v[i] == '\\' {
			sb.WriteByte('\\')
		}
		sb.WriteByte(v[i])
	}
	sb.WriteByte('\'')
}

// currentUserName is libpq's fallback user: the operating system's.
func currentUserName() (string, error) {
	u, err := user.Current()
	if err != nil {
		return "", err
	}
	// Windows reports DOMAIN\user; libpq uses the bare name there.
	if i := strings.LastIndexByte(u.Username, '\\'); i >= 0 && runtime.GOOS == "windows" {
		return u.Username[i+1:], nil
	}
	return u.Username, nil
}

func dirExists(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.IsDir()
}
