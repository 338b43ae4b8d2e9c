package session_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/pgactor/pgactor/session"
)

// base is what an empty connection string gives with an empty environment,
// OS user "osuser" and no socket directory.
func base() *session.Config {
	return &session.Config{
		Hosts:                 []session.HostConfig{tcp("localhost", 5432)},
		Database:              "osuser",
		User:                  "osuser",
		SSLMode:               session.SSLModePrefer,
		SSLSNI:                true,
		SSLMinProtocolVersion: "TLSv1.2",
		ChannelBinding:        "prefer",
		TargetSessionAttrs:    session.TargetSessionAttrsAny,
		LoadBalanceHosts:      "disable",
		RuntimeParams:         map[string]string{},
		StatementCacheSize:    512,
		StatementCacheMode:    "prepare",
		MaxInFlight:           1024,
		PoolMaxConns:          max(4, runtime.NumCPU()),
		PoolMaxConnLifetime:   time.Hour,
		PoolMaxConnIdleTime:   30 * time.Minute,
		PoolHealthCheckPeriod: time.Minute,
	}
}

func tcp(host string, port uint16) session.HostConfig {
	addr := host
	if strings.Contains(host, ":") {
		addr = "[" + host + "]"
	}
	return session.HostConfig{Host: host, Port: port, Network: "tcp", Addr: fmt.Sprintf("%s:%d", addr, port)}
}

func unix(dir string, port uint16) session.HostConfig {
	return session.HostConfig{Host: dir, Port: port, Network: "unix", Addr: fmt.Sprintf("%s/.s.PGSQL.%d", dir, port)}
}

func viaAddr(host, addr string, port uint16) session.HostConfig {
	h := tcp(addr, port)
	h.Host, h.HostAddr = host, addr
	return h
}

// withPassword sets the password on the config and every host, as an
// explicit password does.
func withPassword(c *session.Config, pw string) {
	c.Password = pw
	for i := range c.Hosts {
		c.Hosts[i].Password = pw
	}
}

func deps(env ...string) session.Deps {
	d := session.Deps{Env: map[string]string{}, OSUser: "osuser"}
	for i := 0; i+1 < len(env); i += 2 {
		d.Env[env[i]] = env[i+1]
	}
	return d
}

type parseCase struct {
	name string
	in   string
	deps session.Deps
	want func(c *session.Config)
}

func runParseCases(t *testing.T, cases []parseCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d := tc.deps
			if d.Env == nil {
				d = deps()
			}
			got, err := session.ParseConfigDeps(tc.in, d)
			if err != nil {
				t.Fatalf("ParseConfig(%q): %v", tc.in, err)
			}
			want := base()
			tc.want(want)
			if !reflect.DeepEqual(got, want) {
				t.Errorf("ParseConfig(%q)\n got: %+v\nwant: %+v", tc.in, *got, *want)
			}
		})
	}
}

