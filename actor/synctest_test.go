package actor_test

import (
	"context"
	"errors"
	"net"
	"testing"
	"testing/synctest"
	"time"

	"github.com/pgactor/pgactor/actor"
	"github.com/pgactor/pgactor/internal/fakepg"
)

// TestCloseDeadlineWithSilentServer: a server that stops answering cannot
// hold Close past its context. In a synctest bubble the minute passes at
// once; the commands still in flight fail with ErrClosed and every actor
// goroutine exits (the bubble would not end otherwise).
func TestCloseDeadlineWithSilentServer(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		client, server := net.Pipe()
		defer server.Close()
		dialer := dialerFunc(func(context.Context, string, string) (net.Conn, error) { return client, nil })
		go func() {
			// Startup: read the packet, answer as a trust server, then
			// read forever without answering.
			buf := make([]byte, 4096)
			server.Read(buf)
			server.Write(fakepg.Startup(1, 2))
			for {
				if _, err := server.Read(buf); err != nil {
					return
				}
			}
		}()
		a, err := actor.Connect(context.Background(), dialer, actor.Config{Network: "pipe", Address: "x", StatementCacheSize: -1})
		if err != nil {
			t.Fatal(err)
		}
		cmd := &actor.Command{Kind: actor.CmdSimple, SQL: "SELECT 1"}
		a.Do(context.Background(), cmd)
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		start := time.Now()
		if err := a.Close(ctx); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("close: %v", err)
		}
		if d := time.Since(start); d != time.Minute {
			t.Fatalf("close returned after %v, want exactly the deadline", d)
		}
		if _, err := cmd.Result.Await(context.Background()); !errors.Is(err, actor.ErrClosed) || actor.SafeToRetry(err) {
			t.Fatalf("in-flight command: %v", err)
		}
		<-a.Done()
	})
}

type dialerFunc func(ctx context.Context, network, addr string) (net.Conn, error)

func (f dialerFunc) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	return f(ctx, network, addr)
}
