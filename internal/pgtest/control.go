package pgtest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
)

// Exec runs sql (one or more statements, psql meta-commands allowed) as the
// superuser through psql over the unix socket, in the cluster's database,
// and returns what it printed: unaligned, tuples only, one row a line, the
// last newline trimmed. The first failing statement stops it and its error
// carries psql's message. On an external server it runs as the user of
// PGACTOR_TEST_DSN.
//
//	out, err := c.Exec(ctx, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = 'scram_user'")
func (c *Cluster) Exec(ctx context.Context, sql string) (string, error) {
	return c.psql(ctx, c.Database, sql)
}

func (c *Cluster) psql(ctx context.Context, db, sql string) (string, error) {
	if c.bin.psql == "" {
		return "", errors.New("pgtest: psql not found beside the server binaries or in PATH")
	}
	c.mu.Lock()
	closed := c.closed
	c.mu.Unlock()
	if closed {
		return "", ErrClosed
	}
	args := []string{"-X", "-A", "-t", "-q", "-w", "-v", "ON_ERROR_STOP=1"}
	if c.External {
		args = append(args, "-d", c.externalDSN)
	} else {
		args = append(args, "-h", c.SocketDir, "-p", strconv.Itoa(c.Port), "-U", string(Superuser), "-d", db)
	}
	cmd := exec.CommandContext(ctx, c.bin.psql, args...)
	cmd.Stdin = strings.NewReader(sql)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	cmd.Dir = "/"
	cmd.Env = append(childEnv(), "PGCONNECT_TIMEOUT=10")
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Run(); err != nil {
		if ctxErr := ctx.Err(); ctxErr != nil {
			err = ctxErr
		}
		return stdout.String(), fmt.Errorf("pgtest: psql: %w: %s", err, strings.TrimSpace(stderr.String()))
	}
	return strings.TrimSuffix(stdout.String(), "\n"), nil
}

// Stop shuts the server down (fast shutdown: open sessions are ended) and
// keeps its data for Restart. Stopping a stopped server does nothing.
func (c *Cluster) Stop() error {
	if c.External {
		return ErrExternal
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return ErrClosed
	}
	return c.stopLocked()
}

func (c *Cluster) stopLocked() error {
	if c.proc == nil {
		return nil
	}
	err := c.proc.stop(c.timeout)
	c.proc = nil
	return err
}

// Restart stops the server if it runs and starts it again on the same port
// with the same data. Sessions open before are gone afterwards.
func (c *Cluster) Restart() error {
	if c.External {
		return ErrExternal
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return ErrClosed
	}
	if err := c.stopLocked(); err != nil {
		return err
	}
	s, err := c.spawn(c.Port)
	if errors.Is(err, errAddrInUse) {
		return fmt.Errorf("pgtest: restart: port %d was taken while the server was down", c.Port)
	}
	if err != nil {
		return err
	}
	c.proc = s
	return nil
}

// Close stops the server and removes every file of the cluster. Later calls
// do nothing and return nil; on an external server it does nothing.
func (c *Cluster) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return nil
	}
	c.closed = true
	unregister(c)
	if c.External {
		return nil
	}
	var errs []error
	if c.proc != nil {
		errs = append(errs, c.stopLocked())
	}
	if err := os.RemoveAll(c.Dir); err != nil {
		errs = append(errs, fmt.Errorf("pgtest: %w", err))
	}
	if c.reaper != nil {
		errs = append(errs, c.reaper.release())
		c.reaper = nil
	}
	return errors.Join(errs...)
}
