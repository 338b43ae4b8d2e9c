package actor_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/pgactor/pgactor/actor"
	"github.com/pgactor/pgactor/internal/fakepg"
	"github.com/pgactor/pgactor/wire"
)

// pipeDialer hands the actor one end of a net.Pipe per dial and the test
// the other, so a scripted backend can play the server.
type pipeDialer struct {
	conns chan net.Conn
}

func newPipeDialer() *pipeDialer { return &pipeDialer{conns: make(chan net.Conn, 4)} }

func (d *pipeDialer) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	client, server := net.Pipe()
	select {
	case d.conns <- server:
		return client, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func (d *pipeDialer) next(t *testing.T) *backend {
	t.Helper()
	select {
	case c := <-d.conns:
		t.Cleanup(func() { c.Close() })
		return &backend{t: t, c: c}
	case <-time.After(5 * time.Second):
		t.Fatal("no connection was dialed")
		return nil
	}
}

// backend is the server side of one scripted connection.
type backend struct {
	t *testing.T
	c net.Conn
}

func (b *backend) readN(n int) []byte {
	buf := make([]byte, n)
	b.c.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.ReadFull(b.c, buf); err != nil {
		b.t.Errorf("backend read: %v", err)
		return nil
	}
	return buf
}

// startup reads the startup packet and answers as a trust server.
func (b *backend) startup() {
	n := binary.BigEndian.Uint32(b.readN(4))
	b.readN(int(n) - 4)
	b.write(fakepg.Startup(4242, 99))
}

// msg reads one frontend message.
func (b *backend) msg() (byte, []byte) {
	h := b.readN(5)
	if h == nil {
		return 0, nil
	}
	return h[0], b.readN(int(binary.BigEndian.Uint32(h[1:])) - 4)
}

// query reads one Query message and returns its SQL.
func (b *backend) query() string {
	tag, body := b.msg()
	if tag != 'Q' {
		b.t.Errorf("backend: want Query, got %q", tag)
		return ""
	}
	return string(bytes.TrimSuffix(body, []byte{0}))
}

func (b *backend) write(p []byte) {
	b.c.SetWriteDeadline(time.Now().Add(5 * time.Second))
	if _, err := b.c.Write(p); err != nil {
		b.t.Errorf("backend write: %v", err)
	}
}

// answer is a complete reply to a one-row text query.
func answer(v string) []byte {
	return fakepg.Concat(fakepg.RowDescription(fakepg.Column{Name: "v", TypeOID: 25}), fakepg.TextRow(v),
		fakepg.SelectComplete(1), fakepg.ReadyForQuery('I'))
}

func fakeActor(t *testing.T, cfg actor.Config) (*actor.Actor, *pipeDialer, *backend) {
	t.Helper()
	d := newPipeDialer()
	cfg.Network, cfg.Address = "pipe", "fake"
	cfg.Wire.User = "u"
	if !actor.LingerChosen(cfg) {
		// Scripts read every command before answering any.
		actor.NoLinger(&cfg)
	}
	var a *actor.Actor
	var err error
	done := make(chan struct{})
	go func() {
		defer close(done)
		a, err = actor.Connect(context.Background(), d, cfg)
	}()
	b := d.next(t)
	b.startup()
	<-done
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		a.Close(ctx)
		<-a.Done()
	})
	return a, d, b
}

// holder takes a for a new token: its commands go out at once, where
// commands of nobody in particular wait for the server's answer to the
// ones before (coalescing). Tests that need several commands on the wire
// before answering use it; letGo ends the hold.
func holder(t *testing.T, a *actor.Actor) actor.Token {
	t.Helper()
	tok := actor.NewToken()
	pin := &actor.Command{Kind: actor.CmdPin, Pin: tok}
	a.Do(context.Background(), pin)
	if _, err := pin.Result.Await(context.Background()); err != nil {
		t.Fatal(err)
	}
	return tok
}

func letGo(a *actor.Actor, tok actor.Token) {
	a.Do(context.Background(), &actor.Command{Kind: actor.CmdUnpin, Owner: tok, Unpin: true})
}

// owned is simple for the holder tok.
func owned(a *actor.Actor, ctx context.Context, tok actor.Token, sql string) *actor.Command {
	c := &actor.Command{Kind: actor.CmdSimple, SQL: sql, Owner: tok, Rows: actor.NewRowStream(4)}
	a.Do(ctx, c)
	return c
}

func simple(a *actor.Actor, ctx context.Context, sql string) *actor.Command {
	c := &actor.Command{Kind: actor.CmdSimple, SQL: sql, Rows: actor.NewRowStream(4)}
	a.Do(ctx, c)
	return c
}

// firstValue reads the command's rows and returns the first value.
func firstValue(t *testing.T, c *actor.Command) (string, error) {
	t.Helper()
	var got string
	for {
		batch, ok := c.Rows.Next(context.Background())
		if !ok {
			break
		}
		for _, r := range batch {
			vals, err := wire.ParseDataRow(r.Data, nil)
			if err != nil {
				t.Fatal(err)
			}
			if got == "" {
				got = string(vals[0])
			}
		}
	}
	_, err := c.Result.Await(context.Background())
	return got, err
}

