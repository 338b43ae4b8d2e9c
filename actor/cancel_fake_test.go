package actor_test

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"

	"github.com/pgactor/pgactor/actor"
	"github.com/pgactor/pgactor/internal/fakepg"
	"github.com/pgactor/pgactor/wire"
)

// The server acts on a CancelRequest by interrupting whatever it runs when
// the signal arrives. These tests script the server to check that a cancel
// goes out only when it can stop nothing but its own command, and that
// nothing is written while one is on its way.

// silent reports whether nothing arrives on c for a while.
func silent(c *backend, d time.Duration) bool {
	c.c.SetReadDeadline(time.Now().Add(d))
	var b [1]byte
	n, err := c.c.Read(b[:])
	c.c.SetReadDeadline(time.Time{})
	return n == 0 && err != nil
}

// noDial reports whether no connection is dialed for a while.
func noDial(d *pipeDialer, wait time.Duration) bool {
	select {
	case c := <-d.conns:
		c.Close()
		return false
	case <-time.After(wait):
		return true
	}
}

// TestFakeNoCancelWithBystanderBehind: a command whose caller gives up
// while another caller's command is written behind it is not cancelled: a
// cancel that arrived after it ended would stop the other one. Its caller
// is answered at once; the server's answer to it is discarded.
func TestFakeNoCancelWithBystanderBehind(t *testing.T) {
	a, d, b := fakeActor(t, actor.Config{})
	ctx, cancel := context.WithCancel(context.Background())
	tok := holder(t, a) // both go out at once, no coalescing
	slow := owned(a, ctx, tok, "slow")
	other := owned(a, context.Background(), tok, "other")
	b.query()
	b.query()
	cancel()
	if _, err := slow.Result.Await(context.Background()); !errors.Is(err, context.Canceled) {
		t.Fatalf("slow: %v", err)
	}
	if !noDial(d, 200*time.Millisecond) {
		t.Fatal("a CancelRequest was sent with another command on the wire behind its target")
	}
	b.write(answer("slow"))
	b.write(answer("other"))
	if got, err := firstValue(t, other); got != "other" || err != nil {
		t.Fatalf("other: %q %v", got, err)
	}
	if n := a.CancelsSent(); n != 0 {
		t.Fatalf("%d cancels sent", n)
	}
	letGo(a, tok)
}

// cancelledAlone runs "slow" for a holder, alone on the wire, and cancels
// it: its caller is answered, and the CancelRequest arrives on cb, which
// the test closes when the server has acted on it.
func cancelledAlone(t *testing.T) (a *actor.Actor, b, cb *backend, tok actor.Token) {
	t.Helper()
	var cfg actor.Config
	a, _, b, cb, tok = cancelledAloneWith(t, cfg)
	return a, b, cb, tok
}

// cancelledAloneWith is cancelledAlone on an actor of cfg (lingering on),
// also returning the dialer later CancelRequests arrive on.
func cancelledAloneWith(t *testing.T, cfg actor.Config) (a *actor.Actor, d *pipeDialer, b, cb *backend, tok actor.Token) {
	t.Helper()
	actor.Linger(&cfg) // nothing goes out behind "slow" once it has run a while
	a, d, b = fakeActor(t, cfg)
	ctx, cancel := context.WithCancel(context.Background())
	tok = holder(t, a)
	slow := owned(a, ctx, tok, "slow")
	b.query()
	time.Sleep(20 * time.Millisecond) // "slow" has run past lingerAfter
	cancel()
	if _, err := slow.Result.Await(context.Background()); !errors.Is(err, context.Canceled) {
		t.Fatalf("slow: %v", err)
	}
	cb = d.next(t)
	if req := cb.readN(16); !bytes.Equal(req, wire.CancelRequest(4242, 99)) {
		t.Fatalf("cancel request % x", req)
	}
	return a, d, b, cb, tok
}

// stoppedThenNext has the server end the cancelled head with 57014, then
// checks that next goes out and gets its own answer.
func stoppedThenNext(t *testing.T, b *backend, next *actor.Command) {
	t.Helper()
	b.write(fakepg.Concat(fakepg.Error("ERROR", "57014", "canceling statement due to user request"), fakepg.ReadyForQuery('I')))
	if sql := b.query(); sql != "next" {
		t.Fatalf("server got %q", sql)
	}
	b.write(answer("next"))
	if got, err := firstValue(t, next); got != "next" || err != nil {
		t.Fatalf("next: %q %v", got, err)
	}
}

