package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/pprof"
	"time"

	"github.com/jackc/pgx/v5"
)

// runner runs the cells of a comparison: for each workload, a warm-up round
// and then the measured rounds, each round visiting every driver, so that
// drift of the machine during a workload touches every driver alike. Each
// round starts one driver further along (A B C, B C A, C A B, …): what a
// cell leaves the server to finish (dirty pages, autovacuum, WAL) lands on
// the cell after it, and with a fixed order that would always be the same
// driver's. Measured on copyin1m: pgactor's server CPU per row was 1.03×
// pgx's when pgactor always came first and 0.80× when it always came
// second, on the same code.
type runner struct {
	dsn        string
	postmaster int // 0 when the server's processes are not visible
	duration   time.Duration
	rounds     int
	admin      *pgx.Conn
	runID      string
	// emit receives every cell's result as soon as it is known.
	emit func(Result)
	// log receives progress lines.
	log func(format string, args ...any)
}

// settleTime is how long a timed workload runs unmeasured at the start of
// each cell, so pools have opened their connections and statements are
// prepared before the clock starts.
func settleTime(d time.Duration) time.Duration { return min(d/5, 400*time.Millisecond) }

// cellTimeout bounds one cell, so a driver that hangs costs minutes, not the
// whole run.
func (rn *runner) cellTimeout() time.Duration { return max(20*rn.duration, 90*time.Second) }

// run runs every cell and returns the results in the order they ran.
func (rn *runner) run(ctx context.Context, ws []*workload, ds []driver) []Result {
	var all []Result
	total, done := len(ws)*(rn.rounds+1)*len(ds), 0
	for _, w := range ws {
		// A driver that cannot do a workload, or failed at it, is not
		// asked again in later rounds: an error usually repeats, and
		// each costs up to a cell timeout.
		given := map[string]Result{}
		for round := 0; round <= rn.rounds; round++ {
			for i := range ds {
				d := ds[(i+round)%len(ds)]
				if ctx.Err() != nil {
					return all
				}
				var r Result
				if prev, ok := given[d.name()]; ok {
					r = prev
					r.Round = round
					if r.Status == statusError {
						r.Error = fmt.Sprintf("not run: round %d failed: %s", prev.Round, prev.Error)
					}
				} else {
					r = rn.cell(ctx, w, d, round)
				}
				if r.Status != statusOK {
					if _, ok := given[d.name()]; !ok {
						given[d.name()] = r
					}
				}
				done++
				rn.log("[%d/%d] %s", done, total, progressLine(r))
				rn.emit(r)
				all = append(all, r)
			}
		}
	}
	return all
}

func progressLine(r Result) string {
	label := fmt.Sprintf("round %d", r.Round)
	if r.Round == 0 {
		label = "warm-up"
	}
	head := fmt.Sprintf("%-17s %-8s %-8s", r.Workload, displayName(r.Driver), label)
	switch r.Status {
	case statusOK:
		return fmt.Sprintf("%s %s %s/s", head, si(r.PerSecond), r.Unit)
	case statusUnsupported:
		return head + " unsupported"
	default:
		return head + " ERROR: " + r.Error
	}
}

// cell runs one (workload, driver, round).
func (rn *runner) cell(ctx context.Context, w *workload, d driver, round int) Result {
	r := Result{Run: rn.runID, Workload: w.name, Driver: d.name(), Round: round, Unit: w.unit, Status: statusOK}
	ctx, cancel := context.WithTimeout(ctx, rn.cellTimeout())
	defer cancel()
	err := func() error {
		if w.reset != nil {
			if err := w.reset(ctx, rn.admin); err != nil {
				return fmt.Errorf("reset before the cell: %w", err)
			}
		}
		if w.child {
			if err := rn.inChild(ctx, w, d, &r); err != nil {
				return err
			}
		} else if err := measureCell(ctx, rn.dsn, rn.postmaster, w, d, rn.duration, &r); err != nil {
			return err
		}
		if r.Status == statusOK && w.verify != nil {
			if err := w.verify(ctx, rn.admin); err != nil {
				return fmt.Errorf("after the cell: %w", err)
			}
		}
		return nil
	}()
	setStatus(&r, err)
	return r
}

func setStatus(r *Result, err error) {
	switch {
	case err == nil:
	case errors.Is(err, errUnsupported):
		r.Status, r.Error = statusUnsupported, ""
		r.Ops, r.PerSecond = 0, 0
	default:
		r.Status, r.Error = statusError, err.Error()
	}
}

