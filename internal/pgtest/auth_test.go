package pgtest_test

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pgactor/pgactor/internal/pgtest"
)

// whoami asks the server who we are and whether the connection uses TLS.
const whoami = "SELECT current_user || ' ' || left(ssl::text, 1) FROM pg_stat_ssl WHERE pid = pg_backend_pid()"

// psqlEnv is a clean environment for a psql client: no PG* variable from the
// developer's shell, no password file and no client certificate or root
// certificate from ~/.postgresql, then the given variables.
func psqlEnv(t *testing.T, vars map[string]string) []string {
	t.Helper()
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "PG") {
			env = append(env, kv)
		}
	}
	none := filepath.Join(t.TempDir(), "none")
	defaults := map[string]string{
		"PGPASSFILE":        none,
		"PGSSLCERT":         none,
		"PGSSLKEY":          none,
		"PGSSLROOTCERT":     none,
		"PGCONNECT_TIMEOUT": "10",
		"LC_ALL":            "C",
	}
	for k, v := range defaults {
		if _, ok := vars[k]; !ok {
			env = append(env, k+"="+v)
		}
	}
	for k, v := range vars {
		env = append(env, k+"="+v)
	}
	return env
}

// psql runs query as a client described by env and, if not empty, a
// connection string, and returns its output or its error with stderr.
func psql(t *testing.T, env []string, conn, query string) (string, error) {
	t.Helper()
	args := []string{"-X", "-A", "-t", "-w", "-v", "ON_ERROR_STOP=1", "-c", query}
	if conn != "" {
		args = append(args, "-d", conn)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "psql", args...)
	cmd.Env = env
	out, err := cmd.CombinedOutput()
	if err != nil {
		return "", &psqlError{err: err, output: strings.TrimSpace(string(out))}
	}
	return strings.TrimSpace(string(out)), nil
}

type psqlError struct {
	err    error
	output string
}

func (e *psqlError) Error() string { return e.err.Error() + ": " + e.output }

