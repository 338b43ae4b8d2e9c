package pgtest_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/pgactor/pgactor/internal/pgtest"
)

// TestStandby follows a write from the primary to a hot standby, sees the
// standby refuse writes and serializable transactions, then promotes it.
func TestStandby(t *testing.T) {
	cluster.RequireLocal(t, "a standby of its own")
	primary, err := pgtest.Start()
	if err != nil {
		t.Fatal(err)
	}
	defer primary.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if _, err := primary.Exec(ctx, "CREATE TABLE t (v int); INSERT INTO t VALUES (41)"); err != nil {
		t.Fatal(err)
	}
	standby, err := primary.StartStandby()
	if err != nil {
		t.Fatal(err)
	}
	defer standby.Close()
	if standby.Port == primary.Port || standby.DataDir == primary.DataDir {
		t.Fatalf("standby shares the primary's port or data: %d %s", standby.Port, standby.DataDir)
	}
	if out, err := standby.Exec(ctx, "SELECT pg_is_in_recovery(), (SELECT v FROM t)"); err != nil || out != "t|41" {
		t.Fatalf("standby: %q, %v; want t|41", out, err)
	}

	// A row written after the backup arrives by streaming.
	if _, err := primary.Exec(ctx, "INSERT INTO t VALUES (42)"); err != nil {
		t.Fatal(err)
	}
	var out string
	for deadline := time.Now().Add(20 * time.Second); ; {
		out, err = standby.Exec(ctx, "SELECT count(*) FROM t WHERE v = 42")
		if err == nil && out == "1" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("row 42 never reached the standby: %q, %v", out, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	for _, sql := range []string{"INSERT INTO t VALUES (1)", "BEGIN ISOLATION LEVEL SERIALIZABLE"} {
		if _, err := standby.Exec(ctx, sql); err == nil || !strings.Contains(err.Error(), "read-only") && !strings.Contains(err.Error(), "hot standby") {
			t.Errorf("%s on the standby: %v; want a refusal", sql, err)
		}
	}

	if err := primary.Kill(); err != nil {
		t.Fatal(err)
	}
	if err := standby.Promote(ctx); err != nil {
		t.Fatal(err)
	}
	if out, err := standby.Exec(ctx, "INSERT INTO t VALUES (43); SELECT pg_is_in_recovery(), count(*) FROM t"); err != nil || out != "f|3" {
		t.Fatalf("promoted: %q, %v; want f|3", out, err)
	}
}
