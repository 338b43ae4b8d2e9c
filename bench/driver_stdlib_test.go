package main_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	bench "github.com/pgactor/pgactor/bench"
	"github.com/pgactor/pgactor/internal/pgtest"
)

// TestStdlibDrivers runs every workload for the database/sql drivers
// (driver_stdlib.go) against the real server, short cells, and checks that
// each cell measured something or is one database/sql cannot express.
func TestStdlibDrivers(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	dsn := cluster.DSN(pgtest.Trust)
	admin, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close(context.Background())
	if err := bench.SetupTables(ctx, admin); err != nil {
		t.Fatal(err)
	}
	defer bench.DropTables(context.Background(), admin)

	const rounds = 1
	drivers := []string{"pgactor-stdlib", "pgactor-stdlib-mux", "pgx-stdlib"}
	results, err := bench.RunCells(ctx, dsn, cluster.PID(), admin, "all", "pgactor-stdlib,pgactor-stdlib-mux,pgx-stdlib", rounds, 50*time.Millisecond, t.Logf)
	if err != nil {
		t.Fatal(err)
	}
	if want := 13 * len(drivers) * (rounds + 1); len(results) != want {
		t.Fatalf("%d results, want %d", len(results), want)
	}
	seen := map[string]bool{}
	for _, r := range results {
		seen[r.Driver] = true
		t.Run(fmt.Sprintf("%s/%s/%d", r.Workload, r.Driver, r.Round), func(t *testing.T) {
			switch r.Workload {
			case "pipeline1000", "pipeline1000_futures", "tpcb_batch": // database/sql has no batch
				if r.Status != "unsupported" {
					t.Fatalf("status %q (%s), want unsupported", r.Status, r.Error)
				}
				return
			}
			if r.Status != "ok" {
				t.Fatalf("status %q: %s", r.Status, r.Error)
			}
			if r.Ops <= 0 || r.PerSecond <= 0 || r.Seconds <= 0 {
				t.Errorf("missing figures: %+v", r)
			}
			switch r.Workload {
			case "rows1m":
				if r.Ops != 20_000 {
					t.Errorf("rows1m: %d rows", r.Ops)
				}
			case "copyin1m":
				if r.Ops != 5_000 {
					t.Errorf("copyin1m: %d rows", r.Ops)
				}
			}
		})
	}
	for _, d := range drivers {
		if !seen[d] {
			t.Errorf("no results for %s", d)
		}
	}
}
