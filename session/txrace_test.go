package session_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/pgactor/pgactor/internal/pgtest"
	"github.com/pgactor/pgactor/session"
)

// TestCommitRacesItsCommands ends transactions while goroutines are still
// firing commands into them, and runs commands of nobody on the same pool
// meanwhile. A command of the transaction either ran inside it (and its
// row is there exactly when the transaction committed) or was refused
// with ErrTxClosed and ran nowhere; a command of nobody always persists,
// also when the transaction it raced rolls back.
func TestCommitRacesItsCommands(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	d := dsn(t, pgtest.Trust)
	p := newPool(t, d, &session.PoolOptions{MaxConns: 2})
	if _, err := p.Exec(ctx, "CREATE TABLE IF NOT EXISTS txrace (tag text, n int4)").Await(ctx); err != nil {
		t.Fatal(err)
	}
	run := runTag()
	for round := range 40 {
		commit := round%2 == 0
		tag := fmt.Sprintf("%s-%d", run, round)
		tx, err := p.Begin(ctx, session.TxOptions{})
		if err != nil {
			t.Fatal(err)
		}
		const firers, each = 6, 8
		var wg sync.WaitGroup
		inside := make([]error, firers*each)
		outside := make([]error, firers*each)
		for g := range firers {
			wg.Go(func() {
				for i := range each {
					n := g*each + i
					inside[n] = nil
					f := tx.Exec(ctx, "INSERT INTO txrace VALUES ($1, $2)", "in-"+tag, n)
					o := p.Exec(ctx, "INSERT INTO txrace VALUES ($1, $2)", "out-"+tag, n)
					_, inside[n] = f.Await(ctx)
					_, outside[n] = o.Await(ctx)
				}
			})
		}
		time.Sleep(time.Duration(round%5) * 100 * time.Microsecond)
		var end error
		if commit {
			end = tx.Commit(ctx)
		} else {
			end = tx.Rollback(ctx)
		}
		wg.Wait()
		if end != nil {
			t.Fatalf("round %d: end: %v", round, end)
		}
		got := map[int]bool{}
		rows, err := p.Query(ctx, "SELECT n FROM txrace WHERE tag = $1", "in-"+tag).Await(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var n int
			if err := rows.Scan(&n); err != nil {
				t.Fatal(err)
			}
			got[n] = true
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		for n, err := range inside {
			switch {
			case err != nil && !errors.Is(err, session.ErrTxClosed) && !errors.Is(err, session.ErrBatchNotRun):
				t.Fatalf("round %d: command %d of the transaction: %v", round, n, err)
			case err != nil && got[n]:
				t.Fatalf("round %d: command %d was refused (%v) but its row exists: it ran outside the transaction", round, n, err)
			case err == nil && got[n] != commit:
				t.Fatalf("round %d (commit %v): command %d ran in the transaction, row present %v", round, commit, n, got[n])
			}
		}
		if c := countRows(t, connectOnce(t, d), "txrace", "out-"+tag); c != firers*each {
			t.Fatalf("round %d (commit %v): %d of %d commands of nobody persisted: some ran inside the transaction", round, commit, c, firers*each)
		}
		for n, err := range outside {
			if err != nil {
				t.Fatalf("round %d: command %d of nobody: %v", round, n, err)
			}
		}
	}
}

var sideSession struct {
	sync.Mutex
	s map[string]*session.Session
}

// connectOnce returns a session on d shared by the test's checks.
func connectOnce(t *testing.T, d string) *session.Session {
	sideSession.Lock()
	defer sideSession.Unlock()
	key := t.Name() + d
	if sideSession.s == nil {
		sideSession.s = map[string]*session.Session{}
	}
	if s, ok := sideSession.s[key]; ok {
		return s
	}
	s := connect(t, d)
	sideSession.s[key] = s
	t.Cleanup(func() {
		sideSession.Lock()
		delete(sideSession.s, key)
		sideSession.Unlock()
	})
	return s
}

// TestConnectionCutBeforeCommit: the transaction's statements ran, then its
// backend is terminated before COMMIT. Commit must fail (never nil), the
// rows must be gone, and the pool goes on with a fresh connection. When the
// loss was noticed before COMMIT could be written, Commit knows the
// transaction rolled back and says so; when it raced the write, it says the
// outcome is unknown.
func TestConnectionCutBeforeCommit(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	d := dsn(t, pgtest.Trust)
	p := newPool(t, d, &session.PoolOptions{MaxConns: 2})
	side := connect(t, d)
	if _, err := p.Exec(ctx, "CREATE TABLE IF NOT EXISTS txcut (tag text, n int4)").Await(ctx); err != nil {
		t.Fatal(err)
	}
	run := runTag()
	for _, noticed := range []bool{true, false} {
		t.Run(fmt.Sprint("noticed=", noticed), func(t *testing.T) {
			tag := fmt.Sprintf("%s-%v", run, noticed)
			tx, err := p.Begin(ctx, session.TxOptions{})
			if err != nil {
				t.Fatal(err)
			}
			var pid int32
			if err := tx.QueryRow(ctx, "SELECT pg_backend_pid() FROM (SELECT 1) x WHERE $1::text IS NOT NULL", tag).Scan(&pid); err != nil {
				t.Fatal(err)
			}
			for i := range 5 {
				if _, err := tx.Exec(ctx, "INSERT INTO txcut VALUES ($1, $2)", tag, i).Await(ctx); err != nil {
					t.Fatal(err)
				}
			}
			if _, err := side.Exec(ctx, "SELECT pg_terminate_backend($1)", pid).Await(ctx); err != nil {
				t.Fatal(err)
			}
			if noticed {
				// A command of the transaction learns that the connection
				// is gone; COMMIT then cannot be written at all.
				if _, err := tx.Exec(ctx, "SELECT 1").Await(ctx); err == nil {
					t.Fatal("a command on the terminated connection succeeded")
				}
			}
			err = tx.Commit(ctx)
			switch {
			case err == nil:
				t.Fatal("Commit on a terminated connection returned nil")
			case noticed && (!errors.Is(err, session.ErrTxCommitRollback) || errors.Is(err, session.ErrCommitOutcomeUnknown)):
				t.Fatalf("Commit after the loss was noticed: %v; want ErrTxCommitRollback, not an unknown outcome", err)
			case !noticed && !errors.Is(err, session.ErrTxCommitRollback) && !errors.Is(err, session.ErrCommitOutcomeUnknown):
				t.Fatalf("Commit racing the loss: %v; want ErrTxCommitRollback or ErrCommitOutcomeUnknown", err)
			}
			if n := countRows(t, side, "txcut", tag); n != 0 {
				t.Fatalf("%d rows of the cut transaction exist", n)
			}
			var one int
			if err := p.QueryRow(ctx, "SELECT 1").Scan(&one); err != nil || one != 1 {
				t.Fatalf("the pool after the cut: %d, %v", one, err)
			}
		})
	}
}

// TestSavepointsInOneRoundTrip mixes held commands of a one-round-trip
// transaction with savepoints: one whose statement fails on the server and
// is rolled back to, one that is released. The parent's commands before,
// between and after them commit; the failed savepoint's do not.
func TestSavepointsInOneRoundTrip(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	d := dsn(t, pgtest.Trust)
	run := runTag()
	for i, db := range []session.TxBeginner{connect(t, d), newPool(t, d, &session.PoolOptions{MaxConns: 2}), connect(t, d)} {
		// The last round waits for the failure before Commit; the others
		// commit with the failing statement in flight, so RELEASE goes
		// out behind it and is refused.
		awaitBad := i == 2
		tag := fmt.Sprintf("%s-%T-%d", run, db, i)
		s := connectOnce(t, d)
		if _, err := s.Exec(ctx, "CREATE TABLE IF NOT EXISTS txsp (tag text, n int4)").Await(ctx); err != nil {
			t.Fatal(err)
		}
		ins := "INSERT INTO txsp VALUES ($1, $2)"
		err := session.BeginFunc(ctx, db, session.TxOptions{IsoLevel: "repeatable read"}, func(tx *session.Tx) error {
			tx.Exec(ctx, ins, tag, 1)
			failed, err := tx.Begin(ctx)
			if err != nil {
				return err
			}
			failed.Exec(ctx, ins, tag, 100)
			bad := failed.Exec(ctx, "INSERT INTO txsp VALUES ($1, 1 / $2::int4)", tag, 0)
			if awaitBad {
				bad.Await(ctx)
			}
			if err := failed.Commit(ctx); !errors.Is(err, session.ErrTxCommitRollback) {
				return fmt.Errorf("commit of the failing savepoint: %v", err)
			}
			var pe *session.PgError
			if _, err := bad.Await(ctx); !errors.As(err, &pe) || pe.SQLState() != "22012" {
				return fmt.Errorf("the failing statement: %v", err)
			}
			tx.Exec(ctx, ins, tag, 2)
			kept, err := tx.Begin(ctx)
			if err != nil {
				return err
			}
			kept.Exec(ctx, ins, tag, 200)
			if err := kept.Commit(ctx); err != nil {
				return fmt.Errorf("release: %v", err)
			}
			var iso string
			if err := tx.QueryRow(ctx, "SELECT current_setting('transaction_isolation') WHERE $1::int4 = 1", 1).Scan(&iso); err != nil || iso != "repeatable read" {
				return fmt.Errorf("isolation inside: %q, %v", iso, err)
			}
			tx.Exec(ctx, ins, tag, 3)
			return nil
		})
		if err != nil {
			t.Fatalf("%T: %v", db, err)
		}
		rows, err := s.Query(ctx, "SELECT n FROM txsp WHERE tag = $1 ORDER BY n", tag).Await(ctx)
		if err != nil {
			t.Fatal(err)
		}
		ns, err := session.CollectRows(rows, session.RowTo[int32])
		if err != nil {
			t.Fatal(err)
		}
		if fmt.Sprint(ns) != "[1 2 3 200]" {
			t.Fatalf("%T: committed %v; want [1 2 3 200]", db, ns)
		}
	}
}

// TestOneBatchTransactionsShareConnections runs many transactions that are
// committed in one batch on a pool of one connection, so that they are
// pipelined behind each other there; every fifth fails in its last
// statement. Each must be all or nothing on its own: a failing one leaves
// no row, and its failure touches no other transaction.
func TestOneBatchTransactionsShareConnections(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	d := dsn(t, pgtest.Trust)
	p := newPool(t, d, &session.PoolOptions{MaxConns: 1})
	if _, err := p.Exec(ctx, "CREATE TABLE IF NOT EXISTS txshare (tag text, n int4)").Await(ctx); err != nil {
		t.Fatal(err)
	}
	run := runTag()
	const n = 60
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			tag := fmt.Sprintf("%s-%d", run, i)
			errs[i] = session.BeginFunc(ctx, p, session.TxOptions{}, func(tx *session.Tx) error {
				for j := range 3 {
					tx.Exec(ctx, "INSERT INTO txshare VALUES ($1, $2)", tag, j)
				}
				div := 1
				if i%5 == 0 {
					div = 0
				}
				tx.Exec(ctx, "INSERT INTO txshare VALUES ($1, 10 / $2::int4)", tag, div)
				return nil
			})
		})
	}
	wg.Wait()
	side := connect(t, d)
	for i, err := range errs {
		tag := fmt.Sprintf("%s-%d", run, i)
		rows := countRows(t, side, "txshare", tag)
		var pe *session.PgError
		switch {
		case i%5 == 0 && (!errors.Is(err, session.ErrTxCommitRollback) || !errors.As(err, &pe) || pe.SQLState() != "22012"):
			t.Errorf("transaction %d: %v; want its division by zero", i, err)
		case i%5 == 0 && rows != 0:
			t.Errorf("transaction %d failed but left %d rows", i, rows)
		case i%5 != 0 && (err != nil || rows != 4):
			t.Errorf("transaction %d: %v, %d rows; want nil, 4", i, err, rows)
		}
	}
	// The connection is not left inside anyone's transaction: SAVEPOINT
	// outside a transaction block is refused with 25P01.
	var pe *session.PgError
	if _, err := p.Exec(ctx, "SAVEPOINT probe").Await(ctx); !errors.As(err, &pe) || pe.SQLState() != "25P01" {
		t.Fatalf("the pool's connection afterwards is inside a transaction: SAVEPOINT gave %v", err)
	}
}

