package pgtest

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// server is one run of the postmaster.
type server struct {
	cmd    *exec.Cmd
	exited chan struct{} // closed once the process has been waited for
	err    error         // what Wait returned; read only after exited is closed
}

// errAddrInUse means another process took the port between our choosing it
// and the server binding it; Start then tries another port.
var errAddrInUse = errors.New("pgtest: port already in use")

// spawn starts the postmaster on port and waits until it accepts
// connections. The postmaster is not started through pg_ctl: a direct child
// saves pg_ctl's polling and lets the parent-death signal reach it.
func (c *Cluster) spawn(port int) (*server, error) {
	logf, err := os.OpenFile(c.LogFile, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return nil, fmt.Errorf("pgtest: server log: %w", err)
	}
	var offset int64
	if fi, err := logf.Stat(); err == nil {
		offset = fi.Size()
	}
	cmd := exec.Command(c.bin.postgres, "-D", c.DataDir, "-p", strconv.Itoa(port))
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.Dir = "/"
	cmd.Env = childEnv()
	cmd.SysProcAttr = &syscall.SysProcAttr{
		Credential: c.cred,
		// The kernel kills the server when the test binary dies, however
		// it dies.
		Pdeathsig: syscall.SIGKILL,
		// A terminal's ^C goes to the foreground process group; in its own
		// group the server waits for the orderly shutdown Main does.
		Setpgid: true,
	}
	err = cmd.Start()
	logf.Close() // the child has its own descriptor
	if err != nil {
		return nil, fmt.Errorf("pgtest: starting postgres: %w", err)
	}
	s := &server{cmd: cmd, exited: make(chan struct{})}
	go func() {
		s.err = cmd.Wait()
		close(s.exited)
	}()
	if err := c.waitReady(s, port); err != nil {
		s.kill()
		log := c.logSince(offset)
		if strings.Contains(log, "Address already in use") {
			return nil, errAddrInUse
		}
		return nil, fmt.Errorf("pgtest: postgres did not start: %w; last lines of %s:\n%s",
			err, c.LogFile, lastLines(log, 20))
	}
	return s, nil
}

// waitReady polls postmaster.pid, where the postmaster writes "ready" once
// it accepts connections (pg_ctl -w reads the same line).
func (c *Cluster) waitReady(s *server, port int) error {
	pidFile := filepath.Join(c.DataDir, "postmaster.pid")
	pid := strconv.Itoa(s.cmd.Process.Pid)
	deadline := time.NewTimer(c.timeout)
	defer deadline.Stop()
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-s.exited:
			return fmt.Errorf("postgres exited: %v", s.err)
		case <-deadline.C:
			return fmt.Errorf("postgres not ready after %v", c.timeout)
		case <-tick.C:
		}
		data, err := os.ReadFile(pidFile)
		if err != nil {
			continue
		}
		// Lines: pid, data dir, start time, port, socket dir, listen
		// address, shared memory key, status.
		lines := strings.Split(string(data), "\n")
		if len(lines) >= 8 && lines[0] == pid && lines[3] == strconv.Itoa(port) &&
			strings.TrimSpace(lines[7]) == "ready" {
			return nil
		}
	}
}

// stop asks for a fast shutdown (SIGINT: abort transactions, disconnect
// clients, write a checkpoint) and waits for it; after timeout it kills.
func (s *server) stop(timeout time.Duration) error {
	_ = s.cmd.Process.Signal(syscall.SIGINT) // fails only if it has already exited
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case <-s.exited:
	case <-t.C:
		s.kill()
		return fmt.Errorf("pgtest: postgres did not shut down within %v and was killed", timeout)
	}
	if s.err != nil {
		return fmt.Errorf("pgtest: postgres exited: %w", s.err)
	}
	return nil
}

func (s *server) kill() {
	_ = s.cmd.Process.Kill()
	<-s.exited
}

// logSince returns what the server logged after offset.
func (c *Cluster) logSince(offset int64) string {
	f, err := os.Open(c.LogFile)
	if err != nil {
		return ""
	}
	defer f.Close()
	if _, err := f.Seek(offset, io.SeekStart); err != nil {
		return ""
	}
	b, _ := io.ReadAll(io.LimitReader(f, 1<<20))
	return string(b)
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// childEnv is the environment of every program the harness runs: libpq and
// the server read PG* variables (PGPASSWORD, PGSSLMODE, PGDATA, ...) that
// must not leak in from the developer's shell, and the C locale keeps
// messages in English, which spawn looks for in the log.
func childEnv() []string {
	env := make([]string, 0, len(os.Environ())+1)
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "PG") || strings.HasPrefix(kv, "LC_") ||
			strings.HasPrefix(kv, "LANG=") || strings.HasPrefix(kv, "LANGUAGE=") {
			continue
		}
		env = append(env, kv)
	}
	return append(env, "LC_ALL=C")
}

// reaper is a tiny shell process that cleans up after a test binary that
// died without closing its cluster. It reads a line from a pipe only the
// test binary can write to: "done" means Close did the work; end of file
// means the test binary is gone.
type reaper struct {
	cmd *exec.Cmd
	w   *os.File
}

// reaperScript kills every process working in the data directory (the
// postmaster and its children all chdir there; the parent-death signal has
// usually killed the postmaster already, and backends exit when they see it
// gone), then removes the cluster directory, which is $1.
const reaperScript = `
if read -r line && [ "$line" = done ]; then exit 0; fi
i=0
while [ $i -lt 100 ]; do
	found=
	for p in /proc/[0-9]*; do
		if [ "$p/cwd" -ef "$1/data" ]; then kill -KILL "${p#/proc/}" 2>/dev/null; found=1; fi
	done
	[ -z "$found" ] && break
	sleep 0.05
	i=$((i+1))
done
i=0
while [ -e "$1" ] && [ $i -lt 50 ]; do
	rm -rf "$1" 2>/dev/null || sleep 0.1
	i=$((i+1))
done
`

func startReaper(dir string) (*reaper, error) {
	r, w, err := os.Pipe()
	if err != nil {
		return nil, fmt.Errorf("pgtest: reaper: %w", err)
	}
	cmd := exec.Command("/bin/sh", "-c", reaperScript, "pgtest-reaper", dir)
	cmd.Stdin = r
	cmd.Dir = "/"
	// Its own process group keeps it alive through a ^C to the test run,
	// when it may be needed most.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	err = cmd.Start()
	r.Close()
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("pgtest: starting reaper: %w", err)
	}
	return &reaper{cmd: cmd, w: w}, nil
}

// release tells the reaper that the cluster is gone and waits for it.
func (r *reaper) release() error {
	_, werr := r.w.Write([]byte("done\n"))
	cerr := r.w.Close()
	if err := r.cmd.Wait(); err != nil {
		return fmt.Errorf("pgtest: reaper: %w", errors.Join(err, werr, cerr))
	}
	return nil
}
