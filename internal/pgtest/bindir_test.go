package pgtest_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pgactor/pgactor/internal/pgtest"
)

// fakeBinDir makes dir holding executables with the given names.
func fakeBinDir(t *testing.T, dir string, names ...string) string {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, n := range names {
		if err := os.WriteFile(filepath.Join(dir, n), []byte("#!/bin/sh\n"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestFindBinaries(t *testing.T) {
	root := t.TempDir()
	server := []string{"initdb", "postgres"}
	withPsql := append(server, "psql")
	explicit := fakeBinDir(t, filepath.Join(root, "explicit"), withPsql...)
	env := fakeBinDir(t, filepath.Join(root, "env"), server...)
	empty := fakeBinDir(t, filepath.Join(root, "empty"))
	// A Debian-style tree: the newest complete version wins, by number.
	debian := filepath.Join(root, "debian")
	for _, v := range []string{"9.6", "10", "15"} {
		fakeBinDir(t, filepath.Join(debian, v, "bin"), withPsql...)
	}
	fakeBinDir(t, filepath.Join(debian, "16", "bin"), "initdb") // no postgres: skipped
	fakeBinDir(t, filepath.Join(debian, "beta", "bin"), server...)
	glob := filepath.Join(debian, "*", "bin")
	// initdb on PATH is a symlink, as distributions like to make it.
	pathBin := fakeBinDir(t, filepath.Join(root, "path", "bin"))
	real := fakeBinDir(t, filepath.Join(root, "path", "lib", "pg"), server...)
	if err := os.Symlink(filepath.Join(real, "initdb"), filepath.Join(pathBin, "initdb")); err != nil {
		t.Fatal(err)
	}
	psqlOnPath := fakeBinDir(t, filepath.Join(root, "path", "client"), "psql")

	lookIn := func(dirs ...string) func(string) (string, error) {
		return func(name string) (string, error) {
			for _, d := range dirs {
				if p := filepath.Join(d, name); fileExists(p) {
					return p, nil
				}
			}
			return "", errors.New("not found")
		}
	}
	noGlob := filepath.Join(root, "nothing", "*", "bin")

	tests := []struct {
		name             string
		explicit, env    string
		glob             string
		look             func(string) (string, error)
		wantDir, wantPsq string
		wantErr          string
	}{
		{"explicit first", explicit, env, glob, lookIn(), explicit, filepath.Join(explicit, "psql"), ""},
		{"explicit without server", empty, env, glob, lookIn(), "", "", "WithBinDir=" + empty + " holds no initdb"},
		{"PG_BINDIR", "", env, glob, lookIn(psqlOnPath), env, filepath.Join(psqlOnPath, "psql"), ""},
		{"PG_BINDIR without server", "", empty, glob, lookIn(), "", "", "PG_BINDIR=" + empty + " holds no initdb"},
		{"newest Debian version", "", "", glob, lookIn(), filepath.Join(debian, "15", "bin"), filepath.Join(debian, "15", "bin", "psql"), ""},
		{"PATH, through a symlink", "", "", noGlob, lookIn(pathBin, psqlOnPath), real, filepath.Join(psqlOnPath, "psql"), ""},
		{"no psql anywhere", "", env, glob, lookIn(), env, "", ""},
		{"nothing", "", "", noGlob, lookIn(psqlOnPath), "", "", pgtest.MissingBinaries},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := pgtest.FindBinaries(tt.explicit, tt.env, tt.glob, tt.look)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !strings.Contains(err.Error(), "apt-get install postgresql") {
					t.Fatalf("err = %v, want one with %q and the package to install", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			want := pgtest.Binaries{Dir: tt.wantDir, Initdb: filepath.Join(tt.wantDir, "initdb"), Postgres: filepath.Join(tt.wantDir, "postgres"), Psql: tt.wantPsq}
			if b != want {
				t.Fatalf("got %+v\nwant %+v", b, want)
			}
		})
	}
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}
