package session_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/pgactor/pgactor/internal/pgtest"
	"github.com/pgactor/pgactor/session"
)

// TestListenerSurvivesTerminatedBackends kills the listening backend three
// times while another session keeps sending notifications. Every
// notification sent while the listener was connected arrives, in order,
// exactly once; each gap is marked by one Reconnected event; channels added
// while running are listened on after reconnecting too.
func TestListenerSurvivesTerminatedBackends(t *testing.T) {
	if cluster.External {
		t.Skip("needs pg_terminate_backend on the harness's own server")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cfg, err := session.ParseConfig(dsn(t, pgtest.Trust, "application_name", "listener_test"))
	if err != nil {
		t.Fatal(err)
	}
	l, err := session.NewListener(ctx, cfg, nil, "lt")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	sender := connect(t, dsn(t, pgtest.Trust))
	notify := func(channel, payload string) {
		t.Helper()
		if _, err := sender.Exec(ctx, "SELECT pg_notify($1, $2)", channel, payload).Await(ctx); err != nil {
			t.Fatal(err)
		}
	}
	// next returns the next event, failing on a timeout.
	next := func() session.ListenEvent {
		t.Helper()
		select {
		case ev, ok := <-l.C():
			if !ok {
				t.Fatal("listener closed")
			}
			return ev
		case <-time.After(10 * time.Second):
			t.Fatal("no event within 10s")
		}
		return session.ListenEvent{}
	}
	// Noise while the backend dies: sent during the gap, may be lost, must
	// never come twice or out of place.
	seen := map[string]bool{}
	var sent, delivered int            // notifications sent while connected, and of them delivered
	var reconnectTimes []time.Duration // from each terminate to its gap marker
	take := func(want string) {
		t.Helper()
		for {
			ev := next()
			if ev.Reconnected {
				t.Fatalf("a gap marker while connected, waiting for %s", want)
			}
			p := ev.Notification.Channel + "/" + ev.Notification.Payload
			if seen[p] {
				t.Fatalf("%s delivered twice", p)
			}
			seen[p] = true
			if p == want {
				delivered++
				return
			}
			if ev.Notification.Payload[0] != 'g' {
				t.Fatalf("got %s while waiting for %s: a notification sent while connected was lost or reordered", p, want)
			}
		}
	}
	for round := range 3 {
		if round == 1 {
			if err := l.Add(ctx, "lt2"); err != nil {
				t.Fatal(err)
			}
		}
		for i := range 30 {
			notify("lt", fmt.Sprintf("r%d-%d", round, i))
			sent++
			take(fmt.Sprintf("lt/r%d-%d", round, i))
		}
		if round >= 1 {
			notify("lt2", fmt.Sprintf("r%d-second", round))
			sent++
			take(fmt.Sprintf("lt2/r%d-second", round))
		}
		pid := l.BackendPID()
		killed := time.Now()
		if _, err := cluster.Exec(ctx, fmt.Sprintf("SELECT pg_terminate_backend(%d)", pid)); err != nil {
			t.Fatal(err)
		}
		for i := range 5 {
			notify("lt", fmt.Sprintf("g%d-%d", round, i)) // during the gap
		}
		for {
			ev := next()
			if ev.Reconnected {
				if ev.Gap == nil {
					t.Fatal("a gap without its cause")
				}
				reconnectTimes = append(reconnectTimes, time.Since(killed))
				break
			}
			if ev.Notification.Payload[0] != 'g' || seen[ev.Notification.Payload] {
				t.Fatalf("before the gap marker: %+v", ev.Notification)
			}
			seen[ev.Notification.Payload] = true
		}
		if l.BackendPID() == pid || l.BackendPID() == 0 {
			t.Fatalf("round %d: backend %d after reconnecting from %d", round, l.BackendPID(), pid)
		}
	}
	notify("lt", "last")
	sent++
	take("lt/last")
	noise := 0
	for p := range seen {
		if strings.Contains(p, "/g") {
			noise++
		}
	}
	t.Logf("listener: %d of %d notifications sent while connected delivered, in order, none twice; %d backends terminated, %d gaps marked (terminate to marker: %v); %d of 15 sent during the gaps delivered; dropped %d",
		delivered, sent, 3, len(reconnectTimes), reconnectTimes, noise, l.Dropped())
	if delivered != sent || len(reconnectTimes) != 3 {
		t.Fatalf("delivered %d of %d, %d gaps", delivered, sent, len(reconnectTimes))
	}
	if l.Reconnects() != 3 || l.Dropped() != 0 {
		t.Fatalf("reconnects %d, dropped %d", l.Reconnects(), l.Dropped())
	}
	if got := l.Channels(); len(got) != 2 {
		t.Fatalf("channels %v", got)
	}
	if err := l.Remove(ctx, "lt2"); err != nil {
		t.Fatal(err)
	}
	l.Close()
	if _, ok := <-l.C(); ok {
		t.Fatal("C still open after Close")
	}
	if err := l.Add(ctx, "x"); err == nil {
		t.Fatal("Add after Close")
	}
}
