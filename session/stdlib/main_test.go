package stdlib_test

import (
	"testing"

	"go.uber.org/goleak"

	"github.com/pgactor/pgactor/internal/pgtest"
)

var cluster *pgtest.Cluster

func TestMain(m *testing.M) {
	pgtest.Main(m, &cluster, pgtest.WithLeakCheck(func() error {
		// database/sql's connectionOpener runs until the DB is closed;
		// every test closes its DB.
		return goleak.Find()
	}))
}