func TestParseConfigKeywordValue(t *testing.T) {
	runParseCases(t, []parseCase{
		{"empty", "", deps(), func(c *session.Config) {}},
		{"only spaces", " \t\n ", deps(), func(c *session.Config) {}},
		{"basic", "host=db.example.com port=6543 dbname=app user=alice password=s3cret", deps(), func(c *session.Config) {
			c.Hosts = []session.HostConfig{tcp("db.example.com", 6543)}
			c.Database, c.User = "app", "alice"
			withPassword(c, "s3cret")
		}},
		{"spaces around =", "host = db  port= 7 user =bob\tdbname\t=\tx", deps(), func(c *session.Config) {
			c.Hosts = []session.HostConfig{tcp("db", 7)}
			c.User, c.Database = "bob", "x"
		}},
		{"quoted values", `application_name='my app' options='-c search_path=\'a b\''`, deps(), func(c *session.Config) {
			c.ApplicationName = "my app"
			c.Options = `-c search_path='a b'`
		}},
		{"backslash in quotes", `application_name='a\\b\'c'`, deps(), func(c *session.Config) {
			c.ApplicationName = `a\b'c`
		}},
		{"backslash unquoted", `application_name=a\ b\\c`, deps(), func(c *session.Config) {
			c.ApplicationName = `a b\c`
		}},
		{"quoted value followed directly by key", `application_name='x'user=u`, deps(), func(c *session.Config) {
			c.ApplicationName, c.User, c.Database = "x", "u", "u"
		}},
		{"last wins", "port=1 port=2 user=a user=b", deps(), func(c *session.Config) {
			c.Hosts = []session.HostConfig{tcp("localhost", 2)}
			c.User, c.Database = "b", "b"
		}},
		{"empty quoted value means default", "user='' port=''", deps(), func(c *session.Config) {}},
		{"value at end without text", "user=", deps(), func(c *session.Config) {}},
		{"empty value blocks the environment", "user=''", deps("PGUSER", "envuser"), func(c *session.Config) {}},
		{"unix socket", "host=/run/pg port=5433", deps(), func(c *session.Config) {
			c.Hosts = []session.HostConfig{unix("/run/pg", 5433)}
		}},
		{"unix socket trailing slash", "host=/run/pg/", deps(), func(c *session.Config) {
			c.Hosts = []session.HostConfig{{Host: "/run/pg/", Port: 5432, Network: "unix", Addr: "/run/pg/.s.PGSQL.5432"}}
		}},
		{"abstract unix socket", "host=@pg", deps(), func(c *session.Config) {
			c.Hosts = []session.HostConfig{unix("@pg", 5432)}
		}},
		{"ipv6 host", "host=::1 port=5433", deps(), func(c *session.Config) {
			c.Hosts = []session.HostConfig{tcp("::1", 5433)}
		}},
		{"bracketed ipv6 host", "host=[::1]", deps(), func(c *session.Config) {
			c.Hosts = []session.HostConfig{tcp("::1", 5432)}
		}},
		{"multi-host with ports", "host=a,b port=5432,5433", deps(), func(c *session.Config) {
			c.Hosts = []session.HostConfig{tcp("a", 5432), tcp("b", 5433)}
		}},
		{"one port for all hosts", "host=a,b,c port=7", deps(), func(c *session.Config) {
			c.Hosts = []session.HostConfig{tcp("a", 7), tcp("b", 7), tcp("c", 7)}
		}},
		{"empty host entry is the default host", "host=a,,/tmp", session.Deps{Env: map[string]string{}, OSUser: "osuser", Dirs: []string{"/tmp"}}, func(c *session.Config) {
			c.Hosts = []session.HostConfig{tcp("a", 5432), unix("/tmp", 5432), unix("/tmp", 5432)}
		}},
		{"empty port entry is 5432", "host=a,b port=,6000", deps("PGPORT", "7000"), func(c *session.Config) {
			c.Hosts = []session.HostConfig{tcp("a", 5432), tcp("b", 6000)}
		}},
		{"spaces in lists", "host='a, b' port='1, 2'", deps(), func(c *session.Config) {
			c.Hosts = []session.HostConfig{tcp("a", 1), tcp("b", 2)}
		}},
		{"hostaddr with host", "host=db.example.com hostaddr=10.0.0.1", deps(), func(c *session.Config) {
			c.Hosts = []session.HostConfig{viaAddr("db.example.com", "10.0.0.1", 5432)}
		}},
		{"hostaddr alone", "hostaddr=10.0.0.1 port=6000", deps(), func(c *session.Config) {
			c.Hosts = []session.HostConfig{viaAddr("10.0.0.1", "10.0.0.1", 6000)}
		}},
		{"hostaddr ipv6", "hostaddr=::1", deps(), func(c *session.Config) {
			c.Hosts = []session.HostConfig{viaAddr("::1", "::1", 5432)}
		}},
		{"hostaddr over a socket path dials tcp", "host=/tmp hostaddr=127.0.0.1", deps(), func(c *session.Config) {
			c.Hosts = []session.HostConfig{viaAddr("/tmp", "127.0.0.1", 5432)}
		}},
		{"hostaddr list", "host=a,b hostaddr=10.0.0.1, port=1,2", deps(), func(c *session.Config) {
			c.Hosts = []session.HostConfig{viaAddr("a", "10.0.0.1", 1), tcp("b", 2)}
		}},
		{"runtime params", "search_path=myschema TimeZone=UTC client_encoding=UTF8 my.setting=1", deps(), func(c *session.Config) {
			c.RuntimeParams = map[string]string{"search_path": "myschema", "TimeZone": "UTC", "client_encoding": "UTF8", "my.setting": "1"}
		}},
		{"fallback application name", "fallback_application_name=fb", deps(), func(c *session.Config) {
			c.ApplicationName = "fb"
		}},
		{"application name beats fallback", "fallback_application_name=fb application_name=app", deps(), func(c *session.Config) {
			c.ApplicationName = "app"
		}},
		{"PGAPPNAME beats fallback", "fallback_application_name=fb", deps("PGAPPNAME", "env"), func(c *session.Config) {
			c.ApplicationName = "env"
		}},
		{"dbname expansion", "host=a port=1 dbname='host=b dbname=real' user=u", deps(), func(c *session.Config) {
			c.Hosts = []session.HostConfig{tcp("b", 1)}
			c.Database, c.User = "real", "u"
		}},
		{"dbname expansion as URL", "host=a dbname=postgres://u@b:2/real", deps(), func(c *session.Config) {
			c.Hosts = []session.HostConfig{tcp("b", 2)}
			c.Database, c.User = "real", "u"
		}},
		{"dbname expanded once", `dbname='dbname=\'x=y\''`, deps(), func(c *session.Config) {
			c.Database = "x=y"
		}},
		{"default socket dir /var/run/postgresql", "", session.Deps{Env: map[string]string{}, OSUser: "osuser", Dirs: []string{"/tmp", "/var/run/postgresql"}}, func(c *session.Config) {
			c.Hosts = []session.HostConfig{unix("/var/run/postgresql", 5432)}
		}},
		{"default socket dir /tmp", "port=6000", session.Deps{Env: map[string]string{}, OSUser: "osuser", Dirs: []string{"/tmp"}}, func(c *session.Config) {
			c.Hosts = []session.HostConfig{unix("/tmp", 6000)}
		}},
		{"windows default is localhost", "", session.Deps{Env: map[string]string{}, OSUser: "osuser", Dirs: []string{"/tmp"}, GOOS: "windows"}, func(c *session.Config) {}},
		{"ignored libpq keys warn", "keepalives=1 tcp_user_timeout=10", deps(), func(c *session.Config) {
			c.Warnings = []string{
				`key "keepalives" is ignored: pgactor does not implement it`,
				`key "tcp_user_timeout" is ignored: pgactor does not implement it`,
			}
		}},
		{"harmless libpq values accepted", "gssencmode=disable sslnegotiation=postgres sslcertmode=allow replication=false min_protocol_version=3.0 max_protocol_version=latest", deps(), func(c *session.Config) {}},
		{"passfile default from HOME", "", deps("HOME", "/nonexistent-home"), func(c *session.Config) {
			c.PassFile = "/nonexistent-home/.pgpass"
		}},
		{"passfile default from APPDATA on windows", "", session.Deps{Env: map[string]string{"APPDATA": "/appdata", "HOME": "/h"}, OSUser: "osuser", GOOS: "windows"}, func(c *session.Config) {
			c.PassFile = "/appdata/postgresql/pgpass.conf"
		}},
	})
}

