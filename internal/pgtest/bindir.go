package pgtest

import (
	"cmp"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// debianBinGlob is where Debian and Ubuntu install each major version's
// server binaries side by side.
const debianBinGlob = "/usr/lib/postgresql/*/bin"

// installHint ends every error about missing binaries.
const installHint = `install the Debian/Ubuntu package "postgresql" (apt-get install postgresql), ` +
	`or set PG_BINDIR to a directory holding initdb and postgres, ` +
	`or set ` + EnvDSN + ` to use an existing server`

// missingBinaries is the one message a machine without a server gets.
const missingBinaries = "pgtest: no PostgreSQL server binaries (initdb, postgres) found in PG_BINDIR, " +
	debianBinGlob + " or PATH: " + installHint

// binaries are the programs the harness runs.
type binaries struct {
	dir      string // holds initdb and postgres
	initdb   string
	postgres string
	psql     string // empty when there is none; only Exec needs it
}

// findBinaries locates the server binaries: explicit (WithBinDir), else
// $PG_BINDIR, else the newest directory matching glob, else PATH.
func findBinaries(explicit, env, glob string, lookPath func(string) (string, error)) (binaries, error) {
	dir, err := locateBinDir(explicit, env, glob, lookPath)
	if err != nil {
		return binaries{}, err
	}
	b := binaries{
		dir:      dir,
		initdb:   filepath.Join(dir, "initdb"),
		postgres: filepath.Join(dir, "postgres"),
	}
	if p := filepath.Join(dir, "psql"); isExecutable(p) {
		b.psql = p
	} else if p, err := lookPath("psql"); err == nil {
		b.psql = p
	}
	return b, nil
}

func locateBinDir(explicit, env, glob string, lookPath func(string) (string, error)) (string, error) {
	for _, named := range []struct{ dir, source string }{{explicit, "WithBinDir"}, {env, "PG_BINDIR"}} {
		if named.dir == "" {
			continue
		}
		if !hasServer(named.dir) {
			return "", fmt.Errorf("pgtest: %s=%s holds no initdb and postgres: %s", named.source, named.dir, installHint)
		}
		return named.dir, nil
	}
	if dir := newestBinDir(glob); dir != "" {
		return dir, nil
	}
	if initdb, err := lookPath("initdb"); err == nil {
		// initdb runs the postgres that sits beside it, so the directory
		// that matters is the one the (possibly symlinked) initdb lives in.
		if real, err := filepath.EvalSymlinks(initdb); err == nil {
			initdb = real
		}
		if dir := filepath.Dir(initdb); hasServer(dir) {
			return dir, nil
		}
	}
	return "", errors.New(missingBinaries)
}

// newestBinDir returns the directory matching glob whose version (the
// path element the wildcard stands for, such as "15" or "9.6") is highest
// and that holds a server, or "".
func newestBinDir(glob string) string {
	dirs, _ := filepath.Glob(glob)
	type candidate struct {
		dir     string
		version []int
	}
	var cands []candidate
	for _, d := range dirs {
		if !hasServer(d) {
			continue
		}
		cands = append(cands, candidate{d, parseVersion(filepath.Base(filepath.Dir(d)))})
	}
	if len(cands) == 0 {
		return ""
	}
	return slices.MaxFunc(cands, func(a, b candidate) int {
		return cmp.Or(slices.Compare(a.version, b.version), strings.Compare(a.dir, b.dir))
	}).dir
}

// parseVersion turns "9.6" into [9 6]; a part that is not a number counts
// as -1, so odd names sort below real versions.
func parseVersion(s string) []int {
	var v []int
	for _, part := range strings.Split(s, ".") {
		n, err := strconv.Atoi(part)
		if err != nil {
			n = -1
		}
		v = append(v, n)
	}
	return v
}

func hasServer(dir string) bool {
	return isExecutable(filepath.Join(dir, "initdb")) && isExecutable(filepath.Join(dir, "postgres"))
}

func isExecutable(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.Mode().IsRegular() && fi.Mode().Perm()&0o111 != 0
}