// TestCommitWaitsNoLongerThanItsContext: a transaction that has not begun
// yet, committed on a pool whose every connection is held, waits for one
// only as long as Commit's context allows; nothing of it runs.
func TestCommitWaitsNoLongerThanItsContext(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	d := dsn(t, pgtest.Trust)
	p := newPool(t, d, &session.PoolOptions{MaxConns: 1})
	if _, err := p.Exec(ctx, "CREATE TABLE IF NOT EXISTS txwait (tag text)").Await(ctx); err != nil {
		t.Fatal(err)
	}
	// Without options the transaction is one batch; with them it needs a
	// connection of its own for BEGIN ... COMMIT. Either way it waits.
	for _, opts := range []session.TxOptions{{}, {IsoLevel: "repeatable read"}} {
		holder, err := p.Begin(ctx, session.TxOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := holder.Exec(ctx, "SELECT 1").Await(ctx); err != nil { // takes the only connection
			t.Fatal(err)
		}
		tag := runTag()
		tx, err := p.Begin(ctx, opts)
		if err != nil {
			t.Fatal(err)
		}
		tx.Exec(ctx, "INSERT INTO txwait VALUES ($1)", tag)
		short, stop := context.WithTimeout(ctx, 100*time.Millisecond)
		began := time.Now()
		err = tx.Commit(short)
		stop()
		if !errors.Is(err, session.ErrTxCommitRollback) || !errors.Is(err, context.DeadlineExceeded) || errors.Is(err, session.ErrCommitOutcomeUnknown) {
			t.Fatalf("%+v: Commit with every connection held: %v; want ErrTxCommitRollback and its deadline", opts, err)
		}
		if waited := time.Since(began); waited > 2*time.Second {
			t.Fatalf("%+v: Commit waited %v past a 100ms context", opts, waited)
		}
		if err := holder.Rollback(ctx); err != nil {
			t.Fatal(err)
		}
		if n := countRows(t, connectOnce(t, d), "txwait", tag); n != 0 {
			t.Fatalf("%+v: %d rows of a transaction that never went out", opts, n)
		}
	}
}

// TestHeldResultWaitsNoLongerThanItsWaiter: waiting for a held command's
// result makes a Pool's transaction take a connection; with every one held
// that waits only as long as the waiter's context, though Begin's has no
// deadline.
func TestHeldResultWaitsNoLongerThanItsWaiter(t *testing.T) {
	ctx := context.Background()
	p := newPool(t, dsn(t, pgtest.Trust), &session.PoolOptions{MaxConns: 1})
	holder, err := p.Begin(ctx, session.TxOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer holder.Rollback(ctx)
	if _, err := holder.Exec(ctx, "SELECT 1").Await(ctx); err != nil { // takes the only connection
		t.Fatal(err)
	}
	tx, err := p.Begin(ctx, session.TxOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	short, stop := context.WithTimeout(ctx, 100*time.Millisecond)
	defer stop()
	began := time.Now()
	var v int
	err = tx.QueryRow(short, "SELECT $1::int4", 1).Scan(&v)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Scan with every connection held: %v; want its deadline", err)
	}
	if waited := time.Since(began); waited > 2*time.Second {
		t.Fatalf("Scan waited %v past a 100ms context", waited)
	}
}
