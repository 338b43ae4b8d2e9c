package main_test

import (
	"os"
	"testing"

	"go.uber.org/goleak"

	bench "github.com/pgactor/pgactor/bench"
	"github.com/pgactor/pgactor/internal/pgtest"
)

// cluster is the server the integration tests share.
var cluster *pgtest.Cluster

func TestMain(m *testing.M) {
	bench.UseSmallSizes()
	// rows1m runs each cell in a child process: this test binary again,
	// told so by the environment, as the command re-executes itself.
	if spec, ok := os.LookupEnv(bench.ChildEnv); ok {
		os.Exit(bench.RunChild(spec))
	}
	pgtest.Main(m, &cluster, pgtest.WithLeakCheck(func() error { return goleak.Find() }))
}