func TestParseConfigURL(t *testing.T) {
	runParseCases(t, []parseCase{
		{"full", "postgres://alice:s%40cr%3Aet@db.example.com:6543/app%20db?sslmode=require&application_name=x%20y", deps(), func(c *session.Config) {
			c.Hosts = []session.HostConfig{tcp("db.example.com", 6543)}
			c.User, c.Database, c.ApplicationName = "alice", "app db", "x y"
			c.SSLMode = session.SSLModeRequire
			withPassword(c, "s@cr:et")
		}},
		{"postgresql scheme", "postgresql://db/app", deps(), func(c *session.Config) {
			c.Hosts = []session.HostConfig{tcp("db", 5432)}
			c.Database = "app"
		}},
		{"scheme is case-insensitive", "PostgreSQL://db", deps(), func(c *session.Config) {
			c.Hosts = []session.HostConfig{tcp("db", 5432)}
		}},
		{"nothing after scheme", "postgres://", deps(), func(c *session.Config) {}},
		{"plus is not space", "postgres://u+x@h/a+b", deps(), func(c *session.Config) {
			c.Hosts = []session.HostConfig{tcp("h", 5432)}
			c.User, c.Database = "u+x", "a+b"
		}},
		{"user without password", "postgres://bob@h", deps(), func(c *session.Config) {
			c.Hosts = []session.HostConfig{tcp("h", 5432)}
			c.User, c.Database = "bob", "bob"
		}},
		{"password with raw @ and ?", "postgres://bob:p@ss?w@h/db", deps(), func(c *session.Config) {
			c.Hosts = []session.HostConfig{tcp("h", 5432)}
			c.User, c.Database = "bob", "db"
			withPassword(c, "p@ss?w")
		}},
		{"password only", "postgres://:pw@h", deps("PGUSER", "envuser"), func(c *session.Config) {
			c.Hosts = []session.HostConfig{tcp("h", 5432)}
			c.User, c.Database = "envuser", "envuser"
			withPassword(c, "pw")
		}},
		{"host in query", "postgres:///mydb?host=/tmp", deps(), func(c *session.Config) {
			c.Hosts = []session.HostConfig{unix("/tmp", 5432)}
			c.Database = "mydb"
		}},
		{"query host overrides authority", "postgres://a/db?host=b&port=7", deps(), func(c *session.Config) {
			c.Hosts = []session.HostConfig{tcp("b", 7)}
			c.Database = "db"
		}},
		{"percent-encoded socket dir", "postgres://%2Fvar%2Flib%2Fpostgresql/db", deps(), func(c *session.Config) {
			c.Hosts = []session.HostConfig{unix("/var/lib/postgresql", 5432)}
			c.Database = "db"
		}},
		{"percent-encoded socket dir with port", "postgresql://%2Ftmp:6000", deps(), func(c *session.Config) {
			c.Hosts = []session.HostConfig{unix("/tmp", 6000)}
		}},
		{"ipv6", "postgres://[::1]:5433/db", deps(), func(c *session.Config) {
			c.Hosts = []session.HostConfig{tcp("::1", 5433)}
			c.Database = "db"
		}},
		{"ipv6 with zone, no port", "postgres://[fe80::1%25eth0]/db", deps(), func(c *session.Config) {
			c.Hosts = []session.HostConfig{tcp("fe80::1%eth0", 5432)}
			c.Database = "db"
		}},
		{"multi-host", "postgres://a:1,b:2/db", deps(), func(c *session.Config) {
			c.Hosts = []session.HostConfig{tcp("a", 1), tcp("b", 2)}
			c.Database = "db"
		}},
		{"multi-host, one port given", "postgres://a,b:2/db", deps("PGPORT", "9"), func(c *session.Config) {
			c.Hosts = []session.HostConfig{tcp("a", 5432), tcp("b", 2)}
			c.Database = "db"
		}},
		{"multi-host ipv6", "postgres://[::1]:1,[::2]:2", deps(), func(c *session.Config) {
			c.Hosts = []session.HostConfig{tcp("::1", 1), tcp("::2", 2)}
		}},
		{"port without host", "postgres://:6000/db", deps("PGHOST", "envhost"), func(c *session.Config) {
			c.Hosts = []session.HostConfig{tcp("envhost", 6000)}
			c.Database = "db"
		}},
		{"no port uses PGPORT", "postgres://h/db", deps("PGPORT", "9"), func(c *session.Config) {
			c.Hosts = []session.HostConfig{tcp("h", 9)}
			c.Database = "db"
		}},
		{"trailing slash", "postgres://h/", deps(), func(c *session.Config) {
			c.Hosts = []session.HostConfig{tcp("h", 5432)}
		}},
		{"query without path", "postgres://h?application_name=app", deps(), func(c *session.Config) {
			c.Hosts = []session.HostConfig{tcp("h", 5432)}
			c.ApplicationName = "app"
		}},
		{"query runtime params and own keys", "postgres://h/db?search_path=s&statement_cache_mode=unnamed&&options=-c%20x%3Dy", deps(), func(c *session.Config) {
			c.Hosts = []session.HostConfig{tcp("h", 5432)}
			c.Database = "db"
			c.RuntimeParams = map[string]string{"search_path": "s"}
			c.StatementCacheMode = "unnamed"
			c.Options = "-c x=y"
		}},
		{"query value with raw =", "postgres://h?options=-c%20a=b", deps(), func(c *session.Config) {
			c.Hosts = []session.HostConfig{tcp("h", 5432)}
			c.Options = "-c a=b"
		}},
		{"ssl=true", "postgres://h?ssl=true", deps(), func(c *session.Config) {
			c.Hosts = []session.HostConfig{tcp("h", 5432)}
			c.SSLMode = session.SSLModeRequire
		}},
		{"password in query", "postgres://u@h?password=p%26w", deps(), func(c *session.Config) {
			c.Hosts = []session.HostConfig{tcp("h", 5432)}
			c.User, c.Database = "u", "u"
			withPassword(c, "p&w")
		}},
		{"hostaddr in query", "postgres://db.example.com?hostaddr=192.0.2.1", deps(), func(c *session.Config) {
			c.Hosts = []session.HostConfig{viaAddr("db.example.com", "192.0.2.1", 5432)}
		}},
		{"dbname in query expands", "postgres://a/x?dbname=host%3Db%20dbname%3Dy", deps(), func(c *session.Config) {
			c.Hosts = []session.HostConfig{tcp("b", 5432)}
			c.Database = "y"
		}},
		{"comma in decoded host splits, as in libpq", "postgres://a%2Cb", deps(), func(c *session.Config) {
			c.Hosts = []session.HostConfig{tcp("a", 5432), tcp("b", 5432)}
		}},
	})
}

