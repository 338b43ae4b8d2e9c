package futurecheck_test

import (
	"path/filepath"
	"testing"

	"golang.org/x/tools/go/analysis/analysistest"

	"github.com/pgactor/pgactor/examples/futurecheck"
)

// TestAnalyzer runs the check on testdata/mod, a module that imports the
// real pgactor packages (through a replace of the repository root): the
// lines marked "want" must be reported with those messages, and no other.
func TestAnalyzer(t *testing.T) {
	dir, err := filepath.Abs(filepath.Join("testdata", "mod"))
	if err != nil {
		t.Fatal(err)
	}
	analysistest.Run(t, dir, futurecheck.Analyzer, "./...")
}
