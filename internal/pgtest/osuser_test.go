package pgtest_test

import (
	"os"
	"os/exec"
	"os/user"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/pgactor/pgactor/internal/pgtest"
)

// TestCreateOSUser has several goroutines create the same missing OS user at
// once, as test binaries of several packages might, then runs a cluster as
// that user. It removes the user afterwards.
func TestCreateOSUser(t *testing.T) {
	cluster.RequireLocal(t, "a server of its own")
	if os.Geteuid() != 0 {
		t.Skip("only root creates OS users")
	}
	if _, err := exec.LookPath("userdel"); err != nil {
		t.Skip("no userdel to clean up with")
	}
	name := "pgtest_" + strconv.Itoa(os.Getpid()%100000)
	if _, err := user.Lookup(name); err == nil {
		t.Skipf("OS user %s exists already", name)
	}
	t.Cleanup(func() {
		if out, err := exec.Command("userdel", name).CombinedOutput(); err != nil {
			t.Errorf("userdel %s: %v: %s", name, err, out)
		}
	})

	const n = 4
	uids := make([]string, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { uids[i], errs[i] = pgtest.EnsureOSUser(name, 30*time.Second) })
	}
	wg.Wait()
	for i := range n {
		if errs[i] != nil {
			t.Fatal(errs[i])
		}
		if uids[i] != uids[0] || uids[i] == "0" || uids[i] == "" {
			t.Fatalf("uids %v", uids)
		}
	}

	c := start(t, pgtest.WithOSUser(name))
	fi, err := os.Stat(c.DataDir)
	if err != nil {
		t.Fatal(err)
	}
	if owner := strconv.Itoa(int(fi.Sys().(*syscall.Stat_t).Uid)); owner != uids[0] {
		t.Fatalf("data directory owned by uid %s, want %s", owner, uids[0])
	}
	if out, err := c.Exec(t.Context(), "SELECT 1"); err != nil || out != "1" {
		t.Fatalf("Exec: %q, %v", out, err)
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
}
