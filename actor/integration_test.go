package actor_test

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pgactor/pgactor/actor"
	"github.com/pgactor/pgactor/futures"
	"github.com/pgactor/pgactor/internal/pgtest"
	"github.com/pgactor/pgactor/wire"
)

func TestConnectEachAuthMethod(t *testing.T) {
	for _, r := range []pgtest.Role{pgtest.Trust, pgtest.Cleartext, pgtest.MD5, pgtest.SCRAM, pgtest.TLSOnly} {
		t.Run(string(r), func(t *testing.T) {
			a := connect(t, config(t, r))
			rows, _, err := query(context.Background(), a, "SELECT current_user")
			if err != nil || len(rows) != 1 || rows[0] != cluster.Params(r)["user"] {
				t.Fatalf("current_user: %v %v", rows, err)
			}
		})
	}
}

func TestSCRAMPlusOverTLS(t *testing.T) {
	cfg := config(t, pgtest.TLSOnly)
	cfg.Wire.RequireChannelBinding = true
	a := connect(t, cfg)
	rows, _, err := query(context.Background(), a, "SELECT ssl::text FROM pg_stat_ssl WHERE pid = pg_backend_pid()")
	if err != nil || len(rows) != 1 || rows[0] != "true" {
		t.Fatalf("ssl: %v %v", rows, err)
	}
}

func TestWrongPassword(t *testing.T) {
	cfg := config(t, pgtest.SCRAM)
	cfg.Wire.Password = "wrong"
	_, err := actor.Connect(context.Background(), nil, cfg)
	var pe *wire.ErrorOrNoticeResponse
	if !errors.As(err, &pe) || pe.Code != "28P01" {
		t.Fatalf("err %v", err)
	}
	if strings.Contains(err.Error(), "wrong") {
		t.Fatal("error echoes the password")
	}
}

func TestTLSUntrustedCA(t *testing.T) {
	cfg := config(t, pgtest.Trust)
	cfg.TLS = tlsConfig(t, cluster.WrongCACert)
	cfg.TLSRequired = true
	if _, err := actor.Connect(context.Background(), nil, cfg); err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Fatalf("untrusted CA accepted: %v", err)
	}
}

func TestConnectContextCanceled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := actor.Connect(ctx, nil, config(t, pgtest.Trust)); !errors.Is(err, context.Canceled) {
		t.Fatalf("err %v", err)
	}
}