func TestParseConfigKeys(t *testing.T) {
	var cases []parseCase
	for _, m := range []session.SSLMode{session.SSLModeDisable, session.SSLModeAllow, session.SSLModePrefer,
		session.SSLModeRequire, session.SSLModeVerifyCA, session.SSLModeVerifyFull} {
		cases = append(cases, parseCase{"sslmode " + string(m), "sslmode=" + string(m), deps(), func(c *session.Config) { c.SSLMode = m }})
	}
	for _, a := range []session.TargetSessionAttrs{session.TargetSessionAttrsAny, session.TargetSessionAttrsReadWrite,
		session.TargetSessionAttrsReadOnly, session.TargetSessionAttrsPrimary, session.TargetSessionAttrsStandby,
		session.TargetSessionAttrsPreferStandby} {
		cases = append(cases, parseCase{"target_session_attrs " + string(a), "target_session_attrs=" + string(a), deps(), func(c *session.Config) { c.TargetSessionAttrs = a }})
	}
	for _, cb := range []string{"disable", "prefer", "require"} {
		cases = append(cases, parseCase{"channel_binding " + cb, "channel_binding=" + cb, deps(), func(c *session.Config) { c.ChannelBinding = cb }})
	}
	for in, want := range map[string]bool{"1": true, "0": false, "on": true, "off": false, "true": true, "FALSE": false, "yes": true, "no": false} {
		cases = append(cases, parseCase{"sslsni " + in, "sslsni=" + in, deps(), func(c *session.Config) { c.SSLSNI = want }})
	}
	for in, want := range map[string]time.Duration{"10": 10 * time.Second, " 30 ": 30 * time.Second, "2": 2 * time.Second, "1": 2 * time.Second, "0": 0, "-5": 0} {
		cases = append(cases, parseCase{"connect_timeout " + in, "connect_timeout='" + in + "'", deps(), func(c *session.Config) { c.ConnectTimeout = want }})
	}
	cases = append(cases,
		parseCase{"sslrootcert=system defaults to verify-full", "sslrootcert=system", deps(), func(c *session.Config) {
			c.SSLRootCert, c.SSLMode = "system", session.SSLModeVerifyFull
		}},
		parseCase{"sslrootcert=system with verify-full", "sslrootcert=system sslmode=verify-full", deps(), func(c *session.Config) {
			c.SSLRootCert, c.SSLMode = "system", session.SSLModeVerifyFull
		}},
		parseCase{"certificate paths", "sslrootcert=/ca.pem sslcert=/c.pem sslkey=/k.pem sslmode=verify-ca", deps(), func(c *session.Config) {
			c.SSLRootCert, c.SSLCert, c.SSLKey, c.SSLMode = "/ca.pem", "/c.pem", "/k.pem", session.SSLModeVerifyCA
		}},
		parseCase{"tls versions", "ssl_min_protocol_version=tlsv1.3 ssl_max_protocol_version=TLSv1.3", deps(), func(c *session.Config) {
			c.SSLMinProtocolVersion, c.SSLMaxProtocolVersion = "TLSv1.3", "TLSv1.3"
		}},
		parseCase{"tls min lowered", "ssl_min_protocol_version=TLSv1", deps(), func(c *session.Config) {
			c.SSLMinProtocolVersion = "TLSv1"
		}},
		parseCase{"require_auth list", "require_auth='scram-sha-256, md5'", deps(), func(c *session.Config) {
			c.RequireAuth = []string{"scram-sha-256", "md5"}
		}},
		parseCase{"require_auth negated", "require_auth=!password,!md5,!none", deps(), func(c *session.Config) {
			c.RequireAuth = []string{"!password", "!md5", "!none"}
		}},
		parseCase{"require_auth gss sspi none", "require_auth=gss,sspi,none", deps(), func(c *session.Config) {
			c.RequireAuth = []string{"gss", "sspi", "none"}
		}},
		parseCase{"load_balance_hosts random", "load_balance_hosts=random", deps(), func(c *session.Config) { c.LoadBalanceHosts = "random" }},
		parseCase{"options", "options='-c search_path=x -c geqo=off'", deps(), func(c *session.Config) { c.Options = "-c search_path=x -c geqo=off" }},
		parseCase{"own keys", "statement_cache_size=0 statement_cache_mode=unnamed max_in_flight=8 pool_max_conns=10 pool_min_conns=2 " +
			"pool_max_conn_lifetime=2h pool_max_conn_idle_time=90s pool_health_check_period=0", deps(), func(c *session.Config) {
			c.StatementCacheSize, c.StatementCacheMode, c.MaxInFlight = 0, "unnamed", 8
			c.PoolMaxConns, c.PoolMinConns = 10, 2
			c.PoolMaxConnLifetime, c.PoolMaxConnIdleTime, c.PoolHealthCheckPeriod = 2*time.Hour, 90*time.Second, 0
		}},
		parseCase{"passfile", "passfile=/nonexistent/pgpass", deps(), func(c *session.Config) { c.PassFile = "/nonexistent/pgpass" }},
		// pgx's keys, where pgactor has the same setting; none is a
		// run-time parameter.
		parseCase{"pgx statement_cache_capacity", "statement_cache_capacity=64", deps(), func(c *session.Config) { c.StatementCacheSize = 64 }},
		parseCase{"pgx exec mode cache_statement", "default_query_exec_mode=cache_statement", deps(), func(c *session.Config) {}},
		parseCase{"pgx exec mode exec", "default_query_exec_mode=exec", deps(), func(c *session.Config) { c.StatementCacheMode = "unnamed" }},
		parseCase{"pgx exec mode cache_describe", "default_query_exec_mode=cache_describe", deps(), func(c *session.Config) { c.StatementCacheMode = "unnamed" }},
		parseCase{"pgx exec mode describe_exec", "default_query_exec_mode=describe_exec", deps(), func(c *session.Config) { c.StatementCacheMode = "unnamed" }},
		parseCase{"own mode wins over pgx's", "default_query_exec_mode=exec statement_cache_mode=prepare", deps(), func(c *session.Config) {}},
		parseCase{"pgx pool keys", "pool_max_conn_lifetime_jitter=30s pool_min_idle_conns=0", deps(), func(c *session.Config) {
			c.PoolMaxConnLifetimeJitter = 30 * time.Second
		}},
		parseCase{"pool_min_idle_conns", "pool_min_idle_conns=2", deps(), func(c *session.Config) { c.PoolMinIdleConns = 2 }},
	)
	runParseCases(t, cases)
}

