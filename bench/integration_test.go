package main_test

import (
	"context"
	"fmt"
	"net"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	bench "github.com/pgactor/pgactor/bench"
	"github.com/pgactor/pgactor/internal/pgtest"
)

// unsupported are the cells a driver cannot express.
var unsupported = map[string]bool{
	"pipeline1000/pq":         true, // database/sql has no pipeline or batch
	"pipeline1000_futures/pq": true,
	"tpcb_batch/pq":           true,
}

// TestAllWorkloads runs every workload for every driver against the real
// server (smaller sizes, short cells) and checks that each cell measured
// what it claims.
func TestAllWorkloads(t *testing.T) {
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
	results, err := bench.RunCells(ctx, dsn, cluster.PID(), admin, "all", "pgactor,pgx,pq", rounds, 50*time.Millisecond, t.Logf)
	if err != nil {
		t.Fatal(err)
	}
	if want := 13 * 3 * (rounds + 1); len(results) != want {
		t.Fatalf("%d results, want %d", len(results), want)
	}
	// Each round starts one driver further along than the one before.
	for i := range 3 {
		if a, b := results[(i+1)%3].Driver, results[3+i].Driver; a != b || results[3+i].Round != 1 {
			t.Fatalf("round 1's driver %d is %s (round %d), want %s", i, b, results[3+i].Round, a)
		}
	}
	for _, r := range results {
		t.Run(fmt.Sprintf("%s/%s/%d", r.Workload, r.Driver, r.Round), func(t *testing.T) {
			if unsupported[r.Workload+"/"+r.Driver] {
				if r.Status != "unsupported" {
					t.Fatalf("status %q (%s), want unsupported", r.Status, r.Error)
				}
				return
			}
			if r.Status != "ok" {
				t.Fatalf("status %q: %s", r.Status, r.Error)
			}
			if r.Ops <= 0 || r.PerSecond <= 0 || r.Seconds <= 0 || r.ClientCPUMsPer1k <= 0 || r.AllocsPerOp <= 0 {
				t.Errorf("missing figures: %+v", r)
			}
			if r.ServerCPUMsPer1k == nil || *r.ServerCPUMsPer1k < 0 {
				t.Errorf("server CPU not measured: %+v", r)
			}
			switch r.Workload {
			case "select1", "select1_simple", "concurrent64_p4", "concurrent64_p16", "concurrent64_p64":
				if r.P50Micros <= 0 || r.P99Micros < r.P50Micros {
					t.Errorf("latencies p50 %v p99 %v", r.P50Micros, r.P99Micros)
				}
			case "fanout10k":
				if r.AllAnsweredMs <= 0 || r.Ops%200 != 0 {
					t.Errorf("fanout: all answered in %v ms, %d queries", r.AllAnsweredMs, r.Ops)
				}
			case "rows1m":
				if r.Ops != 20_000 || r.PeakRSSBytes <= 0 {
					t.Errorf("rows1m: %d rows, peak RSS %d", r.Ops, r.PeakRSSBytes)
				}
			case "copyin1m":
				if r.Ops != 5_000 {
					t.Errorf("copyin1m: %d rows", r.Ops)
				}
			case "pipeline1000", "pipeline1000_futures", "insert_tx":
				size := int64(50)
				if r.Workload == "insert_tx" {
					size = 300
				}
				if r.Ops%size != 0 {
					t.Errorf("%d operations, not whole repetitions of %d", r.Ops, size)
				}
			}
		})
	}
}

// TestUnreachableServer checks that a driver that cannot connect is reported
// as an error in its first round and not tried again.
func TestUnreachableServer(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	dsn := "postgres://nobody@" + addr + "/none?sslmode=disable&connect_timeout=5"
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	results, err := bench.RunCells(ctx, dsn, 0, nil, "select1", "pgactor,pgx,pq", 2, 10*time.Millisecond, t.Logf)
	if err != nil {
		t.Fatal(err)
	}
	if len(results) != 9 {
		t.Fatalf("%d results, want 9", len(results))
	}
	for _, r := range results {
		if r.Status != "error" || r.Error == "" {
			t.Errorf("%s round %d: status %q error %q, want an error", r.Driver, r.Round, r.Status, r.Error)
		}
		if r.Round > 0 && r.Error[:7] != "not run" {
			t.Errorf("%s round %d ran again after failing: %s", r.Driver, r.Round, r.Error)
		}
	}
}
