package actor

// DirectReads returns how many reads the loop made of the socket itself.
func DirectReads(a *Actor) uint64 { return a.directReads.Load() }

// ReadingDirect reports whether the loop is in a read of the socket itself.
func ReadingDirect(a *Actor) bool { return a.directReading.Load() }
