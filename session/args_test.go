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

// argsQuery returns what the server received for a []byte, a slice, a
// map (as json) and a pointer.
const argsQuery = "SELECT $1::bytea, $2::int4[], $3::jsonb ->> 'k', $4::text"

type argSet struct {
	b []byte
	s []int32
	m map[string]string
	p *string
}

func newArgs(tag string) *argSet {
	v := "p-" + tag
	return &argSet{b: []byte("b-" + tag), s: []int32{1, 2, 3}, m: map[string]string{"k": "m-" + tag}, p: &v}
}

// scribble changes everything the arguments reference, as a caller reusing
// its buffers would right after Query returned.
func (a *argSet) scribble() {
	for i := range a.b {
		a.b[i] = 'X'
	}
	for i := range a.s {
		a.s[i] = -1
	}
	a.m["k"] = "changed"
	*a.p = "changed"
}

func (a *argSet) list() []any { return []any{a.b, a.s, a.m, a.p} }

func checkArgs(t *testing.T, what string, r *session.Row, tag string) {
	t.Helper()
	var b []byte
	var s []int32
	var m, p string
	if err := r.Scan(&b, &s, &m, &p); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	got := fmt.Sprintf("%s %v %s %s", b, s, m, p)
	want := fmt.Sprintf("b-%s [1 2 3] m-%s p-%s", tag, tag, tag)
	if got != want {
		t.Errorf("%s: the server got %q, want %q: arguments were read after Query returned", what, got, want)
	}
}

// TestArgsReadBeforeQueryReturns changes every argument right after Query
// (or SendBatch) returned: nothing sent may change, whether the connection
// knows the statement already (arguments encoded in the caller) or sees it
// for the first time (arguments copied, encoded once described), with a
// slow query in front so the command is still queued when they change.
func TestArgsReadBeforeQueryReturns(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	d := dsn(t, pgtest.Trust)

	t.Run("session", func(t *testing.T) {
		s := connect(t, d)
		for round, phase := range []string{"first", "cached"} {
			slow := s.Exec(ctx, "SELECT pg_sleep(0.05)")
			a := newArgs(phase)
			r := s.QueryRow(ctx, argsQuery, a.list()...)
			a.scribble()
			checkArgs(t, phase, r, phase)
			if _, err := slow.Await(ctx); err != nil {
				t.Fatal(round, err)
			}
		}
	})
	t.Run("batch", func(t *testing.T) {
		s := connect(t, d)
		for _, phase := range []string{"first", "cached"} {
			var b session.Batch
			a := newArgs(phase)
			r := b.QueryRow(argsQuery, a.list()...)
			f := s.SendBatch(ctx, &b)
			a.scribble()
			if _, err := f.Await(ctx); err != nil {
				t.Fatal(err)
			}
			checkArgs(t, "batch "+phase, r, phase)
		}
	})
	t.Run("transaction", func(t *testing.T) {
		// A transaction holds its commands until a result is wanted: the
		// arguments are read when the call returns all the same.
		s := connect(t, d)
		for _, phase := range []string{"first", "cached"} {
			tx, err := s.Begin(ctx, session.TxOptions{})
			if err != nil {
				t.Fatal(err)
			}
			a := newArgs(phase)
			r := tx.QueryRow(ctx, argsQuery, a.list()...)
			a.scribble()
			checkArgs(t, "transaction "+phase, r, phase)
			if err := tx.Commit(ctx); err != nil {
				t.Fatal(err)
			}
		}
	})
	t.Run("pool", func(t *testing.T) {
		p := newPool(t, d, &session.PoolOptions{MinConns: 2, MaxConns: 2})
		var rows []*session.Row
		for i := range 20 {
			a := newArgs(fmt.Sprint(i))
			rows = append(rows, p.QueryRow(ctx, argsQuery, a.list()...))
			a.scribble()
		}
		for i, r := range rows {
			checkArgs(t, fmt.Sprint("pool ", i), r, fmt.Sprint(i))
		}
	})
	t.Run("unnamed", func(t *testing.T) {
		s := connect(t, d+" statement_cache_mode=unnamed")
		slow := s.Exec(ctx, "SELECT pg_sleep(0.05)")
		a := newArgs("u")
		// A map has no type of its own (json? hstore?): unnamed statements
		// cannot send one, so the json goes as text here.
		r := s.QueryRow(ctx, argsQuery, a.b, a.s, `{"k": "m-u"}`, a.p)
		a.scribble()
		checkArgs(t, "unnamed", r, "u")
		if _, err := slow.Await(ctx); err != nil {
			t.Fatal(err)
		}
	})
}

