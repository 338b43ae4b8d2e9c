package pgtest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// Option configures Start and Main.
type Option func(*config)

type config struct {
	binDir    string
	osUser    string
	baseDir   string
	settings  [][2]string
	timeout   time.Duration
	leakCheck func() error
}

// WithBinDir takes the server binaries from dir instead of searching
// PG_BINDIR, /usr/lib/postgresql/*/bin and PATH.
func WithBinDir(dir string) Option { return func(c *config) { c.binDir = dir } }

// WithOSUser names the OS user the server runs as when the test binary is
// root (default "postgres"); it is created when missing.
func WithOSUser(name string) Option { return func(c *config) { c.osUser = name } }

// WithBaseDir makes the cluster's temporary directory inside dir instead of
// /tmp (or $TMPDIR when not root). The server's OS user must be able to reach
// it, and the socket path must stay under 107 bytes.
func WithBaseDir(dir string) Option { return func(c *config) { c.baseDir = dir } }

// WithSetting adds a postgresql.conf setting, such as
// WithSetting("max_prepared_transactions", "10"). The value is quoted for
// the file; later settings win.
func WithSetting(name, value string) Option {
	return func(c *config) { c.settings = append(c.settings, [2]string{name, value}) }
}

// WithTimeout bounds each wait for the server to start or stop (default one
// minute, for slow CI machines).
func WithTimeout(d time.Duration) Option { return func(c *config) { c.timeout = d } }

// WithLeakCheck gives Main a check to run after the tests passed and the
// cluster is closed, so the server's goroutines are gone; an error fails the
// run. Pass func() error { return goleak.Find() }. Start ignores it.
func WithLeakCheck(check func() error) Option { return func(c *config) { c.leakCheck = check } }

func newConfig(opts []Option) config {
	cfg := config{timeout: time.Minute}
	for _, o := range opts {
		o(&cfg)
	}
	return cfg
}

// maxSocketPath is the size of sun_path less its terminating NUL.
const maxSocketPath = 107

// Start starts a new cluster, or returns the external server when
// PGACTOR_TEST_DSN is set. The caller must Close it. On failure Start leaves
// nothing behind and its error says why, with the server log's last lines
// when the server would not start.
func Start(opts ...Option) (*Cluster, error) {
	cfg := newConfig(opts)
	if dsn := os.Getenv(EnvDSN); dsn != "" {
		return startExternal(dsn, cfg)
	}
	began := time.Now()
	bin, err := findBinaries(cfg.binDir, os.Getenv("PG_BINDIR"), debianBinGlob, exec.LookPath)
	if err != nil {
		return nil, err
	}
	cred, err := serverCredential(cfg.osUser)
	if err != nil {
		return nil, err
	}
	base := cfg.baseDir
	if base == "" {
		// As root, $TMPDIR may well sit under /root, which the server's
		// OS user cannot enter.
		base = os.TempDir()
		if cred != nil {
			base = "/tmp"
		}
	}
	dir, err := os.MkdirTemp(base, "pgtest-")
	if err != nil {
		return nil, fmt.Errorf("pgtest: %w", err)
	}
	// The reaper recognises the server by its working directory, which
	// the kernel reports with symlinks resolved.
	if real, err := filepath.EvalSymlinks(dir); err == nil {
		dir = real
	}
	c := &Cluster{
		Host:      "127.0.0.1",
		Database:  "pgactor",
		Dir:       dir,
		DataDir:   filepath.Join(dir, "data"),
		SocketDir: filepath.Join(dir, "sock"),
		LogFile:   filepath.Join(dir, "postgres.log"),
		bin:       bin,
		cred:      cred,
		timeout:   cfg.timeout,
	}
	rp, err := startReaper(dir)
	if err != nil {
		return nil, errors.Join(err, os.RemoveAll(dir))
	}
	c.reaper = rp
	register(c)
	if err := c.create(cfg); err != nil {
		return nil, errors.Join(err, c.Close())
	}
	c.StartupTime = time.Since(began)
	return c, nil
}

