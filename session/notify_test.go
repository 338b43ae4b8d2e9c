package session_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/pgactor/pgactor/internal/pgtest"
	"github.com/pgactor/pgactor/session"
)

func TestListenNotify(t *testing.T) {
	d := dsn(t, pgtest.Trust)
	listener := connect(t, d)
	sender := connect(t, d)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := listener.Listen(ctx, "jobs Channel"); err != nil {
		t.Fatal(err)
	}
	// Notifications arrive while the listener is busy with other work.
	busy := listener.Exec(ctx, "SELECT pg_sleep(0.1)")
	for i := range 3 {
		if _, err := sender.Exec(ctx, "SELECT pg_notify('jobs Channel', $1)", fmt.Sprint("job ", i)).Await(ctx); err != nil {
			t.Fatal(err)
		}
	}
	busy.Await(ctx)
	for i := range 3 {
		n, err := listener.WaitForNotification(ctx)
		if err != nil || n.Channel != "jobs Channel" || n.Payload != fmt.Sprint("job ", i) || n.PID != sender.BackendPID() {
			t.Fatalf("#%d: %+v %v", i, n, err)
		}
	}
	short, cancel2 := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel2()
	if _, err := listener.WaitForNotification(short); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("no notification: %v", err)
	}
	if err := listener.Unlisten(ctx, "*"); err != nil {
		t.Fatal(err)
	}
	sender.Exec(ctx, "NOTIFY \"jobs Channel\"").Await(ctx)
	listener.Exec(ctx, "SELECT 1").Await(ctx) // a round trip after the NOTIFY
	short2, cancel3 := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel3()
	if n, err := listener.WaitForNotification(short2); err == nil {
		t.Fatalf("notification after UNLISTEN: %+v", n)
	}
	listener.Close(ctx)
	if _, err := listener.WaitForNotification(ctx); !errors.Is(err, session.ErrClosed) {
		t.Fatalf("after close: %v", err)
	}
}

func TestPoolConnListenCleansUp(t *testing.T) {
	p := newPool(t, dsn(t, pgtest.Trust), &session.PoolOptions{MaxConns: 1})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := p.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	c.Listen(ctx, "pooled")
	p2 := connect(t, dsn(t, pgtest.Trust))
	p2.Exec(ctx, "NOTIFY pooled, 'one'").Await(ctx)
	if n, err := c.WaitForNotification(ctx); err != nil || n.Payload != "one" {
		t.Fatalf("%+v %v", n, err)
	}
	p2.Exec(ctx, "NOTIFY pooled, 'stale'").Await(ctx)
	c.QueryRow(ctx, "SELECT 1").Scan(new(int))
	c.Release()
	c2, err := p.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Release()
	short, cancel2 := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel2()
	if n, err := c2.WaitForNotification(short); err == nil {
		t.Fatalf("the next holder got a stale notification: %+v", n)
	}
}
