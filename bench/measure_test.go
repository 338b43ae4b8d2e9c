package main_test

import (
	"strings"
	"testing"
	"time"

	bench "github.com/pgactor/pgactor/bench"
)

func TestParseProcStat(t *testing.T) {
	// Fields after the name: state ppid pgrp session tty tpgid flags minflt
	// cminflt majflt cmajflt utime stime cutime cstime priority nice
	// num_threads itrealvalue starttime ...
	tail := " S 4242 4242 4242 0 -1 4194560 100 0 0 0 17 5 0 0 20 0 1 0 987654 221184000 7000"
	tests := []struct {
		name, in     string
		comm         string
		ppid         int
		ticks, start int64
		wantErr      bool
	}{
		{name: "plain", in: "1234 (postgres)" + tail, comm: "postgres", ppid: 4242, ticks: 22, start: 987654},
		{name: "name with spaces and parentheses", in: "1234 (postgres: trust_user pgactor 127.0.0.1(5432) idle)" + tail,
			comm: "postgres: trust_user pgactor 127.0.0.1(5432) idle", ppid: 4242, ticks: 22, start: 987654},
		{name: "no name", in: "1234 postgres" + tail, wantErr: true},
		{name: "truncated", in: "1234 (postgres) S 4242 4242", wantErr: true},
		{name: "not a number", in: "1234 (postgres) S x" + tail[8:], wantErr: true},
		{name: "empty", in: "", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			comm, ppid, ticks, start, err := bench.ProcStatFields([]byte(tt.in))
			if tt.wantErr {
				if err == nil {
					t.Fatalf("parsed %q without error", tt.in)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if comm != tt.comm || ppid != tt.ppid || ticks != tt.ticks || start != tt.start {
				t.Errorf("got comm %q ppid %d ticks %d start %d, want %q %d %d %d",
					comm, ppid, ticks, start, tt.comm, tt.ppid, tt.ticks, tt.start)
			}
		})
	}
}

func TestParseSchedstat(t *testing.T) {
	tests := []struct {
		in      string
		want    time.Duration
		wantErr bool
	}{
		{in: "18990290 137454531 87\n", want: 18990290},
		{in: "0 0 0", want: 0},
		{in: "", wantErr: true},
		{in: "abc 1 2", wantErr: true},
	}
	for _, tt := range tests {
		got, err := bench.ParseSchedstat([]byte(tt.in))
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("ParseSchedstat(%q) = %v, %v; want %v, error %v", tt.in, got, err, tt.want, tt.wantErr)
		}
	}
}

func TestParseVmHWM(t *testing.T) {
	tests := []struct {
		in      string
		want    int64
		wantErr bool
	}{
		{in: "Name:\tbench\nVmPeak:\t  100000 kB\nVmHWM:\t   20480 kB\nVmRSS:\t 1000 kB\n", want: 20480 << 10},
		{in: "Name:\tbench\nVmRSS:\t 1000 kB\n", wantErr: true},
		{in: "VmHWM:\t lots kB\n", wantErr: true},
	}
	for _, tt := range tests {
		got, err := bench.ParseVmHWM(strings.NewReader(tt.in))
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("ParseVmHWM(%q) = %d, %v; want %d, error %v", tt.in, got, err, tt.want, tt.wantErr)
		}
	}
}

// FuzzParseProcStat: any bytes give fields or an error, never a panic, and a
// command name found is the text between the first '(' and the last ')'.
func FuzzParseProcStat(f *testing.F) {
	f.Add([]byte("1234 (postgres) S 4242 4242 4242 0 -1 4194560 100 0 0 0 17 5 0 0 20 0 1 0 987654 221184000 7000"))
	f.Add([]byte("1 (a) b) S 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20"))
	f.Add([]byte(")("))
	f.Add([]byte("("))
	f.Fuzz(func(t *testing.T, b []byte) {
		comm, _, _, _, err := bench.ProcStatFields(b)
		if err != nil {
			return
		}
		s := string(b)
		open, end := strings.IndexByte(s, '('), strings.LastIndexByte(s, ')')
		if open < 0 || end < open || comm != s[open+1:end] {
			t.Fatalf("comm %q from %q", comm, s)
		}
	})
}