// create fills the cluster's directory and starts the server.
func (c *Cluster) create(cfg config) error {
	if n := len(c.SocketDir) + len("/.s.PGSQL.65535"); n > maxSocketPath {
		return fmt.Errorf("pgtest: socket path under %s would be %d bytes, over the limit of %d: use a shorter WithBaseDir",
			c.Dir, n, maxSocketPath)
	}
	if err := os.Chmod(c.Dir, 0o755); err != nil {
		return fmt.Errorf("pgtest: %w", err)
	}
	certs := filepath.Join(c.Dir, "certs")
	for _, d := range []struct {
		path  string
		mode  os.FileMode
		owned bool // by the server's OS user
	}{{c.DataDir, 0o700, true}, {c.SocketDir, 0o755, true}, {certs, 0o755, false}} {
		if err := os.Mkdir(d.path, d.mode); err != nil {
			return fmt.Errorf("pgtest: %w", err)
		}
		if d.owned {
			if err := chownTo(d.path, c.cred); err != nil {
				return fmt.Errorf("pgtest: %w", err)
			}
		}
	}
	if err := c.writeCerts(certs); err != nil {
		return err
	}
	if err := c.initdb(); err != nil {
		return err
	}
	if err := c.writeConfig(cfg.settings); err != nil {
		return err
	}
	if err := c.startFresh(); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), c.timeout)
	defer cancel()
	if _, err := c.psql(ctx, "postgres", setupSQL); err != nil {
		return fmt.Errorf("pgtest: creating roles: %w", err)
	}
	return nil
}

// initdb makes the data directory. Local trust lets setupSQL in as the
// superuser; writeConfig replaces pg_hba.conf anyway.
func (c *Cluster) initdb() error {
	cmd := exec.Command(c.bin.initdb, "-D", c.DataDir, "-U", string(Superuser), "-A", "trust",
		"-E", "UTF8", "--locale=C", "--no-sync", "--no-instructions")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	cmd.Dir = "/"
	cmd.Env = childEnv()
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: c.cred, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Run(); err != nil {
		hint := ""
		if c.cred != nil {
			hint = fmt.Sprintf(" (can OS user %d reach %s?)", c.cred.Uid, c.Dir)
		}
		return fmt.Errorf("pgtest: initdb%s: %w:\n%s", hint, err, lastLines(out.String(), 20))
	}
	v, err := os.ReadFile(filepath.Join(c.DataDir, "PG_VERSION"))
	if err != nil {
		return fmt.Errorf("pgtest: %w", err)
	}
	c.Version = strings.TrimSpace(string(v))
	return nil
}

// hbaConf is the whole of pg_hba.conf: the first line matching connection
// type, database, user and address decides, and a connection no line
// matches is refused.
const hbaConf = `# TYPE    DATABASE USER        ADDRESS        METHOD
local     all      postgres                   trust
local     replication postgres                trust
local     all      trust_user                 trust
local     all      clear_user                 password
local     all      md5_user                   md5
local     all      scram_user                 scram-sha-256
host      all      postgres    127.0.0.1/32   scram-sha-256
host      all      trust_user  127.0.0.1/32   trust
host      all      clear_user  127.0.0.1/32   password
host      all      md5_user    127.0.0.1/32   md5
host      all      scram_user  127.0.0.1/32   scram-sha-256
hostssl   all      ssl_user    127.0.0.1/32   scram-sha-256
hostnossl all      ssl_user    127.0.0.1/32   reject
hostssl   all      cert_user   127.0.0.1/32   cert
`

