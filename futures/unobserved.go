package futures

import "runtime"

// Bits of Future.seen.
const (
	// observed: someone asked for the result (Await, Done, AwaitAll, or
	// Result once resolved).
	observed uint32 = 1 << iota
	// watched: ReportUnobserved armed a cleanup, stored in Future.cleanup.
	watched
	// waitedOn: someone waited while the future was pending (onWait ran).
	waitedOn
	// releasedTo: release took the value over.
	releasedTo
)

// setOnce sets bit in f.seen and reports whether this call set it.
func (f *Future[T]) setOnce(bit uint32) bool { return f.seen.Or(bit)&bit == 0 }

// observe marks f as observed and disarms a report armed by
// ReportUnobserved. After the first call it costs one atomic load.
func (f *Future[T]) observe() {
	if f.seen.Load()&observed != 0 {
		return
	}
	// Exactly one of observe and ReportUnobserved sees the other's bit,
	// and that one stops the cleanup.
	if old := f.seen.Or(observed); old&observed == 0 && old&watched != 0 {
		f.cleanup.Stop()
		runtime.KeepAlive(f) // f must stay reachable across Stop
	}
}

// Observed reports whether anyone has asked for f's result: waited for it
// (Await, Done, AwaitAll) or read it once resolved (Result).
func (f *Future[T]) Observed() bool { return f.seen.Load()&observed != 0 }

// ReportUnobserved arranges for report(arg) to run if f becomes garbage
// before anyone observed it (see Observed): for a failed command whose
// caller dropped the future, so that the error is not lost in silence.
// Call it once f holds its result; it does nothing when f was observed
// already, and observing f later cancels the report. report runs on a
// runtime goroutine some time after a garbage collection found f
// unreachable (never, if the program exits first) and must not block.
//
// Neither report nor arg may reach f, or f is never collected and the
// report never runs: copy into arg what the report needs (the error, a
// name), never the future or an object holding it. A report costs an
// allocation, so arm it only for futures that failed.
func ReportUnobserved[T, S any](f *Future[T], report func(S), arg S) {
	if f.seen.Load()&observed != 0 {
		return
	}
	f.cleanup = runtime.AddCleanup(f, report, arg)
	if f.seen.Or(watched)&observed != 0 {
		// Observed while the cleanup was being armed.
		f.cleanup.Stop()
	}
	runtime.KeepAlive(f)
}
