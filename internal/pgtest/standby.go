package pgtest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// StartStandby makes a streaming hot standby of c: pg_basebackup -R copies
// c's data over a replication connection, and the copy starts on a port of
// its own, following c's WAL. The standby has c's roles, database and
// certificates, answers read-only queries, and refuses what a hot standby
// refuses (writes, BEGIN ISOLATION LEVEL SERIALIZABLE, BEGIN READ WRITE).
// Close it as any Cluster; closing c first leaves it running, unable to
// follow.
func (c *Cluster) StartStandby() (*Cluster, error) {
	if c.External {
		return nil, ErrExternal
	}
	c.mu.Lock()
	closed, port := c.closed, c.Port
	c.mu.Unlock()
	if closed {
		return nil, ErrClosed
	}
	base := filepath.Dir(c.Dir)
	dir, err := os.MkdirTemp(base, "pgtest-standby-")
	if err != nil {
		return nil, fmt.Errorf("pgtest: %w", err)
	}
	if real, err := filepath.EvalSymlinks(dir); err == nil {
		dir = real
	}
	s := &Cluster{
		Host:        c.Host,
		Database:    c.Database,
		CACert:      c.CACert,
		ServerCert:  c.ServerCert,
		ServerKey:   c.ServerKey,
		ClientCert:  c.ClientCert,
		ClientKey:   c.ClientKey,
		WrongCACert: c.WrongCACert,
		Dir:         dir,
		DataDir:     filepath.Join(dir, "data"),
		SocketDir:   filepath.Join(dir, "sock"),
		LogFile:     filepath.Join(dir, "postgres.log"),
		Version:     c.Version,
		bin:         c.bin,
		cred:        c.cred,
		timeout:     c.timeout,
	}
	rp, err := startReaper(dir)
	if err != nil {
		return nil, errors.Join(err, os.RemoveAll(dir))
	}
	s.reaper = rp
	register(s)
	began := time.Now()
	if err := s.backUpFrom(c.SocketDir, port); err != nil {
		return nil, errors.Join(err, s.Close())
	}
	if err := s.startFresh(); err != nil {
		return nil, errors.Join(err, s.Close())
	}
	s.StartupTime = time.Since(began)
	return s, nil
}

// backUpFrom fills s.DataDir with a base backup of the server on socketDir
// and port, set up to stream from it (standby.signal, primary_conninfo),
// and points the copy's socket at s.SocketDir.
func (s *Cluster) backUpFrom(socketDir string, port int) error {
	if err := os.Chmod(s.Dir, 0o755); err != nil {
		return fmt.Errorf("pgtest: %w", err)
	}
	for _, d := range []struct {
		path string
		mode os.FileMode
	}{{s.DataDir, 0o700}, {s.SocketDir, 0o755}} {
		if err := os.Mkdir(d.path, d.mode); err != nil {
			return fmt.Errorf("pgtest: %w", err)
		}
		if err := chownTo(d.path, s.cred); err != nil {
			return fmt.Errorf("pgtest: %w", err)
		}
	}
	tool := filepath.Join(s.bin.dir, "pg_basebackup")
	cmd := exec.Command(tool, "-D", s.DataDir, "-R", "-X", "stream", "-c", "fast", "--no-sync",
		"-h", socketDir, "-p", strconv.Itoa(port), "-U", string(Superuser), "-w")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	cmd.Dir = "/"
	cmd.Env = childEnv()
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: s.cred, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("pgtest: pg_basebackup: %w:\n%s", err, lastLines(out.String(), 20))
	}
	// The copied postgresql.conf names the primary's socket directory; the
	// last setting in the file wins.
	f, err := os.OpenFile(filepath.Join(s.DataDir, "postgresql.conf"), os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		return fmt.Errorf("pgtest: %w", err)
	}
	_, err = fmt.Fprintf(f, "\n# pgtest standby\nunix_socket_directories = '%s'\nhot_standby = 'on'\n",
		strings.ReplaceAll(s.SocketDir, "'", "''"))
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("pgtest: %w", err)
	}
	return nil
}

// Promote ends recovery on a standby made by StartStandby and waits until it
// accepts writes: from then on it is a primary of its own.
func (c *Cluster) Promote(ctx context.Context) error {
	if c.External {
		return ErrExternal
	}
	out, err := c.Exec(ctx, "SELECT pg_promote(true, 60)")
	if err != nil {
		return err
	}
	if out != "t" {
		return fmt.Errorf("pgtest: promote: pg_promote returned %q", out)
	}
	return nil
}

// Kill ends the server at once with SIGKILL, as a crash would: no
// checkpoint, no goodbye to clients. Restart starts it again (with crash
// recovery).
func (c *Cluster) Kill() error {
	if c.External {
		return ErrExternal
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return ErrClosed
	}
	if c.proc == nil {
		return nil
	}
	// The whole process group: backends die with the postmaster.
	_ = syscall.Kill(-c.proc.cmd.Process.Pid, syscall.SIGKILL)
	c.proc.kill()
	c.proc = nil
	return nil
}
