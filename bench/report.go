package main

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"slices"
	"strings"
	"time"
)

// Result is one (workload, driver, round) cell: one JSON line in results/.
type Result struct {
	Run      string `json:"run"` // when the run started, RFC 3339
	Workload string `json:"workload"`
	Driver   string `json:"driver"`
	Round    int    `json:"round"` // 0 is the warm-up, not reported in medians
	Status   string `json:"status"`
	Error    string `json:"error,omitempty"`
	Unit     string `json:"unit"` // what Ops counts: "queries" or "rows"

	Ops       int64   `json:"ops"`
	Seconds   float64 `json:"seconds"`    // wall time of the measured section
	PerSecond float64 `json:"per_second"` // Ops per second; for fanout10k, per second of AllAnsweredMs
	P50Micros float64 `json:"p50_us,omitempty"`
	P99Micros float64 `json:"p99_us,omitempty"`
	MaxMicros float64 `json:"max_us,omitempty"`
	// AllAnsweredMs is fanout10k's median time from releasing the
	// goroutines until the last answer.
	AllAnsweredMs float64 `json:"all_answered_ms,omitempty"`

	AllocsPerOp      float64 `json:"allocs_per_op"`
	BytesPerOp       float64 `json:"bytes_per_op"`
	ClientCPUMsPer1k float64 `json:"client_cpu_ms_per_1k"`
	// ServerCPUMsPer1k is absent when the server's processes are not
	// visible from here.
	ServerCPUMsPer1k *float64 `json:"server_cpu_ms_per_1k,omitempty"`
	// PeakRSSBytes is VmHWM of the process that ran the cell, for
	// workloads that run in a child process of their own.
	PeakRSSBytes int64 `json:"peak_rss_bytes,omitempty"`
}

// Statuses of a Result.
const (
	statusOK          = "ok"
	statusUnsupported = "unsupported"
	statusError       = "error"
)

// fill sets the latency figures of r from s.
func (r *Result) fill(s sample) {
	if len(s.latencies) > 0 {
		slices.Sort(s.latencies)
		r.P50Micros = micros(percentile(s.latencies, 50))
		r.P99Micros = micros(percentile(s.latencies, 99))
		r.MaxMicros = micros(s.latencies[len(s.latencies)-1])
	}
	if len(s.allAnswered) > 0 {
		med := medianDuration(s.allAnswered)
		r.AllAnsweredMs = float64(med) / float64(time.Millisecond)
		r.PerSecond = float64(s.ops) / float64(len(s.allAnswered)) / med.Seconds()
	}
}

func micros(d time.Duration) float64 { return float64(d) / float64(time.Microsecond) }

// percentile returns the nearest-rank p-th percentile of sorted.
func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(math.Ceil(p/100*float64(len(sorted)))) - 1
	return sorted[max(0, min(i, len(sorted)-1))]
}

