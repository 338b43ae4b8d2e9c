// Command bench compares pgactor with github.com/jackc/pgx/v5 and
// github.com/lib/pq on the same server in the same run.
//
//	go run -C bench .                          # everything, defaults
//	go run -C bench . -workloads select1,rows1m -drivers pgactor,pgx -rounds 5 -duration 3s
//
// It starts a throwaway PostgreSQL cluster with internal/pgtest, or uses
// $DATABASE_URL when set, and runs every workload for every driver: a warm-up
// round, then -rounds measured rounds, the drivers taking turns within each
// round so that drift of the machine cancels out, each round starting one
// driver further along so that no driver always follows the same one. Each driver's code is what
// an ordinary user of it would write, with its defaults; a workload a driver
// cannot express is reported as unsupported.
//
// Output: one JSON line per (workload, driver, round) in results/<run>.jsonl,
// a markdown table of the medians and their ratios to pgx on stdout and in
// results/<run>.md, and an SVG bar chart of the ratios in results/<run>.svg;
// results/latest.md and results/latest.svg are copies of the newest.
//
// rows1m runs each cell in a child process (this program again, told what to
// do by an environment variable) so that its peak RSS, VmHWM, is that one
// driver's.
package main

import (
	"bufio"
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/pgactor/pgactor/internal/pgtest"
)

func main() {
	if spec, ok := os.LookupEnv(childEnv); ok {
		os.Exit(runChild(spec))
	}
	os.Exit(run())
}

func run() int {
	var (
		workloadList = flag.String("workloads", "all", "comma-separated workloads to run")
		driverList   = flag.String("drivers", "pgactor,pgx,pq", "comma-separated drivers, in the order they alternate")
		rounds       = flag.Int("rounds", 3, "measured rounds after the warm-up round")
		duration     = flag.Duration("duration", 2*time.Second, "measured time of each timed (workload, driver, round)")
		outDir       = flag.String("out", defaultOutDir(), "directory for the JSON lines, markdown and SVG")
	)
	flag.Usage = func() {
		fmt.Fprintf(flag.CommandLine.Output(), "usage: go run -C bench . [flags]\n\nworkloads:")
		for _, w := range workloads {
			fmt.Fprintf(flag.CommandLine.Output(), " %s", w.name)
		}
		fmt.Fprintf(flag.CommandLine.Output(), "\ndrivers: pgactor pgx pq pgactor-stdlib pgactor-stdlib-mux pgx-stdlib\n\n")
		flag.PrintDefaults()
	}
	flag.Parse()
	ws, err := findWorkloads(*workloadList)
	if err != nil {
		return usageError(err)
	}
	ds, err := findDrivers(*driverList)
	if err != nil {
		return usageError(err)
	}
	if *rounds < 1 || *duration <= 0 {
		return usageError(fmt.Errorf("need -rounds ≥ 1 and a positive -duration"))
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := compare(ctx, ws, ds, *rounds, *duration, *outDir); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		return 1
	}
	return 0
}

func usageError(err error) int {
	fmt.Fprintln(os.Stderr, "bench:", err)
	flag.Usage()
	return 2
}

// defaultOutDir is bench/results whether the program runs from bench/ (as
// go run -C bench does) or from the repository root.
func defaultOutDir() string {
	if _, err := os.Stat(filepath.Join("bench", "go.mod")); err == nil {
		return filepath.Join("bench", "results")
	}
	return "results"
}

