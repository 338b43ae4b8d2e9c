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

// The loop reads the socket itself while it waits for nothing but the
// server. These tests hold it in that read (one long command in flight)
// and check that everything that must reach it then still does: a cancel,
// a kill, commands from other goroutines; and that an idle connection's
// socket is still watched.

// sleepingActor returns an actor whose loop is reading the socket itself,
// waiting for cmd, a pg_sleep of secs seconds sent with ctx.
func sleepingActor(t *testing.T, ctx context.Context, secs float64) (*actor.Actor, *actor.Command) {
	t.Helper()
	cfg := config(t, pgtest.Trust)
	// On a busy machine the gap between the two commands below can pass
	// the default 200 µs, and the reader, watching the idle socket, would
	// then read the sleep's answer instead of the loop.
	actor.IdleWatchAfter(&cfg, time.Hour)
	a := connect(t, cfg)
	if _, err := exec(context.Background(), a, "SELECT 1"); err != nil {
		t.Fatal(err)
	}
	cmd := &actor.Command{Kind: actor.CmdSimple, SQL: fmt.Sprintf("SELECT pg_sleep(%g)", secs)}
	a.Do(ctx, cmd)
	waitFor(t, func() bool { return a.InFlight() == 1 && actor.ReadingDirect(a) })
	return a, cmd
}

func TestDirectReadCanceled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	a, sleep := sleepingActor(t, ctx, 60)
	start := time.Now()
	cancel()
	if _, err := sleep.Result.Await(context.Background()); !errors.Is(err, context.Canceled) {
		t.Fatalf("canceled command: %v", err)
	}
	if rows, _, err := query(context.Background(), a, "SELECT 'after'"); err != nil || rows[0] != "after" {
		t.Fatalf("after the cancel: %v %v", rows, err)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Fatalf("cancel and the next query took %v: the server kept sleeping", d)
	}
	if a.CancelsSent() == 0 {
		t.Fatal("no CancelRequest was sent")
	}
}

func TestDirectReadCloseDeadline(t *testing.T) {
	a, sleep := sleepingActor(t, context.Background(), 60)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	if err := a.Close(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Close: %v", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("Close took %v", d)
	}
	if _, err := sleep.Result.Await(context.Background()); !errors.Is(err, actor.ErrClosed) {
		t.Fatalf("the command cut off: %v", err)
	}
}

func TestDirectReadCommandsFromOthers(t *testing.T) {
	a, sleep := sleepingActor(t, context.Background(), 0.3)
	errs := make(chan error, 20)
	for i := range 20 {
		go func() {
			rows, _, err := query(context.Background(), a, "SELECT $1::int8 * 3", int64(i))
			if err == nil && (len(rows) != 1 || rows[0] != fmt.Sprint(i*3)) {
				err = fmt.Errorf("query %d: got %v", i, rows)
			}
			errs <- err
		}()
	}
	for range 20 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	if _, err := sleep.Result.Await(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// TestIdleSocketWatched: a connection with nothing in flight still sees
// the server go away (through the reader, after defaultIdleWatchAfter).
func TestIdleSocketWatched(t *testing.T) {
	if cluster.External {
		t.Skip("needs pg_terminate_backend on the harness's own server")
	}
	a := connect(t, config(t, pgtest.Trust))
	for range 3 {
		if _, err := exec(context.Background(), a, "SELECT 1"); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := cluster.Exec(context.Background(), fmt.Sprintf("SELECT pg_terminate_backend(%d)", a.BackendPID())); err != nil {
		t.Fatal(err)
	}
	select {
	case <-a.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("an idle actor did not notice its server going away")
	}
	if a.Alive() {
		t.Fatal("actor reports alive")
	}
}

// TestQueuedBehindLongQueryCanceled: a command sent while the loop reads
// the socket itself, behind a query that runs long, is still taken by the
// loop (its context watched): its context ending answers it at once, not
// when the long query ends.
func TestQueuedBehindLongQueryCanceled(t *testing.T) {
	sleepCtx, stopSleep := context.WithCancel(context.Background())
	defer stopSleep()
	a, sleep := sleepingActor(t, sleepCtx, 60)
	ctx, cancel := context.WithCancel(context.Background())
	behind := &actor.Command{Kind: actor.CmdQuery, SQL: "SELECT $1::int8", Args: []any{int64(1)}}
	a.Do(ctx, behind)
	waitFor(t, func() bool { return a.InFlight() >= 2 }) // taken: its Prepare, or itself, is the loop's
	start := time.Now()
	cancel()
	if _, err := behind.Result.Await(context.Background()); !errors.Is(err, context.Canceled) {
		t.Fatalf("the command behind: %v", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("answered after %v: it waited for the long query", d)
	}
	stopSleep()
	if _, err := sleep.Result.Await(context.Background()); !errors.Is(err, context.Canceled) {
		t.Fatalf("the long query: %v", err)
	}
	if rows, _, err := query(context.Background(), a, "SELECT 'after'"); err != nil || rows[0] != "after" {
		t.Fatalf("after: %v %v", rows, err)
	}
}

// TestSharedContextEnds: commands sharing one context share the loop's
// watch of it; its end answers every one of them that was not answered,
// in flight or queued, and none of the commands of another context.
func TestSharedContextEnds(t *testing.T) {
	cfg := config(t, pgtest.Trust)
	actor.IdleWatchAfter(&cfg, time.Hour) // as in sleepingActor
	a := connect(t, cfg)
	shared, cancel := context.WithCancel(context.Background())
	other, stopOther := context.WithCancel(context.Background())
	defer stopOther()
	// Answered before the end: the watch outlives them, idle.
	for i := range 5 {
		if _, _, err := query(shared, a, "SELECT $1::int8", int64(i)); err != nil {
			t.Fatal(err)
		}
	}
	sleep := &actor.Command{Kind: actor.CmdSimple, SQL: "SELECT pg_sleep(60)"}
	a.Do(shared, sleep)
	// The commands below come once the sleep has run a while, so none is
	// written behind it and its cancel can stop nothing else.
	waitFor(t, func() bool { return actor.ReadingDirect(a) })
	time.Sleep(20 * time.Millisecond)
	var mine, theirs []*actor.Command
	for i := range 20 {
		c := &actor.Command{Kind: actor.CmdQuery, SQL: "SELECT $1::int8", Args: []any{int64(i)}}
		a.Do(shared, c)
		mine = append(mine, c)
		o := &actor.Command{Kind: actor.CmdQuery, SQL: "SELECT $1::int8 + 1", Args: []any{int64(i)}}
		a.Do(other, o)
		theirs = append(theirs, o)
	}
	waitFor(t, func() bool { return a.InFlight() >= 2 })
	start := time.Now()
	cancel()
	for i, c := range append([]*actor.Command{sleep}, mine...) {
		if _, err := c.Result.Await(context.Background()); !errors.Is(err, context.Canceled) {
			t.Fatalf("command %d of the ended context: %v", i, err)
		}
	}
	for i, o := range theirs {
		if _, err := o.Result.Await(context.Background()); err != nil {
			t.Fatalf("command %d of another context: %v", i, err)
		}
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Fatalf("took %v", d)
	}
}