func medianDuration(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// median returns the median of xs, or NaN for none.
func median(xs []float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// summary is the medians of one (workload, driver) over the measured rounds.
type summary struct {
	workload, driver, unit   string
	status, err              string // the worst status of any round, and its error
	rounds                   int    // rounds that succeeded
	perSecond, ratio         float64
	p50, p99, allAnswered    float64
	allocs, bytes, clientCPU float64
	serverCPU                float64 // NaN when unknown
	peakRSS                  float64 // bytes; NaN when not measured
}

// summarize takes the medians of the measured rounds (round ≥ 1) and the
// ratio of each driver's median throughput to pgx's.
func summarize(results []Result, ws []string, ds []string) []summary {
	var out []summary
	for _, w := range ws {
		var row []summary
		for _, d := range ds {
			s := summary{workload: w, driver: d, status: statusOK}
			var ps, p50, p99, all, al, by, cc, sc, rss []float64
			seen := false
			for _, r := range results {
				if r.Workload != w || r.Driver != d || r.Round < 1 {
					continue
				}
				seen = true
				s.unit = r.Unit
				switch r.Status {
				case statusUnsupported:
					s.status = statusUnsupported
					continue
				case statusError:
					if s.status != statusUnsupported {
						s.status, s.err = statusError, r.Error
					}
					continue
				}
				s.rounds++
				ps = append(ps, r.PerSecond)
				p50 = append(p50, r.P50Micros)
				p99 = append(p99, r.P99Micros)
				all = append(all, r.AllAnsweredMs)
				al = append(al, r.AllocsPerOp)
				by = append(by, r.BytesPerOp)
				cc = append(cc, r.ClientCPUMsPer1k)
				if r.ServerCPUMsPer1k != nil {
					sc = append(sc, *r.ServerCPUMsPer1k)
				}
				if r.PeakRSSBytes > 0 {
					rss = append(rss, float64(r.PeakRSSBytes))
				}
			}
			if !seen {
				continue
			}
			s.perSecond, s.p50, s.p99, s.allAnswered = median(ps), median(p50), median(p99), median(all)
			s.allocs, s.clientCPU, s.serverCPU, s.peakRSS = median(al), median(cc), median(sc), median(rss)
			s.bytes = median(by)
			row = append(row, s)
		}
		base := math.NaN()
		for _, s := range row {
			if s.driver == "pgx" && s.status == statusOK {
				base = s.perSecond
			}
		}
		for i := range row {
			row[i].ratio = row[i].perSecond / base
		}
		out = append(out, row...)
	}
	return out
}

// environment describes where a run took place, for the report's header.
type environment struct {
	Date       time.Time
	CPUs       int
	CPUModel   string
	Server     string // PostgreSQL version
	Go         string
	Versions   map[string]string // driver name → module version
	Rounds     int
	Duration   time.Duration
	ServerNote string // how the server was started
	// LoadBefore and LoadAfter are /proc/loadavg's one-minute figure at
	// the start and the end: anything else busy on the machine shows.
	LoadBefore, LoadAfter string
}

// writeMarkdown writes the report: a headline table of median throughput and
// ratio to pgx, then the details of every (workload, driver).
func writeMarkdown(w io.Writer, env environment, sums []summary, ws, ds []string, chart string) {
	fmt.Fprintf(w, "## pgactor vs pgx vs lib/pq, %s\n\n", env.Date.Format("2006-01-02"))
	fmt.Fprintf(w, "Machine: %d × %s; PostgreSQL %s (%s); %s.\n",
		env.CPUs, env.CPUModel, env.Server, env.ServerNote, env.Go)
	var vs []string
	for _, d := range ds {
		if v := env.Versions[d]; v != "" {
			vs = append(vs, displayName(d)+" "+v)
		}
	}
	if len(vs) > 0 {
		fmt.Fprintf(w, "Drivers: %s.\n", strings.Join(vs, ", "))
	}
	if env.LoadBefore != "" {
		fmt.Fprintf(w, "Load average (1 min) %s at the start, %s at the end.\n", env.LoadBefore, env.LoadAfter)
	}
	fmt.Fprintf(w, "Median of %d rounds after one warm-up round, drivers taking turns within each round, each round starting one driver further along, "+
		"%v per timed cell; ×pgx is the driver's median throughput divided by pgx's in the same run "+
		"(above 1 is faster).\n\n", env.Rounds, env.Duration)

	fmt.Fprint(w, "| workload | unit |")
	for _, d := range ds {
		fmt.Fprintf(w, " %s |", displayName(d))
	}
	fmt.Fprint(w, "\n|---|---|")
	for range ds {
		fmt.Fprint(w, "---:|")
	}
	fmt.Fprintln(w)
	for _, wl := range ws {
		unit := ""
		cells := make([]string, len(ds))
		for i, d := range ds {
			s, ok := find(sums, wl, d)
			if !ok {
				cells[i] = ""
				continue
			}
			if s.unit != "" {
				unit = s.unit + "/s"
			}
			switch s.status {
			case statusOK:
				cells[i] = fmt.Sprintf("%s (%s)", si(s.perSecond), ratioText(s.ratio))
			default:
				cells[i] = s.status
			}
		}
		fmt.Fprintf(w, "| %s | %s | %s |\n", wl, unit, strings.Join(cells, " | "))
	}
	if chart != "" {
		fmt.Fprintf(w, "\n![ratio to pgx](%s)\n", chart)
	}

	fmt.Fprint(w, "\n### Details\n\n")
	fmt.Fprint(w, "Latencies are of single queries (fanout10k: from the release of all goroutines to each answer). "+
		"CPU is milliseconds per 1,000 queries or rows: the client's from getrusage, the server's summed over "+
		"all PostgreSQL processes from /proc. Allocations are heap objects (runtime.MemStats.Mallocs) "+
		"and their bytes (TotalAlloc) per query or row, whole process. Peak RSS is VmHWM of a child process that ran only that cell. "+
		"In parentheses after a figure: that figure divided by pgx's (for latency, allocations, CPU and memory, below 1 is better).\n\n")
	fmt.Fprintln(w, "| workload | driver | per second | ×pgx | p50 µs | p99 µs | allocs/op | B/op | client CPU ms/1k | server CPU ms/1k | other |")
	fmt.Fprintln(w, "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|")
	for _, wl := range ws {
		for _, d := range ds {
			s, ok := find(sums, wl, d)
			if !ok {
				continue
			}
			if s.status != statusOK {
				msg := s.status
				if s.err != "" {
					msg += ": " + oneLine(s.err)
				}
				fmt.Fprintf(w, "| %s | %s | %s | | | | | | | | |\n", wl, displayName(d), msg)
				continue
			}
			// Every figure but pgx's own is followed by its ratio to
			// pgx's, driver ÷ pgx, whichever way is better.
			base, hasBase := find(sums, wl, "pgx")
			hasBase = hasBase && base.status == statusOK && d != "pgx"
			rel := func(v, b float64, format string) string {
				text := optional(v, format)
				if text != "" && hasBase && b > 0 && !math.IsNaN(b) {
					text += " (" + ratioText(v/b) + ")"
				}
				return text
			}
			var other []string
			if s.allAnswered > 0 {
				other = append(other, "all answered in "+rel(s.allAnswered, base.allAnswered, "%.1f ms"))
			}
			if !math.IsNaN(s.peakRSS) {
				other = append(other, "peak RSS "+rel(s.peakRSS/(1<<20), base.peakRSS/(1<<20), "%.0f MiB"))
			}
			fmt.Fprintf(w, "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n",
				wl, displayName(d), si(s.perSecond), ratioText(s.ratio),
				rel(s.p50, base.p50, "%.0f"), rel(s.p99, base.p99, "%.0f"),
				rel(s.allocs, base.allocs, "%.2f"), rel(s.bytes, base.bytes, "%.0f"), rel(s.clientCPU, base.clientCPU, "%.3f"),
				rel(s.serverCPU, base.serverCPU, "%.3f"), strings.Join(other, "; "))
		}
	}
}

func find(sums []summary, w, d string) (summary, bool) {
	for _, s := range sums {
		if s.workload == w && s.driver == d {
			return s, true
		}
	}
	return summary{}, false
}

// si writes a rate with a metric suffix and three significant digits.
func si(v float64) string {
	switch {
	case math.IsNaN(v):
		return "n/a"
	case v >= 1e6:
		return trimFloat(v/1e6) + "M"
	case v >= 1e3:
		return trimFloat(v/1e3) + "k"
	default:
		return trimFloat(v)
	}
}

func trimFloat(v float64) string {
	switch {
	case v >= 100:
		return fmt.Sprintf("%.0f", v)
	case v >= 10:
		return fmt.Sprintf("%.1f", v)
	default:
		return fmt.Sprintf("%.2f", v)
	}
}

func ratioText(r float64) string {
	if math.IsNaN(r) || math.IsInf(r, 0) {
		return "n/a"
	}
	return fmt.Sprintf("%.2f×", r)
}

func optional(v float64, format string) string {
	if math.IsNaN(v) || v == 0 {
		return ""
	}
	return fmt.Sprintf(format, v)
}

func oneLine(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	s = strings.ReplaceAll(s, "|", "/")
	if len(s) > 160 {
		s = s[:160] + "…"
	}
	return s
}

// writeJSONLine appends r to a results file as one line.
func writeJSONLine(w io.Writer, r Result) error {
	b, err := json.Marshal(r)
	if err != nil {
		return err
	}
	_, err = w.Write(append(b, '\n'))
	return err
}

// Colours of the chart's bars, one per driver in -drivers order.
var barColours = []string{"#d95f02", "#1b9e77", "#7570b3", "#e7298a"}

// writeSVG draws a horizontal bar chart of each driver's ratio to pgx per
// workload on a log2 axis, so 0.5× and 2× are equally far from 1×.
func writeSVG(w io.Writer, env environment, sums []summary, ws, ds []string) {
	const (
		left, right, top = 150.0, 30.0, 56.0
		width            = 760.0
		bar, gap         = 14.0, 12.0
	)
	lo, hi := -2.0, 2.0 // log2 of the axis ends: 0.25× to 4×
	for _, s := range sums {
		if s.status == statusOK && s.ratio > 0 && !math.IsInf(s.ratio, 0) {
			l := math.Log2(s.ratio)
			lo, hi = math.Min(lo, math.Floor(l)), math.Max(hi, math.Ceil(l))
		}
	}
	group := float64(len(ds))*bar + gap
	plotH := float64(len(ws)) * group
	height := top + plotH + 30
	plotW := width - left - right
	x := func(ratio float64) float64 { return left + (math.Log2(ratio)-lo)/(hi-lo)*plotW }

	fmt.Fprintf(w, `<svg xmlns="http://www.w3.org/2000/svg" width="%.0f" height="%.0f" viewBox="0 0 %.0f %.0f" font-family="sans-serif" font-size="12">`+"\n",
		width, height, width, height)
	fmt.Fprintf(w, `<rect width="100%%" height="100%%" fill="white"/>`+"\n")
	fmt.Fprintf(w, `<text x="%.0f" y="18" font-size="14" font-weight="bold">Throughput relative to pgx (log scale; right of 1× is faster)</text>`+"\n", left)
	fmt.Fprintf(w, `<text x="%.0f" y="34" fill="#555">%s · %d × %s · PostgreSQL %s · median of %d rounds</text>`+"\n",
		left, env.Date.Format("2006-01-02"), env.CPUs, xmlEscape(env.CPUModel), xmlEscape(env.Server), env.Rounds)
	for i, d := range ds {
		lx := left + float64(i)*110
		fmt.Fprintf(w, `<rect x="%.0f" y="40" width="10" height="10" fill="%s"/><text x="%.0f" y="49">%s</text>`+"\n",
			lx, barColours[i%len(barColours)], lx+14, xmlEscape(displayName(d)))
	}
	for e := lo; e <= hi; e++ {
		r := math.Exp2(e)
		gx := x(r)
		stroke, dash := "#ddd", ` stroke-dasharray="3,3"`
		if e == 0 {
			stroke, dash = "#333", ""
		}
		fmt.Fprintf(w, `<line x1="%.1f" y1="%.0f" x2="%.1f" y2="%.0f" stroke="%s"%s/>`+"\n", gx, top, gx, top+plotH, stroke, dash)
		fmt.Fprintf(w, `<text x="%.1f" y="%.0f" text-anchor="middle" fill="#555">%s×</text>`+"\n", gx, top+plotH+16, strconvRatio(r))
	}
	for wi, wl := range ws {
		gy := top + float64(wi)*group
		fmt.Fprintf(w, `<text x="%.0f" y="%.1f" text-anchor="end">%s</text>`+"\n", left-8, gy+float64(len(ds))*bar/2+4, xmlEscape(wl))
		for di, d := range ds {
			y := gy + float64(di)*bar
			s, ok := find(sums, wl, d)
			colour := barColours[di%len(barColours)]
			switch {
			case !ok:
			case s.status != statusOK:
				fmt.Fprintf(w, `<text x="%.1f" y="%.1f" fill="#999" font-size="10">%s: %s</text>`+"\n", x(1)+4, y+bar-3, xmlEscape(displayName(d)), s.status)
			case s.ratio > 0 && !math.IsInf(s.ratio, 0):
				x0, x1 := x(1), x(s.ratio)
				if x1 < x0 {
					x0, x1 = x1, x0
				}
				fmt.Fprintf(w, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s"><title>%s %s: %s/s, %.2f× pgx</title></rect>`+"\n",
					x0, y+1, math.Max(x1-x0, 1), bar-2, colour, xmlEscape(wl), xmlEscape(displayName(d)), si(s.perSecond), s.ratio)
				fmt.Fprintf(w, `<text x="%.1f" y="%.1f" font-size="10">%.2f×</text>`+"\n", math.Max(x(s.ratio), x(1))+4, y+bar-3, s.ratio)
			}
		}
	}
	fmt.Fprintln(w, "</svg>")
}

func strconvRatio(r float64) string {
	if r >= 1 {
		return fmt.Sprintf("%.0f", r)
	}
	return strings.TrimRight(strings.TrimRight(fmt.Sprintf("%.3f", r), "0"), ".")
}

func xmlEscape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;").Replace(s)
}
