package actor

import "time"

// DirectReads returns how many reads the loop made of the socket itself.
func DirectReads(a *Actor) uint64 { return a.directReads.Load() }

// ReadingDirect reports whether the loop is in a read of the socket itself.
func ReadingDirect(a *Actor) bool { return a.directReading.Load() }

// NoLinger makes the actor of cfg write commands behind a long-running head
// as they come, for scripted backends that read every command before they
// answer any: with lingering, a command arriving a millisecond after the
// head would wait for an answer the script gives only once it was read.
func NoLinger(cfg *Config) { cfg.lingerAfter = -1 }

// Linger asks for lingering as the default has it (fakeActor turns it off
// unless asked), for tests of what it holds back.
func Linger(cfg *Config) { cfg.lingerAfter = defaultLingerAfter }

// LingerAfter asks for lingering after d.
func LingerAfter(cfg *Config, d time.Duration) { cfg.lingerAfter = d }

// LingerChosen reports whether NoLinger or Linger was applied to cfg.
func LingerChosen(cfg Config) bool { return cfg.lingerAfter != 0 }

// CancelRetryAfter makes a cancel the server acted on be sent again after
// d while its command still runs.
func CancelRetryAfter(cfg *Config, d time.Duration) { cfg.cancelRetryAfter = d }

// IdleWatchAfter makes an idle connection's socket go unread for d before
// the reader watches it: tests of the loop's own reads keep the reader
// away from the socket between their commands.
func IdleWatchAfter(cfg *Config, d time.Duration) { cfg.idleWatchAfter = d }
