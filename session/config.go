package session

import (
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
	// PoolMinIdleConns (key pool_min_idle_conns, as pgx's) defaults to 0:
	// the idle connections the pool's health check keeps open.
	PoolMinIdleConns int
	// PoolMaxConnLifetime (key pool_max_conn_lifetime, default 1h); 0 means
	// connections are never retired for age.
	PoolMaxConnLifetime time.Duration
	// PoolMaxConnIdleTime (key pool_max_conn_idle_time, default 30m); 0
	// means idle connections are never closed.
	PoolMaxConnIdleTime time.Duration
	// PoolHealthCheckPeriod (key pool_health_check_period, default 1m); 0
	// disables the periodic check.
	PoolHealthCheckPeriod time.Duration
	// PoolMaxConnLifetimeJitter (key pool_max_conn_lifetime_jitter, default
	// 0) adds up to that much, at random, to each connection's lifetime, so
	// that connections opened together are not all retired together.
	PoolMaxConnLifetimeJitter time.Duration

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
	if c.PoolMinIdleConns > 0 {
		add("pool_min_idle_conns", strconv.Itoa(c.PoolMinIdleConns))
	}
	add("pool_max_conn_lifetime", c.PoolMaxConnLifetime.String())
	add("pool_max_conn_idle_time", c.PoolMaxConnIdleTime.String())
	add("pool_health_check_period", c.PoolHealthCheckPeriod.String())
	if c.PoolMaxConnLifetimeJitter > 0 {
		add("pool_max_conn_lifetime_jitter", c.PoolMaxConnLifetimeJitter.String())
	}
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
