package pgtest_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pgactor/pgactor/internal/pgtest"
)

// start starts a cluster of the test's own and closes it at the end.
func start(t *testing.T, opts ...pgtest.Option) *pgtest.Cluster {
	t.Helper()
	c, err := pgtest.Start(opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := c.Close(); err != nil {
			t.Error(err)
		}
	})
	t.Logf("started PostgreSQL %s in %v", c.Version, c.StartupTime)
	return c
}

// eventually polls cond for up to 10 s, enough for a dying process.
func eventually(cond func() bool) bool {
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if cond() {
			return true
		}
	}
	return cond()
}

// TestLifecycle walks one cluster through Restart, Stop, Restart and Close.
func TestLifecycle(t *testing.T) {
	cluster.RequireLocal(t, "a server of its own")
	c := start(t, pgtest.WithSetting("work_mem", "12MB"), pgtest.WithSetting("search_path", `"it's", public`))
	ctx := t.Context()

	if out, err := c.Exec(ctx, "SHOW work_mem; SHOW search_path"); err != nil || out != "12MB\n\"it's\", public" {
		t.Fatalf("settings: %q, %v", out, err)
	}
	if _, err := c.Exec(ctx, "CREATE TABLE kept (v int); INSERT INTO kept VALUES (42)"); err != nil {
		t.Fatal(err)
	}
	pid, port := c.PID(), c.Port
	if pid == 0 {
		t.Fatal("PID() = 0 while running")
	}

	if err := c.Restart(); err != nil {
		t.Fatal(err)
	}
	if c.PID() == pid || c.PID() == 0 {
		t.Fatalf("PID after Restart = %d, was %d", c.PID(), pid)
	}
	if c.Port != port {
		t.Fatalf("port changed from %d to %d", port, c.Port)
	}
	if !eventually(func() bool { return !alive(pid) }) {
		t.Fatalf("old postmaster %d still alive", pid)
	}
	if out, err := c.Exec(ctx, "SELECT v FROM kept"); err != nil || out != "42" {
		t.Fatalf("data after Restart: %q, %v", out, err)
	}

	pid = c.PID()
	if err := c.Stop(); err != nil {
		t.Fatal(err)
	}
	if alive(pid) || c.PID() != 0 {
		t.Fatalf("after Stop: postmaster %d alive %v, PID() = %d", pid, alive(pid), c.PID())
	}
	if _, err := c.Exec(ctx, "SELECT 1"); err == nil {
		t.Fatal("Exec worked on a stopped server")
	}
	if err := c.Stop(); err != nil {
		t.Fatalf("second Stop: %v", err)
	}
	if err := c.Restart(); err != nil {
		t.Fatalf("Restart after Stop: %v", err)
	}
	if out, err := c.Exec(ctx, "SELECT v FROM kept"); err != nil || out != "42" {
		t.Fatalf("data after Stop and Restart: %q, %v", out, err)
	}

	pid = c.PID()
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if alive(pid) {
		t.Fatalf("postmaster %d alive after Close", pid)
	}
	if err := leftovers(c); err != nil {
		t.Fatal(err)
	}
	if err := c.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	for name, err := range map[string]error{"Stop": c.Stop(), "Restart": c.Restart()} {
		if !errors.Is(err, pgtest.ErrClosed) {
			t.Errorf("%s after Close = %v, want ErrClosed", name, err)
		}
	}
	if _, err := c.Exec(ctx, "SELECT 1"); !errors.Is(err, pgtest.ErrClosed) {
		t.Errorf("Exec after Close = %v, want ErrClosed", err)
	}
}

// TestRestartEndsSessions checks that a session open across Restart is
// gone: tests of reconnection rely on it.
func TestRestartEndsSessions(t *testing.T) {
	cluster.RequireLocal(t, "Restart")
	c := start(t)
	if _, err := c.Exec(t.Context(), "CREATE TABLE marker ()"); err != nil {
		t.Fatal(err)
	}
	before, err := c.Exec(t.Context(), "SELECT pg_postmaster_start_time()")
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Restart(); err != nil {
		t.Fatal(err)
	}
	after, err := c.Exec(t.Context(), "SELECT pg_postmaster_start_time()")
	if err != nil {
		t.Fatal(err)
	}
	if before == after {
		t.Fatalf("start time unchanged by Restart: %s", after)
	}
}

