// Command futurecheck reports pgactor futures dropped without being
// awaited. Run it alone or as a vet tool:
//
//	futurecheck ./...
//	go vet -vettool=$(which futurecheck) ./...
package main

import (
	"golang.org/x/tools/go/analysis/singlechecker"

	"github.com/pgactor/pgactor/examples/futurecheck"
)

func main() { singlechecker.Main(futurecheck.Analyzer) }