// measureCell opens the driver's handle, lets a timed workload settle, and
// measures one section. It runs in the parent or, for child workloads, in a
// child process of its own.
func measureCell(ctx context.Context, dsn string, postmaster int, w *workload, d driver, dur time.Duration, r *Result) (err error) {
	h, err := d.open(ctx, dsn, w.conns)
	if err != nil {
		return fmt.Errorf("open: %w", err)
	}
	defer func() {
		if cerr := closeHandle(h); err == nil && cerr != nil {
			err = fmt.Errorf("close: %w", cerr)
		}
	}()
	if !w.fixed {
		if _, err := w.run(ctx, h, settleTime(dur)); err != nil {
			return err
		}
	}
	stopProfile := startProfile(w.name, d.name(), r.Round)
	m := meter{postmaster: postmaster}
	m.begin()
	s, err := w.run(ctx, h, dur)
	m.end(r, s.ops)
	stopProfile()
	if err != nil {
		return err
	}
	r.fill(s)
	if w.child {
		if rss, err := peakRSS(); err == nil {
			r.PeakRSSBytes = rss
		}
	}
	return nil
}

// closeHandle closes h, but gives up waiting after a while so one driver
// that cannot shut down does not stop the comparison.
func closeHandle(h handle) error {
	done := make(chan error, 1)
	go func() { done <- h.close() }()
	select {
	case err := <-done:
		return err
	case <-time.After(30 * time.Second):
		return errors.New("still closing after 30s; left behind")
	}
}

// childEnv carries a child cell's orders; its presence makes main a child.
const childEnv = "PGACTOR_BENCH_CHILD"

// childSpec is what the parent tells a child process to run.
type childSpec struct {
	Workload   string        `json:"workload"`
	Driver     string        `json:"driver"`
	DSN        string        `json:"dsn"`
	Postmaster int           `json:"postmaster"`
	Duration   time.Duration `json:"duration"`
	Result     Result        `json:"result"` // the fields the parent already filled
}

// inChild runs the cell in a new process of this same binary, so that the
// process-wide figures (peak RSS, allocations, CPU) belong to the driver
// alone.
func (rn *runner) inChild(ctx context.Context, w *workload, d driver, r *Result) error {
	exe, err := os.Executable()
	if err != nil {
		return fmt.Errorf("finding this program to run a child: %w", err)
	}
	spec, err := json.Marshal(childSpec{
		Workload: w.name, Driver: d.name(), DSN: rn.dsn, Postmaster: rn.postmaster,
		Duration: rn.duration, Result: *r,
	})
	if err != nil {
		return err
	}
	cmd := exec.CommandContext(ctx, exe)
	cmd.Env = append(os.Environ(), childEnv+"="+string(spec))
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, os.Stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("child process: %w", err)
	}
	if err := json.Unmarshal(bytes.TrimSpace(out.Bytes()), r); err != nil {
		return fmt.Errorf("child process output %q: %w", out.String(), err)
	}
	if r.Status == statusError {
		return errors.New(r.Error)
	}
	if r.Status == statusUnsupported {
		return errUnsupported
	}
	return nil
}

// runChild is main in a child process: run the one cell and print its
// result as JSON on stdout.
func runChild(spec string) int {
	var c childSpec
	if err := json.Unmarshal([]byte(spec), &c); err != nil {
		fmt.Fprintf(os.Stderr, "bench child: %s: %v\n", childEnv, err)
		return 2
	}
	r := c.Result
	w := workloadNamed(c.Workload)
	ds, err := findDrivers(c.Driver)
	if w == nil || err != nil {
		fmt.Fprintf(os.Stderr, "bench child: unknown workload %q or driver %q\n", c.Workload, c.Driver)
		return 2
	}
	ctx := context.Background()
	setStatus(&r, measureCell(ctx, c.DSN, c.Postmaster, w, ds[0], c.Duration, &r))
	if err := json.NewEncoder(os.Stdout).Encode(r); err != nil {
		fmt.Fprintf(os.Stderr, "bench child: %v\n", err)
		return 1
	}
	return 0
}

// profileEnv names a directory: when set, each cell's measured section is
// CPU-profiled into <workload>-<driver>-<round>.prof there (go tool pprof).
const profileEnv = "PGACTOR_BENCH_CPUPROFILE"

func startProfile(workload, driver string, round int) (stop func()) {
	dir := os.Getenv(profileEnv)
	if dir == "" {
		return func() {}
	}
	f, err := os.Create(filepath.Join(dir, fmt.Sprintf("%s-%s-%d.prof", workload, driver, round)))
	if err == nil {
		err = pprof.StartCPUProfile(f)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "bench: %s: %v\n", profileEnv, err)
		if f != nil {
			f.Close()
		}
		return func() {}
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
	}
}