// TestEvictedWhileQueued cycles more statements than the cache holds from
// several goroutines: arguments encoded for a description the connection
// then evicts go out after the statement was prepared again with their
// types, and every caller gets its own answer.
func TestEvictedWhileQueued(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	s := connect(t, dsn(t, pgtest.Trust, "statement_cache_capacity", "2"))
	errc := make(chan error, 4)
	for g := range 4 {
		go func() {
			for i := range 200 {
				k := i % 5
				q := fmt.Sprintf("SELECT $1::int8 * %d + $2::int8, $3::text", k+1)
				want := fmt.Sprintf("%d g%d", int64(i)*int64(k+1)+int64(g), g)
				var n int64
				var tag string
				if err := s.QueryRow(ctx, q, int64(i), int64(g), fmt.Sprint("g", g)).Scan(&n, &tag); err != nil {
					errc <- err
					return
				}
				if got := fmt.Sprint(n, " ", tag); got != want {
					errc <- fmt.Errorf("goroutine %d query %d: got %q, want %q", g, i, got, want)
					return
				}
			}
			errc <- nil
		}()
	}
	for range 4 {
		if err := <-errc; err != nil {
			t.Fatal(err)
		}
	}
}

// TestQueryRowRecycled runs QueryRow from many goroutines, some with
// contexts that end at once or mid-flight, on a Session and a Pool: the
// memory of a scanned Row is reused for later queries, and no caller may
// ever see another's answer. A Row scans once.
func TestQueryRowRecycled(t *testing.T) {
	d := dsn(t, pgtest.Trust)
	s := connect(t, d)
	p := newPool(t, d, &session.PoolOptions{MaxConns: 3})
	type querier interface {
		QueryRow(ctx context.Context, sql string, args ...any) *session.Row
	}
	for name, q := range map[string]querier{"session": s, "pool": p} {
		t.Run(name, func(t *testing.T) {
			errc := make(chan error, 16)
			for g := range 16 {
				go func() {
					for i := range 300 {
						ctx, cancel := context.WithCancel(context.Background())
						switch i % 10 {
						case 3:
							cancel() // gone before it is sent
						case 7:
							ctx, cancel = context.WithTimeout(ctx, time.Duration(i%5)*20*time.Microsecond)
						}
						want := fmt.Sprintf("%d/%d", g, i)
						var n int64
						var tag string
						r := q.QueryRow(ctx, "SELECT $1::int8, $2::text", int64(g*1000+i), want)
						err := r.Scan(&n, &tag)
						cancel()
						if err != nil {
							if ctx.Err() != nil {
								continue
							}
							errc <- fmt.Errorf("%s: %w", want, err)
							return
						}
						if n != int64(g*1000+i) || tag != want {
							errc <- fmt.Errorf("caller %s got (%d, %s): another caller's answer", want, n, tag)
							return
						}
						if err := r.Scan(&n, &tag); !errors.Is(err, session.ErrRowScanned) {
							errc <- fmt.Errorf("second Scan: %v", err)
							return
						}
					}
					errc <- nil
				}()
			}
			for range 16 {
				if err := <-errc; err != nil {
					t.Fatal(err)
				}
			}
		})
	}
}

// TestBatchRowsRecycled sends batches of QueryRow from several goroutines,
// some of them failing part way: each Row's memory is reused once scanned,
// while the rest of its batch is still being answered, and every caller
// gets its own answers (or its batch's error).
func TestBatchRowsRecycled(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	s := connect(t, dsn(t, pgtest.Trust))
	errc := make(chan error, 8)
	for g := range 8 {
		go func() {
			for round := range 60 {
				var b session.Batch
				rows := make([]*session.Row, 10)
				failAt := -1
				if round%5 == 4 {
					failAt = round % 10
				}
				for i := range rows {
					if i == failAt {
						rows[i] = b.QueryRow("SELECT 1 / $1::int8, $2::text", int64(0), "x")
						continue
					}
					rows[i] = b.QueryRow("SELECT $1::int8, $2::text", int64(g*100000+round*10+i), fmt.Sprint(g, "/", round, "/", i))
				}
				done := s.SendBatch(ctx, &b)
				for i, r := range rows {
					var n int64
					var tag string
					err := r.Scan(&n, &tag)
					switch {
					case failAt >= 0 && err == nil:
						errc <- fmt.Errorf("row %d of a failed batch succeeded", i)
						return
					case failAt >= 0:
					case err != nil:
						errc <- err
						return
					case n != int64(g*100000+round*10+i) || tag != fmt.Sprint(g, "/", round, "/", i):
						errc <- fmt.Errorf("caller %d/%d/%d got (%d, %s)", g, round, i, n, tag)
						return
					}
				}
				if _, err := done.Await(ctx); (err != nil) != (failAt >= 0) {
					errc <- fmt.Errorf("batch %d/%d: %v", g, round, err)
					return
				}
			}
			errc <- nil
		}()
	}
	for range 8 {
		if err := <-errc; err != nil {
			t.Fatal(err)
		}
	}
}