func TestParseConfigEnvVars(t *testing.T) {
	runParseCases(t, []parseCase{
		{"PGHOST", "", deps("PGHOST", "h1,/sock"), func(c *session.Config) {
			c.Hosts = []session.HostConfig{tcp("h1", 5432), unix("/sock", 5432)}
		}},
		{"PGHOSTADDR", "", deps("PGHOSTADDR", "192.0.2.7"), func(c *session.Config) {
			c.Hosts = []session.HostConfig{viaAddr("192.0.2.7", "192.0.2.7", 5432)}
		}},
		{"PGPORT", "", deps("PGPORT", "6001"), func(c *session.Config) { c.Hosts = []session.HostConfig{tcp("localhost", 6001)} }},
		{"PGDATABASE", "", deps("PGDATABASE", "envdb"), func(c *session.Config) { c.Database = "envdb" }},
		{"PGUSER", "", deps("PGUSER", "envuser"), func(c *session.Config) { c.User, c.Database = "envuser", "envuser" }},
		{"PGPASSWORD", "", deps("PGPASSWORD", "envpw"), func(c *session.Config) { withPassword(c, "envpw") }},
		{"PGPASSFILE", "", deps("PGPASSFILE", "/nonexistent/pf", "HOME", "/h"), func(c *session.Config) { c.PassFile = "/nonexistent/pf" }},
		{"PGSSLMODE", "", deps("PGSSLMODE", "verify-full"), func(c *session.Config) { c.SSLMode = session.SSLModeVerifyFull }},
		{"PGSSLROOTCERT", "", deps("PGSSLROOTCERT", "/ca"), func(c *session.Config) { c.SSLRootCert = "/ca" }},
		{"PGSSLROOTCERT system", "", deps("PGSSLROOTCERT", "system"), func(c *session.Config) {
			c.SSLRootCert, c.SSLMode = "system", session.SSLModeVerifyFull
		}},
		{"PGSSLCERT", "", deps("PGSSLCERT", "/cert"), func(c *session.Config) { c.SSLCert = "/cert" }},
		{"PGSSLKEY", "", deps("PGSSLKEY", "/key"), func(c *session.Config) { c.SSLKey = "/key" }},
		{"PGSSLSNI", "", deps("PGSSLSNI", "0"), func(c *session.Config) { c.SSLSNI = false }},
		{"PGSSLMINPROTOCOLVERSION", "", deps("PGSSLMINPROTOCOLVERSION", "TLSv1.3"), func(c *session.Config) { c.SSLMinProtocolVersion = "TLSv1.3" }},
		{"PGSSLMAXPROTOCOLVERSION", "", deps("PGSSLMAXPROTOCOLVERSION", "TLSv1.2"), func(c *session.Config) { c.SSLMaxProtocolVersion = "TLSv1.2" }},
		{"PGAPPNAME", "", deps("PGAPPNAME", "envapp"), func(c *session.Config) { c.ApplicationName = "envapp" }},
		{"PGCONNECT_TIMEOUT", "", deps("PGCONNECT_TIMEOUT", "15"), func(c *session.Config) { c.ConnectTimeout = 15 * time.Second }},
		{"PGTARGETSESSIONATTRS", "", deps("PGTARGETSESSIONATTRS", "standby"), func(c *session.Config) {
			c.TargetSessionAttrs = session.TargetSessionAttrsStandby
		}},
		{"PGLOADBALANCEHOSTS", "", deps("PGLOADBALANCEHOSTS", "random"), func(c *session.Config) { c.LoadBalanceHosts = "random" }},
		{"PGCHANNELBINDING", "", deps("PGCHANNELBINDING", "require"), func(c *session.Config) { c.ChannelBinding = "require" }},
		{"PGREQUIREAUTH", "", deps("PGREQUIREAUTH", "scram-sha-256"), func(c *session.Config) { c.RequireAuth = []string{"scram-sha-256"} }},
		{"PGOPTIONS", "", deps("PGOPTIONS", "-c work_mem=64MB"), func(c *session.Config) { c.Options = "-c work_mem=64MB" }},
		{"PGCLIENTENCODING", "", deps("PGCLIENTENCODING", "UTF8"), func(c *session.Config) { c.RuntimeParams = map[string]string{"client_encoding": "UTF8"} }},
		{"PGTZ", "", deps("PGTZ", "Europe/Paris"), func(c *session.Config) { c.RuntimeParams = map[string]string{"TimeZone": "Europe/Paris"} }},
		{"PGTZ yields to timezone in any case", "timezone=UTC", deps("PGTZ", "Europe/Paris"), func(c *session.Config) {
			c.RuntimeParams = map[string]string{"timezone": "UTC"}
		}},
		{"PGDATESTYLE", "", deps("PGDATESTYLE", "ISO, DMY"), func(c *session.Config) { c.RuntimeParams = map[string]string{"DateStyle": "ISO, DMY"} }},
		{"PGGEQO", "", deps("PGGEQO", "off"), func(c *session.Config) { c.RuntimeParams = map[string]string{"geqo": "off"} }},
		{"PGGSSENCMODE disable", "", deps("PGGSSENCMODE", "disable"), func(c *session.Config) {}},
		{"PGSSLNEGOTIATION postgres", "", deps("PGSSLNEGOTIATION", "postgres"), func(c *session.Config) {}},
		{"PGSSLCERTMODE allow", "", deps("PGSSLCERTMODE", "allow"), func(c *session.Config) {}},
		{"string beats environment", "host=h port=1 dbname=d user=u password=p sslmode=disable application_name=a",
			deps("PGHOST", "eh", "PGPORT", "2", "PGDATABASE", "ed", "PGUSER", "eu", "PGPASSWORD", "ep", "PGSSLMODE", "require", "PGAPPNAME", "ea"),
			func(c *session.Config) {
				c.Hosts = []session.HostConfig{tcp("h", 1)}
				c.Database, c.User, c.SSLMode, c.ApplicationName = "d", "u", session.SSLModeDisable, "a"
				withPassword(c, "p")
			}},
		{"URL beats environment", "postgres://u:p@h:1/d", deps("PGHOST", "eh", "PGPORT", "2", "PGDATABASE", "ed", "PGUSER", "eu", "PGPASSWORD", "ep"),
			func(c *session.Config) {
				c.Hosts = []session.HostConfig{tcp("h", 1)}
				c.Database, c.User = "d", "u"
				withPassword(c, "p")
			}},
	})
}

// TestParseConfigOSUser checks the last resort for the user name.
func TestParseConfigOSUser(t *testing.T) {
	_, err := session.ParseConfigDeps("host=h", session.Deps{Env: map[string]string{}})
	var ce *session.ConfigError
	if !errors.As(err, &ce) || ce.Key != "user" {
		t.Fatalf("unknown OS user: got %v, want a ConfigError for key user", err)
	}
	c, err := session.ParseConfigDeps("host=h user=given", session.Deps{Env: map[string]string{}})
	if err != nil || c.User != "given" {
		t.Fatalf("explicit user with unknown OS user: %v, %+v", err, c)
	}
}

// TestParseConfigProcessEnv checks that ParseConfig reads the process
// environment.
func TestParseConfigProcessEnv(t *testing.T) {
	t.Setenv("PGHOST", "envhost.example")
	t.Setenv("PGUSER", "envuser")
	t.Setenv("PGPORT", "6123")
	unset := []string{"PGHOSTADDR", "PGDATABASE", "PGPASSWORD", "PGSSLMODE", "PGSSLROOTCERT", "PGSERVICE", "PGSSLCRL", "PGSSLCRLDIR", "PGREQUIREPEER",
		"PGGSSENCMODE", "PGSSLNEGOTIATION", "PGSSLCERTMODE", "PGCHANNELBINDING"}
	for _, k := range unset {
		t.Setenv(k, "")
	}
	c, err := session.ParseConfig("")
	if err != nil {
		t.Fatal(err)
	}
	if got := c.Hosts[0].Addr; got != "envhost.example:6123" || c.User != "envuser" {
		t.Errorf("ParseConfig with PGHOST/PGPORT/PGUSER set: addr %q user %q", got, c.User)
	}
	c2, err := session.ParseConfigEnv("", func(string) (string, bool) { return "", false })
	if err != nil {
		t.Fatal(err)
	}
	if c2.Hosts[0].Port != 5432 || c2.PassFile != "" {
		t.Errorf("ParseConfigEnv with an empty environment read the process one: %+v", c2)
	}
}