func TestFakeOrderingWithPartialReads(t *testing.T) {
	a, _, b := fakeActor(t, actor.Config{})
	tok := holder(t, a) // all three on the wire before any answer
	ctx := context.Background()
	cmds := []*actor.Command{owned(a, ctx, tok, "one"), owned(a, ctx, tok, "two"), owned(a, ctx, tok, "three")}
	var stream []byte
	for range cmds {
		stream = append(stream, answer(b.query())...)
	}
	for i := range stream { // one byte per write: every message arrives in pieces
		b.write(stream[i : i+1])
	}
	for i, want := range []string{"one", "two", "three"} {
		if got, err := firstValue(t, cmds[i]); got != want || err != nil {
			t.Fatalf("#%d: %q %v", i, got, err)
		}
	}
}

// TestFakeDeathAtEveryPoint cuts the connection after every possible prefix
// of the server's answer: commands answered in full succeed, every other one
// fails with ErrClosed, and the actor's goroutines exit.
func TestFakeDeathAtEveryPoint(t *testing.T) {
	var full []byte
	for _, v := range []string{"a", "b", "c"} {
		full = append(full, answer(v)...)
	}
	ends := []int{}
	for off := 0; off < len(full); {
		n := int(binary.BigEndian.Uint32(full[off+1:]))
		off += 1 + n
		if full[off-1-n] == 'Z' {
			ends = append(ends, off)
		}
	}
	for cut := 0; cut < len(full); cut++ {
		a, _, b := fakeActor(t, actor.Config{})
		// A holder's commands go out at once (commands of nobody would be
		// coalesced behind the first's answer): all three are on the wire.
		ctx := context.Background()
		tok := holder(t, a)
		var cmds []*actor.Command
		for _, sql := range []string{"a", "b", "c"} {
			cmds = append(cmds, owned(a, ctx, tok, sql))
		}
		for range cmds {
			b.query()
		}
		b.write(full[:cut])
		b.c.Close()
		for i, c := range cmds {
			got, err := firstValue(t, c)
			if cut >= ends[i] {
				if err != nil || got != string(rune('a'+i)) {
					t.Fatalf("cut %d #%d: %q %v", cut, i, got, err)
				}
				continue
			}
			if !errors.Is(err, actor.ErrClosed) || actor.SafeToRetry(err) {
				t.Fatalf("cut %d #%d: want ErrClosed (not safe to retry), got %v", cut, i, err)
			}
		}
		select {
		case <-a.Done():
		case <-time.After(5 * time.Second):
			t.Fatalf("cut %d: goroutines still running", cut)
		}
	}
}

func TestFakeGarbageKills(t *testing.T) {
	a, _, b := fakeActor(t, actor.Config{})
	c := simple(a, context.Background(), "x")
	b.query()
	b.write([]byte("HTTP/1.1 400 Bad Request\r\n\r\n"))
	_, err := firstValue(t, c)
	var pe *wire.ProtocolError
	if !errors.Is(err, actor.ErrClosed) || !errors.As(err, &pe) {
		t.Fatalf("err %v", err)
	}
	<-a.Done()
}

func TestFakeMaxInFlight(t *testing.T) {
	a, _, b := fakeActor(t, actor.Config{MaxInFlight: 2})
	tok := holder(t, a) // commands go out as soon as a slot is free
	var cmds []*actor.Command
	for _, s := range []string{"1", "2", "3", "4", "5"} {
		cmds = append(cmds, owned(a, context.Background(), tok, s))
	}
	first := []string{b.query(), b.query()}
	// Nothing more may arrive until an answer frees a slot.
	b.c.SetReadDeadline(time.Now().Add(100 * time.Millisecond))
	if n, _ := b.c.Read(make([]byte, 1)); n != 0 {
		t.Fatal("a third command was sent beyond MaxInFlight")
	}
	if a.InFlight() != 2 || a.Queued() != 3 {
		t.Fatalf("in flight %d queued %d", a.InFlight(), a.Queued())
	}
	b.write(answer(first[0]))
	b.write(answer(first[1]))
	for range 3 {
		b.write(answer(b.query()))
	}
	for i, c := range cmds {
		if got, err := firstValue(t, c); err != nil || got != string(rune('1'+i)) {
			t.Fatalf("#%d %q %v", i, got, err)
		}
	}
}

