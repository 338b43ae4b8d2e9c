package actor_test

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/pgactor/pgactor/actor"
	"github.com/pgactor/pgactor/internal/pgtest"
	"github.com/pgactor/pgactor/wire"
)

// oneValue runs nothing: it reads the single text value of a completed
// one-row WantRows command.
func oneValue(t *testing.T, comp actor.Completion) string {
	t.Helper()
	if len(comp.Batch) != 1 {
		t.Fatalf("%d rows, want 1", len(comp.Batch))
	}
	vals, err := wire.ParseDataRow(comp.Batch[0].Data, nil)
	if err != nil || len(vals) != 1 {
		t.Fatalf("row %q: %v", vals, err)
	}
	return string(vals[0])
}

// waitInFlight waits until the actor has n commands on the wire.
func waitInFlight(t *testing.T, a *actor.Actor, n int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for a.InFlight() != n {
		if time.Now().After(deadline) {
			t.Fatalf("in flight %d, want %d", a.InFlight(), n)
		}
		time.Sleep(time.Millisecond)
	}
}

// TestWatchedFromSend: once the loop watches a context, commands sent on it
// are watched from Send, and a caller may await them without watching the
// context itself. When the context ends while they wait in the mailbox
// behind a full pipeline, each is answered at once with the context's
// error; the commands of other contexts queued among them keep their order
// and answer what their callers sent.
func TestWatchedFromSend(t *testing.T) {
	cfg := config(t, pgtest.Trust)
	cfg.MaxInFlight = 1
	a := connect(t, cfg)
	shared, cancel := context.WithCancel(context.Background())
	defer cancel()
	bg := context.Background()
	// A command on shared makes the loop watch it.
	if _, err := exec(shared, a, "SELECT 1"); err != nil {
		t.Fatal(err)
	}
	head := &actor.Command{Kind: actor.CmdSimple, SQL: "SELECT pg_sleep(0.6)"}
	a.Do(bg, head)
	waitInFlight(t, a, 1)

	var waiting, others []*actor.Command
	for i := range 24 {
		c := &actor.Command{Kind: actor.CmdSimple, SQL: fmt.Sprintf("SELECT %d", i), WantRows: true}
		a.Do(shared, c)
		if !c.ContextWatched() {
			t.Fatalf("command %d on a watched context is not watched after Send", i)
		}
		waiting = append(waiting, c)
		if i%3 == 0 {
			o := &actor.Command{Kind: actor.CmdSimple, SQL: fmt.Sprintf("SELECT %d", 1000+i), WantRows: true}
			a.Do(bg, o)
			others = append(others, o)
		}
	}
	start := time.Now()
	cancel()
	for i, c := range waiting {
		// Awaited without the context: the actor must answer.
		_, err := c.Result.Await(bg)
		if !errors.Is(err, actor.ErrCanceled) || !errors.Is(err, context.Canceled) {
			t.Fatalf("command %d: %v", i, err)
		}
	}
	if d := time.Since(start); d > 400*time.Millisecond {
		t.Fatalf("commands whose context ended were answered after %v, behind the running command", d)
	}
	if _, err := head.Result.Await(bg); err != nil {
		t.Fatal(err)
	}
	for j, o := range others {
		comp, err := o.Result.Await(bg)
		if err != nil {
			t.Fatal(err)
		}
		if got, want := oneValue(t, comp), strconv.Itoa(1000+3*j); got != want {
			t.Fatalf("other command %d answered %s, want %s", j, got, want)
		}
	}
	// The connection goes on as before.
	comp, err := exec(bg, a, "SELECT 42")
	if err != nil || comp.Tag != "SELECT 1" {
		t.Fatalf("after: %v %v", comp, err)
	}
	if a.Queued() != 0 {
		t.Fatalf("%d commands still queued", a.Queued())
	}
}

// TestWatchedFromSendRace: goroutines keep sending on contexts that end at
// random moments, through a pipeline of two; every command is answered,
// awaited without its context, with its own value or its context's error.
func TestWatchedFromSendRace(t *testing.T) {
	cfg := config(t, pgtest.Trust)
	cfg.MaxInFlight = 2
	cfg.MailboxSize = 16
	a := connect(t, cfg)
	bg := context.Background()
	var wg sync.WaitGroup
	for round := range 30 {
		ctx, cancel := context.WithCancel(bg)
		if _, err := exec(ctx, a, "SELECT 1"); err != nil {
			t.Fatal(err)
		}
		for g := range 8 {
			wg.Go(func() {
				for i := range 6 {
					v := round*1000 + g*10 + i
					c := &actor.Command{Kind: actor.CmdSimple, SQL: fmt.Sprintf("SELECT %d", v), WantRows: true}
					if err := a.Send(ctx, c); err != nil {
						if !errors.Is(err, context.Canceled) {
							t.Errorf("send: %v", err)
						}
						return
					}
					done := make(chan struct{})
					var comp actor.Completion
					var err error
					go func() { comp, err = c.Result.Await(bg); close(done) }()
					select {
					case <-done:
					case <-time.After(10 * time.Second):
						t.Errorf("command %d never answered (watched %v, context %v)", v, c.ContextWatched(), ctx.Err())
						return
					}
					switch {
					case err == nil:
						if len(comp.Batch) != 1 {
							t.Errorf("command %d: %d rows", v, len(comp.Batch))
							return
						}
						vals, perr := wire.ParseDataRow(comp.Batch[0].Data, nil)
						if perr != nil || string(vals[0]) != strconv.Itoa(v) {
							t.Errorf("command %d answered %q (%v)", v, vals, perr)
						}
					case !errors.Is(err, context.Canceled):
						t.Errorf("command %d: %v", v, err)
					}
				}
			})
		}
		time.Sleep(time.Duration(round%5) * 300 * time.Microsecond)
		cancel()
		wg.Wait()
	}
	comp, err := exec(bg, a, "SELECT 7")
	if err != nil || comp.Tag != "SELECT 1" {
		t.Fatalf("after: %v %v", comp, err)
	}
}

// TestCancelBeforeTaken: a command its caller cancels (Cancel, its context
// alive) while it waits in the mailbox is answered with ErrCanceled once
// the loop reaches it, and never runs.
func TestCancelBeforeTaken(t *testing.T) {
	cfg := config(t, pgtest.Trust)
	cfg.MaxInFlight = 1
	a := connect(t, cfg)
	bg := context.Background()
	head := &actor.Command{Kind: actor.CmdSimple, SQL: "SELECT pg_sleep(0.2)"}
	a.Do(bg, head)
	waitInFlight(t, a, 1)
	c := &actor.Command{Kind: actor.CmdSimple, SQL: "SELECT set_config('pgactor.ran', 'yes', false)"}
	a.Do(bg, c)
	a.Cancel(c)
	if _, err := c.Result.Await(bg); !errors.Is(err, actor.ErrCanceled) {
		t.Fatalf("canceled before it was taken: %v", err)
	}
	if _, err := head.Result.Await(bg); err != nil {
		t.Fatal(err)
	}
	ran := &actor.Command{Kind: actor.CmdSimple, SQL: "SELECT coalesce(current_setting('pgactor.ran', true), 'no')", WantRows: true}
	a.Do(bg, ran)
	comp, err := ran.Result.Await(bg)
	if err != nil {
		t.Fatal(err)
	}
	if got := oneValue(t, comp); got != "no" && got != "" {
		t.Fatalf("the canceled command ran: pgactor.ran = %q", got)
	}
}
