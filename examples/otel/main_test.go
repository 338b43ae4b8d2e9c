package pgotel_test

import (
	"testing"

	"go.uber.org/goleak"

	"github.com/pgactor/pgactor/internal/pgtest"
)

// cluster is the server the tests share.
var cluster *pgtest.Cluster

func TestMain(m *testing.M) {
	pgtest.Main(m, &cluster, pgtest.WithLeakCheck(func() error { return goleak.Find() }))
}
