package futurecheck_test

import (
	"testing"

	"go.uber.org/goleak"
)

// The analysis driver loads packages with goroutines of its own; none may
// outlive the tests.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
