package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// clockTicks is USER_HZ, the unit of utime and stime in /proc/<pid>/stat.
// Linux fixes it at 100 for user space whatever the kernel's HZ.
const clockTicks = 100

// clientCPU returns the user plus system CPU time this process has used.
func clientCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// procStat is what we need from /proc/<pid>/stat.
type procStat struct {
	comm       string
	ppid       int
	cpuTicks   int64         // utime + stime
	startTicks int64         // starttime, to tell a reused pid from the process we saw
	cpu        time.Duration // filled in by snapshotServer
}

// parseSchedstat returns the first field of /proc/<pid>/schedstat: the
// time the process has spent on a CPU, in nanoseconds.
func parseSchedstat(b []byte) (time.Duration, error) {
	f := strings.Fields(string(b))
	if len(f) == 0 {
		return 0, errors.New("schedstat: empty")
	}
	ns, err := strconv.ParseInt(f[0], 10, 64)
	if err != nil {
		return 0, fmt.Errorf("schedstat: %w", err)
	}
	return time.Duration(ns), nil
}

// parseProcStat parses the contents of /proc/<pid>/stat. The command name is
// in parentheses and may itself contain spaces and parentheses, so fields are
// counted from the last ')'.
func parseProcStat(b []byte) (procStat, error) {
	open := bytes.IndexByte(b, '(')
	end := bytes.LastIndexByte(b, ')')
	if open < 0 || end < open {
		return procStat{}, errors.New("proc stat: no command name")
	}
	// After ") " come state (field 3), ppid (4) ... utime (14), stime (15),
	// ... starttime (22).
	f := strings.Fields(string(b[end+1:]))
	if len(f) < 20 {
		return procStat{}, fmt.Errorf("proc stat: %d fields after the name", len(f))
	}
	num := func(i int) (int64, error) { return strconv.ParseInt(f[i], 10, 64) }
	ppid, err := num(1)
	if err != nil {
		return procStat{}, fmt.Errorf("proc stat: ppid: %w", err)
	}
	ut, err := num(11)
	if err != nil {
		return procStat{}, fmt.Errorf("proc stat: utime: %w", err)
	}
	st, err := num(12)
	if err != nil {
		return procStat{}, fmt.Errorf("proc stat: stime: %w", err)
	}
	start, err := num(19)
	if err != nil {
		return procStat{}, fmt.Errorf("proc stat: starttime: %w", err)
	}
	return procStat{comm: string(b[open+1 : end]), ppid: int(ppid), cpuTicks: ut + st, startTicks: start}, nil
}

func readProcStat(pid int) (procStat, error) {
	b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
	if err != nil {
		return procStat{}, err
	}
	return parseProcStat(b)
}

// serverSnapshot is the CPU time of each process of the cluster, keyed by
// pid and told apart from a later process with the same pid by start time.
type serverSnapshot map[int]procStat

// snapshotServer reads the postmaster and all its children: every backend
// and background process of the cluster.
func snapshotServer(postmaster int) (serverSnapshot, error) {
	if postmaster <= 0 {
		return nil, errors.New("server CPU: postmaster unknown")
	}
	pm, err := readProcStat(postmaster)
	if err != nil {
		return nil, fmt.Errorf("server CPU: %w", err)
	}
	snap := serverSnapshot{postmaster: pm}
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil, fmt.Errorf("server CPU: %w", err)
	}
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == postmaster {
			continue
		}
		st, err := readProcStat(pid)
		if err != nil || st.ppid != postmaster {
			continue // gone already, or not ours
		}
		snap[pid] = st
	}
	for pid, st := range snap {
		st.cpu = time.Duration(st.cpuTicks) * (time.Second / clockTicks)
		// utime and stime are whole ticks per process, and a pool of
		// 64 backends each busy for a few milliseconds would round to
		// nothing; schedstat has the same time in nanoseconds.
		if b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "schedstat")); err == nil {
			if ns, err := parseSchedstat(b); err == nil {
				st.cpu = ns
			}
		}
		snap[pid] = st
	}
	return snap, nil
}

// cpuSince is the CPU time the cluster's processes spent between before and
// s. A process that exited in between is left out: its last figures are gone
// with it, and the ones that exit during a measurement are the backends of
// the previous cell's connections, still shutting down. A process that
// started in between counts whole.
func (s serverSnapshot) cpuSince(before serverSnapshot) time.Duration {
	var d time.Duration
	for pid, now := range s {
		if was, ok := before[pid]; ok && was.startTicks == now.startTicks {
			d += now.cpu - was.cpu
		} else {
			d += now.cpu
		}
	}
	return d
}

// findPostmaster returns the postmaster of a server on this machine given the
// pid of one of its backends, or an error when that process is not visible
// here (a server on another host or in another pid namespace).
func findPostmaster(backend int) (int, error) {
	st, err := readProcStat(backend)
	if err != nil {
		return 0, err
	}
	if !strings.HasPrefix(st.comm, "postgres") {
		return 0, fmt.Errorf("pid %d is %q, not a postgres backend here", backend, st.comm)
	}
	pm, err := readProcStat(st.ppid)
	if err != nil {
		return 0, err
	}
	if !strings.HasPrefix(pm.comm, "postgres") {
		return 0, fmt.Errorf("parent %d of backend %d is %q", st.ppid, backend, pm.comm)
	}
	return st.ppid, nil
}

// peakRSS returns VmHWM, the process's peak resident set size, in bytes.
func peakRSS() (int64, error) {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0, err
	}
	defer f.Close()
	return parseVmHWM(f)
}

func parseVmHWM(r io.Reader) (int64, error) {
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			if err != nil {
				return 0, fmt.Errorf("VmHWM %q: %w", v, err)
			}
			return kb << 10, nil
		}
	}
	if err := sc.Err(); err != nil {
		return 0, err
	}
	return 0, errors.New("no VmHWM in /proc/self/status")
}

// mallocs returns the number of heap objects, and their bytes, allocated
// so far.
func mallocs() (objects, bytes uint64) {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.Mallocs, ms.TotalAlloc
}

// meter takes the readings before and after one measured section.
type meter struct {
	postmaster int
	start      time.Time
	cpu        time.Duration
	server     serverSnapshot
	serverErr  error
	allocs     uint64
	allocBytes uint64
}

// begin collects garbage left by earlier sections, so it is not charged to
// this one, and then takes the first readings.
func (m *meter) begin() {
	runtime.GC()
	m.server, m.serverErr = snapshotServer(m.postmaster)
	m.allocs, m.allocBytes = mallocs()
	m.cpu = clientCPU()
	m.start = time.Now()
}

// end takes the second readings and fills in r's costs for ops operations.
func (m *meter) end(r *Result, ops int64) {
	elapsed := time.Since(m.start)
	cpu := clientCPU() - m.cpu
	allocs, allocBytes := mallocs()
	allocs -= m.allocs
	allocBytes -= m.allocBytes
	server, serverErr := snapshotServer(m.postmaster)
	r.Ops = ops
	r.Seconds = elapsed.Seconds()
	if ops <= 0 {
		return
	}
	r.PerSecond = float64(ops) / elapsed.Seconds()
	r.AllocsPerOp = float64(allocs) / float64(ops)
	r.BytesPerOp = float64(allocBytes) / float64(ops)
	r.ClientCPUMsPer1k = cpu.Seconds() * 1e3 / float64(ops) * 1e3
	if m.serverErr == nil && serverErr == nil {
		v := server.cpuSince(m.server).Seconds() * 1e3 / float64(ops) * 1e3
		r.ServerCPUMsPer1k = &v
	}
}