func TestParseConfigErrors(t *testing.T) {
	const pw = "hunter2"
	cases := []struct {
		in      string
		env     []string
		key     string
		msgPart string
	}{
		{"password=hunter2 port=abc", nil, "port", `"abc" is not a port number`},
		{"password=hunter2 port=0", nil, "port", "not a port number"},
		{"password=hunter2 port=65536", nil, "port", "not a port number"},
		{"password=hunter2 port=-1", nil, "port", "not a port number"},
		{"postgres://u:hunter2@h:abc/db", nil, "port", "not a port number"},
		{"postgres://u:hunter2@h:99999/db", nil, "port", "not a port number"},
		{"port=hunter2", []string{"PGPASSWORD", pw}, "port", "the value (not shown) is not a port number"},
		{"port=5432password=hunter2", nil, "port", "not shown"},
		{"password=hunter2 host=a,b port=1,2,3", nil, "port", "could not match 3 port numbers to 2 hosts"},
		{"password=hunter2 host=a,b hostaddr=10.0.0.1", nil, "hostaddr", "could not match 2 host names to 1 hostaddr values"},
		{"password=hunter2 hostaddr=db.example.com", nil, "hostaddr", "not a numeric IP address"},
		{"password=hunter2 sslmode=bogus", nil, "sslmode", `"bogus" is not one of disable, allow, prefer, require, verify-ca, verify-full`},
		{"password=hunter2 sslrootcert=system sslmode=require", nil, "sslmode", "too weak for sslrootcert=system"},
		{"password=hunter2 sslrootcert=system", []string{"PGSSLMODE", "verify-ca"}, "sslmode", "too weak"},
		{"password=hunter2 connect_timeout=abc", nil, "connect_timeout", "not a whole number of seconds"},
		{"password=hunter2 connect_timeout=1.5", nil, "connect_timeout", "not a whole number of seconds"},
		{"password=hunter2 connect_timeout=99999999999999999999", nil, "connect_timeout", "not a whole number of seconds"},
		{"password=hunter2 sslsni=maybe", nil, "sslsni", "not a boolean"},
		{"password=hunter2 channel_binding=bogus", nil, "channel_binding", "not one of"},
		{"password=hunter2 channel_binding=require sslmode=disable", nil, "channel_binding", "needs TLS"},
		{"password=hunter2 require_auth=kerberos", nil, "require_auth", "unknown authentication method"},
		{"password=hunter2 default_query_exec_mode=simple_protocol", nil, "default_query_exec_mode", "no pgactor equivalent"},
		{"password=hunter2 description_cache_capacity=512", nil, "description_cache_capacity", "no description cache"},
		{"password=hunter2 pool_min_idle_conns=5 pool_max_conns=4", nil, "pool_min_idle_conns", "above pool_max_conns"},
		{"password=hunter2 pool_min_idle_conns=x", nil, "pool_min_idle_conns", "not an integer"},
		{"password=hunter2 min_read_buffer_size=8192", nil, "min_read_buffer_size", "no such setting"},
		{"password=hunter2 require_auth=md5,!password", nil, "require_auth", "cannot be mixed"},
		{"password=hunter2 require_auth=md5,md5", nil, "require_auth", "more than once"},
		{"password=hunter2 require_auth=md5,", nil, "require_auth", "unknown authentication method"},
		{"password=hunter2 target_session_attrs=bogus", nil, "target_session_attrs", "not one of"},
		{"password=hunter2 load_balance_hosts=bogus", nil, "load_balance_hosts", "not one of"},
		{"password=hunter2 ssl_min_protocol_version=SSLv3", nil, "ssl_min_protocol_version", "not one of"},
		{"password=hunter2 ssl_max_protocol_version=TLSv2", nil, "ssl_max_protocol_version", "not one of"},
		{"password=hunter2 ssl_min_protocol_version=TLSv1.3 ssl_max_protocol_version=TLSv1.2", nil, "ssl_max_protocol_version", "below"},
		{"password=hunter2 statement_cache_size=-1", nil, "statement_cache_size", "out of range"},
		{"password=hunter2 statement_cache_size=x", nil, "statement_cache_size", "not an integer"},
		{"password=hunter2 statement_cache_mode=bogus", nil, "statement_cache_mode", "not one of"},
		{"password=hunter2 max_in_flight=0", nil, "max_in_flight", "out of range"},
		{"password=hunter2 pool_max_conns=0", nil, "pool_max_conns", "out of range"},
		{"password=hunter2 pool_min_conns=5 pool_max_conns=4", nil, "pool_min_conns", "above pool_max_conns"},
		{"password=hunter2 pool_max_conn_lifetime=abc", nil, "pool_max_conn_lifetime", "not a duration"},
		{"password=hunter2 pool_max_conn_idle_time=10", nil, "pool_max_conn_idle_time", "not a duration"},
		{"password=hunter2 pool_health_check_period=-1s", nil, "pool_health_check_period", "negative"},
		{"password=hunter2 service=mydb", []string{"PGSYSCONFDIR", "/nonexistent"}, "service", `definition of service "mydb" not found`},
		{"password=hunter2", []string{"PGSERVICE", "mydb"}, "service", "(from PGSERVICE)"},
		{"password=hunter2 sslcrl=/crl", nil, "sslcrl", "not supported"},
		{"password=hunter2 sslcrldir=/crl", nil, "sslcrldir", "not supported"},
		{"password=hunter2 sslpassword=hunter2", nil, "sslpassword", "not supported"},
		{"password=hunter2 requirepeer=postgres", nil, "requirepeer", "not supported"},
		{"password=hunter2 gssencmode=require", nil, "gssencmode", "not supported"},
		{"password=hunter2 gssencmode=bogus", nil, "gssencmode", "not one of"},
		{"password=hunter2 replication=database", nil, "replication", "not supported"},
		{"password=hunter2 sslnegotiation=direct", nil, "sslnegotiation", "not supported"},
		{"password=hunter2 sslcertmode=require", nil, "sslcertmode", "not supported"},
		{"password=hunter2 min_protocol_version=3.2", nil, "min_protocol_version", "not supported"},
		{"password=hunter2 max_protocol_version=4", nil, "max_protocol_version", "not one of"},
		{"password=hunter2", []string{"PGSSLCRL", "/crl"}, "sslcrl", "(from PGSSLCRL)"},
		{"password=hunter2", []string{"PGPORT", "abc"}, "port", `"abc" is not a port number (from PGPORT)`},
		{"password=hunter2 database=x", nil, "database", `did you mean "dbname"`},
		{"password=hunter2 bad-name=x", nil, "bad-name", "not a valid run-time parameter name"},
		{"password=hunter2 application_name='a\x00b'", nil, "application_name", "NUL"},
		{"password=hunter2 dbname='host=a port'", nil, "port", "(in the connection string given as dbname)"},
		// Syntax errors.
		{"password=hunter2 host", nil, "host", `missing "="`},
		{"password=hunter2 host localhost", nil, "host", `missing "="`},
		{"password='hunter2", nil, "password", "unterminated quoted value"},
		{"password=hunter2 ='x'", nil, "", `"=" without a key`},
		{"passwordhunter2", nil, "", "key not shown"},
		{"password hunter2", nil, "password", `missing "="`},
		{"password='hunter2's secret' host=h", nil, "", `missing "=" after a quoted value`},
		{"mysql://u:hunter2@h/db", nil, "", `unsupported URL scheme "mysql"`},
		{"postgres://u:hunter%zz2@h/db", nil, "password", "invalid percent-encoding"},
		{"postgres://u%zz:hunter2@h/db", nil, "user", "invalid percent-encoding"},
		{"postgres://u:hunter2@h/db%zz", nil, "dbname", "invalid percent-encoding"},
		{"postgres://u:hunter2@h%zz/db", nil, "host", "invalid percent-encoding"},
		{"postgres://u:hunter2@h:5%zz/db", nil, "port", "invalid percent-encoding"},
		{"postgres://u:hunter2@h/db?x=%zz", nil, "x", "invalid percent-encoding"},
		{"postgres://u:hunter2@h/db?%zz=1", nil, "", "invalid percent-encoding"},
		{"postgres://u:hunter2@h/db?sslmode", nil, "sslmode", `missing "="`},
		{"postgres://u:hunter2@h/db?ssl=false", nil, "ssl", "not supported"},
		{"postgres://u:hunter2@h/db?a%20b=c", nil, "a b", "not a valid run-time parameter name"},
		{"postgres://u:hunter2@[::1/db", nil, "host", `missing "]"`},
		{"postgres://u:hunter2@[]:1/db", nil, "host", "empty IPv6 address"},
		{"postgres://u:hunter2@[::1]x/db", nil, "host", `unexpected text after "]"`},
		{"postgres://u:hunter2@h/db?application_name=%00", nil, "application_name", "NUL"},
		{"postgres://u:pa/hunter2@h/db", nil, "port", "percent-encode"},
		{"postgres://u:hunter2@h/db?password=hunter2&port=hunter2", nil, "port", "not shown"},
	}
	for _, tc := range cases {
		t.Run(tc.in, func(t *testing.T) {
			_, err := session.ParseConfigDeps(tc.in, deps(tc.env...))
			if err == nil {
				t.Fatalf("ParseConfig(%q) succeeded, want an error", tc.in)
			}
			var ce *session.ConfigError
			if !errors.As(err, &ce) {
				t.Fatalf("error %T %v is not a *ConfigError", err, err)
			}
			if ce.Key != tc.key {
				t.Errorf("Key = %q, want %q (error %v)", ce.Key, tc.key, err)
			}
			if !strings.Contains(err.Error(), tc.msgPart) {
				t.Errorf("error %q does not contain %q", err, tc.msgPart)
			}
			if strings.Contains(err.Error(), pw) {
				t.Errorf("error %q reveals the password", err)
			}
			if !strings.HasPrefix(err.Error(), "pgactor: invalid connection string: ") {
				t.Errorf("error %q lacks the package prefix", err)
			}
		})
	}
}

