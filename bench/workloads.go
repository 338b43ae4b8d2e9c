package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
)

// workload is one row of the comparison. Timed workloads repeat their
// operation until the duration is over (and at least once); fixed workloads
// (copyin1m, rows1m) run exactly once per round.
type workload struct {
	name  string
	unit  string // what ops counts: "queries" or "rows"
	conns int    // connections the handle may open
	fixed bool   // runs once per round, whatever the duration
	// child runs each cell in a fresh process, so the process-wide peak
	// RSS (VmHWM) belongs to that one driver.
	child bool
	// reset prepares the server before each cell, outside the measurement.
	reset func(ctx context.Context, admin *pgx.Conn) error
	// run does the work until d has passed (or once, for fixed workloads).
	run func(ctx context.Context, h handle, d time.Duration) (sample, error)
	// verify checks the server's side after the cell, outside the
	// measurement.
	verify func(ctx context.Context, admin *pgx.Conn) error
}

// sample is what one measured section produced.
type sample struct {
	ops int64
	// latencies of single operations, for p50 and p99; nil when the
	// workload does not time single operations.
	latencies []time.Duration
	// allAnswered is, for fanout10k, the time from releasing the
	// goroutines until the last answer, once per repetition.
	allAnswered []time.Duration
}

// Sizes of the fixed-size workloads, as their names promise. They are
// variables only so that the package's own tests can run every workload in
// seconds.
var (
	fanoutGoroutines = 10_000
	pipelineQueries  = 1_000
	streamedRows     = 1_000_000
	copiedRows       = 1_000_000
	insertedRows     = 10_000
)

// concurrentUsers is the number of goroutines of concurrent64_p*.
const concurrentUsers = 64

// workloads are all workloads in the order they run and are reported.
var workloads = []*workload{
	{name: "select1", unit: "queries", conns: 1, run: func(ctx context.Context, h handle, d time.Duration) (sample, error) {
		return selectLoop(ctx, h.selectInt, 1, d)
	}},
	{name: "select1_simple", unit: "queries", conns: 1, run: func(ctx context.Context, h handle, d time.Duration) (sample, error) {
		return selectLoop(ctx, h.selectIntSimple, 1, d)
	}},
	concurrent(4),
	concurrent(16),
	concurrent(64),
	{name: "fanout10k", unit: "queries", conns: 8, run: func(ctx context.Context, h handle, d time.Duration) (sample, error) {
		return fanout(ctx, h, fanoutGoroutines, d)
	}},
	{name: "pipeline1000", unit: "queries", conns: 1, run: func(ctx context.Context, h handle, d time.Duration) (sample, error) {
		return repeat(d, pipelineQueries, func() error { return h.pipeline(ctx, pipelineQueries) })
	}},
	{name: "pipeline1000_futures", unit: "queries", conns: 1, run: func(ctx context.Context, h handle, d time.Duration) (sample, error) {
		return repeat(d, pipelineQueries, func() error { return h.pipelineFutures(ctx, pipelineQueries) })
	}},
	{name: "rows1m", unit: "rows", conns: 1, fixed: true, child: true, run: streamOnce},
	{
		name: "copyin1m", unit: "rows", conns: 1, fixed: true,
		reset: truncate(copyTable),
		run: func(ctx context.Context, h handle, _ time.Duration) (sample, error) {
			if err := h.copyIn(ctx, copiedRows); err != nil {
				return sample{}, err
			}
			return sample{ops: int64(copiedRows)}, nil
		},
		verify: func(ctx context.Context, admin *pgx.Conn) error {
			return expectCount(ctx, admin, copyTable, int64(copiedRows))
		},
	},
	{
		name: "insert_tx", unit: "rows", conns: 1,
		reset: truncate(insertTable),
		run: func(ctx context.Context, h handle, d time.Duration) (sample, error) {
			return repeat(d, insertedRows, func() error { return h.insertTx(ctx, insertedRows) })
		},
	},
	tpcbWorkload("tpcb", false),
	tpcbWorkload("tpcb_batch", true),
}