// TestLogins proves that every role can or cannot log in as pg_hba.conf
// says, over TCP and the unix socket, with and without TLS, certificates
// and passwords.
func TestLogins(t *testing.T) {
	c := cluster
	c.RequireRole(t, pgtest.Cert)
	port := strconv.Itoa(c.Port)
	tests := []struct {
		name string
		vars map[string]string // PGUSER is the role; PGHOST defaults to 127.0.0.1
		want string            // "role ssl" on success
		err  string            // part of psql's message on failure
	}{
		{"trust without TLS", map[string]string{"PGUSER": "trust_user", "PGSSLMODE": "disable"}, "trust_user f", ""},
		{"trust with TLS", map[string]string{"PGUSER": "trust_user", "PGSSLMODE": "require"}, "trust_user t", ""},
		{"trust over the socket", map[string]string{"PGUSER": "trust_user", "PGHOST": c.SocketDir}, "trust_user f", ""},

		{"cleartext", map[string]string{"PGUSER": "clear_user", "PGPASSWORD": pgtest.Password, "PGSSLMODE": "disable"}, "clear_user f", ""},
		{"cleartext wrong password", map[string]string{"PGUSER": "clear_user", "PGPASSWORD": "nope", "PGSSLMODE": "disable"}, "", `password authentication failed for user "clear_user"`},
		{"cleartext no password", map[string]string{"PGUSER": "clear_user", "PGSSLMODE": "disable"}, "", "no password supplied"},
		{"cleartext over the socket", map[string]string{"PGUSER": "clear_user", "PGPASSWORD": pgtest.Password, "PGHOST": c.SocketDir}, "clear_user f", ""},

		{"md5", map[string]string{"PGUSER": "md5_user", "PGPASSWORD": pgtest.Password, "PGSSLMODE": "disable"}, "md5_user f", ""},
		{"md5 wrong password", map[string]string{"PGUSER": "md5_user", "PGPASSWORD": "nope", "PGSSLMODE": "disable"}, "", `password authentication failed for user "md5_user"`},
		{"md5 over the socket", map[string]string{"PGUSER": "md5_user", "PGPASSWORD": pgtest.Password, "PGHOST": c.SocketDir}, "md5_user f", ""},
		{"md5 refuses channel binding", map[string]string{"PGUSER": "md5_user", "PGPASSWORD": pgtest.Password, "PGSSLMODE": "require", "PGCHANNELBINDING": "require"}, "", "channel binding required"},

		{"scram", map[string]string{"PGUSER": "scram_user", "PGPASSWORD": pgtest.Password, "PGSSLMODE": "disable"}, "scram_user f", ""},
		{"scram wrong password", map[string]string{"PGUSER": "scram_user", "PGPASSWORD": "nope", "PGSSLMODE": "disable"}, "", `password authentication failed for user "scram_user"`},
		{"scram with channel binding", map[string]string{"PGUSER": "scram_user", "PGPASSWORD": pgtest.Password, "PGSSLMODE": "require", "PGCHANNELBINDING": "require"}, "scram_user t", ""},
		{"scram over the socket", map[string]string{"PGUSER": "scram_user", "PGPASSWORD": pgtest.Password, "PGHOST": c.SocketDir}, "scram_user f", ""},

		{"tls-only without TLS", map[string]string{"PGUSER": "ssl_user", "PGPASSWORD": pgtest.Password, "PGSSLMODE": "disable"}, "", `pg_hba.conf rejects connection for host "127.0.0.1", user "ssl_user"`},
		{"tls-only with TLS", map[string]string{"PGUSER": "ssl_user", "PGPASSWORD": pgtest.Password, "PGSSLMODE": "require"}, "ssl_user t", ""},
		{"tls-only wrong password", map[string]string{"PGUSER": "ssl_user", "PGPASSWORD": "nope", "PGSSLMODE": "require"}, "", `password authentication failed for user "ssl_user"`},
		{"tls-only verify-full by name", map[string]string{"PGUSER": "ssl_user", "PGPASSWORD": pgtest.Password, "PGHOST": "localhost", "PGSSLMODE": "verify-full", "PGSSLROOTCERT": c.CACert}, "ssl_user t", ""},
		{"tls-only verify-full by address", map[string]string{"PGUSER": "ssl_user", "PGPASSWORD": pgtest.Password, "PGSSLMODE": "verify-full", "PGSSLROOTCERT": c.CACert}, "ssl_user t", ""},
		{"tls-only verify-full wrong CA", map[string]string{"PGUSER": "ssl_user", "PGPASSWORD": pgtest.Password, "PGHOST": "localhost", "PGSSLMODE": "verify-full", "PGSSLROOTCERT": c.WrongCACert}, "", "certificate verify failed"},
		{"tls-only over the socket", map[string]string{"PGUSER": "ssl_user", "PGPASSWORD": pgtest.Password, "PGHOST": c.SocketDir}, "", `no pg_hba.conf entry for host "[local]", user "ssl_user"`},

		{"cert", map[string]string{"PGUSER": "cert_user", "PGSSLMODE": "require", "PGSSLCERT": c.ClientCert, "PGSSLKEY": c.ClientKey}, "cert_user t", ""},
		{"cert verify-full", map[string]string{"PGUSER": "cert_user", "PGHOST": "localhost", "PGSSLMODE": "verify-full", "PGSSLROOTCERT": c.CACert, "PGSSLCERT": c.ClientCert, "PGSSLKEY": c.ClientKey}, "cert_user t", ""},
		{"cert without certificate", map[string]string{"PGUSER": "cert_user", "PGSSLMODE": "require"}, "", "connection requires a valid client certificate"},
		{"cert without TLS", map[string]string{"PGUSER": "cert_user", "PGSSLMODE": "disable", "PGSSLCERT": c.ClientCert, "PGSSLKEY": c.ClientKey}, "", `no pg_hba.conf entry for host "127.0.0.1", user "cert_user"`},
		{"cert for another role", map[string]string{"PGUSER": "trust_user", "PGSSLMODE": "require", "PGSSLCERT": c.ClientCert, "PGSSLKEY": c.ClientKey}, "trust_user t", ""},

		{"superuser over TCP", map[string]string{"PGUSER": "postgres", "PGPASSWORD": pgtest.Password, "PGSSLMODE": "disable"}, "postgres f", ""},
		{"superuser over TCP without password", map[string]string{"PGUSER": "postgres", "PGSSLMODE": "disable"}, "", "no password supplied"},
		{"superuser over the socket", map[string]string{"PGUSER": "postgres", "PGHOST": c.SocketDir}, "postgres f", ""},

		{"unknown role", map[string]string{"PGUSER": "nobody_user", "PGSSLMODE": "disable"}, "", `no pg_hba.conf entry for host "127.0.0.1", user "nobody_user"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			vars := map[string]string{"PGHOST": "127.0.0.1", "PGPORT": port, "PGDATABASE": c.Database}
			for k, v := range tt.vars {
				vars[k] = v
			}
			out, err := psql(t, psqlEnv(t, vars), "", whoami)
			switch {
			case tt.err == "" && err != nil:
				t.Fatalf("login refused: %v", err)
			case tt.err == "" && out != tt.want:
				t.Fatalf("logged in as %q, want %q", out, tt.want)
			case tt.err != "" && err == nil:
				t.Fatalf("login accepted (%q), want refusal with %q", out, tt.err)
			case tt.err != "" && !strings.Contains(err.Error(), tt.err):
				t.Fatalf("refused with %v, want %q", err, tt.err)
			}
		})
	}
}

// TestDSNsLogIn checks that each role's connection strings, in both forms,
// are complete: psql logs in with nothing else.
func TestDSNsLogIn(t *testing.T) {
	c := cluster
	c.RequireRole(t, pgtest.Cert)
	for _, r := range pgtest.Roles() {
		wantSSL := "f"
		if r.NeedsTLS() {
			wantSSL = "t"
		}
		forms := []struct{ name, dsn, ssl string }{
			{"url", c.DSN(r), wantSSL},
			{"keyvalue", c.KeyValueDSN(r), wantSSL},
		}
		if !r.NeedsTLS() {
			forms = append(forms, struct{ name, dsn, ssl string }{"unix", c.UnixDSN(r), "f"})
		}
		for _, f := range forms {
			t.Run(string(r)+"/"+f.name, func(t *testing.T) {
				t.Parallel()
				out, err := psql(t, psqlEnv(t, nil), f.dsn, whoami)
				if err != nil {
					t.Fatalf("%s: %v", f.dsn, err)
				}
				if want := string(r) + " " + f.ssl; out != want {
					t.Fatalf("%s: logged in as %q, want %q", f.dsn, out, want)
				}
			})
		}
	}
}

// TestStoredPasswords checks that each role's password is stored the way
// its pg_hba.conf method needs: the md5 method accepts only an MD5 hash.
func TestStoredPasswords(t *testing.T) {
	c := cluster
	c.RequireRole(t, pgtest.MD5)
	out, err := c.Exec(t.Context(), `SELECT rolname || ' ' || coalesce(substr(rolpassword, 1, 14), 'none')
		FROM pg_authid WHERE rolname IN ('trust_user', 'clear_user', 'md5_user', 'scram_user', 'ssl_user', 'cert_user', 'postgres')
		ORDER BY rolname`)
	if err != nil {
		t.Fatal(err)
	}
	want := strings.Join([]string{
		"cert_user none",
		"clear_user SCRAM-SHA-256$",
		"md5_user md5" + md5Prefix(pgtest.Password, "md5_user"),
		"postgres SCRAM-SHA-256$",
		"scram_user SCRAM-SHA-256$",
		"ssl_user SCRAM-SHA-256$",
		"trust_user none",
	}, "\n")
	if out != want {
		t.Fatalf("stored passwords:\n%s\nwant:\n%s", out, want)
	}
}

// md5Prefix is the first 11 hex digits of PostgreSQL's MD5 password hash,
// md5(password || user), computed here rather than copied from the server.
func md5Prefix(password, user string) string {
	return md5Hex(password + user)[:11]
}

// TestSignalBackend shows a test role terminating another role's backend,
// which the pg_signal_backend grant allows, and Exec finding it.
func TestSignalBackend(t *testing.T) {
	c := cluster
	c.RequireRole(t, pgtest.SCRAM)
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	victim := exec.CommandContext(ctx, "psql", "-X", "-w", "-d", c.DSN(pgtest.SCRAM), "-c", "SELECT pg_sleep(60) AS victim")
	victim.Env = psqlEnv(t, nil)
	var out strings.Builder
	victim.Stdout, victim.Stderr = &out, &out
	if err := victim.Start(); err != nil {
		t.Fatal(err)
	}
	const find = "SELECT pid FROM pg_stat_activity WHERE usename = 'scram_user' AND query LIKE '%AS victim'"
	var pid string
	for pid == "" {
		var err error
		if pid, err = c.Exec(ctx, find); err != nil {
			t.Fatal(err)
		}
		if ctx.Err() != nil {
			t.Fatal("the victim's backend never showed up")
		}
		time.Sleep(10 * time.Millisecond)
	}
	got, err := psql(t, psqlEnv(t, nil), c.DSN(pgtest.Trust), "SELECT pg_terminate_backend("+pid+")")
	if err != nil || got != "t" {
		t.Fatalf("trust_user terminating scram_user's backend: %q, %v", got, err)
	}
	if err := victim.Wait(); err == nil {
		t.Fatalf("the victim's query survived: %s", out.String())
	}
	if !strings.Contains(out.String(), "terminating connection due to administrator command") {
		t.Fatalf("the victim died of something else: %s", out.String())
	}
}

func TestExec(t *testing.T) {
	c := cluster
	c.RequireRole(t, pgtest.Superuser)
	ctx := t.Context()
	tests := []struct {
		name, sql, want, err string
	}{
		{"one row", "SELECT 1", "1", ""},
		{"rows and columns", "SELECT g, g * 2 FROM generate_series(1, 3) g", "1|2\n2|4\n3|6", ""},
		{"no rows", "SELECT 1 WHERE false", "", ""},
		{"several statements", "CREATE TEMP TABLE t (v text); INSERT INTO t VALUES ('a'), ('b'); SELECT string_agg(v, ',' ORDER BY v) FROM t;", "a,b", ""},
		{"superuser", "SELECT current_user, current_database(), rolsuper FROM pg_roles WHERE rolname = current_user", "postgres|pgactor|t", ""},
		{"meta-command", "\\connect postgres\nSELECT current_database()", "postgres", ""},
		{"error", "SELECT 1/0", "", "division by zero"},
		{"stops at the first error", "SELECT nosuchcolumn; SELECT 'not reached'", "", `column "nosuchcolumn" does not exist`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			out, err := c.Exec(ctx, tt.sql)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("err = %v, want %q", err, tt.err)
				}
				if strings.Contains(out, "not reached") {
					t.Fatalf("ran on after the error: %q", out)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if out != tt.want {
				t.Fatalf("out = %q, want %q", out, tt.want)
			}
		})
	}
	t.Run("cancelled", func(t *testing.T) {
		t.Parallel()
		ctx, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
		defer cancel()
		began := time.Now()
		_, err := c.Exec(ctx, "SELECT pg_sleep(30)")
		if err == nil || !strings.Contains(err.Error(), context.DeadlineExceeded.Error()) {
			t.Fatalf("err = %v, want the deadline", err)
		}
		if d := time.Since(began); d > 10*time.Second {
			t.Fatalf("took %v to give up", d)
		}
	})
}

// TestSettings checks the settings the harness promises.
func TestSettings(t *testing.T) {
	c := cluster
	c.RequireLocal(t, "the harness's settings")
	out, err := c.Exec(t.Context(), `SELECT name || '=' || setting FROM pg_settings
		WHERE name IN ('listen_addresses', 'ssl', 'fsync', 'synchronous_commit', 'full_page_writes', 'max_connections', 'port', 'unix_socket_directories')
		ORDER BY name`)
	if err != nil {
		t.Fatal(err)
	}
	want := strings.Join([]string{
		"fsync=off",
		"full_page_writes=off",
		"listen_addresses=127.0.0.1",
		"max_connections=200",
		"port=" + strconv.Itoa(c.Port),
		"ssl=on",
		"synchronous_commit=off",
		"unix_socket_directories=" + c.SocketDir,
	}, "\n")
	if out != want {
		t.Fatalf("settings:\n%s\nwant:\n%s", out, want)
	}
	if got, want := c.Addr(), "127.0.0.1:"+strconv.Itoa(c.Port); got != want {
		t.Fatalf("Addr() = %q, want %q", got, want)
	}
}

func md5Hex(s string) string {
	sum := md5.Sum([]byte(s))
	return hex.EncodeToString(sum[:])
}

// TestExecAnyServer runs on an external server too: Exec and DSN must work
// against whatever PGACTOR_TEST_DSN names.
func TestExecAnyServer(t *testing.T) {
	out, err := cluster.Exec(t.Context(), "SELECT 6 * 7")
	if err != nil || out != "42" {
		t.Fatalf("Exec: %q, %v", out, err)
	}
	if out, err := psql(t, psqlEnv(t, nil), cluster.DSN(pgtest.SCRAM), "SELECT 1"); err != nil || out != "1" {
		t.Fatalf("psql %s: %q, %v", cluster.DSN(pgtest.SCRAM), out, err)
	}
}