func TestConfigErrorText(t *testing.T) {
	_, err := session.ParseConfigDeps("port=abc", deps())
	const want = `pgactor: invalid connection string: key "port": "abc" is not a port number`
	if err == nil || err.Error() != want {
		t.Fatalf("got %v, want %s", err, want)
	}
	err = &session.ConfigError{Msg: "broken"}
	if got := err.Error(); got != "pgactor: invalid connection string: broken" {
		t.Fatalf("keyless error text %q", got)
	}
}

func TestConfigStringRedacts(t *testing.T) {
	for _, in := range []string{
		"password=hunter2 host=h",
		"postgres://u:hunter2@h/db",
	} {
		c, err := session.ParseConfigDeps(in, deps())
		if err != nil {
			t.Fatal(err)
		}
		s := c.String()
		if strings.Contains(s, "hunter2") {
			t.Errorf("String() = %q reveals the password", s)
		}
		if !strings.Contains(s, "password=xxxxx") {
			t.Errorf("String() = %q does not show that a password is set", s)
		}
	}
	c, err := session.ParseConfigDeps("host=h", deps())
	if err != nil {
		t.Fatal(err)
	}
	if s := c.String(); strings.Contains(s, "password") {
		t.Errorf("String() = %q mentions a password that was never set", s)
	}
}

func TestConfigStringExact(t *testing.T) {
	c, err := session.ParseConfigDeps(`host=a,/tmp hostaddr=10.0.0.1, port=1,2 user=u dbname='my db' application_name='it\'s' `+
		`require_auth=md5,scram-sha-256 connect_timeout=1 search_path=x`, deps())
	if err != nil {
		t.Fatal(err)
	}
	want := `host=a,/tmp hostaddr=10.0.0.1, port=1,2 dbname='my db' user=u connect_timeout=2 application_name='it\'s' ` +
		`sslmode=prefer sslsni=1 ssl_min_protocol_version=TLSv1.2 channel_binding=prefer require_auth=md5,scram-sha-256 ` +
		`target_session_attrs=any load_balance_hosts=disable statement_cache_size=512 statement_cache_mode=prepare ` +
		fmt.Sprintf("max_in_flight=1024 pool_max_conns=%d pool_min_conns=0 ", max(4, runtime.NumCPU())) +
		`pool_max_conn_lifetime=1h0m0s pool_max_conn_idle_time=30m0s pool_health_check_period=1m0s search_path=x`
	if got := c.String(); got != want {
		t.Errorf("String()\n got: %s\nwant: %s", got, want)
	}
}

