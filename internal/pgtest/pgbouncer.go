package pgtest

import (
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"time"
)

// ErrNoPgBouncer is returned by StartPgBouncer when no pgbouncer binary
// is installed (apt-get install pgbouncer).
var ErrNoPgBouncer = errors.New("pgtest: pgbouncer not found (apt-get install pgbouncer, or set PGBOUNCER)")

// PgBouncer is a pgbouncer in front of a Cluster, for tests of pooler
// behaviour. It lets Trust in without a password and forwards to the
// cluster's TCP port.
type PgBouncer struct {
	Port int
	Mode string // "transaction" or "session"

	dir    string
	cmd    *exec.Cmd
	exited chan struct{}
}

// StartPgBouncer starts pgbouncer in pool_mode mode ("transaction" or
// "session") with a server pool of poolSize connections. Close stops it;
// it also dies with the test binary.
func (c *Cluster) StartPgBouncer(mode string, poolSize int) (*PgBouncer, error) {
	if c.External {
		return nil, ErrExternal
	}
	bin := os.Getenv("PGBOUNCER")
	if bin == "" {
		if p, err := exec.LookPath("pgbouncer"); err == nil {
			bin = p
		} else {
			bin = "/usr/sbin/pgbouncer"
		}
	}
	if _, err := os.Stat(bin); err != nil {
		return nil, ErrNoPgBouncer
	}
	dir, err := os.MkdirTemp(c.Dir, "pgbouncer-")
	if err != nil {
		return nil, fmt.Errorf("pgtest: pgbouncer dir: %w", err)
	}
	os.Chmod(dir, 0o777) // the server's OS user writes its log and pid here
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	ini := fmt.Sprintf(`[databases]
* = host=%s port=%d

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = %d
unix_socket_dir =
auth_type = trust
auth_file = %s
pool_mode = %s
default_pool_size = %d
max_client_conn = 2000
logfile = %s
pidfile = %s
server_login_retry = 1
`, c.Host, c.Port, port, filepath.Join(dir, "users.txt"), mode, poolSize,
		filepath.Join(dir, "pgbouncer.log"), filepath.Join(dir, "pgbouncer.pid"))
	users := fmt.Sprintf("%q \"\"\n", string(Trust))
	for name, body := range map[string]string{"pgbouncer.ini": ini, "users.txt": users} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			return nil, fmt.Errorf("pgtest: pgbouncer config: %w", err)
		}
	}
	cmd := exec.Command(bin, filepath.Join(dir, "pgbouncer.ini"))
	cmd.Dir = "/"
	cmd.Env = childEnv()
	// pgbouncer, like postgres, refuses to run as root.
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: c.cred, Pdeathsig: syscall.SIGKILL, Setpgid: true}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("pgtest: starting pgbouncer: %w", err)
	}
	b := &PgBouncer{Port: port, Mode: mode, dir: dir, cmd: cmd, exited: make(chan struct{})}
	go func() {
		cmd.Wait()
		close(b.exited)
	}()
	deadline := time.Now().Add(10 * time.Second)
	for {
		conn, err := net.DialTimeout("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)), time.Second)
		if err == nil {
			conn.Close()
			return b, nil
		}
		select {
		case <-b.exited:
			log, _ := os.ReadFile(filepath.Join(dir, "pgbouncer.log"))
			return nil, fmt.Errorf("pgtest: pgbouncer exited at start:\n%s", lastLines(string(log), 20))
		default:
		}
		if time.Now().After(deadline) {
			b.Close()
			return nil, errors.New("pgtest: pgbouncer did not listen within 10s")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// DSN is the connection string of Trust through this pgbouncer.
func (b *PgBouncer) DSN(database string) string {
	return fmt.Sprintf("postgres://%s@127.0.0.1:%d/%s?sslmode=disable", Trust, b.Port, database)
}

// Close stops pgbouncer and removes its files.
func (b *PgBouncer) Close() error {
	b.cmd.Process.Signal(syscall.SIGINT)
	select {
	case <-b.exited:
	case <-time.After(5 * time.Second):
		b.cmd.Process.Kill()
		<-b.exited
	}
	return os.RemoveAll(b.dir)
}
