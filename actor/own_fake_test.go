package actor_test

import (
	"context"
	"errors"
	"testing"

	"github.com/pgactor/pgactor/actor"
	"github.com/pgactor/pgactor/internal/fakepg"
	"github.com/pgactor/pgactor/wire"
)

// expect reads frontend messages and checks their tags.
func (b *backend) expect(tags string) {
	b.t.Helper()
	for i := range len(tags) {
		if tag, _ := b.msg(); tag != tags[i] {
			b.t.Fatalf("backend: message %d of %q is %q", i, tags, tag)
		}
	}
}

// prepareAnswer answers Parse, Describe(statement), Sync for a statement
// with one int4 parameter and one int4 column.
func prepareAnswer() []byte {
	return fakepg.Concat(fakepg.ParseComplete(), fakepg.ParameterDescription(23),
		fakepg.RowDescription(fakepg.Column{Name: "v", TypeOID: 23}), fakepg.ReadyForQuery('I'))
}

// TestFakeOnlyStalePlansReprepared: SQLSTATE 0A000 is "feature not
// supported"; only its "cached plan must not change result type" case
// means a stale statement. Any other 0A000 fails the command as it is.
func TestFakeOnlyStalePlansReprepared(t *testing.T) {
	a, _, b := fakeActor(t, actor.Config{})
	q := &actor.Command{Kind: actor.CmdQuery, SQL: "SELECT $1::int4", Args: []any{int32(1)}}
	a.Do(context.Background(), q)
	b.expect("PDS")
	b.write(prepareAnswer())
	b.expect("BES")
	b.write(fakepg.Concat(fakepg.Error("ERROR", "0A000", "cross-database references are unsupported"), fakepg.ReadyForQuery('I')))
	_, err := q.Result.Await(context.Background())
	var pe *wire.ErrorOrNoticeResponse
	if !errors.As(err, &pe) || pe.Code != "0A000" || actor.SafeToRetry(err) {
		t.Fatalf("want the 0A000 itself, got %v", err)
	}
	probe := simple(a, context.Background(), "probe")
	if got := b.query(); got != "probe" {
		t.Fatalf("server got %q: the command was prepared or run again", got)
	}
	b.write(answer("probe"))
	firstValue(t, probe)
}

// TestFakeNewStatementKeepsOrder: a query that needs a Prepare is not
// overtaken by a command sent after it: the later command is written only
// once the first one's Bind/Execute is.
func TestFakeNewStatementKeepsOrder(t *testing.T) {
	a, _, b := fakeActor(t, actor.Config{})
	first := &actor.Command{Kind: actor.CmdQuery, SQL: "INSERT INTO t VALUES ($1)", Args: []any{int32(1)}}
	a.Do(context.Background(), first)
	second := simple(a, context.Background(), "UPDATE t SET v = 2")
	b.expect("PDS")
	b.write(fakepg.Concat(fakepg.ParseComplete(), fakepg.ParameterDescription(23), fakepg.NoData(), fakepg.ReadyForQuery('I')))
	b.expect("BES")
	// The UPDATE may wait for the INSERT's answer (coalescing); it must
	// come after the INSERT's Bind either way.
	b.write(fakepg.Concat(fakepg.BindComplete(), fakepg.CommandComplete("INSERT 0 1"), fakepg.ReadyForQuery('I')))
	if got := b.query(); got != "UPDATE t SET v = 2" {
		t.Fatalf("second command: %q", got)
	}
	b.write(fakepg.Concat(fakepg.CommandComplete("UPDATE 1"), fakepg.ReadyForQuery('I')))
	if c, err := first.Result.Await(context.Background()); err != nil || c.Tag != "INSERT 0 1" {
		t.Fatalf("first: %+v %v", c, err)
	}
	if c, err := second.Result.Await(context.Background()); err != nil || c.Tag != "UPDATE 1" {
		t.Fatalf("second: %+v %v", c, err)
	}
}

// TestFakePoolerSwitchesToUnnamed: a cached statement's name that the
// server says exists already (42P05) outside a transaction means a pooler
// in transaction mode; the connection switches to unnamed statements and
// runs the command that way, and the caller sees no error.
func TestFakePoolerSwitchesToUnnamed(t *testing.T) {
	var seen []error
	mode := &actor.StatementMode{OnSwitch: func(err error) { seen = append(seen, err) }}
	a, _, b := fakeActor(t, actor.Config{Statements: mode})
	q := &actor.Command{Kind: actor.CmdQuery, SQL: "SELECT $1::int4", Args: []any{int32(5)}, WantRows: true}
	a.Do(context.Background(), q)
	b.expect("PDS")
	b.write(fakepg.Concat(fakepg.Error("ERROR", "42P05", `prepared statement "pgactor_x" already exists`), fakepg.ReadyForQuery('I')))
	b.expect("PBDES") // one flight on the unnamed statement
	b.write(fakepg.Concat(fakepg.ParseComplete(), fakepg.BindComplete(), fakepg.RowDescription(fakepg.Column{Name: "v", TypeOID: 23}),
		fakepg.TextRow("5"), fakepg.SelectComplete(1), fakepg.ReadyForQuery('I')))
	c, err := q.Result.Await(context.Background())
	if err != nil || len(c.Batch) != 1 {
		t.Fatalf("%+v %v", c, err)
	}
	if !mode.Unnamed() || len(seen) != 1 {
		t.Fatalf("unnamed %v, OnSwitch called %d times", mode.Unnamed(), len(seen))
	}
	// From now on every query goes out in one flight.
	q2 := &actor.Command{Kind: actor.CmdQuery, SQL: "SELECT $1::int4", Args: []any{int32(6)}}
	a.Do(context.Background(), q2)
	b.expect("PBDES")
	b.write(fakepg.Concat(fakepg.ParseComplete(), fakepg.BindComplete(), fakepg.RowDescription(fakepg.Column{Name: "v", TypeOID: 23}),
		fakepg.TextRow("6"), fakepg.SelectComplete(1), fakepg.ReadyForQuery('I')))
	if _, err := q2.Result.Await(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// TestFakeCopyInThroughQuery: COPY FROM STDIN sent as a plain query, with
// commands pipelined behind it. Nothing behind it may reach the server
// while it waits for copy data (the server would drop the connection):
// the copy is refused with CopyFail, it fails alone, and the rest run.
func TestFakeCopyInThroughQuery(t *testing.T) {
	a, _, b := fakeActor(t, actor.Config{})
	cp := simple(a, context.Background(), "COPY t FROM STDIN")
	after := simple(a, context.Background(), "after")
	if got := b.query(); got != "COPY t FROM STDIN" {
		t.Fatal(got)
	}
	b.write(fakepg.CopyInResponse(1))
	tag, _ := b.msg()
	if tag != 'f' {
		t.Fatalf("after CopyInResponse the client sent %q, want CopyFail", tag)
	}
	b.write(fakepg.Concat(fakepg.Error("ERROR", "57014", "COPY from stdin failed"), fakepg.ReadyForQuery('I')))
	if got := b.query(); got != "after" {
		t.Fatalf("behind the copy: %q", got)
	}
	b.write(answer("after"))
	if _, err := cp.Result.Await(context.Background()); err == nil {
		t.Fatal("the COPY succeeded")
	}
	if got, err := firstValue(t, after); got != "after" || err != nil {
		t.Fatalf("%q %v", got, err)
	}
}