// TestManyGoroutinesOneActor: 1,000 goroutines share one connection, each
// running 100 queries with its own parameters; every answer must reach the
// goroutine that asked.
func TestManyGoroutinesOneActor(t *testing.T) {
	a := connect(t, config(t, pgtest.Trust))
	const goroutines, each = 1000, 100
	var wg sync.WaitGroup
	var bad atomic.Int64
	errs := make(chan error, goroutines)
	for g := range goroutines {
		wg.Go(func() {
			ctx := context.Background()
			for i := range each {
				want := int64(g*1_000_000 + i)
				rows, comp, err := query(ctx, a, "SELECT $1::int8", want)
				if err != nil {
					errs <- err
					return
				}
				if len(rows) != 1 || rows[0] != strconv.FormatInt(want, 10) || comp.Tag != "SELECT 1" {
					bad.Add(1)
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if n := bad.Load(); n != 0 {
		t.Fatalf("%d answers went to the wrong caller", n)
	}
}

func TestPipelineEveryThirdFails(t *testing.T) {
	a := connect(t, config(t, pgtest.Trust))
	ctx := context.Background()
	cmds := make([]*actor.Command, 300)
	for i := range cmds {
		sql := "SELECT $1::int4 + 1"
		if i%3 == 2 {
			sql = "SELECT 1 / ($1::int4 - $1::int4)"
		}
		cmds[i] = &actor.Command{Kind: actor.CmdQuery, SQL: sql, Args: []any{int32(i)}}
		a.Do(ctx, cmds[i])
	}
	for i, c := range cmds {
		comp, err := c.Result.Await(ctx)
		var pe *wire.ErrorOrNoticeResponse
		if i%3 == 2 {
			if !errors.As(err, &pe) || pe.Code != "22012" {
				t.Fatalf("#%d: want division by zero, got %v", i, err)
			}
		} else if err != nil || comp.Tag != "SELECT 1" {
			t.Fatalf("#%d: %v %v", i, comp, err)
		}
	}
}

func TestTerminateBackendMidPipeline(t *testing.T) {
	if cluster.External {
		t.Skip("needs pg_terminate_backend on the harness's own server")
	}
	a := connect(t, config(t, pgtest.Trust))
	ctx := context.Background()
	// A long command at the head, many behind it.
	head := &actor.Command{Kind: actor.CmdSimple, SQL: "SELECT pg_sleep(30)"}
	a.Do(ctx, head)
	var cmds []*actor.Command
	for i := range 50 {
		c := &actor.Command{Kind: actor.CmdQuery, SQL: "SELECT $1::int4", Args: []any{int32(i)}}
		a.Do(ctx, c)
		cmds = append(cmds, c)
	}
	// The sleep and the Prepare the first query needs are on the wire;
	// the queries wait behind the Prepare.
	waitFor(t, func() bool { return a.InFlight() >= 2 })
	if _, err := cluster.Exec(ctx, fmt.Sprintf("SELECT pg_terminate_backend(%d)", a.BackendPID())); err != nil {
		t.Fatal(err)
	}
	for _, c := range append([]*actor.Command{head}, cmds...) {
		_, err := c.Result.Await(ctx)
		if !errors.Is(err, actor.ErrClosed) {
			t.Fatalf("want ErrClosed, got %v", err)
		}
		var pe *wire.ErrorOrNoticeResponse
		if !errors.As(err, &pe) || pe.Code != "57P01" {
			t.Fatalf("cause should be the server's FATAL: %v", err)
		}
	}
	select {
	case <-a.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("actor goroutines did not exit")
	}
	if a.Alive() || a.Err() == nil {
		t.Fatal("actor reports alive")
	}
	// New commands fail at once, marked safe to retry.
	_, err := exec(ctx, a, "SELECT 1")
	if !errors.Is(err, actor.ErrClosed) || !actor.SafeToRetry(err) {
		t.Fatalf("after death: %v", err)
	}
}

// TestCancelRunningCommand cancels a running pg_sleep while 50 commands
// wait behind it; the caller is answered promptly and the 50 succeed.
func TestCancelRunningCommand(t *testing.T) {
	a := connect(t, config(t, pgtest.Trust))
	ctx, cancel := context.WithCancel(context.Background())
	// When the Prepare goes out in the same write as the sleep, nothing can
	// cancel the sleep without risking the Prepare: it runs to its end, so
	// it is short enough not to hold the suite up, long enough to tell an
	// answer given at once from one given at its end.
	sleep := &actor.Command{Kind: actor.CmdSimple, SQL: "SELECT pg_sleep(8)"}
	a.Do(ctx, sleep)
	var cmds []*actor.Command
	for i := range 50 {
		c := &actor.Command{Kind: actor.CmdQuery, SQL: "SELECT $1::int8 * 2", Args: []any{int64(i)}, Rows: actor.NewRowStream(2)}
		a.Do(context.Background(), c)
		cmds = append(cmds, c)
	}
	// The sleep and the Prepare the first query needs are on the wire;
	// the queries wait behind the Prepare.
	waitFor(t, func() bool { return a.InFlight() >= 2 })
	start := time.Now()
	cancel()
	_, err := sleep.Result.Await(context.Background())
	if !errors.Is(err, context.Canceled) || !errors.Is(err, actor.ErrCanceled) {
		t.Fatalf("canceled command: %v", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("cancel took %v", d)
	}
	for i, c := range cmds {
		batch, ok := c.Rows.Next(context.Background())
		if !ok || len(batch) != 1 {
			t.Fatalf("#%d: no row (%v)", i, c.Rows.Err())
		}
		vals, _ := wire.ParseDataRow(batch[0].Data, nil)
		if got, want := vals[0], int64(i*2); len(got) != 8 || int64(beUint64(got)) != want {
			t.Fatalf("#%d: got % x want %d", i, got, want)
		}
		if _, err := c.Result.Await(context.Background()); err != nil {
			t.Fatalf("#%d: %v", i, err)
		}
	}
	// The connection is still healthy.
	if rows, _, err := query(context.Background(), a, "SELECT 'ok'"); err != nil || rows[0] != "ok" {
		t.Fatalf("after cancel: %v %v", rows, err)
	}
}

func beUint64(b []byte) uint64 {
	var v uint64
	for _, c := range b {
		v = v<<8 | uint64(c)
	}
	return v
}

func TestCanceledBeforeWrite(t *testing.T) {
	a := connect(t, config(t, pgtest.Trust))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	c := &actor.Command{Kind: actor.CmdSimple, SQL: "SELECT 1"}
	a.Do(ctx, c)
	if _, err := c.Result.Await(context.Background()); !errors.Is(err, context.Canceled) {
		t.Fatalf("err %v", err)
	}
}

// TestSlowConsumer streams a million rows to a consumer that reads slowly
// at first, while other commands queue behind; memory stays bounded because
// the actor stops reading the socket.
func TestSlowConsumer(t *testing.T) {
	a := connect(t, config(t, pgtest.Trust))
	ctx := context.Background()
	big := &actor.Command{Kind: actor.CmdSimple, SQL: "SELECT g FROM generate_series(1, 1000000) g", Rows: actor.NewRowStream(2)}
	a.Do(ctx, big)
	behind := make([]*actor.Command, 20)
	for i := range behind {
		behind[i] = &actor.Command{Kind: actor.CmdQuery, SQL: "SELECT $1::int4", Args: []any{int32(i)}}
		a.Do(ctx, behind[i])
	}
	time.Sleep(200 * time.Millisecond) // the consumer dawdles; the actor must wait, not buffer
	if _, _, done := behind[0].Result.Result(); done {
		t.Fatal("a command behind an unread result completed: rows were buffered without bound")
	}
	n := 0
	var vals [][]byte
	for {
		batch, ok := big.Rows.Next(ctx)
		if !ok {
			break
		}
		for _, r := range batch {
			vals, _ = wire.ParseDataRow(r.Data, vals)
			n++
			if string(vals[0]) != strconv.Itoa(n) {
				t.Fatalf("row %d is %q", n, vals[0])
			}
		}
		big.Rows.Recycle(batch)
	}
	if comp, err := big.Result.Await(ctx); err != nil || n != 1_000_000 || comp.Rows != 1_000_000 {
		t.Fatalf("rows %d, %v, %v", n, comp, err)
	}
	for _, c := range behind {
		if _, err := c.Result.Await(ctx); err != nil {
			t.Fatal(err)
		}
	}
}

// TestConsumerWalksAway: a consumer that cancels its stream makes the actor
// discard the rest without stalling the commands behind.
func TestConsumerWalksAway(t *testing.T) {
	a := connect(t, config(t, pgtest.Trust))
	ctx := context.Background()
	big := &actor.Command{Kind: actor.CmdSimple, SQL: "SELECT g FROM generate_series(1, 300000) g", Rows: actor.NewRowStream(1)}
	a.Do(ctx, big)
	after := &actor.Command{Kind: actor.CmdSimple, SQL: "SELECT 1"}
	a.Do(ctx, after)
	if _, ok := big.Rows.Next(ctx); !ok {
		t.Fatal("no first batch")
	}
	big.Rows.Cancel()
	if _, err := after.Result.Await(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := big.Result.Await(ctx); err != nil {
		t.Fatalf("the abandoned result still completes on the server: %v", err)
	}
}

func TestCloseIsGracefulAndIdempotent(t *testing.T) {
	a, err := actor.Connect(context.Background(), nil, config(t, pgtest.Trust))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	var cmds []*actor.Command
	for i := range 100 {
		c := &actor.Command{Kind: actor.CmdQuery, SQL: "SELECT $1::int4", Args: []any{int32(i)}}
		a.Do(ctx, c)
		cmds = append(cmds, c)
	}
	var wg sync.WaitGroup
	for range 3 {
		wg.Go(func() { a.Close(ctx) })
	}
	wg.Wait()
	for _, c := range cmds {
		if _, err := c.Result.Await(ctx); err != nil {
			t.Fatalf("command accepted before Close failed: %v", err)
		}
	}
	if err := a.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := exec(ctx, a, "SELECT 1"); !errors.Is(err, actor.ErrClosed) || !actor.SafeToRetry(err) {
		t.Fatalf("after close: %v", err)
	}
}

func TestStatementInvalidationRetried(t *testing.T) {
	a := connect(t, config(t, pgtest.Trust))
	ctx := context.Background()
	if _, err := exec(ctx, a, "CREATE TEMP TABLE inv (a int)"); err != nil {
		t.Fatal(err)
	}
	exec(ctx, a, "INSERT INTO inv VALUES (1)")
	if rows, _, err := query(ctx, a, "SELECT * FROM inv WHERE a = $1", int32(1)); err != nil || len(rows) != 1 {
		t.Fatalf("%v %v", rows, err)
	}
	if _, err := exec(ctx, a, "ALTER TABLE inv ADD COLUMN b text"); err != nil {
		t.Fatal(err)
	}
	rows, _, err := query(ctx, a, "SELECT * FROM inv WHERE a = $1", int32(1))
	if err != nil || len(rows) != 1 {
		t.Fatalf("after ALTER TABLE: %v %v", rows, err)
	}
}

func TestTransactionStatus(t *testing.T) {
	a := connect(t, config(t, pgtest.Trust))
	ctx := context.Background()
	exec(ctx, a, "BEGIN")
	if a.TxStatus() != wire.TxInTransaction {
		t.Fatalf("status %q", a.TxStatus())
	}
	exec(ctx, a, "SELECT 1/0")
	if a.TxStatus() != wire.TxFailed {
		t.Fatalf("status %q", a.TxStatus())
	}
	exec(ctx, a, "ROLLBACK")
	if a.TxStatus() != wire.TxIdle {
		t.Fatalf("status %q", a.TxStatus())
	}
	if a.ServerParameter("server_version") == "" {
		t.Fatal("no server_version")
	}
}

func TestStatementCacheEviction(t *testing.T) {
	cfg := config(t, pgtest.Trust)
	cfg.StatementCacheSize = 4
	a := connect(t, cfg)
	ctx := context.Background()
	for i := range 20 {
		sql := fmt.Sprintf("SELECT $1::int4 + %d", i%7)
		if _, _, err := query(ctx, a, sql, int32(i)); err != nil {
			t.Fatal(err)
		}
	}
	rows, _, err := query(ctx, a, "SELECT count(*)::int8 FROM pg_prepared_statements")
	if err != nil || len(rows) != 1 || rows[0] != "4" {
		t.Fatalf("prepared statements on the server: %v %v", rows, err)
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not reached")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestUnnamedStatements(t *testing.T) {
	cfg := config(t, pgtest.Trust)
	cfg.UnnamedStatements = true
	a := connect(t, cfg)
	ctx := context.Background()
	var cmds []*actor.Command
	for i := range 50 {
		c := &actor.Command{Kind: actor.CmdQuery, SQL: fmt.Sprintf("SELECT $1::int8 + %d", i%3), Args: []any{int64(i)}, Rows: actor.NewRowStream(1)}
		a.Do(ctx, c)
		cmds = append(cmds, c)
	}
	for i, c := range cmds {
		batch, ok := c.Rows.Next(ctx)
		if !ok {
			t.Fatalf("#%d: %v", i, c.Rows.Err())
		}
		vals, _ := wire.ParseDataRow(batch[0].Data, nil)
		if string(vals[0]) != strconv.Itoa(i+i%3) {
			t.Fatalf("#%d: %q", i, vals[0])
		}
	}
	rows, _, err := query(ctx, a, "SELECT count(*)::int8 FROM pg_prepared_statements")
	if err != nil || rows[0] != "0" {
		t.Fatalf("named statements were prepared: %v %v", rows, err)
	}
}

// observed records what an Observer is told (from the loop goroutine;
// read it after answered is closed, or from the rows channel).
type observed struct {
	stream   *futures.Stream[actor.RawRow]
	cols     int
	err      error
	calls    int
	comp     actor.Completion
	doneErr  error
	rows     chan *futures.Stream[actor.RawRow]
	answered chan struct{}
}

func newObserved() *observed { return &observed{answered: make(chan struct{})} }

func (o *observed) Described(c *actor.Command, rd *wire.RowDescription, err error) {
	o.calls++
	o.stream, o.err = c.Rows, err
	if rd != nil {
		o.cols = len(rd.Fields)
	}
	if o.rows != nil {
		o.rows <- c.Rows
	}
}
func (o *observed) Done(_ *actor.Command, comp actor.Completion, err error) {
	o.comp, o.doneErr = comp, err
	close(o.answered)
}

// outcome waits for Done and returns what it was told.
func (o *observed) outcome(t *testing.T) (actor.Completion, error) {
	t.Helper()
	select {
	case <-o.answered:
		return o.comp, o.doneErr
	case <-time.After(10 * time.Second):
		t.Fatal("the observer was never told the outcome")
		return actor.Completion{}, nil
	}
}

// TestWantRowsLazyStream: a small result arrives whole with the completion,
// a large one gets a stream made by the actor, and the observer hears of
// each once.
func TestWantRowsLazyStream(t *testing.T) {
	a := connect(t, config(t, pgtest.Trust))
	ctx := context.Background()
	small := &actor.Command{Kind: actor.CmdQuery, SQL: "SELECT g, 'x' FROM generate_series(1, $1::int4) g", Args: []any{int32(3)}, WantRows: true}
	so := newObserved()
	small.Observer = so
	a.Do(ctx, small)
	comp, err := so.outcome(t)
	if err != nil || len(comp.Batch) != 3 || so.calls != 1 || so.stream != nil || so.cols != 2 {
		t.Fatalf("small: %v rows=%d observer=%+v", err, len(comp.Batch), so)
	}
	vals, _ := wire.ParseDataRow(comp.Batch[2].Data, nil)
	if len(vals) != 2 || len(vals[0]) != 4 || vals[0][3] != 3 {
		t.Fatalf("third row %q", vals)
	}

	big := &actor.Command{Kind: actor.CmdQuery, SQL: "SELECT g FROM generate_series(1, $1::int4) g", Args: []any{int32(100000)}, WantRows: true}
	bo := newObserved()
	bo.rows = make(chan *futures.Stream[actor.RawRow], 1)
	big.Observer = bo
	a.Do(ctx, big)
	stream := <-bo.rows
	if stream == nil {
		t.Fatal("a large result got no stream")
	}
	n := 0
	for {
		batch, ok := stream.Next(ctx)
		if !ok {
			break
		}
		n += len(batch)
		stream.Recycle(batch)
	}
	// The outcome comes before the end of the stream, and only to the
	// observer: Result stays unresolved.
	select {
	case <-bo.answered:
	default:
		t.Fatal("the stream ended before the observer heard the outcome")
	}
	if _, _, ok := big.Result.Result(); ok {
		t.Fatal("a command with an observer had its Result resolved too")
	}
	comp, err = bo.outcome(t)
	if err != nil || n != 100000 || len(comp.Batch) != 0 || bo.calls != 1 {
		t.Fatalf("big: %v n=%d tail=%d observer=%+v", err, n, len(comp.Batch), bo)
	}

	bad := &actor.Command{Kind: actor.CmdQuery, SQL: "SELECT 1/($1::int4 - 1)", Args: []any{int32(1)}, WantRows: true}
	fo := newObserved()
	bad.Observer = fo
	a.Do(ctx, bad)
	if _, err := fo.outcome(t); err == nil || fo.calls != 1 || fo.err == nil {
		t.Fatalf("failing: %v observer=%+v", err, fo)
	}
}

// copyProducer feeds n text rows to a CmdCopyIn in chunks, stopping when the
// command ends early.
func copyProducer(c *actor.Command, src chan<- []byte, n int) {
	defer close(src)
	var chunk []byte
	for i := range n {
		chunk = fmt.Appendf(chunk, "%d\trow %d\n", i, i)
		if len(chunk) > 32<<10 || i == n-1 {
			select {
			case src <- chunk:
			case <-c.Result.Done():
				return
			}
			chunk = nil
		}
	}
}

func TestCopyIn(t *testing.T) {
	a := connect(t, config(t, pgtest.Trust))
	ctx := context.Background()
	if _, err := exec(ctx, a, "CREATE TEMP TABLE cp (id int8, name text)"); err != nil {
		t.Fatal(err)
	}
	src := make(chan []byte, 2)
	cp := &actor.Command{Kind: actor.CmdCopyIn, SQL: "COPY cp (id, name) FROM STDIN", CopySource: src}
	a.Do(ctx, cp)
	// Queued behind the copy; it must wait for the copy, not corrupt it.
	count := &actor.Command{Kind: actor.CmdSimple, SQL: "SELECT count(*) FROM cp", Rows: actor.NewRowStream(1)}
	a.Do(ctx, count)
	go copyProducer(cp, src, 200_000)
	comp, err := cp.Result.Await(ctx)
	if err != nil || comp.Rows != 200_000 {
		t.Fatalf("copy: %v %v", comp, err)
	}
	batch, _ := count.Rows.Next(ctx)
	vals, _ := wire.ParseDataRow(batch[0].Data, nil)
	if string(vals[0]) != "200000" {
		t.Fatalf("count %q", vals[0])
	}

	// A copy the server refuses: the producer is released, the next
	// command runs.
	src2 := make(chan []byte)
	bad := &actor.Command{Kind: actor.CmdCopyIn, SQL: "COPY missing_table FROM STDIN", CopySource: src2}
	a.Do(ctx, bad)
	go copyProducer(bad, src2, 1000)
	var pe *wire.ErrorOrNoticeResponse
	if _, err := bad.Result.Await(ctx); !errors.As(err, &pe) || pe.Code != "42P01" {
		t.Fatalf("refused copy: %v", err)
	}
	// Bad data mid-copy.
	src3 := make(chan []byte, 1)
	bad3 := &actor.Command{Kind: actor.CmdCopyIn, SQL: "COPY cp (id, name) FROM STDIN", CopySource: src3}
	a.Do(ctx, bad3)
	src3 <- []byte("1\tok\nnot-a-number\tx\n")
	go copyProducer(bad3, src3, 100_000)
	if _, err := bad3.Result.Await(ctx); !errors.As(err, &pe) || pe.Code != "22P02" {
		t.Fatalf("bad data: %v", err)
	}
	// The producer's own failure aborts the copy.
	src4 := make(chan []byte, 1)
	bad4 := &actor.Command{Kind: actor.CmdCopyIn, SQL: "COPY cp (id, name) FROM STDIN", CopySource: src4,
		CopyErr: func() error { return errors.New("disk on fire") }}
	a.Do(ctx, bad4)
	src4 <- []byte("5\tfive\n")
	close(src4)
	if _, err := bad4.Result.Await(ctx); err == nil || !strings.Contains(err.Error(), "disk on fire") {
		t.Fatalf("producer failure: %v", err)
	}
	rows, _, err := query(ctx, a, "SELECT count(*)::int8 FROM cp")
	if err != nil || rows[0] != "200000" {
		t.Fatalf("table after failed copies: %v %v", rows, err)
	}
}

func TestCopyInCanceled(t *testing.T) {
	a := connect(t, config(t, pgtest.Trust))
	ctx := context.Background()
	exec(ctx, a, "CREATE TEMP TABLE cp2 (id int8, name text)")
	cctx, cancel := context.WithCancel(ctx)
	src := make(chan []byte)
	cp := &actor.Command{Kind: actor.CmdCopyIn, SQL: "COPY cp2 FROM STDIN", CopySource: src}
	a.Do(cctx, cp)
	src <- []byte("1\ta\n") // the copy is running
	cancel()
	if _, err := cp.Result.Await(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("canceled copy: %v", err)
	}
	rows, _, err := query(ctx, a, "SELECT count(*)::int8 FROM cp2")
	if err != nil || rows[0] != "0" {
		t.Fatalf("after canceled copy: %v %v", rows, err)
	}
}

// TestCancelOverTLS: the CancelRequest goes on a plain connection of its
// own, which the server accepts even where pg_hba allows only TLS.
func TestCancelOverTLS(t *testing.T) {
	a := connect(t, config(t, pgtest.TLSOnly))
	ctx, cancel := context.WithCancel(context.Background())
	sleep := &actor.Command{Kind: actor.CmdSimple, SQL: "SELECT pg_sleep(60)"}
	a.Do(ctx, sleep)
	// Sent once the sleep has run a while: it waits unwritten (see
	// TestLingeringHeadCancelled), so the cancel stops nothing but the sleep.
	waitFor(t, func() bool { return a.InFlight() == 1 })
	time.Sleep(20 * time.Millisecond)
	after := &actor.Command{Kind: actor.CmdSimple, SQL: "SELECT 1"}
	a.Do(context.Background(), after)
	waitFor(t, func() bool { return a.InFlight() == 2 })
	start := time.Now()
	cancel()
	if _, err := sleep.Result.Await(context.Background()); !errors.Is(err, context.Canceled) {
		t.Fatalf("canceled: %v", err)
	}
	if _, err := after.Result.Await(context.Background()); err != nil {
		t.Fatalf("the command behind: %v", err)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Fatalf("the server kept sleeping for %v: the cancel did not reach it", d)
	}
}

// TestServiceTime: the time per command counts from the start of work, not
// from the last completion before an idle spell, follows the commands'
// length, and is not moved by one slow reading among quick ones.
func TestServiceTime(t *testing.T) {
	a := connect(t, config(t, pgtest.Trust))
	ctx := context.Background()
	if a.ServiceTime() != 0 {
		t.Fatalf("service time %v before any command", a.ServiceTime())
	}
	for range 8 {
		time.Sleep(60 * time.Millisecond) // idle: not part of any command's time
		if _, err := exec(ctx, a, "SELECT pg_sleep(0.02)"); err != nil {
			t.Fatal(err)
		}
	}
	if st := a.ServiceTime(); st < 15*time.Millisecond || st > 60*time.Millisecond {
		t.Fatalf("service time %v after 20 ms commands", st)
	}
	for range 200 {
		if _, err := exec(ctx, a, "SELECT 1"); err != nil {
			t.Fatal(err)
		}
	}
	if st := a.ServiceTime(); st > 5*time.Millisecond {
		t.Fatalf("service time %v after 200 quick commands", st)
	}
	if _, err := exec(ctx, a, "SELECT pg_sleep(0.05)"); err != nil {
		t.Fatal(err)
	}
	if st := a.ServiceTime(); st > 5*time.Millisecond {
		t.Fatalf("service time %v after one slow command among quick ones", st)
	}

	// Slow after quick: far above the floor the quick ones set, which is
	// how contention looks; and the floor forgets, rising to commands that
	// are slow for good within some hundred readings.
	floor := a.ServiceFloor()
	if floor <= 0 || floor > 5*time.Millisecond {
		t.Fatalf("floor %v after quick commands", floor)
	}
	for range 8 {
		if _, err := exec(ctx, a, "SELECT pg_sleep(0.01)"); err != nil {
			t.Fatal(err)
		}
	}
	if st, f := a.ServiceTime(), a.ServiceFloor(); st < 4*f {
		t.Fatalf("service time %v not far above the floor %v after quick commands turned slow", st, f)
	}
	for range 250 {
		if _, err := exec(ctx, a, "SELECT pg_sleep(0.002)"); err != nil {
			t.Fatal(err)
		}
	}
	if st, f := a.ServiceTime(), a.ServiceFloor(); st >= 4*f {
		t.Fatalf("floor %v did not rise to commands slow for good (service time %v)", f, st)
	}
}