// TestFakeSlowConsumerHoldsCommands: while a consumer sits on a full
// stream the actor stops reading; a command sent meanwhile waits in the
// actor (the server could not run it before the unread result anyway) and
// goes out as soon as the consumer reads on, without being lost or
// reordered.
func TestFakeSlowConsumerHoldsCommands(t *testing.T) {
	a, _, b := fakeActor(t, actor.Config{RowBatchSize: 2, StreamBuffer: 1})
	big := &actor.Command{Kind: actor.CmdSimple, SQL: "big", Rows: actor.NewRowStream(1)}
	a.Do(context.Background(), big)
	b.query()
	var wg sync.WaitGroup
	wg.Go(func() {
		b.write(fakepg.RowDescription(fakepg.Column{Name: "v", TypeOID: 25}))
		for range 100 {
			b.write(fakepg.TextRow("r"))
		}
		b.write(fakepg.Concat(fakepg.SelectComplete(100), fakepg.ReadyForQuery('I')))
	})
	time.Sleep(50 * time.Millisecond)
	later := simple(a, context.Background(), "later")
	n := 0
	for {
		batch, ok := big.Rows.Next(context.Background())
		if !ok {
			break
		}
		n += len(batch)
	}
	wg.Wait()
	if sql := b.query(); sql != "later" {
		t.Fatalf("got %q", sql)
	}
	b.write(answer("later"))
	if _, err := big.Result.Await(context.Background()); err != nil || n != 100 {
		t.Fatalf("%d rows, %v", n, err)
	}
	if got, err := firstValue(t, later); got != "later" || err != nil {
		t.Fatalf("%q %v", got, err)
	}
}

// TestFakeOwnCancelNotRetried: a command whose own caller cancelled is not
// run again.
func TestFakeOwnCancelNotRetried(t *testing.T) {
	a, d, b := fakeActor(t, actor.Config{})
	ctx, cancel := context.WithCancel(context.Background())
	c := simple(a, ctx, "slow")
	b.query()
	cancel()
	cb := d.next(t)
	cb.readN(16)
	cb.c.Close()
	b.write(fakepg.Concat(fakepg.Error("ERROR", "57014", "canceling statement due to user request"), fakepg.ReadyForQuery('I')))
	if _, err := c.Result.Await(context.Background()); !errors.Is(err, context.Canceled) {
		t.Fatalf("err %v", err)
	}
	after := simple(a, context.Background(), "after")
	if sql := b.query(); sql != "after" {
		t.Fatalf("server got %q: the cancelled command was retried", sql)
	}
	b.write(answer("after"))
	if got, _ := firstValue(t, after); got != "after" {
		t.Fatal(got)
	}
}

// TestFakeCoalescing: commands of nobody in particular that arrive while the
// server runs an earlier one wait for its answer and then go out together;
// a holder's commands (a transaction pipelining its statements) go out at
// once.
func TestFakeCoalescing(t *testing.T) {
	a, _, b := fakeActor(t, actor.Config{})
	ctx := context.Background()
	first := simple(a, ctx, "first")
	if sql := b.query(); sql != "first" {
		t.Fatalf("got %q", sql)
	}
	waitFor(t, func() bool { return a.InFlight() == 1 })
	second := simple(a, ctx, "second")
	third := simple(a, ctx, "third")
	waitFor(t, func() bool { return a.InFlight() == 3 })
	b.c.SetReadDeadline(time.Now().Add(100 * time.Millisecond))
	if n, _ := b.c.Read(make([]byte, 1)); n != 0 {
		t.Fatal("a command went out while the server was busy with the first")
	}
	b.c.SetReadDeadline(time.Time{})
	b.write(answer("first"))
	if q2, q3 := b.query(), b.query(); q2 != "second" || q3 != "third" {
		t.Fatalf("got %q, %q", q2, q3)
	}
	b.write(answer("second"))
	b.write(answer("third"))
	for _, c := range []*actor.Command{first, second, third} {
		if _, err := firstValue(t, c); err != nil {
			t.Fatal(err)
		}
	}

	tok := actor.NewToken()
	begin := &actor.Command{Kind: actor.CmdSimple, SQL: "BEGIN", Pin: tok}
	a.Do(ctx, begin)
	if sql := b.query(); sql != "BEGIN" {
		t.Fatalf("got %q", sql)
	}
	var stmts []*actor.Command
	for _, sql := range []string{"s1", "s2", "s3"} {
		c := &actor.Command{Kind: actor.CmdSimple, SQL: sql, Owner: tok, Rows: actor.NewRowStream(4)}
		a.Do(ctx, c)
		stmts = append(stmts, c)
		if got := b.query(); got != sql {
			t.Fatalf("a transaction's %s: got %q while BEGIN was unanswered", sql, got)
		}
	}
	b.write(fakepg.Concat(fakepg.CommandComplete("BEGIN"), fakepg.ReadyForQuery('T')))
	for _, sql := range []string{"s1", "s2", "s3"} {
		b.write(fakepg.Concat(fakepg.RowDescription(fakepg.Column{Name: "v", TypeOID: 25}), fakepg.TextRow(sql), fakepg.SelectComplete(1), fakepg.ReadyForQuery('T')))
	}
	for i, c := range stmts {
		if got, err := firstValue(t, c); err != nil || got != []string{"s1", "s2", "s3"}[i] {
			t.Fatalf("%q %v", got, err)
		}
	}
}
