package actor_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/pgactor/pgactor/actor"
	"github.com/pgactor/pgactor/internal/pgtest"
)

// TestCancelSparesBystander: a command written behind a command whose
// caller gives up may start before a CancelRequest would arrive, so none
// is sent: the first runs to its end, unseen, and the second gets its own
// answer. (Without this rule the server stopped the second one with
// "canceling statement due to user request".)
func TestCancelSparesBystander(t *testing.T) {
	cfg := config(t, pgtest.Trust)
	// Lingering would hold the second command back once the first has run
	// a millisecond (a busy machine may take that long between the two
	// sends), and a cancel could then go out: that is TestLingeringHeadCancelled.
	actor.NoLinger(&cfg)
	a := connect(t, cfg)
	tok := holder(t, a) // a holder's commands go out at once
	ctx, cancel := context.WithCancel(context.Background())
	sleep := &actor.Command{Kind: actor.CmdSimple, SQL: "SELECT pg_sleep(0.3)", Owner: tok}
	a.Do(ctx, sleep)
	other := &actor.Command{Kind: actor.CmdQuery, SQL: "SELECT $1::text", Args: []any{"other"}, Owner: tok, Rows: actor.NewRowStream(4)}
	a.Do(context.Background(), other)
	waitFor(t, func() bool { return a.InFlight() >= 2 })
	start := time.Now()
	cancel()
	if _, err := sleep.Result.Await(context.Background()); !errors.Is(err, context.Canceled) {
		t.Fatalf("the command given up: %v", err)
	}
	if d := time.Since(start); d > 200*time.Millisecond {
		t.Fatalf("its caller waited %v", d)
	}
	if got, err := firstValue(t, other); got != "other" || err != nil {
		t.Fatalf("the command behind: %q, %v", got, err)
	}
	if d := time.Since(start); d < 150*time.Millisecond {
		t.Fatalf("the command behind was answered after %v: the sleep was stopped", d)
	}
	if n := a.CancelsSent(); n != 0 {
		t.Fatalf("%d CancelRequests sent", n)
	}
	letGo(a, tok)
	if rows, _, err := query(context.Background(), a, "SELECT 'after'"); err != nil || rows[0] != "after" {
		t.Fatalf("after: %v %v", rows, err)
	}
}

// TestLingeringHeadCancelled: commands that come while the server has run
// a command for a while wait unwritten behind it, so that a cancel of it
// stops nothing else; they go out once it ended.
func TestLingeringHeadCancelled(t *testing.T) {
	a := connect(t, config(t, pgtest.Trust))
	ctx, cancel := context.WithCancel(context.Background())
	sleep := &actor.Command{Kind: actor.CmdSimple, SQL: "SELECT pg_sleep(60)"}
	a.Do(ctx, sleep)
	waitFor(t, func() bool { return a.InFlight() == 1 })
	time.Sleep(20 * time.Millisecond)
	var behind []*actor.Command
	for i := range 10 {
		behind = append(behind, simple(a, context.Background(), fmt.Sprintf("SELECT '%d'", i)))
	}
	waitFor(t, func() bool { return a.InFlight() == 11 })
	start := time.Now()
	cancel()
	if _, err := sleep.Result.Await(context.Background()); !errors.Is(err, context.Canceled) {
		t.Fatalf("canceled: %v", err)
	}
	for i, c := range behind {
		if got, err := firstValue(t, c); err != nil || got != fmt.Sprint(i) {
			t.Fatalf("command %d behind: %q %v", i, got, err)
		}
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Fatalf("the commands behind waited %v: the sleep was not stopped", d)
	}
	if n := a.CancelsSent(); n != 1 {
		t.Fatalf("%d CancelRequests sent, want 1", n)
	}
}