// TestFakeCancelSentAgain: the server acted on the CancelRequest (closed
// its connection) but the command runs on, as when the request arrived
// before the backend read the command and was ignored. Another request
// goes out, and nothing is written behind the command meanwhile, so the
// second can stop only it. A command that ends soon after its cancel gets
// no second one.
func TestFakeCancelSentAgain(t *testing.T) {
	var cfg actor.Config
	actor.CancelRetryAfter(&cfg, 100*time.Millisecond)
	a, d, b, cb, tok := cancelledAloneWith(t, cfg)
	next := owned(a, context.Background(), tok, "next")
	cb.c.Close() // acted on, but lost: "slow" runs on
	cb2 := d.next(t)
	if req := cb2.readN(16); !bytes.Equal(req, wire.CancelRequest(4242, 99)) {
		t.Fatalf("second cancel request % x", req)
	}
	if !silent(b, 50*time.Millisecond) {
		t.Fatal("a command was written behind the command being cancelled again")
	}
	cb2.c.Close()
	stoppedThenNext(t, b, next)
	if n := a.CancelsSent(); n != 2 {
		t.Fatalf("%d cancels sent, want 2", n)
	}

	// Stopped by the first request: no second.
	ctx, cancel := context.WithCancel(context.Background())
	again := owned(a, ctx, tok, "again")
	b.query()
	time.Sleep(20 * time.Millisecond)
	cancel()
	again.Result.Await(context.Background())
	cb = d.next(t)
	cb.readN(16)
	b.write(fakepg.Concat(fakepg.Error("ERROR", "57014", "canceling statement due to user request"), fakepg.ReadyForQuery('I')))
	cb.c.Close()
	if !noDial(d, 300*time.Millisecond) {
		t.Fatal("a second CancelRequest for a command the first one stopped")
	}
	letGo(a, tok)
}

// TestFakeWritesWaitForCancel: while a CancelRequest is on its way, nothing
// is written: a command written meanwhile could be running when the signal
// arrives. Once the server closed the cancel connection (it acted on it),
// the command goes out.
func TestFakeWritesWaitForCancel(t *testing.T) {
	a, b, cb, tok := cancelledAlone(t)
	next := owned(a, context.Background(), tok, "next")
	if !silent(b, 200*time.Millisecond) {
		t.Fatal("a command was written while the CancelRequest was on its way")
	}
	cb.c.Close() // the server acted on it
	if !silent(b, 100*time.Millisecond) {
		t.Fatal("a command was written behind a command the server still runs")
	}
	stoppedThenNext(t, b, next)
	letGo(a, tok)
}

// TestFakeStrayCancelRetried: should a cancel reach the server after its
// target ended all the same (a pooler relaying it late), the command it
// stops instead ran alone in its implicit transaction and had no effect:
// it runs again.
func TestFakeStrayCancelRetried(t *testing.T) {
	a, b, cb, tok := cancelledAlone(t)
	cb.c.Close()
	fast := owned(a, context.Background(), tok, "fast")
	// The server had finished "slow"; the late cancel stops "fast".
	b.write(answer("slow"))
	if sql := b.query(); sql != "fast" {
		t.Fatalf("server got %q", sql)
	}
	b.write(fakepg.Concat(fakepg.Error("ERROR", "57014", "canceling statement due to user request"), fakepg.ReadyForQuery('I')))
	if sql := b.query(); sql != "fast" {
		t.Fatalf("retry sent %q", sql)
	}
	b.write(answer("fast"))
	if got, err := firstValue(t, fast); got != "fast" || err != nil {
		t.Fatalf("fast: %q %v", got, err)
	}
	letGo(a, tok)
}