// TestConfigStringRoundTrip parses String's output again and expects the
// same Config, passwords aside.
func TestConfigStringRoundTrip(t *testing.T) {
	for _, in := range []string{
		"",
		"host=a,b,/tmp,@abs port=1,2,3,4 hostaddr=,::1,127.0.0.1, user='sp ace' dbname='q\\'uote' password=x",
		"postgres://u:p@[::1]:7/db?sslmode=verify-full&sslrootcert=system&sslsni=0&options=-c%20a%3D1",
		"connect_timeout=7 require_auth=!md5,!password target_session_attrs=prefer-standby load_balance_hosts=random " +
			"statement_cache_size=0 statement_cache_mode=unnamed max_in_flight=3 pool_max_conns=9 pool_min_conns=9 pool_min_idle_conns=3 " +
			"pool_max_conn_lifetime=0 pool_max_conn_idle_time=1ms pool_health_check_period=36h " +
			"ssl_min_protocol_version=TLSv1 ssl_max_protocol_version=TLSv1.1 channel_binding=disable sslmode=disable " +
			"sslcert=/c sslkey='/k k' passfile=/nonexistent TimeZone='Europe/Paris' a.b=''",
	} {
		first, err := session.ParseConfigDeps(in, deps())
		if err != nil {
			t.Fatalf("ParseConfig(%q): %v", in, err)
		}
		second, err := session.ParseConfigDeps(first.String(), deps())
		if err != nil {
			t.Fatalf("ParseConfig(String()) of %q: %v\nString(): %s", in, err, first.String())
		}
		clearPasswords(first)
		clearPasswords(second)
		if !reflect.DeepEqual(first, second) {
			t.Errorf("round trip of %q\nfirst:  %+v\nsecond: %+v", in, *first, *second)
		}
	}
}

func clearPasswords(c *session.Config) {
	c.Password = ""
	c.Warnings = nil
	for i := range c.Hosts {
		c.Hosts[i].Password = ""
	}
}

func BenchmarkParseConfig(b *testing.B) {
	env := func(string) (string, bool) { return "", false }
	for _, bc := range []struct{ name, in string }{
		{"URL", "postgres://alice:secret@db1.example.com:5432,db2.example.com:5433/app?sslmode=require&application_name=bench"},
		{"KeywordValue", "host=db1.example.com,db2.example.com port=5432,5433 user=alice password=secret dbname=app sslmode=require application_name=bench"},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := session.ParseConfigEnv(bc.in, env); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkConfigString(b *testing.B) {
	c, err := session.ParseConfigDeps("postgres://alice:secret@db1.example.com:5432,db2.example.com:5433/app?sslmode=require&search_path=x", deps())
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		_ = c.String()
	}
}

func ExampleParseConfigEnv() {
	env := map[string]string{"PGUSER": "alice", "PGAPPNAME": "billing"}
	c, err := session.ParseConfigEnv("postgres://:s3cret@db1:5432,db2:5433/app?sslmode=verify-full",
		func(k string) (string, bool) { v, ok := env[k]; return v, ok })
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, h := range c.Hosts {
		fmt.Println(h.Network, h.Addr)
	}
	fmt.Println(c.User, c.Database, c.ApplicationName, c.SSLMode)

	_, err = session.ParseConfigEnv("postgres://alice:s3cret@db1:54x2/app", nil)
	fmt.Println(err)
	// Output:
	// tcp db1:5432
	// tcp db2:5433
	// alice app billing verify-full
	// pgactor: invalid connection string: key "port": "54x2" is not a port number
}

// TestParseConfigServiceFile: service= and PGSERVICE read a section of the
// user's service file, else the system's; the string beats the file, and
// the file beats the environment.
func TestParseConfigServiceFile(t *testing.T) {
	dir := t.TempDir()
	user := filepath.Join(dir, "user.conf")
	sys := filepath.Join(dir, "sys")
	os.Mkdir(sys, 0o755)
	os.WriteFile(user, []byte("# mine\n[app]\nhost=db.example\n port = 6543 \ndbname=appdb\npassword=s3cret\n\n[other]\nhost=elsewhere\n"), 0o600)
	os.WriteFile(filepath.Join(sys, "pg_service.conf"), []byte("[shared]\nhost=sys.example\nuser=sysuser\n[app]\nhost=never\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "nested.conf"), []byte("[n]\nservice=app\n"), 0o600)
	env := func(kv ...string) session.Deps {
		return deps(append([]string{"PGSERVICEFILE", user, "PGSYSCONFDIR", sys}, kv...)...)
	}
	runParseCases(t, []parseCase{
		{"service from the user's file", "service=app", env(), func(c *session.Config) {
			c.Hosts = []session.HostConfig{tcp("db.example", 6543)}
			c.Database = "appdb"
			withPassword(c, "s3cret")
		}},
		{"the string beats the file", "service=app port=7000 dbname=mine", env(), func(c *session.Config) {
			c.Hosts = []session.HostConfig{tcp("db.example", 7000)}
			c.Database = "mine"
			withPassword(c, "s3cret")
		}},
		{"the file beats the environment", "", env("PGSERVICE", "app", "PGHOST", "envhost", "PGUSER", "envuser"), func(c *session.Config) {
			c.Hosts = []session.HostConfig{tcp("db.example", 6543)}
			c.Database, c.User = "appdb", "envuser"
			withPassword(c, "s3cret")
		}},
		{"the system's file", "service=shared", env(), func(c *session.Config) {
			c.Hosts = []session.HostConfig{tcp("sys.example", 5432)}
			c.User, c.Database = "sysuser", "sysuser"
		}},
		{"servicefile in the string", "service=other servicefile=" + user, deps("PGSYSCONFDIR", sys), func(c *session.Config) {
			c.Hosts = []session.HostConfig{tcp("elsewhere", 5432)}
		}},
	})
	for _, bad := range []struct{ in, want string }{
		{"service=missing", `definition of service "missing" not found`},
		{"service=n servicefile=" + filepath.Join(dir, "nested.conf"), "nested service"},
	} {
		_, err := session.ParseConfigDeps(bad.in, env())
		if err == nil || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("%s: %v, want %q", bad.in, err, bad.want)
		}
	}
	// A password from the file is a secret like any other.
	_, err := session.ParseConfigDeps("service=app port=s3cret", env())
	if err == nil || strings.Contains(err.Error(), "s3cret") {
		t.Errorf("the service's password echoed: %v", err)
	}
}