func (c *Cluster) writeConfig(extra [][2]string) error {
	settings := [][2]string{
		{"listen_addresses", "127.0.0.1"},
		{"unix_socket_directories", c.SocketDir},
		{"max_connections", "200"},
		{"ssl", "on"},
		{"ssl_cert_file", c.ServerCert},
		{"ssl_key_file", c.ServerKey},
		{"ssl_ca_file", c.CACert},
		{"password_encryption", "scram-sha-256"},
		// A throwaway cluster trades durability for speed.
		{"fsync", "off"},
		{"synchronous_commit", "off"},
		{"full_page_writes", "off"},
		{"log_connections", "on"},
		{"log_line_prefix", "%m [%p] %q%u@%d "},
	}
	var conf strings.Builder
	conf.WriteString("\n# pgtest\n")
	for _, s := range append(settings, extra...) {
		fmt.Fprintf(&conf, "%s = '%s'\n", s[0], strings.ReplaceAll(s[1], "'", "''"))
	}
	f, err := os.OpenFile(filepath.Join(c.DataDir, "postgresql.conf"), os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		return fmt.Errorf("pgtest: %w", err)
	}
	_, err = f.WriteString(conf.String())
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("pgtest: %w", err)
	}
	// initdb made pg_hba.conf as the server's OS user; writing it in place
	// keeps owner and mode.
	if err := os.WriteFile(filepath.Join(c.DataDir, "pg_hba.conf"), []byte(hbaConf), 0o600); err != nil {
		return fmt.Errorf("pgtest: %w", err)
	}
	return nil
}

// setupSQL creates the roles and the database. password_encryption decides
// how CREATE ROLE stores a password, and the md5 method only accepts an MD5
// hash, hence the SET before md5_user.
const setupSQL = `
ALTER ROLE postgres PASSWORD '` + Password + `';
CREATE ROLE trust_user LOGIN;
CREATE ROLE cert_user LOGIN;
SET password_encryption = 'md5';
CREATE ROLE md5_user LOGIN PASSWORD '` + Password + `';
SET password_encryption = 'scram-sha-256';
CREATE ROLE scram_user LOGIN PASSWORD '` + Password + `';
CREATE ROLE clear_user LOGIN PASSWORD '` + Password + `';
CREATE ROLE ssl_user LOGIN PASSWORD '` + Password + `';
-- Tests terminate their own and each other's backends without superuser.
GRANT pg_signal_backend TO trust_user, clear_user, md5_user, scram_user, ssl_user, cert_user;
CREATE DATABASE pgactor;
GRANT ALL ON DATABASE pgactor TO PUBLIC;
\connect pgactor
GRANT ALL ON SCHEMA public TO PUBLIC;
`

// startFresh starts the server on a free port. Test binaries of other
// packages pick ports at the same time: one may take ours between our
// closing the probe listener and the server binding, so a bind failure
// makes us try another port.
func (c *Cluster) startFresh() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	const attempts = 5
	for i := 1; ; i++ {
		port, err := freePort()
		if err != nil {
			return err
		}
		s, err := c.spawn(port)
		if err == nil {
			c.Port, c.proc = port, s
			return nil
		}
		if !errors.Is(err, errAddrInUse) || i == attempts {
			return err
		}
	}
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("pgtest: finding a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// startExternal describes the server PGACTOR_TEST_DSN names.
func startExternal(dsn string, cfg config) (*Cluster, error) {
	sc, p, err := externalParams(dsn)
	if err != nil {
		return nil, fmt.Errorf("pgtest: %s: %w", EnvDSN, err)
	}
	c := &Cluster{
		External:       true,
		Host:           sc.Hosts[0].Host,
		Port:           int(sc.Hosts[0].Port),
		Database:       sc.Database,
		externalDSN:    dsn,
		externalParams: p,
		timeout:        cfg.timeout,
	}
	// Exec needs psql; the server binaries need not be here.
	if bin, err := findBinaries(cfg.binDir, os.Getenv("PG_BINDIR"), debianBinGlob, exec.LookPath); err == nil {
		c.bin = bin
	} else if psql, err := exec.LookPath("psql"); err == nil {
		c.bin.psql = psql
	}
	return c, nil
}