// TestFakeStrayCancelWithCommandsBehind: a late cancel stops a command that
// has another pipelined behind it. Running it again would make it overtake
// that command, so it fails instead, with an error SafeToRetry reports,
// and nothing is sent again.
func TestFakeStrayCancelWithCommandsBehind(t *testing.T) {
	a, b, cb, tok := cancelledAlone(t)
	hit := owned(a, context.Background(), tok, "hit")
	behind := owned(a, context.Background(), tok, "behind")
	cb.c.Close()
	b.write(answer("slow"))
	for _, want := range []string{"hit", "behind"} {
		if got := b.query(); got != want {
			t.Fatalf("server got %q, want %q", got, want)
		}
	}
	b.write(fakepg.Concat(fakepg.Error("ERROR", "57014", "canceling statement due to user request"), fakepg.ReadyForQuery('I')))
	b.write(answer("behind"))
	_, err := hit.Result.Await(context.Background())
	var pe *wire.ErrorOrNoticeResponse
	if !actor.SafeToRetry(err) || !errors.As(err, &pe) || pe.Code != "57014" {
		t.Fatalf("hit: %v; want a retryable error wrapping the 57014", err)
	}
	if got, err := firstValue(t, behind); got != "behind" || err != nil {
		t.Fatalf("behind: %q %v", got, err)
	}
	letGo(a, tok)
	probe := simple(a, context.Background(), "probe")
	if got := b.query(); got != "probe" {
		t.Fatalf("server got %q after the stray cancel, want the next command (nothing re-run)", got)
	}
	b.write(answer("probe"))
	firstValue(t, probe)
}

// TestFakeLingerOnlyWhileCancelable: nothing is written behind a head that
// has run a while, so that it can still be cancelled; but once a command
// was written behind it (it cannot be cancelled any more), holding more
// back would only cost a round trip, so later commands go out at once.
func TestFakeLingerOnlyWhileCancelable(t *testing.T) {
	var cfg actor.Config
	actor.LingerAfter(&cfg, 200*time.Millisecond)
	a, _, b := fakeActor(t, cfg)
	ctx := context.Background()
	tok := holder(t, a)
	slow := owned(a, ctx, tok, "slow")
	behind := owned(a, ctx, tok, "behind") // well within 200 ms: written
	if got := b.query(); got != "slow" {
		t.Fatalf("server got %q", got)
	}
	if got := b.query(); got != "behind" {
		t.Fatalf("server got %q", got)
	}
	time.Sleep(300 * time.Millisecond) // "slow" has run past lingerAfter
	later := owned(a, ctx, tok, "later")
	// Held back, it would never come: the script answers nothing before.
	if got := b.query(); got != "later" {
		t.Fatalf("server got %q, want the command held behind a head that could not be cancelled any more", got)
	}
	b.write(fakepg.Concat(answer("slow"), answer("behind"), answer("later")))
	for i, c := range []*actor.Command{slow, behind, later} {
		if got, err := firstValue(t, c); err != nil || got != []string{"slow", "behind", "later"}[i] {
			t.Fatalf("#%d: %q %v", i, got, err)
		}
	}
	letGo(a, tok)
}

// TestFakeLingerHoldsBehindALoneHead: a head alone on the wire that has run
// past lingerAfter keeps what comes next unwritten until it ends.
func TestFakeLingerHoldsBehindALoneHead(t *testing.T) {
	var cfg actor.Config
	actor.LingerAfter(&cfg, 20*time.Millisecond)
	a, _, b := fakeActor(t, cfg)
	ctx := context.Background()
	tok := holder(t, a)
	slow := owned(a, ctx, tok, "slow")
	if got := b.query(); got != "slow" {
		t.Fatalf("server got %q", got)
	}
	time.Sleep(50 * time.Millisecond)
	next := owned(a, ctx, tok, "next")
	if !silent(b, 200*time.Millisecond) {
		t.Fatal("a command was written behind a lone head that had run past lingerAfter")
	}
	b.write(answer("slow"))
	if got := b.query(); got != "next" {
		t.Fatalf("server got %q", got)
	}
	b.write(answer("next"))
	for i, c := range []*actor.Command{slow, next} {
		if got, err := firstValue(t, c); err != nil || got != []string{"slow", "next"}[i] {
			t.Fatalf("#%d: %q %v", i, got, err)
		}
	}
	letGo(a, tok)
}
