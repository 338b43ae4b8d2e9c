package futures_test

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"testing"
	"time"

	"github.com/pgactor/pgactor/futures"
)

// reports collects what armed futures report, by name.
type reports chan string

func (r reports) report(name string) { r <- name }

// failed returns a future resolved with an error and armed to report name.
// Built in a function of its own so that no stack slot of the test keeps
// it alive.
//
//go:noinline
func failed(r reports, name string, observe func(*futures.Future[int])) {
	f := futures.New[int]()
	f.Resolve(0, errors.New("boom: "+name))
	futures.ReportUnobserved(f, r.report, name)
	if observe != nil {
		observe(f)
	}
}

// collect runs garbage collections until every name in want was reported
// or a bounded time passed, then a few more, and returns what was reported.
func collect(t *testing.T, r reports, want ...string) map[string]int {
	t.Helper()
	got := map[string]int{}
	missing := func() bool {
		for _, w := range want {
			if got[w] == 0 {
				return true
			}
		}
		return false
	}
	deadline := time.Now().Add(10 * time.Second)
	extra := 5 // rounds after everything wanted arrived, for stray reports
	for extra > 0 && time.Now().Before(deadline) {
		runtime.GC()
		wait := time.After(20 * time.Millisecond)
	drain:
		for {
			select {
			case name := <-r:
				got[name]++
			case <-wait:
				break drain
			}
		}
		if !missing() {
			extra--
		}
	}
	if missing() {
		t.Fatalf("reported %v, want at least %v", got, want)
	}
	return got
}

func TestReportUnobserved(t *testing.T) {
	ctx := context.Background()
	r := make(reports, 64)
	observers := map[string]func(*futures.Future[int]){
		"Await":    func(f *futures.Future[int]) { f.Await(ctx) },
		"Done":     func(f *futures.Future[int]) { <-f.Done() },
		"Result":   func(f *futures.Future[int]) { f.Result() },
		"AwaitAll": func(f *futures.Future[int]) { futures.AwaitAll(ctx, f) },
	}
	for name, observe := range observers {
		failed(r, "observed by "+name, observe)
	}
	failed(r, "dropped", nil)
	failed(r, "dropped too", nil)
	got := collect(t, r, "dropped", "dropped too")
	for name := range observers {
		if n := got["observed by "+name]; n != 0 {
			t.Errorf("future observed by %s reported %d times", name, n)
		}
	}
	if got["dropped"] != 1 || got["dropped too"] != 1 {
		t.Errorf("reports %v, want one each for the dropped futures", got)
	}
}

// A future observed before it was resolved (someone waiting for it) is
// not armed at all; Result on a pending future reads nothing, so it does
// not count.
//
//go:noinline
func waitedThenFailed(r reports, name string) {
	f := futures.New[int]()
	done := make(chan struct{})
	go func() {
		defer close(done)
		f.Await(context.Background())
	}()
	for !f.Observed() {
		runtime.Gosched()
	}
	f.Resolve(0, errors.New("boom"))
	<-done
	futures.ReportUnobserved(f, r.report, name)
}

//go:noinline
func polledThenFailed(r reports, name string) {
	f := futures.New[int]()
	if _, _, ok := f.Result(); ok {
		panic("pending future has a result")
	}
	f.Resolve(0, errors.New("boom"))
	futures.ReportUnobserved(f, r.report, name)
}

func TestReportUnobservedOrder(t *testing.T) {
	r := make(reports, 64)
	waitedThenFailed(r, "waited")
	polledThenFailed(r, "polled while pending")
	got := collect(t, r, "polled while pending")
	if got["waited"] != 0 {
		t.Errorf("a future awaited before it failed was reported: %v", got)
	}
}

// Observation racing the arming: whichever comes second must disarm, so
// a future observed from another goroutine is never reported.
func TestReportUnobservedRace(t *testing.T) {
	r := make(reports, 256)
	for i := range 100 {
		raceOnce(r, fmt.Sprint("raced ", i))
	}
	failed(r, "control", nil)
	got := collect(t, r, "control")
	delete(got, "control")
	if len(got) != 0 {
		t.Fatalf("observed futures reported: %v", got)
	}
}

//go:noinline
func raceOnce(r reports, name string) {
	f := futures.New[int]()
	f.Resolve(0, errors.New("boom"))
	done := make(chan struct{})
	go func() {
		defer close(done)
		f.Result()
	}()
	futures.ReportUnobserved(f, r.report, name)
	<-done
}