// concurrent is concurrent64_p<conns>: 64 goroutines share a pool.
func concurrent(conns int) *workload {
	return &workload{
		name: fmt.Sprintf("concurrent64_p%d", conns), unit: "queries", conns: conns,
		run: func(ctx context.Context, h handle, d time.Duration) (sample, error) {
			return selectLoop(ctx, h.selectInt, concurrentUsers, d)
		},
	}
}

// findWorkloads parses the -workloads flag.
func findWorkloads(list string) ([]*workload, error) {
	if list == "" || list == "all" {
		return workloads, nil
	}
	var out []*workload
	for _, n := range strings.Split(list, ",") {
		n = strings.TrimSpace(n)
		if n == "" {
			continue
		}
		w := workloadNamed(n)
		if w == nil {
			var have []string
			for _, w := range workloads {
				have = append(have, w.name)
			}
			return nil, fmt.Errorf("unknown workload %q (have %s)", n, strings.Join(have, ", "))
		}
		out = append(out, w)
	}
	if len(out) == 0 {
		return nil, errors.New("no workloads selected")
	}
	return out, nil
}

func workloadNamed(name string) *workload {
	for _, w := range workloads {
		if w.name == name {
			return w
		}
	}
	return nil
}

// selectLoop runs users goroutines, each issuing queries one after another
// until d has passed, and times every query.
func selectLoop(ctx context.Context, query func(context.Context, int64) (int64, error), users int, d time.Duration) (sample, error) {
	deadline := time.Now().Add(d)
	one := func(user int) ([]time.Duration, error) {
		lat := make([]time.Duration, 0, 1<<17/users)
		n := int64(user) << 32
		for {
			t := time.Now()
			if !t.Before(deadline) {
				return lat, nil
			}
			n++
			v, err := query(ctx, n)
			if err != nil {
				return lat, err
			}
			lat = append(lat, time.Since(t))
			if err := checkAnswer(v, n); err != nil {
				return lat, err
			}
		}
	}
	if users == 1 {
		lat, err := one(0)
		return sample{ops: int64(len(lat)), latencies: lat}, err
	}
	lats := make([][]time.Duration, users)
	errs := make([]error, users)
	var wg sync.WaitGroup
	for u := range users {
		wg.Go(func() { lats[u], errs[u] = one(u) })
	}
	wg.Wait()
	var s sample
	for _, l := range lats {
		s.latencies = append(s.latencies, l...)
	}
	s.ops = int64(len(s.latencies))
	return s, errors.Join(errs...)
}

// fanout releases goroutines goroutines at once, each to issue one query,
// and times how long until the last is answered; it repeats until d has
// passed. Starting the goroutines is not part of the time: they wait at a
// barrier first.
func fanout(ctx context.Context, h handle, goroutines int, d time.Duration) (sample, error) {
	deadline := time.Now().Add(d)
	var s sample
	for first := true; first || time.Now().Before(deadline); first = false {
		lat := make([]time.Duration, goroutines)
		errs := make([]error, goroutines)
		var ready, done sync.WaitGroup
		release := make(chan struct{})
		var t0 time.Time // written before release is closed
		for i := range goroutines {
			ready.Add(1)
			done.Go(func() {
				ready.Done()
				<-release
				n := int64(i)
				v, err := h.selectInt(ctx, n)
				lat[i] = time.Since(t0)
				if err == nil {
					err = checkAnswer(v, n)
				}
				errs[i] = err
			})
		}
		ready.Wait()
		t0 = time.Now()
		close(release)
		done.Wait()
		s.allAnswered = append(s.allAnswered, time.Since(t0))
		s.latencies = append(s.latencies, lat...)
		s.ops += int64(goroutines)
		if err := errors.Join(errs...); err != nil {
			return s, err
		}
	}
	return s, nil
}

