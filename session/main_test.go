package session_test

import (
	"testing"

	"go.uber.org/goleak"

	"github.com/pgactor/pgactor/internal/pgtest"
)

var cluster *pgtest.Cluster

func TestMain(m *testing.M) {
	pgtest.Main(m, &cluster, pgtest.WithLeakCheck(func() error { return goleak.Find() }))
}
