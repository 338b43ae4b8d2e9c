package pgtest

import (
	"flag"
	"fmt"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"testing"
)

// live holds every cluster not yet closed, for the signal handler.
var live struct {
	sync.Mutex
	clusters map[*Cluster]struct{}
}

func register(c *Cluster) {
	live.Lock()
	defer live.Unlock()
	if live.clusters == nil {
		live.clusters = map[*Cluster]struct{}{}
	}
	live.clusters[c] = struct{}{}
}

func unregister(c *Cluster) {
	live.Lock()
	defer live.Unlock()
	delete(live.clusters, c)
}

// closeAll closes every live cluster; the signal handler calls it.
func closeAll() {
	live.Lock()
	cs := make([]*Cluster, 0, len(live.clusters))
	for c := range live.clusters {
		cs = append(cs, c)
	}
	live.Unlock()
	for _, c := range cs {
		if err := c.Close(); err != nil {
			fmt.Fprintln(os.Stderr, err)
		}
	}
}

// Main is a whole TestMain: it starts a cluster, stores it in *c for the
// package's tests, runs them, closes the cluster and exits with the tests'
// exit code. When the cluster cannot start it prints why and exits with 1
// without running a test. SIGINT and SIGTERM close every cluster of the
// test binary before it exits. With WithLeakCheck, the check runs once the
// tests passed and the cluster is closed.
//
//	func TestMain(m *testing.M) {
//		pgtest.Main(m, &cluster, pgtest.WithLeakCheck(func() error { return goleak.Find() }))
//	}
//
// A test binary that will run no test needs no server: Main starts none
// for -test.run=^$ (how fuzzing and benchmark-only runs are usually
// invoked), for -test.list, and inside fuzzing worker processes, and leaves
// *c nil there. Benchmarks that need the cluster run with a -test.run that
// is not ^$ (the default runs the tests too) or start their own.
func Main(m *testing.M, c **Cluster, opts ...Option) {
	if !flag.Parsed() {
		flag.Parse()
	}
	if !needsServer() {
		code := m.Run()
		if cfg := newConfig(opts); code == 0 && cfg.leakCheck != nil {
			if err := cfg.leakCheck(); err != nil {
				fmt.Fprintln(os.Stderr, err)
				code = 1
			}
		}
		os.Exit(code)
	}
	os.Exit(runMain(m.Run, c, opts))
}

// needsServer reports whether this test binary will run tests or
// benchmarks that may use the cluster.
func needsServer() bool {
	get := func(name string) string {
		if f := flag.Lookup(name); f != nil {
			return f.Value.String()
		}
		return ""
	}
	if get("test.fuzzworker") == "true" || get("test.list") != "" {
		return false
	}
	return get("test.run") != "^$" || get("test.bench") != ""
}

// runMain is Main without the exit, run being m.Run.
func runMain(run func() int, c **Cluster, opts []Option) int {
	cfg := newConfig(opts)
	cl, err := Start(opts...)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	*c = cl
	stopSignals := handleSignals()
	code := run()
	stopSignals()
	if err := cl.Close(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		if code == 0 {
			code = 1
		}
	}
	if code == 0 && cfg.leakCheck != nil {
		if err := cfg.leakCheck(); err != nil {
			fmt.Fprintf(os.Stderr, "pgtest: leak check after the tests: %v\n", err)
			code = 1
		}
	}
	return code
}

// handleSignals closes every cluster and exits when SIGINT or SIGTERM
// arrives, until the returned function is called; that function also waits
// for the watching goroutine to end, so leak checks after it see none.
func handleSignals() (stop func()) {
	sigc := make(chan os.Signal, 1)
	signal.Notify(sigc, os.Interrupt, syscall.SIGTERM)
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		select {
		case sig := <-sigc:
			fmt.Fprintf(os.Stderr, "pgtest: %v: stopping PostgreSQL\n", sig)
			closeAll()
			// The shell's convention: 128 + the signal number.
			os.Exit(128 + int(sig.(syscall.Signal)))
		case <-done:
		}
	})
	return func() {
		signal.Stop(sigc)
		close(done)
		wg.Wait()
	}
}
