package pgtest_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"go.uber.org/goleak"

	"github.com/pgactor/pgactor/internal/pgtest"
)

// cluster is shared by the tests of this package; tests that stop, restart
// or close a server start their own.
var cluster *pgtest.Cluster

// childEnv tells a copy of this test binary, started by the crash tests, to
// run only TestChild against a cluster of its own, and how to die.
const childEnv = "PGTEST_CHILD"

func TestMain(m *testing.M) {
	if os.Getenv(childEnv) != "" {
		pgtest.Main(m, &cluster)
		return
	}
	pgtest.Main(m, &cluster, pgtest.WithLeakCheck(func() error {
		if err := goleak.Find(); err != nil {
			return err
		}
		return leftovers(cluster)
	}))
}

// leftovers reports a closed cluster's directory or processes that remain.
func leftovers(c *pgtest.Cluster) error {
	if c == nil || c.External { // nil: this binary ran without a server (fuzzing)
		return nil
	}
	var errs []error
	if _, err := os.Stat(c.Dir); !errors.Is(err, os.ErrNotExist) {
		errs = append(errs, fmt.Errorf("%s still exists (stat: %v)", c.Dir, err))
	}
	if pids := processesIn(c.DataDir); len(pids) > 0 {
		errs = append(errs, fmt.Errorf("processes %v still work in %s", pids, c.DataDir))
	}
	return errors.Join(errs...)
}

// processesIn lists the live processes whose working directory is dir,
// deleted or not: the postmaster and every child of it chdir to the data
// directory. Zombies have no working directory and are not listed.
func processesIn(dir string) []int {
	entries, _ := os.ReadDir("/proc")
	var pids []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		cwd, err := os.Readlink(filepath.Join("/proc", e.Name(), "cwd"))
		if err != nil {
			continue
		}
		if cwd == dir || cwd == dir+" (deleted)" || strings.HasPrefix(cwd, dir+"/") {
			pids = append(pids, pid)
		}
	}
	return pids
}

// alive reports whether pid is a process that has not exited: a zombie
// whose parent is gone has exited, whether or not PID 1 reaped it yet.
func alive(pid int) bool {
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	// pid (comm) state ...: comm may hold spaces, so look after the last ')'.
	s := string(stat)
	i := strings.LastIndexByte(s, ')')
	if i < 0 || i+2 >= len(s) {
		return false
	}
	return s[i+2] != 'Z' && s[i+2] != 'X'
}
