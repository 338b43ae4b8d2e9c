package main

import (
	"testing"

	"go.uber.org/goleak"

	"github.com/pgactor/pgactor/internal/pgtest"
)

var cluster *pgtest.Cluster

func TestMain(m *testing.M) {
	pgtest.Main(m, &cluster, pgtest.WithLeakCheck(func() error { return goleak.Find() }))
}

// TestQuickstart runs the main job against the harness's server, so CI
// proves `go run ./examples/quickstart` works and leaves nothing running.
func TestQuickstart(t *testing.T) {
	t.Setenv("DATABASE_URL", cluster.DSN(pgtest.Trust))
	if err := run(); err != nil {
		t.Fatal(err)
	}
}
