// Command quickstart is pgactor's main job in a few dozen lines: it creates
// a table, inserts rows in a pipelined burst from 1,000 goroutines through a
// pool of 4 connections, streams them back over a channel, runs a
// transaction, and prints what it did with timings.
//
// It talks to $DATABASE_URL, or, when that is unset, starts a throwaway
// PostgreSQL from the installed server binaries and removes it afterwards.
package main

import (
	"context"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/pgactor/pgactor/internal/pgtest"
	"github.com/pgactor/pgactor/session"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "quickstart:", err)
		os.Exit(1)
	}
}

func run() error {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	dsn := os.Getenv("DATABASE_URL")
	if dsn == "" {
		start := time.Now()
		cluster, err := pgtest.Start()
		if err != nil {
			return err
		}
		defer cluster.Close()
		dsn = cluster.DSN(pgtest.Trust)
		fmt.Printf("started a throwaway PostgreSQL %s on %s in %v\n", cluster.Version, cluster.Addr(), time.Since(start).Round(time.Millisecond))
	}

	pool, err := session.NewPool(ctx, dsn, &session.PoolOptions{MaxConns: 4})
	if err != nil {
		return err
	}
	defer pool.Close()

	if _, err := pool.Exec(ctx, `DROP TABLE IF EXISTS quickstart;
		CREATE TABLE quickstart (id int8 PRIMARY KEY, name text NOT NULL, score float8, at timestamptz DEFAULT now())`).Await(ctx); err != nil {
		return err
	}

	// 1,000 goroutines insert at once; their commands are pipelined on
	// the pool's 4 connections.
	start := time.Now()
	var wg sync.WaitGroup
	errs := make(chan error, 1000)
	for i := range 1000 {
		wg.Go(func() {
			_, err := pool.Exec(ctx, "INSERT INTO quickstart (id, name, score) VALUES ($1, $2, $3)",
				int64(i), fmt.Sprintf("row %d", i), float64(i)/10).Await(ctx)
			if err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		return err
	}
	st := pool.Stats()
	fmt.Printf("inserted 1000 rows from 1000 goroutines over %d connections in %v\n", st.TotalConns, time.Since(start).Round(time.Microsecond))

	// Stream them back over a channel.
	start = time.Now()
	rows, err := pool.Query(ctx, "SELECT id, name, score, at FROM quickstart ORDER BY id").Await(ctx)
	if err != nil {
		return err
	}
	n, sum := 0, 0.0
	for vals := range rows.Chan(ctx) {
		n++
		sum += vals[2].(float64)
	}
	if err := rows.Err(); err != nil {
		return err
	}
	if n != 1000 || sum != 49950 {
		return fmt.Errorf("streamed %d rows with score sum %v, want 1000 and 49950", n, sum)
	}
	fmt.Printf("streamed %d rows back (sum of scores %.1f) in %v\n", n, sum, time.Since(start).Round(time.Microsecond))

	// A transaction: its commands are pipelined too, and awaited together.
	start = time.Now()
	tx, err := pool.Begin(ctx, session.TxOptions{})
	if err != nil {
		return err
	}
	defer tx.Rollback(ctx)
	del := tx.Exec(ctx, "DELETE FROM quickstart WHERE id >= $1", int64(500))
	upd := tx.Exec(ctx, "UPDATE quickstart SET score = score * 2 WHERE id < $1", int64(10))
	dtag, err := del.Await(ctx)
	if err != nil {
		return err
	}
	utag, err := upd.Await(ctx)
	if err != nil {
		return err
	}
	if err := tx.Commit(ctx); err != nil {
		return err
	}
	var left int64
	if err := pool.QueryRow(ctx, "SELECT count(*) FROM quickstart").Scan(&left); err != nil {
		return err
	}
	if left != 500 || dtag.RowsAffected() != 500 || utag.RowsAffected() != 10 {
		return fmt.Errorf("after the transaction: %d rows left, %s, %s; want 500, DELETE 500, UPDATE 10", left, dtag, utag)
	}
	fmt.Printf("transaction: %s, %s, committed; %d rows left (%v)\n", dtag, utag, left, time.Since(start).Round(time.Microsecond))

	if _, err := pool.Exec(ctx, "DROP TABLE quickstart").Await(ctx); err != nil {
		return err
	}
	fmt.Println("done")
	return nil
}
