package pgtest

import (
	"errors"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Password is the password of every role that authenticates with one,
// including the superuser over TCP.
const Password = "pgactor-secret"

// EnvDSN names the environment variable that points the harness at an
// existing server instead of starting one.
const EnvDSN = "PGACTOR_TEST_DSN"

// Role is a login role of the cluster. Its name says how it authenticates;
// the package doc has the whole pg_hba.conf table.
type Role string

// The roles every cluster has.
const (
	Trust     Role = "trust_user" // trust
	Cleartext Role = "clear_user" // cleartext password
	MD5       Role = "md5_user"   // md5, password stored as an MD5 hash
	SCRAM     Role = "scram_user" // scram-sha-256
	TLSOnly   Role = "ssl_user"   // scram-sha-256, and only over TLS
	Cert      Role = "cert_user"  // client certificate, only over TLS
	Superuser Role = "postgres"   // superuser: trust over the socket, scram-sha-256 over TCP
)

// Roles returns every role of a cluster, the superuser last.
func Roles() []Role {
	return []Role{Trust, Cleartext, MD5, SCRAM, TLSOnly, Cert, Superuser}
}

// NeedsTLS reports whether the server refuses r over a connection without TLS.
func (r Role) NeedsTLS() bool { return r == TLSOnly || r == Cert }

// HasPassword reports whether r logs in over TCP with [Password].
func (r Role) HasPassword() bool { return r != Trust && r != Cert }

// ErrExternal is returned by operations that need a server the harness owns
// when PGACTOR_TEST_DSN points at an external one.
var ErrExternal = errors.New("pgtest: not possible on an external server (" + EnvDSN + ")")

// ErrClosed is returned by operations on a Cluster after Close.
var ErrClosed = errors.New("pgtest: cluster is closed")

// Cluster is a running throwaway PostgreSQL server, or the external server
// named by PGACTOR_TEST_DSN. Its exported fields are set by Start and never
// change afterwards; its methods may be called from many goroutines.
type Cluster struct {
	Host      string // 127.0.0.1
	Port      int    // TCP port on Host; the socket in SocketDir uses it too
	SocketDir string // directory of the unix socket
	Database  string // "pgactor", usable by every role

	// PEM files. The CA signed ServerCert (CN and SAN localhost, SAN
	// 127.0.0.1 and ::1) and ClientCert (CN cert_user); WrongCACert is an
	// unrelated CA for verification failures. Keys are PKCS #8, mode 0600.
	CACert, ServerCert, ServerKey, ClientCert, ClientKey, WrongCACert string

	External bool // true when PGACTOR_TEST_DSN names the server

	Dir     string // the temporary directory holding everything; Close removes it
	DataDir string // PGDATA
	LogFile string // the server's log
	Version string // major version of the server, from PG_VERSION

	// StartupTime is how long Start took, from finding the binaries to the
	// roles and database being ready.
	StartupTime time.Duration

	bin     binaries
	cred    *syscall.Credential // OS user of the server; nil when not root
	timeout time.Duration       // for startup and shutdown of the server

	externalDSN    string
	externalParams map[string]string

	mu     sync.Mutex // guards the fields below
	proc   *server
	reaper *reaper
	closed bool
}

// Addr returns the server's TCP address, "127.0.0.1:port".
func (c *Cluster) Addr() string {
	return c.Host + ":" + strconv.Itoa(c.Port)
}

// Params returns the libpq connection parameters of role r over TCP:
// host, port, user, dbname, sslmode, and password, sslcert and sslkey where
// the role needs them. Roles that need TLS get sslmode=require; add
// sslrootcert (CACert) and sslmode=verify-full to check the server. For an
// external server it returns the parameters of PGACTOR_TEST_DSN whatever r
// is. The map is the caller's to change.
func (c *Cluster) Params(r Role) map[string]string {
	if c.External {
		p := make(map[string]string, len(c.externalParams))
		for k, v := range c.externalParams {
			p[k] = v
		}
		return p
	}
	p := map[string]string{
		"host":    c.Host,
		"port":    strconv.Itoa(c.Port),
		"user":    string(r),
		"dbname":  c.Database,
		"sslmode": "disable",
	}
	if r.HasPassword() {
		p["password"] = Password
	}
	if r.NeedsTLS() {
		p["sslmode"] = "require"
	}
	if r == Cert {
		p["sslcert"] = c.ClientCert
		p["sslkey"] = c.ClientKey
	}
	return p
}

// DSN returns a URL connection string for role r over TCP, such as
// postgres://scram_user:pgactor-secret@127.0.0.1:5432/pgactor?sslmode=disable.
// For an external server it returns PGACTOR_TEST_DSN unchanged, whatever r is.
func (c *Cluster) DSN(r Role) string {
	if c.External {
		return c.externalDSN
	}
	return FormatURL(c.Params(r))
}

// KeyValueDSN returns the key=value form of DSN(r), values quoted where
// libpq needs it.
func (c *Cluster) KeyValueDSN(r Role) string {
	return FormatKeyValue(c.Params(r))
}

// UnixDSN returns a key=value connection string for role r over the unix
// socket. Only Trust, Cleartext, MD5, SCRAM and Superuser may log in that way.
// For an external server it returns PGACTOR_TEST_DSN unchanged.
func (c *Cluster) UnixDSN(r Role) string {
	if c.External {
		return c.externalDSN
	}
	p := c.Params(r)
	p["host"] = c.SocketDir
	delete(p, "sslmode")
	return FormatKeyValue(p)
}

// RequireRole skips the test when the cluster is external: there the harness
// cannot promise that role r exists or authenticates as its name says, nor
// that TLS and the certificates are set up.
func (c *Cluster) RequireRole(t testing.TB, r Role) {
	t.Helper()
	if c.External {
		t.Skipf("needs role %s: %s points at an external server", r, EnvDSN)
	}
}

// RequireLocal skips the test when the cluster is external; need says what
// the test needs the harness's own server for, such as "Restart".
func (c *Cluster) RequireLocal(t testing.TB, need string) {
	t.Helper()
	if c.External {
		t.Skipf("needs %s: %s points at an external server", need, EnvDSN)
	}
}

// PID returns the process id of the postmaster, or 0 when the server is
// stopped or external.
func (c *Cluster) PID() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.proc == nil {
		return 0
	}
	return c.proc.cmd.Process.Pid
}
