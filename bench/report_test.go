package main_test

import (
	"bytes"
	"encoding/xml"
	"errors"
	"io"
	"math"
	"strings"
	"testing"
	"time"

	bench "github.com/pgactor/pgactor/bench"
)

func TestPercentile(t *testing.T) {
	hundred := make([]time.Duration, 100)
	for i := range hundred {
		hundred[i] = time.Duration(i + 1)
	}
	tests := []struct {
		name   string
		sorted []time.Duration
		p      float64
		want   time.Duration
	}{
		{"p50 of 1..100", hundred, 50, 50},
		{"p99 of 1..100", hundred, 99, 99},
		{"p100 of 1..100", hundred, 100, 100},
		{"p0 is the smallest", hundred, 0, 1},
		{"one value", []time.Duration{7}, 99, 7},
		{"none", nil, 50, 0},
		{"p99 of two", []time.Duration{1, 2}, 99, 2},
	}
	for _, tt := range tests {
		if got := bench.Percentile(tt.sorted, tt.p); got != tt.want {
			t.Errorf("%s: got %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestMedian(t *testing.T) {
	tests := []struct {
		in   []float64
		want float64
	}{
		{[]float64{3, 1, 2}, 2},
		{[]float64{4, 1, 3, 2}, 2.5},
		{[]float64{5}, 5},
	}
	for _, tt := range tests {
		if got := bench.Median(tt.in); got != tt.want {
			t.Errorf("Median(%v) = %v, want %v", tt.in, got, tt.want)
		}
	}
	if got := bench.Median(nil); !math.IsNaN(got) {
		t.Errorf("Median(nil) = %v, want NaN", got)
	}
	in := []float64{3, 1, 2}
	bench.Median(in)
	if in[0] != 3 {
		t.Errorf("Median sorted its argument: %v", in)
	}
}

func TestSI(t *testing.T) {
	tests := []struct {
		in   float64
		want string
	}{
		{0.5, "0.50"}, {150, "150"}, {1234, "1.23k"}, {22000, "22.0k"}, {434000, "434k"},
		{3.5e6, "3.50M"}, {math.NaN(), "n/a"},
	}
	for _, tt := range tests {
		if got := bench.SI(tt.in); got != tt.want {
			t.Errorf("SI(%v) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestRedact(t *testing.T) {
	tests := []struct{ in, want string }{
		{"postgres://u:secret@h:5432/db", "postgres://u:xxxxx@h:5432/db"},
		{"postgres://u@h/db", "postgres://u@h/db"},
		{"host=h password=secret", "the server"},
	}
	for _, tt := range tests {
		if got := bench.Redact(tt.in); got != tt.want {
			t.Errorf("Redact(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestFindDrivers(t *testing.T) {
	ds, err := bench.FindDrivers("pgx, lib/pq")
	if err != nil || len(ds) != 2 {
		t.Fatalf("FindDrivers: %d drivers, %v", len(ds), err)
	}
	for _, bad := range []string{"", "mysql", "pgx,nope"} {
		if _, err := bench.FindDrivers(bad); err == nil {
			t.Errorf("FindDrivers(%q) accepted", bad)
		}
	}
}

func TestFindWorkloads(t *testing.T) {
	all, err := bench.FindWorkloads("all")
	if err != nil || len(all) != 13 {
		t.Fatalf("all: %d workloads, %v; want the issue's 10, pipeline1000_futures, tpcb and tpcb_batch", len(all), err)
	}
	two, err := bench.FindWorkloads("rows1m,select1")
	if err != nil || len(two) != 2 {
		t.Fatalf("two: %d workloads, %v", len(two), err)
	}
	for _, bad := range []string{",", "select2", "select1,nope"} {
		if _, err := bench.FindWorkloads(bad); err == nil {
			t.Errorf("FindWorkloads(%q) accepted", bad)
		}
	}
}

// results is a hand-made run: round 0 is a warm-up whose absurd figure must
// not reach the medians.
func results() []bench.Result {
	r := func(w, d string, round int, status string, perSecond float64) bench.Result {
		r := bench.Result{Workload: w, Driver: d, Round: round, Status: status, Unit: "queries", PerSecond: perSecond,
			Ops: int64(perSecond), P50Micros: 10, P99Micros: 20, AllocsPerOp: 3, BytesPerOp: 200, ClientCPUMsPer1k: 4}
		if d == "pgactor" {
			r.AllocsPerOp, r.BytesPerOp = 6, 100
		}
		return r
	}
	return []bench.Result{
		r("select1", "pgactor", 0, "ok", 1e9), r("select1", "pgx", 0, "ok", 1), r("select1", "pq", 0, "ok", 1),
		r("select1", "pgactor", 1, "ok", 300), r("select1", "pgx", 1, "ok", 100), r("select1", "pq", 1, "ok", 50),
		r("select1", "pgactor", 2, "ok", 500), r("select1", "pgx", 2, "ok", 200), r("select1", "pq", 2, "ok", 50),
		r("pipeline1000", "pgactor", 1, "error", 0), r("pipeline1000", "pgx", 1, "ok", 1000), r("pipeline1000", "pq", 1, "unsupported", 0),
		{Workload: "rows1m", Driver: "pgactor", Round: 1, Status: "ok", Unit: "rows", PerSecond: 2e6, Ops: 1e6,
			AllocsPerOp: 1, ClientCPUMsPer1k: 0.25, PeakRSSBytes: 30 << 20},
		{Workload: "rows1m", Driver: "pgx", Round: 1, Status: "ok", Unit: "rows", PerSecond: 4e6, Ops: 1e6,
			AllocsPerOp: 2, ClientCPUMsPer1k: 0.125, PeakRSSBytes: 20 << 20},
	}
}

func TestSummarize(t *testing.T) {
	sums := bench.Summarize(results(), []string{"select1", "pipeline1000"}, []string{"pgactor", "pgx", "pq"})
	want := []bench.Summary{
		{Workload: "select1", Driver: "pgactor", Status: "ok", Rounds: 2, PerSecond: 400, Ratio: 400.0 / 150},
		{Workload: "select1", Driver: "pgx", Status: "ok", Rounds: 2, PerSecond: 150, Ratio: 1},
		{Workload: "select1", Driver: "pq", Status: "ok", Rounds: 2, PerSecond: 50, Ratio: 50.0 / 150},
		{Workload: "pipeline1000", Driver: "pgactor", Status: "error"},
		{Workload: "pipeline1000", Driver: "pgx", Status: "ok", Rounds: 1, PerSecond: 1000, Ratio: 1},
		{Workload: "pipeline1000", Driver: "pq", Status: "unsupported"},
	}
	if len(sums) != len(want) {
		t.Fatalf("got %d summaries, want %d: %+v", len(sums), len(want), sums)
	}
	for i, w := range want {
		g := sums[i]
		if g.Workload != w.Workload || g.Driver != w.Driver || g.Status != w.Status || g.Rounds != w.Rounds {
			t.Errorf("summary %d: got %+v, want %+v", i, g, w)
			continue
		}
		if w.Status == "ok" && (math.Abs(g.PerSecond-w.PerSecond) > 1e-9 || math.Abs(g.Ratio-w.Ratio) > 1e-9) {
			t.Errorf("summary %d: got %v/s ratio %v, want %v/s ratio %v", i, g.PerSecond, g.Ratio, w.PerSecond, w.Ratio)
		}
	}
}

func TestReports(t *testing.T) {
	var md, svg bytes.Buffer
	bench.WriteReports(&md, &svg, results(), []string{"select1", "pipeline1000", "rows1m"}, []string{"pgactor", "pgx", "pq"})

	for _, line := range []string{
		"| workload | unit | pgactor | pgx | lib/pq |",
		"| select1 | queries/s | 400 (2.67×) | 150 (1.00×) | 50.0 (0.33×) |",
		"| pipeline1000 | queries/s | error | 1.00k (1.00×) | unsupported |",
		"| select1 | pgactor | 400 | 2.67× | 10 (1.00×) | 20 (1.00×) | 6.00 (2.00×) | 100 (0.50×) | 4.000 (1.00×) |  |  |",
		"| select1 | pgx | 150 | 1.00× | 10 | 20 | 3.00 | 200 | 4.000 |  |  |",
		"| pipeline1000 | lib/pq | unsupported | | | | | | | | |",
		"| rows1m | rows/s | 2.00M (0.50×) | 4.00M (1.00×) |  |",
		"| rows1m | pgactor | 2.00M | 0.50× |  |  | 1.00 (0.50×) |  | 0.250 (2.00×) |  | peak RSS 30 MiB (1.50×) |",
		"![ratio to pgx](chart.svg)",
	} {
		if !strings.Contains(md.String(), line+"\n") {
			t.Errorf("markdown lacks the line %q:\n%s", line, md.String())
		}
	}

	// The chart must be well-formed XML with one bar per successful
	// (workload, driver), its title naming the ratio.
	if !strings.Contains(svg.String(), "Test CPU &lt;x&gt;") {
		t.Errorf("SVG does not escape the CPU model:\n%s", svg.String())
	}
	dec := xml.NewDecoder(&svg)
	var bars []string
	inTitle := false
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("SVG is not well-formed: %v", err)
		}
		switch tok := tok.(type) {
		case xml.StartElement:
			inTitle = tok.Name.Local == "title"
		case xml.CharData:
			if inTitle {
				bars = append(bars, string(tok))
			}
		case xml.EndElement:
			inTitle = false
		}
	}
	wantBars := []string{
		"select1 pgactor: 400/s, 2.67× pgx",
		"select1 pgx: 150/s, 1.00× pgx",
		"select1 lib/pq: 50.0/s, 0.33× pgx",
		"pipeline1000 pgx: 1.00k/s, 1.00× pgx",
		"rows1m pgactor: 2.00M/s, 0.50× pgx",
		"rows1m pgx: 4.00M/s, 1.00× pgx",
	}
	if strings.Join(bars, "\n") != strings.Join(wantBars, "\n") {
		t.Errorf("bars:\n%s\nwant:\n%s", strings.Join(bars, "\n"), strings.Join(wantBars, "\n"))
	}
}