// repeat runs op, which does size operations, until d has passed and at
// least once.
func repeat(d time.Duration, size int, op func() error) (sample, error) {
	deadline := time.Now().Add(d)
	var s sample
	for first := true; first || time.Now().Before(deadline); first = false {
		if err := op(); err != nil {
			return s, err
		}
		s.ops += int64(size)
	}
	return s, nil
}

// streamOnce reads the whole rows table once and checks every row arrived
// intact.
func streamOnce(ctx context.Context, h handle, _ time.Duration) (sample, error) {
	n, sum, err := h.streamRows(ctx)
	if err != nil {
		return sample{ops: n}, err
	}
	if n != int64(streamedRows) {
		return sample{ops: n}, fmt.Errorf("streamed %d rows, want %d", n, streamedRows)
	}
	if want := expectedRowSum(); sum != want {
		return sample{ops: n}, fmt.Errorf("rows checksum %d, want %d: a value was decoded wrongly", sum, want)
	}
	return sample{ops: n}, nil
}

// rowsEpoch is the timestamp of row 0 of the rows table; row i is i seconds
// later.
var rowsEpoch = time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)

// createTablesSQL creates the tables and fills the rows table with the same
// values expectedRowSum computes in Go.
func createTablesSQL() []string {
	return []string{
		"DROP TABLE IF EXISTS " + rowsTable,
		"CREATE TABLE " + rowsTable + " (id int8, name text, val float8, ts timestamptz)",
		fmt.Sprintf(`INSERT INTO %s SELECT i, 'row-' || ((i %% %d) * 7919), i * 0.5::float8,
		timestamptz '2020-01-01 00:00:00+00' + i * interval '1 second'
		FROM generate_series(0, %d) AS i`, rowsTable, len(names), streamedRows-1),
		"VACUUM ANALYZE " + rowsTable,
		"DROP TABLE IF EXISTS " + copyTable,
		"CREATE TABLE " + copyTable + " (id int8, name text, val float8)",
		"DROP TABLE IF EXISTS " + insertTable,
		"CREATE TABLE " + insertTable + " (id int8, name text, val float8)",
	}
}

// dropTablesSQL removes what createTablesSQL made.
var dropTablesSQL = []string{
	"DROP TABLE IF EXISTS " + rowsTable,
	"DROP TABLE IF EXISTS " + copyTable,
	"DROP TABLE IF EXISTS " + insertTable,
	"DROP TABLE IF EXISTS pgactor_bench_branches, pgactor_bench_tellers, pgactor_bench_accounts, pgactor_bench_history",
}

func expectedRowSum() int64 {
	var sum int64
	for i := range streamedRows {
		id, name, val := copyRow(i)
		sum += rowSum(id, name, val, rowsEpoch.Add(time.Duration(i)*time.Second))
	}
	return sum
}

func truncate(table string) func(context.Context, *pgx.Conn) error {
	return func(ctx context.Context, admin *pgx.Conn) error {
		_, err := admin.Exec(ctx, "TRUNCATE "+table)
		return err
	}
}

func expectCount(ctx context.Context, admin *pgx.Conn, table string, want int64) error {
	var got int64
	if err := admin.QueryRow(ctx, "SELECT count(*) FROM "+table).Scan(&got); err != nil {
		return err
	}
	if got != want {
		return fmt.Errorf("%s holds %d rows after the copy, want %d", table, got, want)
	}
	return nil
}

// setupTables creates the tables the workloads read and write.
func setupTables(ctx context.Context, admin *pgx.Conn) error {
	for _, q := range createTablesSQL() {
		if _, err := admin.Exec(ctx, q); err != nil {
			return fmt.Errorf("setting up tables: %s: %w", q, err)
		}
	}
	return nil
}

// dropTables removes the tables again, for runs against $DATABASE_URL.
func dropTables(ctx context.Context, admin *pgx.Conn) error {
	for _, q := range dropTablesSQL {
		if _, err := admin.Exec(ctx, q); err != nil {
			return err
		}
	}
	return nil
}
