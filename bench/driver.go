package main

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// errUnsupported is what an adapter returns for a workload its driver cannot
// express; the report shows "unsupported" rather than a faked figure.
var errUnsupported = errors.New("unsupported by this driver")

// driver opens connections of one client library. Each adapter lives in its
// own file (driver_pgx.go, driver_pq.go, driver_pgactor.go) and writes every
// operation the way an ordinary user of that library would: its idiomatic API,
// its defaults, nothing tuned that the user would not tune.
type driver interface {
	// name is the short name used by -drivers and in the results.
	name() string
	// open returns a handle over conns connections: a single connection
	// when conns is 1, otherwise the library's pool with that maximum.
	open(ctx context.Context, dsn string, conns int) (handle, error)
}

// handle is one opened connection or pool. The methods used by concurrent
// workloads (selectInt) are only called on pools or on drivers whose single
// connection is safe for concurrent use; everything else runs from one
// goroutine.
type handle interface {
	// selectInt runs the prepared (or statement-cached) query selectSQL
	// with n and returns the value the server sent back.
	selectInt(ctx context.Context, n int64) (int64, error)
	// selectIntSimple runs the same query over the simple query protocol.
	selectIntSimple(ctx context.Context, n int64) (int64, error)
	// pipeline sends n queries selectSQL with 0..n-1 in one pipeline or
	// batch on one connection and checks every answer.
	pipeline(ctx context.Context, n int) error
	// pipelineFutures sends the same n queries as independent commands
	// fired before the first is awaited, each with its own Sync, where the
	// driver has them; a driver without them runs its batch.
	pipelineFutures(ctx context.Context, n int) error
	// streamRows reads every row of rowsSQL into Go values and returns how
	// many rows it read and a checksum of them, so no scan can be skipped.
	streamRows(ctx context.Context) (rows int64, sum int64, err error)
	// copyIn copies n rows of copyRow into copyTable.
	copyIn(ctx context.Context, n int) error
	// insertTx inserts n rows of copyRow into insertTable with one INSERT
	// each, inside one transaction, and commits.
	insertTx(ctx context.Context, n int) error
	// tpcb runs one TPC-B-like transaction (tpcb.go) the way a user of the
	// driver writes a transaction; tpcbBatch runs it in the driver's
	// one-round-trip form, where it has one (pgx: one pgx.Batch), and as
	// tpcb otherwise (pgactor, whose idiomatic form pipelines already), or
	// errUnsupported.
	tpcb(ctx context.Context, t tpcb) error
	tpcbBatch(ctx context.Context, t tpcb) error
	// close closes the connection or the pool and waits for it.
	close() error
}

// The SQL every adapter runs. Table names carry a prefix so that a run
// against $DATABASE_URL cannot collide with the user's tables.
const (
	selectSQL   = "SELECT $1::int8"
	rowsTable   = "pgactor_bench_rows"
	copyTable   = "pgactor_bench_copy"
	insertTable = "pgactor_bench_insert"
	rowsSQL     = "SELECT id, name, val, ts FROM " + rowsTable
	insertSQL   = "INSERT INTO " + insertTable + " (id, name, val) VALUES ($1, $2, $3)"
	copyColumns = "id, name, val"
)

// simpleSQL is selectSQL with n written into the text, as a user of the
// simple protocol formats a literal.
func simpleSQL(n int64) string {
	return "SELECT " + strconv.FormatInt(n, 10) + "::int8"
}

// names are the text values of copied and inserted rows. They are made once
// so that no driver pays for formatting strings inside a measurement.
var names = func() []string {
	s := make([]string, 1024)
	for i := range s {
		s[i] = "row-" + strconv.Itoa(i*7919)
	}
	return s
}()

// copyRow is row i of copyin1m and insert_tx.
func copyRow(i int) (id int64, name string, val float64) {
	return int64(i), names[i%len(names)], float64(i) * 0.5
}

// rowSum folds one streamed row into a checksum; it touches every column so
// the scan of each one is observable.
func rowSum(id int64, name string, val float64, ts time.Time) int64 {
	return id + int64(len(name)) + int64(val) + ts.Unix()
}

// checkAnswer reports a query that came back with the wrong value.
func checkAnswer(got, want int64) error {
	if got != want {
		return fmt.Errorf("SELECT %d returned %d", want, got)
	}
	return nil
}

// drivers are the known adapters in their default order of alternation.
var drivers = []driver{pgactorDriver{}, pgxDriver{}, pqDriver{},
	sqlDriver{"pgactor-stdlib"}, sqlDriver{"pgactor-stdlib-mux"}, sqlDriver{"pgx-stdlib"}} // driver_stdlib.go

// findDrivers parses the -drivers flag.
func findDrivers(list string) ([]driver, error) {
	var out []driver
	for _, n := range strings.Split(list, ",") {
		n = strings.TrimSpace(n)
		if n == "lib/pq" {
			n = "pq"
		}
		if n == "" {
			continue
		}
		found := false
		for _, d := range drivers {
			if d.name() == n {
				out = append(out, d)
				found = true
			}
		}
		if !found {
			return nil, fmt.Errorf("unknown driver %q (have pgactor, pgx, pq, pgactor-stdlib, pgactor-stdlib-mux, pgx-stdlib)", n)
		}
	}
	if len(out) == 0 {
		return nil, errors.New("no drivers selected")
	}
	return out, nil
}

// displayName is how reports name a driver.
func displayName(d string) string {
	if d == "pq" {
		return "lib/pq"
	}
	return d
}