// compare is the whole run: server, tables, cells, reports.
func compare(ctx context.Context, ws []*workload, ds []driver, rounds int, dur time.Duration, outDir string) error {
	began := time.Now()
	env := environment{
		Date: began, CPUs: runtime.NumCPU(), CPUModel: cpuModel(), Go: runtime.Version(),
		Versions: moduleVersions(), Rounds: rounds, Duration: dur, LoadBefore: loadAverage(),
	}
	dsn, postmaster, cleanup, err := startServer(&env)
	if err != nil {
		return err
	}
	defer cleanup()

	admin, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return fmt.Errorf("connecting to %s: %w", redact(dsn), err)
	}
	defer admin.Close(context.Background())
	if err := admin.QueryRow(ctx, "SHOW server_version").Scan(&env.Server); err != nil {
		return err
	}
	if postmaster == 0 {
		var backend int
		if err := admin.QueryRow(ctx, "SELECT pg_backend_pid()").Scan(&backend); err == nil {
			if postmaster, err = findPostmaster(backend); err != nil {
				fmt.Fprintf(os.Stderr, "bench: server CPU will not be reported: %v\n", err)
			}
		}
	}
	fmt.Fprintf(os.Stderr, "bench: PostgreSQL %s; creating the tables (%d rows to stream)\n", env.Server, streamedRows)
	if err := setupTables(ctx, admin); err != nil {
		return err
	}
	defer dropTables(context.Background(), admin)

	if err := os.MkdirAll(outDir, 0o755); err != nil {
		return err
	}
	runID := began.UTC().Format("20060102T150405Z")
	jsonl, err := os.Create(filepath.Join(outDir, runID+".jsonl"))
	if err != nil {
		return err
	}
	defer jsonl.Close()
	lines := bufio.NewWriter(jsonl)
	var writeErr error
	rn := &runner{
		dsn: dsn, postmaster: postmaster, duration: dur, rounds: rounds, admin: admin,
		runID: began.UTC().Format(time.RFC3339),
		emit: func(r Result) {
			if err := writeJSONLine(lines, r); err != nil && writeErr == nil {
				writeErr = err
			}
			if err := lines.Flush(); err != nil && writeErr == nil {
				writeErr = err
			}
		},
		log: func(format string, args ...any) { fmt.Fprintf(os.Stderr, format+"\n", args...) },
	}
	results := rn.run(ctx, ws, ds)
	if writeErr != nil {
		return fmt.Errorf("writing results: %w", writeErr)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("interrupted after %d cells; partial results in %s: %w", len(results), jsonl.Name(), err)
	}

	var wNames, dNames []string
	for _, w := range ws {
		wNames = append(wNames, w.name)
	}
	for _, d := range ds {
		dNames = append(dNames, d.name())
	}
	env.LoadAfter = loadAverage()
	sums := summarize(results, wNames, dNames)
	var svg, md bytes.Buffer
	writeSVG(&svg, env, sums, wNames, dNames)
	writeMarkdown(&md, env, sums, wNames, dNames, runID+".svg")
	for name, b := range map[string][]byte{runID + ".svg": svg.Bytes(), runID + ".md": md.Bytes(), "latest.svg": svg.Bytes()} {
		if err := os.WriteFile(filepath.Join(outDir, name), b, 0o644); err != nil {
			return err
		}
	}
	// latest.md points at latest.svg, so it stays right when copied.
	var latest bytes.Buffer
	writeMarkdown(&latest, env, sums, wNames, dNames, "latest.svg")
	if err := os.WriteFile(filepath.Join(outDir, "latest.md"), latest.Bytes(), 0o644); err != nil {
		return err
	}
	os.Stdout.Write(md.Bytes())
	fmt.Fprintf(os.Stderr, "bench: %d cells in %v; wrote %s.{jsonl,md,svg} and latest.{md,svg}\n",
		len(results), time.Since(began).Round(time.Second), filepath.Join(outDir, runID))
	return nil
}

// startServer returns the DSN to benchmark against: $DATABASE_URL, or a new
// pgtest cluster (which also honours PGACTOR_TEST_DSN) as the trust user over
// TCP. postmaster is 0 when not known yet.
func startServer(env *environment) (dsn string, postmaster int, cleanup func(), err error) {
	if u := os.Getenv("DATABASE_URL"); u != "" {
		env.ServerNote = "$DATABASE_URL"
		return u, 0, func() {}, nil
	}
	fmt.Fprintln(os.Stderr, "bench: starting a throwaway PostgreSQL cluster (internal/pgtest)")
	c, err := pgtest.Start()
	if err != nil {
		return "", 0, nil, err
	}
	env.ServerNote = "throwaway pgtest cluster over TCP loopback, fsync off"
	if c.External {
		env.ServerNote = "$" + pgtest.EnvDSN
	}
	return c.DSN(pgtest.Trust), c.PID(), func() {
		if err := c.Close(); err != nil {
			fmt.Fprintln(os.Stderr, "bench:", err)
		}
	}, nil
}

// redact hides a password in a URL DSN for error messages.
func redact(dsn string) string {
	at := strings.LastIndexByte(dsn, '@')
	scheme := strings.Index(dsn, "://")
	if at < 0 || scheme < 0 || at < scheme {
		return "the server"
	}
	user := dsn[scheme+3 : at]
	if i := strings.IndexByte(user, ':'); i >= 0 {
		return dsn[:scheme+3] + user[:i] + ":xxxxx" + dsn[at:]
	}
	return dsn
}

// cpuModel is the first "model name" of /proc/cpuinfo.
func cpuModel() string {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return runtime.GOARCH
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return runtime.GOARCH
}

// moduleVersions reads the drivers' versions from the build information.
func moduleVersions() map[string]string {
	v := map[string]string{}
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return v
	}
	for _, m := range bi.Deps {
		switch m.Path {
		case "github.com/jackc/pgx/v5":
			v["pgx"] = m.Version
		case "github.com/lib/pq":
			v["pq"] = m.Version
		case "github.com/pgactor/pgactor":
			v["pgactor"] = "(this tree)"
		}
	}
	return v
}

// loadAverage is the one-minute load average, or "" when unknown.
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return ""
	}
	if f := strings.Fields(string(b)); len(f) > 0 {
		return f[0]
	}
	return ""
}
