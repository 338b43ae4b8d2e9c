package main

import (
	"context"
	"io"
	"time"

	"github.com/jackc/pgx/v5"
)

// Exported for the tests in package main_test.
var (
	ParseProcStat  = parseProcStat
	ParseSchedstat = parseSchedstat
	ParseVmHWM     = parseVmHWM
	Percentile     = percentile
	Median         = median
	FindDrivers    = findDrivers
	FindWorkloads  = findWorkloads
	SetupTables    = setupTables
	DropTables     = dropTables
	ChildEnv       = childEnv
	RunChild       = runChild
	SI             = si
	Redact         = redact
)

// ProcStat exposes the parsed fields of /proc/<pid>/stat.
func ProcStatFields(b []byte) (comm string, ppid int, ticks, start int64, err error) {
	st, err := parseProcStat(b)
	return st.comm, st.ppid, st.cpuTicks, st.startTicks, err
}

// UseSmallSizes shrinks the fixed-size workloads so that tests run in
// seconds; the child processes of a test must call it too.
func UseSmallSizes() {
	fanoutGoroutines = 200
	pipelineQueries = 50
	streamedRows = 20_000
	copiedRows = 5_000
	insertedRows = 300
	tpcbScale = 1
}

// Summary is the part of a summary the tests look at.
type Summary struct {
	Workload, Driver, Status string
	Rounds                   int
	PerSecond, Ratio         float64
}

// Summarize is summarize with its result made visible.
func Summarize(results []Result, ws, ds []string) []Summary {
	var out []Summary
	for _, s := range summarize(results, ws, ds) {
		out = append(out, Summary{s.workload, s.driver, s.status, s.rounds, s.perSecond, s.ratio})
	}
	return out
}

// WriteReports writes the markdown and the SVG of results.
func WriteReports(md, svg io.Writer, results []Result, ws, ds []string) {
	env := environment{Date: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), CPUs: 2, CPUModel: "Test CPU <x>",
		Server: "15.0", Go: "go1.26", Rounds: 3, Duration: time.Second}
	sums := summarize(results, ws, ds)
	writeMarkdown(md, env, sums, ws, ds, "chart.svg")
	writeSVG(svg, env, sums, ws, ds)
}

// RunCells runs the named workloads for the named drivers as the command
// does, against dsn.
func RunCells(ctx context.Context, dsn string, postmaster int, admin *pgx.Conn, ws, ds string, rounds int, d time.Duration, log func(string, ...any)) ([]Result, error) {
	wl, err := findWorkloads(ws)
	if err != nil {
		return nil, err
	}
	dl, err := findDrivers(ds)
	if err != nil {
		return nil, err
	}
	rn := &runner{dsn: dsn, postmaster: postmaster, duration: d, rounds: rounds, admin: admin,
		runID: "test", emit: func(Result) {}, log: log}
	return rn.run(ctx, wl, dl), nil
}