// TestConcurrentClusters starts clusters side by side, as test binaries of
// several packages do: each gets its own port and directory.
func TestConcurrentClusters(t *testing.T) {
	cluster.RequireLocal(t, "servers of its own")
	const n = 3
	clusters := make([]*pgtest.Cluster, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { clusters[i], errs[i] = pgtest.Start() })
	}
	wg.Wait()
	t.Cleanup(func() {
		for _, c := range clusters {
			if c != nil {
				if err := c.Close(); err != nil {
					t.Error(err)
				}
				if err := leftovers(c); err != nil {
					t.Error(err)
				}
			}
		}
	})
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	ports, dirs := map[int]bool{cluster.Port: true}, map[string]bool{cluster.Dir: true}
	for i, c := range clusters {
		if ports[c.Port] || dirs[c.Dir] {
			t.Fatalf("cluster %d shares port %d or directory %s", i, c.Port, c.Dir)
		}
		ports[c.Port], dirs[c.Dir] = true, true
		out, err := c.Exec(t.Context(), "SELECT current_setting('port')")
		if err != nil || out != fmt.Sprint(c.Port) {
			t.Fatalf("cluster %d: %q, %v", i, out, err)
		}
		t.Logf("cluster %d: started in %v", i, c.StartupTime)
	}
}

// TestStartupTime measures Start and Close of a whole cluster.
func TestStartupTime(t *testing.T) {
	cluster.RequireLocal(t, "a server of its own")
	began := time.Now()
	c, err := pgtest.Start()
	if err != nil {
		t.Fatal(err)
	}
	started := time.Since(began)
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	t.Logf("Start %v (StartupTime %v), Close %v", started, c.StartupTime, time.Since(began)-started)
	if c.StartupTime <= 0 || c.StartupTime > started {
		t.Fatalf("StartupTime = %v, Start took %v", c.StartupTime, started)
	}
	// The budget is 1-2 s; a loaded 2-core CI machine running other
	// packages' servers gets some slack before this fails.
	if started > 15*time.Second {
		t.Fatalf("Start took %v", started)
	}
}

// reachableDir makes a directory the server's OS user can enter.
func reachableDir(t *testing.T, name string) string {
	t.Helper()
	dir, err := os.MkdirTemp("/tmp", name)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestStartFailures checks that a failed Start says why and leaves nothing.
func TestStartFailures(t *testing.T) {
	cluster.RequireLocal(t, "a server of its own")
	base := reachableDir(t, "pgtest-base-")
	long := filepath.Join(reachableDir(t, "pgtest-base-"), strings.Repeat("d", pgtest.MaxSocketPath))
	if err := os.MkdirAll(long, 0o755); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		opts []pgtest.Option
		dir  string // where the cluster would have lived
		want []string
	}{
		{"no binaries", []pgtest.Option{pgtest.WithBinDir(t.TempDir())}, "", []string{"apt-get install postgresql", "WithBinDir"}},
		{"server refuses its settings", []pgtest.Option{pgtest.WithBaseDir(base), pgtest.WithSetting("max_connections", "-5")}, base,
			[]string{"postgres did not start", "last lines of", `-5 is outside the valid range for parameter "max_connections"`}},
		{"socket path too long", []pgtest.Option{pgtest.WithBaseDir(long)}, long, []string{"socket path", "WithBaseDir"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := pgtest.Start(tt.opts...)
			if err == nil {
				c.Close()
				t.Fatal("Start succeeded")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error lacks %q:\n%v", w, err)
				}
			}
			if tt.dir != "" {
				if entries, _ := os.ReadDir(tt.dir); len(entries) > 0 {
					t.Errorf("Start left %s behind in %s", entries[0].Name(), tt.dir)
				}
			}
		})
	}
}

