package main

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
)

// tpcb is pgbench's TPC-B-like transaction on pgbench's tables (named
// pgactor_bench_* here, so that a run against $DATABASE_URL cannot meet a
// user's own pgbench tables): an
// account, a teller and a branch get delta, the account's balance is read
// back and a history row is written. Every transaction keeps the balances
// consistent: the sums of accounts, tellers, branches and history deltas
// stay equal, which verify checks after every cell.
type tpcb struct {
	aid, tid, bid, delta int64
}

// The statements, in pgbench's order (no deadlocks: every transaction locks
// an account, then a teller, then a branch).
const (
	tpcbUpdateAccount = "UPDATE pgactor_bench_accounts SET abalance = abalance + $1 WHERE aid = $2"
	tpcbSelectAccount = "SELECT abalance FROM pgactor_bench_accounts WHERE aid = $1"
	tpcbUpdateTeller  = "UPDATE pgactor_bench_tellers SET tbalance = tbalance + $1 WHERE tid = $2"
	tpcbUpdateBranch  = "UPDATE pgactor_bench_branches SET bbalance = bbalance + $1 WHERE bid = $2"
	tpcbInsertHistory = "INSERT INTO pgactor_bench_history (tid, bid, aid, delta, mtime) VALUES ($1, $2, $3, $4, CURRENT_TIMESTAMP)"
)

// tpcbScale is pgbench's scale factor: 100,000 accounts, 10 tellers and one
// branch per unit. A variable so the package's tests can use a small one.
var tpcbScale = 10

// tpcbUsers and tpcbConns: 64 goroutines over 8 connections.
const (
	tpcbUsers = 64
	tpcbConns = 8
)

func randomTPCB(r *rand.Rand) tpcb {
	return tpcb{
		aid:   1 + r.Int64N(int64(100_000*tpcbScale)),
		tid:   1 + r.Int64N(int64(10*tpcbScale)),
		bid:   1 + r.Int64N(int64(tpcbScale)),
		delta: r.Int64N(10_001) - 5_000,
	}
}

// tpcbWorkload is tpcb (each driver's idiomatic transaction) or tpcb_batch
// (pgx's one-round-trip form: the transaction as one pgx.Batch).
func tpcbWorkload(name string, batch bool) *workload {
	return &workload{
		name: name, unit: "transactions", conns: tpcbConns,
		reset: setupTPCB,
		run: func(ctx context.Context, h handle, d time.Duration) (sample, error) {
			run := h.tpcb
			if batch {
				run = h.tpcbBatch
			}
			return tpcbLoop(ctx, run, d)
		},
		verify: verifyTPCB,
	}
}

// tpcbLoop runs tpcbUsers goroutines, each running transactions one after
// another until d has passed, and times every transaction.
func tpcbLoop(ctx context.Context, run func(context.Context, tpcb) error, d time.Duration) (sample, error) {
	deadline := time.Now().Add(d)
	lats := make([][]time.Duration, tpcbUsers)
	errs := make([]error, tpcbUsers)
	var wg sync.WaitGroup
	for u := range tpcbUsers {
		wg.Go(func() {
			r := rand.New(rand.NewPCG(uint64(u), uint64(time.Now().UnixNano())))
			for {
				t := time.Now()
				if !t.Before(deadline) {
					return
				}
				if err := run(ctx, randomTPCB(r)); err != nil {
					errs[u] = err
					return
				}
				lats[u] = append(lats[u], time.Since(t))
			}
		})
	}
	wg.Wait()
	var s sample
	for _, l := range lats {
		s.latencies = append(s.latencies, l...)
	}
	s.ops = int64(len(s.latencies))
	if err := errors.Join(errs...); err != nil {
		if errors.Is(err, errUnsupported) {
			return s, errUnsupported
		}
		return s, err
	}
	return s, nil
}

// setupTPCB builds pgbench's tables at tpcbScale once (as `pgbench -i`
// would) and leaves them as they are afterwards: the invariant holds for
// any number of transactions.
func setupTPCB(ctx context.Context, admin *pgx.Conn) error {
	for _, q := range []string{
		"CREATE TABLE IF NOT EXISTS pgactor_bench_branches (bid int PRIMARY KEY, bbalance int8 NOT NULL, filler char(88))",
		"CREATE TABLE IF NOT EXISTS pgactor_bench_tellers (tid int PRIMARY KEY, bid int NOT NULL, tbalance int8 NOT NULL, filler char(84))",
		"CREATE TABLE IF NOT EXISTS pgactor_bench_accounts (aid int PRIMARY KEY, bid int NOT NULL, abalance int8 NOT NULL, filler char(84))",
		"CREATE TABLE IF NOT EXISTS pgactor_bench_history (tid int, bid int, aid int, delta int8, mtime timestamp, filler char(22))",
	} {
		if _, err := admin.Exec(ctx, q); err != nil {
			return err
		}
	}
	var n int64
	if err := admin.QueryRow(ctx, "SELECT count(*) FROM pgactor_bench_branches").Scan(&n); err != nil {
		return err
	}
	if n == int64(tpcbScale) {
		return nil
	}
	for _, q := range []string{
		"TRUNCATE pgactor_bench_branches, pgactor_bench_tellers, pgactor_bench_accounts, pgactor_bench_history",
		fmt.Sprintf("INSERT INTO pgactor_bench_branches SELECT b, 0 FROM generate_series(1, %d) b", tpcbScale),
		fmt.Sprintf("INSERT INTO pgactor_bench_tellers SELECT t, (t - 1) / 10 + 1, 0 FROM generate_series(1, %d) t", 10*tpcbScale),
		fmt.Sprintf("INSERT INTO pgactor_bench_accounts SELECT a, (a - 1) / 100000 + 1, 0 FROM generate_series(1, %d) a", 100_000*tpcbScale),
		"ANALYZE pgactor_bench_branches, pgactor_bench_tellers, pgactor_bench_accounts, pgactor_bench_history",
	} {
		if _, err := admin.Exec(ctx, q); err != nil {
			return err
		}
	}
	return nil
}

// verifyTPCB checks pgbench's invariant: every delta reached an account, a
// teller, a branch and the history, or none of them did.
func verifyTPCB(ctx context.Context, admin *pgx.Conn) error {
	var a, t, b, h int64
	err := admin.QueryRow(ctx, `SELECT
		(SELECT coalesce(sum(abalance), 0) FROM pgactor_bench_accounts),
		(SELECT coalesce(sum(tbalance), 0) FROM pgactor_bench_tellers),
		(SELECT coalesce(sum(bbalance), 0) FROM pgactor_bench_branches),
		(SELECT coalesce(sum(delta), 0) FROM pgactor_bench_history)`).Scan(&a, &t, &b, &h)
	if err != nil {
		return err
	}
	if a != t || t != b || b != h {
		return fmt.Errorf("tpcb invariant broken: accounts %d, tellers %d, branches %d, history %d", a, t, b, h)
	}
	return nil
}
