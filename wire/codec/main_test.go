package codec_test

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain checks that tests leave no goroutines behind (TestConcurrentUse
// starts some).
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
