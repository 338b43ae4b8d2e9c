package session

import (
	"os"
	"os/user"
	"path/filepath"
	"strings"
)

// envDefaults maps libpq's environment variables to the keys they supply
// when the connection string leaves those keys out. A key given in the
// string, even empty, is not taken from the environment (libpq's rule).
var envDefaults = []struct{ envVar, key string }{
	{"PGHOST", "host"},
	{"PGHOSTADDR", "hostaddr"},
	{"PGPORT", "port"},
	{"PGDATABASE", "dbname"},
	{"PGUSER", "user"},
	{"PGPASSWORD", "password"},
	{"PGPASSFILE", "passfile"},
	{"PGSERVICE", "service"},
	{"PGSSLMODE", "sslmode"},
	{"PGSSLROOTCERT", "sslrootcert"},
	{"PGSSLCERT", "sslcert"},
	{"PGSSLKEY", "sslkey"},
	{"PGSSLSNI", "sslsni"},
	{"PGSSLMINPROTOCOLVERSION", "ssl_min_protocol_version"},
	{"PGSSLMAXPROTOCOLVERSION", "ssl_max_protocol_version"},
	{"PGSSLCRL", "sslcrl"},
	{"PGSSLCRLDIR", "sslcrldir"},
	{"PGSSLCERTMODE", "sslcertmode"},
	{"PGSSLNEGOTIATION", "sslnegotiation"},
	{"PGREQUIREPEER", "requirepeer"},
	{"PGGSSENCMODE", "gssencmode"},
	{"PGAPPNAME", "application_name"},
	{"PGCONNECT_TIMEOUT", "connect_timeout"},
	{"PGTARGETSESSIONATTRS", "target_session_attrs"},
	{"PGLOADBALANCEHOSTS", "load_balance_hosts"},
	{"PGCHANNELBINDING", "channel_binding"},
	{"PGREQUIREAUTH", "require_auth"},
	{"PGOPTIONS", "options"},
	// These four have no connection-string key of their own in libpq; they
	// become run-time parameters sent at startup.
	{"PGCLIENTENCODING", "client_encoding"},
	{"PGTZ", "TimeZone"},
	{"PGDATESTYLE", "DateStyle"},
	{"PGGEQO", "geqo"},
}

// applyEnv fills keys the string left out from the environment.
func (p *parser) applyEnv(env func(string) (string, bool)) {
	for _, d := range envDefaults {
		if _, given := p.settings[d.key]; given || p.hasParamFold(d.key) {
			continue
		}
		v, ok := env(d.envVar)
		if !ok {
			continue
		}
		if d.key == "password" {
			p.addSecret(v)
		}
		p.settings[d.key] = setting{value: v, envVar: d.envVar}
	}
}

// hasParamFold reports whether a run-time parameter named key is already
// set under another spelling: the server folds case, so PGTZ must not add a
// second TimeZone next to a timezone=UTC from the string.
func (p *parser) hasParamFold(key string) bool {
	if _, known := knownKeys[key]; known {
		return false
	}
	for k := range p.settings {
		if strings.EqualFold(k, key) {
			return true
		}
	}
	return false
}

// processEnv is the real environment, with HOME completed from the user
// database as libpq does when the variable is missing.
func processEnv(name string) (string, bool) {
	v, ok := os.LookupEnv(name)
	if ok || name != "HOME" {
		return v, ok
	}
	if u, err := user.Current(); err == nil && u.HomeDir != "" {
		return u.HomeDir, true
	}
	return "", false
}

// defaultPassFile is libpq's: ~/.pgpass, or %APPDATA%\postgresql\pgpass.conf
// on Windows. Without HOME (APPDATA) there is no password file.
func defaultPassFile(deps sysDeps) string {
	if deps.goos == "windows" {
		if dir, ok := deps.env("APPDATA"); ok && dir != "" {
			return filepath.Join(dir, "postgresql", "pgpass.conf")
		}
		return ""
	}
	if home, ok := deps.env("HOME"); ok && home != "" {
		return filepath.Join(home, ".pgpass")
	}
	return ""
}

// defaultSocketDirs are where PostgreSQL servers put their sockets: Debian
// and Red Hat packages use /var/run/postgresql (/run/postgresql is the same
// directory on current systems), a source build uses /tmp.
var defaultSocketDirs = []string{"/var/run/postgresql", "/run/postgresql", "/tmp"}

// defaultHost is the host used when none is given. libpq's default is its
// compiled-in socket directory; pgactor cannot know which libpq build the
// server matches, so it takes the first of defaultSocketDirs that exists,
// and "localhost" on Windows or when none does.
func defaultHost(deps sysDeps) string {
	if deps.goos == "windows" {
		return "localhost"
	}
	for _, d := range defaultSocketDirs {
		if deps.dirExists(d) {
			return d
		}
	}
	return "localhost"
}
