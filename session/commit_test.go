package session_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"testing"

	"github.com/pgactor/pgactor/internal/pgtest"
	"github.com/pgactor/pgactor/session"
)

// cuttingProxy forwards TCP to the server and cuts the connection, without
// forwarding, as soon as the client sends bytes containing cut.
type cuttingProxy struct {
	l   net.Listener
	wg  sync.WaitGroup
	cut []byte
}

func newCuttingProxy(t *testing.T, target string, cut string) *cuttingProxy {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &cuttingProxy{l: l, cut: []byte(cut)}
	p.wg.Go(func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			s, err := net.Dial("tcp", target)
			if err != nil {
				c.Close()
				continue
			}
			p.wg.Go(func() { io.Copy(c, s); c.Close() })
			p.wg.Go(func() {
				defer s.Close()
				defer c.Close()
				buf := make([]byte, 64<<10)
				for {
					n, err := c.Read(buf)
					if n > 0 {
						if bytes.Contains(buf[:n], p.cut) {
							return // the server never sees it
						}
						if _, werr := s.Write(buf[:n]); werr != nil {
							return
						}
					}
					if err != nil {
						return
					}
				}
			})
		}
	})
	t.Cleanup(func() { l.Close(); p.wg.Wait() })
	return p
}

// TestCommitOutcomeUnknown: the connection is lost after COMMIT was sent,
// so nobody can know whether it committed; Commit says exactly that and
// retries nothing.
func TestCommitOutcomeUnknown(t *testing.T) {
	cluster.RequireLocal(t, "a proxy in front of the harness's server")
	proxy := newCuttingProxy(t, cluster.Addr(), "COMMIT")
	pr := cluster.Params(pgtest.Trust)
	d := fmt.Sprintf("host=127.0.0.1 port=%d user=%s dbname=%s sslmode=disable", proxy.l.Addr().(*net.TCPAddr).Port, pr["user"], pr["dbname"])
	s := connect(t, d)
	ctx := context.Background()
	tx, err := s.Begin(ctx, session.TxOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(ctx, "SELECT 1").Await(ctx); err != nil {
		t.Fatal(err)
	}
	err = tx.Commit(ctx)
	if !errors.Is(err, session.ErrCommitOutcomeUnknown) || !errors.Is(err, session.ErrClosed) || session.SafeToRetry(err) {
		t.Fatalf("commit over a lost connection: %v", err)
	}
	// The session is dead; later commands fail cleanly.
	if _, err := s.Exec(ctx, "SELECT 1").Await(ctx); !errors.Is(err, session.ErrClosed) {
		t.Fatalf("after: %v", err)
	}
}
