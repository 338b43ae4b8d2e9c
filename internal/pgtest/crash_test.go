package pgtest_test

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestChild is the body of the child test binaries the crash tests start;
// it does nothing in a normal run. It reports its cluster and then dies the
// way PGTEST_CHILD says, or waits to be killed.
func TestChild(t *testing.T) {
	mode := os.Getenv(childEnv)
	if mode == "" {
		t.Skip("runs only as a child of TestCrash")
	}
	fmt.Printf("CLUSTER %s %s %d\n", cluster.Dir, cluster.DataDir, cluster.PID())
	switch mode {
	case "panic":
		panic("a test panics")
	case "exit":
		os.Exit(7)
	default:
		time.Sleep(time.Minute)
	}
}

// TestCrash kills test binaries that hold a cluster in every way they can
// die and checks that neither a server process nor a file survives.
func TestCrash(t *testing.T) {
	cluster.RequireLocal(t, "servers of its own")
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		mode   string
		signal syscall.Signal // sent once the child reported its cluster
		exit   int            // the child's exit status, or -1 for killed by a signal
	}{
		{"panic", 0, 2},
		{"exit", 0, 7},
		{"sigkill", syscall.SIGKILL, -1},
		{"sigterm", syscall.SIGTERM, 128 + int(syscall.SIGTERM)},
		{"sigint", syscall.SIGINT, 128 + int(syscall.SIGINT)},
	}
	for _, tt := range tests {
		t.Run(tt.mode, func(t *testing.T) {
			t.Parallel()
			cmd := exec.Command(self, "-test.run=^TestChild$", "-test.count=1", "-test.timeout=2m")
			cmd.Env = append(os.Environ(), childEnv+"="+tt.mode)
			var stderr strings.Builder
			cmd.Stderr = &stderr
			stdout, err := cmd.StdoutPipe()
			if err != nil {
				t.Fatal(err)
			}
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			var dir, dataDir string
			var pid int
			sc := bufio.NewScanner(stdout)
			for sc.Scan() {
				if _, err := fmt.Sscanf(sc.Text(), "CLUSTER %s %s %d", &dir, &dataDir, &pid); err == nil {
					break
				}
			}
			if pid == 0 {
				cmd.Process.Kill()
				cmd.Wait()
				t.Fatalf("the child reported no cluster; stderr:\n%s", stderr.String())
			}
			if tt.signal != 0 {
				if err := cmd.Process.Signal(tt.signal); err != nil {
					t.Fatal(err)
				}
			}
			for sc.Scan() {
			}
			err = cmd.Wait()
			var exitErr *exec.ExitError
			if !errors.As(err, &exitErr) || exitErr.ExitCode() != tt.exit {
				t.Fatalf("child ended with %v, want exit status %d; stderr:\n%s", err, tt.exit, stderr.String())
			}
			if !eventually(func() bool { return !alive(pid) }) {
				t.Errorf("postmaster %d outlived its test binary", pid)
			}
			if !eventually(func() bool { return len(processesIn(dataDir)) == 0 }) {
				t.Errorf("processes %v still work in %s", processesIn(dataDir), dataDir)
			}
			if !eventually(func() bool { _, err := os.Stat(dir); return errors.Is(err, os.ErrNotExist) }) {
				t.Errorf("%s outlived its test binary", dir)
			}
		})
	}
}
