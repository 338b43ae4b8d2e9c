package pgtest

import "time"

// Internals the external tests reach.
var (
	ExternalParams  = externalParams
	MissingBinaries = missingBinaries
	MaxSocketPath   = maxSocketPath
)

// RunMain is Main without os.Exit; run stands for m.Run.
func RunMain(run func() int, c **Cluster, opts ...Option) int { return runMain(run, c, opts) }

// Binaries is what FindBinaries found.
type Binaries struct{ Dir, Initdb, Postgres, Psql string }

// FindBinaries searches like Start does, with the search inputs given.
func FindBinaries(explicit, env, glob string, lookPath func(string) (string, error)) (Binaries, error) {
	b, err := findBinaries(explicit, env, glob, lookPath)
	return Binaries{b.dir, b.initdb, b.postgres, b.psql}, err
}

// EnsureOSUser looks up or creates an OS user and returns its uid.
func EnsureOSUser(name string, patience time.Duration) (string, error) {
	u, err := ensureOSUser(name, patience)
	if err != nil {
		return "", err
	}
	return u.Uid, nil
}
