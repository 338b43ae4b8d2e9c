package main

import (
	"context"
	"errors"
	"time"

	"github.com/pgactor/pgactor/futures"
	"github.com/pgactor/pgactor/session"
)

// pgactorDriver is this repository's client: a *session.Session for one
// connection and a *session.Pool otherwise, both with their defaults.
// Following pgactor's idiom, work that does not depend on an earlier answer
// is fired as futures first and awaited afterwards (insert_tx,
// pipeline1000_futures); pipeline1000 uses a Batch, pgactor's answer to
// pgx's.
type pgactorDriver struct{}

func (pgactorDriver) name() string { return "pgactor" }

// pgactorQuerier is what *session.Session and *session.Pool have in common.
type pgactorQuerier interface {
	Query(ctx context.Context, sql string, args ...any) *futures.Future[*session.Rows]
	SimpleQuery(ctx context.Context, sql string) *futures.Future[*session.Rows]
	QueryRow(ctx context.Context, sql string, args ...any) *session.Row
	Exec(ctx context.Context, sql string, args ...any) *futures.Future[session.CommandTag]
	Begin(ctx context.Context, opts session.TxOptions) (*session.Tx, error)
	CopyFrom(ctx context.Context, table session.Identifier, columns []string, src session.CopyFromSource) (int64, error)
	SendBatch(ctx context.Context, b *session.Batch) *futures.Future[struct{}]
}

type pgactorHandle struct {
	q      pgactorQuerier
	closer func() error
}

func (pgactorDriver) open(ctx context.Context, dsn string, conns int) (handle, error) {
	if conns == 1 {
		s, err := session.Connect(ctx, dsn)
		if err != nil {
			return nil, err
		}
		return &pgactorHandle{q: s, closer: func() error { return s.Close(context.Background()) }}, nil
	}
	p, err := session.NewPool(ctx, dsn, &session.PoolOptions{MaxConns: conns})
	if err != nil {
		return nil, err
	}
	return &pgactorHandle{q: p, closer: func() error { p.Close(); return nil }}, nil
}

func (h *pgactorHandle) selectInt(ctx context.Context, n int64) (int64, error) {
	var v int64
	err := h.q.QueryRow(ctx, selectSQL, n).Scan(&v)
	return v, err
}

// selectIntSimple writes the literal into the SQL: the simple protocol takes
// no parameters.
func (h *pgactorHandle) selectIntSimple(ctx context.Context, n int64) (int64, error) {
	rows, err := h.q.SimpleQuery(ctx, simpleSQL(n)).Await(ctx)
	if err != nil {
		return 0, err
	}
	return scanOne(rows)
}

// scanOne reads the single int8 of a one-row result and closes the rows.
func scanOne(rows *session.Rows) (int64, error) {
	defer rows.Close()
	var v int64
	if !rows.Next() {
		if err := rows.Err(); err != nil {
			return 0, err
		}
		return 0, session.ErrNoRows
	}
	if err := rows.Scan(&v); err != nil {
		return 0, err
	}
	return v, rows.Close()
}

// pipeline sends the queries as one Batch: one round trip, one Sync.
func (h *pgactorHandle) pipeline(ctx context.Context, n int) error {
	b := &session.Batch{}
	rows := make([]*session.Row, n)
	for i := range rows {
		rows[i] = b.QueryRow(selectSQL, int64(i))
	}
	h.q.SendBatch(ctx, b)
	for i, r := range rows {
		var v int64
		if err := r.Scan(&v); err != nil {
			return err
		}
		if err := checkAnswer(v, int64(i)); err != nil {
			return err
		}
	}
	return nil
}

// pipelineFutures fires every query before awaiting the first answer; on
// one connection they travel as one pipeline, each with its own Sync.
func (h *pgactorHandle) pipelineFutures(ctx context.Context, n int) error {
	futs := make([]*futures.Future[*session.Rows], n)
	for i := range futs {
		futs[i] = h.q.Query(ctx, selectSQL, int64(i))
	}
	var errs []error
	for i, f := range futs {
		rows, err := f.Await(ctx)
		if err == nil {
			var v int64
			if v, err = scanOne(rows); err == nil {
				err = checkAnswer(v, int64(i))
			}
		}
		if err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func (h *pgactorHandle) streamRows(ctx context.Context) (int64, int64, error) {
	rows, err := h.q.Query(ctx, rowsSQL).Await(ctx)
	if err != nil {
		return 0, 0, err
	}
	defer rows.Close()
	var (
		n, sum int64
		id     int64
		name   string
		val    float64
		ts     time.Time
	)
	for rows.Next() {
		if err := rows.Scan(&id, &name, &val, &ts); err != nil {
			return n, sum, err
		}
		n++
		sum += rowSum(id, name, val, ts)
	}
	return n, sum, rows.Err()
}

// copyIn uses CopyFrom with a slice source, as pgx users write it.
func (h *pgactorHandle) copyIn(ctx context.Context, n int) error {
	_, err := h.q.CopyFrom(ctx, session.Identifier{copyTable}, []string{"id", "name", "val"},
		session.CopyFromSlice(n, func(i int) ([]any, error) {
			id, name, val := copyRow(i)
			return []any{id, name, val}, nil
		}))
	return err
}

// insertTx fires every INSERT of the transaction as a future, awaits them
// all, and commits.
func (h *pgactorHandle) insertTx(ctx context.Context, n int) error {
	tx, err := h.q.Begin(ctx, session.TxOptions{})
	if err != nil {
		return err
	}
	futs := make([]*futures.Future[session.CommandTag], n)
	for i := range futs {
		id, name, val := copyRow(i)
		futs[i] = tx.Exec(ctx, insertSQL, id, name, val)
	}
	if err := futures.AwaitAll(ctx, futs...); err != nil {
		return errors.Join(err, tx.Rollback(ctx))
	}
	return tx.Commit(ctx)
}

// tpcb is pgactor's idiomatic transaction: BeginFunc, every statement
// fired as a future without waiting, the balance read back once the
// transaction committed. Commit queues behind the statements and reports
// the first failure among them.
func (h *pgactorHandle) tpcb(ctx context.Context, t tpcb) error {
	var row *session.Row
	err := session.BeginFunc(ctx, h.q, session.TxOptions{}, func(tx *session.Tx) error {
		tx.Exec(ctx, tpcbUpdateAccount, t.delta, t.aid)
		row = tx.QueryRow(ctx, tpcbSelectAccount, t.aid)
		tx.Exec(ctx, tpcbUpdateTeller, t.delta, t.tid)
		tx.Exec(ctx, tpcbUpdateBranch, t.delta, t.bid)
		tx.Exec(ctx, tpcbInsertHistory, t.tid, t.bid, t.aid, t.delta)
		return nil
	})
	if err != nil {
		return err
	}
	var balance int64
	return row.Scan(&balance)
}

// tpcbBatch is tpcb: pgactor's idiomatic transaction is its pipelined form.
func (h *pgactorHandle) tpcbBatch(ctx context.Context, t tpcb) error { return h.tpcb(ctx, t) }

func (h *pgactorHandle) close() error { return h.closer() }