// TestMainSequence checks Main's sequence through RunMain: the cluster is there
// for the tests, closed after them, the leak check runs only after passing
// tests, and a failing start runs no test.
func TestMainSequence(t *testing.T) {
	cluster.RequireLocal(t, "a server of its own")
	tests := []struct {
		name       string
		opts       []pgtest.Option
		runCode    int
		leakErr    error
		wantCode   int
		wantRun    bool
		wantLeakCk bool
	}{
		{"passing", nil, 0, nil, 0, true, true},
		{"passing, leak found", nil, 0, errors.New("leaked"), 1, true, true},
		{"failing", nil, 3, nil, 3, true, false},
		{"no server", []pgtest.Option{pgtest.WithBinDir(t.TempDir())}, 0, nil, 1, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var c *pgtest.Cluster
			ran, checked := false, false
			var dir string
			run := func() int {
				ran = true
				dir = c.Dir
				if out, err := c.Exec(t.Context(), "SELECT 7"); err != nil || out != "7" {
					t.Errorf("cluster during the run: %q, %v", out, err)
				}
				return tt.runCode
			}
			leak := pgtest.WithLeakCheck(func() error {
				checked = true
				if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
					t.Errorf("leak check ran before the cluster was removed: %v", err)
				}
				return tt.leakErr
			})
			code := pgtest.RunMain(run, &c, append(tt.opts, leak)...)
			if code != tt.wantCode || ran != tt.wantRun || checked != tt.wantLeakCk {
				t.Fatalf("code %d, ran %v, leak check %v; want %d, %v, %v", code, ran, checked, tt.wantCode, tt.wantRun, tt.wantLeakCk)
			}
			if c != nil {
				if err := leftovers(c); err != nil {
					t.Fatal(err)
				}
			}
		})
	}
}

// TestExternal points the harness at a server through PGACTOR_TEST_DSN, in
// both forms of connection string.
func TestExternal(t *testing.T) {
	cluster.RequireLocal(t, "a server to point at")
	for _, form := range []struct{ name, dsn string }{
		{"url", cluster.DSN(pgtest.SCRAM)},
		{"keyvalue", cluster.KeyValueDSN(pgtest.SCRAM)},
	} {
		t.Run(form.name, func(t *testing.T) {
			t.Setenv(pgtest.EnvDSN, form.dsn)
			c, err := pgtest.Start()
			if err != nil {
				t.Fatal(err)
			}
			if !c.External || c.Host != "127.0.0.1" || c.Port != cluster.Port || c.Database != "pgactor" {
				t.Fatalf("External %v, Host %q, Port %d, Database %q", c.External, c.Host, c.Port, c.Database)
			}
			for _, r := range pgtest.Roles() {
				if c.DSN(r) != form.dsn || c.UnixDSN(r) != form.dsn {
					t.Fatalf("DSN(%s) = %q, UnixDSN = %q, want %q", r, c.DSN(r), c.UnixDSN(r), form.dsn)
				}
			}
			if out, err := psql(t, psqlEnv(t, nil), c.KeyValueDSN(pgtest.Cert), whoami); err != nil || out != "scram_user f" {
				t.Fatalf("KeyValueDSN %q: %q, %v", c.KeyValueDSN(pgtest.Cert), out, err)
			}
			if out, err := c.Exec(t.Context(), "SELECT current_user"); err != nil || out != "scram_user" {
				t.Fatalf("Exec: %q, %v", out, err)
			}
			skipped := t.Run("RequireRole", func(t *testing.T) {
				c.RequireRole(t, pgtest.Cert)
				t.Error("RequireRole did not skip")
			})
			if !skipped {
				t.Error("RequireRole subtest failed")
			}
			if err := c.Stop(); !errors.Is(err, pgtest.ErrExternal) {
				t.Errorf("Stop = %v", err)
			}
			if err := c.Restart(); !errors.Is(err, pgtest.ErrExternal) {
				t.Errorf("Restart = %v", err)
			}
			if err := errors.Join(c.Close(), c.Close()); err != nil {
				t.Errorf("Close = %v", err)
			}
		})
	}
	t.Run("invalid", func(t *testing.T) {
		t.Setenv(pgtest.EnvDSN, "host='unterminated")
		if c, err := pgtest.Start(); err == nil || !strings.Contains(err.Error(), pgtest.EnvDSN) {
			t.Fatalf("Start = %v, %v; want an error naming %s", c, err, pgtest.EnvDSN)
		}
	})
}

// TestServerOSUser checks who owns the server when the tests run as root.
func TestServerOSUser(t *testing.T) {
	cluster.RequireLocal(t, "a server of its own")
	if os.Geteuid() != 0 {
		t.Skip("the server runs as the test's own user when not root")
	}
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", cluster.PID()))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(status), "\n") {
		if rest, ok := strings.CutPrefix(line, "Uid:"); ok {
			if f := strings.Fields(rest); len(f) != 4 || f[0] == "0" || f[1] == "0" {
				t.Fatalf("postmaster runs as %q", line)
			}
			return
		}
	}
	t.Fatal("no Uid line")
}
