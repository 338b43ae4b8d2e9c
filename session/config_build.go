package session

import (
	"net"
	"net/netip"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"time"
)

// This file turns raw settings and the environment into a Config,
// validating every value.

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

// either returns key when it is set, else alias (pgx's name for it).
func (b *builder) either(key, alias string) string {
	if _, ok := b.settings[key]; !ok {
		if _, ok := b.settings[alias]; ok {
			return alias
		}
	}
	return key
}

// pgxExecModes maps pgx's default_query_exec_mode to statement_cache_mode:
// every mode but cache_statement runs on the unnamed statement.
var pgxExecModes = map[string]string{
	"cache_statement": StatementCacheModePrepare,
	"cache_describe":  StatementCacheModeUnnamed,
	"describe_exec":   StatementCacheModeUnnamed,
	"exec":            StatementCacheModeUnnamed,
}

// buildPgxKeys takes pgx's connection-string keys where pgactor has the
// same setting and refuses the rest by name; none reaches the server.
func (b *builder) buildPgxKeys() error {
	if v := strings.TrimSpace(b.get("default_query_exec_mode")); v != "" {
		mode, ok := pgxExecModes[v]
		if !ok {
			return b.fail("default_query_exec_mode", b.show(v)+" has no pgactor equivalent (pgactor sends arguments as parameters, never in the SQL text; statement_cache_mode is prepare or unnamed)")
		}
		if _, set := b.settings["statement_cache_mode"]; !set {
			b.settings["statement_cache_mode"] = setting{value: mode}
		}
	}
	if _, ok := b.settings["description_cache_capacity"]; ok {
		return b.fail("description_cache_capacity", "pgactor keeps no description cache apart from its statement cache (statement_cache_size)")
	}
	if _, ok := b.settings["min_read_buffer_size"]; ok {
		return b.fail("min_read_buffer_size", "pgactor reads into 64 KiB slabs and has no such setting")
	}
	return nil
}

func (b *builder) buildOwn() (err error) {
	c := b.cfg
	if err := b.buildPgxKeys(); err != nil {
		return err
	}
	if c.StatementCacheSize, err = b.intValue(b.either("statement_cache_size", "statement_cache_capacity"), DefaultStatementCacheSize, 0, maxStatementCacheSize); err != nil {
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
	if c.PoolMinIdleConns, err = b.intValue("pool_min_idle_conns", 0, 0, maxPoolConns); err != nil {
		return err
	}
	if c.PoolMinIdleConns > c.PoolMaxConns {
		return b.fail("pool_min_idle_conns", strconv.Itoa(c.PoolMinIdleConns)+" is above pool_max_conns "+strconv.Itoa(c.PoolMaxConns))
	}
	if c.PoolMaxConnLifetime, err = b.durationValue("pool_max_conn_lifetime", DefaultPoolMaxConnLifetime); err != nil {
		return err
	}
	if c.PoolMaxConnIdleTime, err = b.durationValue("pool_max_conn_idle_time", DefaultPoolMaxConnIdleTime); err != nil {
		return err
	}
	if c.PoolMaxConnLifetimeJitter, err = b.durationValue("pool_max_conn_lifetime_jitter", 0); err != nil {
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
