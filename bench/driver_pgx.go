package main

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// pgxDriver is github.com/jackc/pgx/v5: a *pgx.Conn for one connection and a
// *pgxpool.Pool otherwise, both with their default configuration (which
// caches prepared statements per connection).
type pgxDriver struct{}

func (pgxDriver) name() string { return "pgx" }

// pgxQuerier is what *pgx.Conn and *pgxpool.Pool have in common, so one
// adapter serves both.
type pgxQuerier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	SendBatch(ctx context.Context, b *pgx.Batch) pgx.BatchResults
	CopyFrom(ctx context.Context, table pgx.Identifier, columns []string, src pgx.CopyFromSource) (int64, error)
	Begin(ctx context.Context) (pgx.Tx, error)
}

type pgxHandle struct {
	q      pgxQuerier
	closer func() error
}

func (pgxDriver) open(ctx context.Context, dsn string, conns int) (handle, error) {
	if conns == 1 {
		c, err := pgx.Connect(ctx, dsn)
		if err != nil {
			return nil, err
		}
		return &pgxHandle{q: c, closer: func() error { return c.Close(context.Background()) }}, nil
	}
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return nil, err
	}
	cfg.MaxConns = int32(conns)
	p, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, err
	}
	return &pgxHandle{q: p, closer: func() error { p.Close(); return nil }}, nil
}

func (h *pgxHandle) selectInt(ctx context.Context, n int64) (int64, error) {
	var v int64
	err := h.q.QueryRow(ctx, selectSQL, n).Scan(&v)
	return v, err
}

func (h *pgxHandle) selectIntSimple(ctx context.Context, n int64) (int64, error) {
	var v int64
	err := h.q.QueryRow(ctx, selectSQL, pgx.QueryExecModeSimpleProtocol, n).Scan(&v)
	return v, err
}

func (h *pgxHandle) pipeline(ctx context.Context, n int) error {
	b := &pgx.Batch{}
	for i := range n {
		b.Queue(selectSQL, int64(i))
	}
	br := h.q.SendBatch(ctx, b)
	for i := range n {
		var v int64
		if err := br.QueryRow().Scan(&v); err != nil {
			br.Close()
			return err
		}
		if err := checkAnswer(v, int64(i)); err != nil {
			br.Close()
			return err
		}
	}
	return br.Close()
}

// pipelineFutures: pgx has no per-command futures; its batch is what a
// pgx user writes for the same work.
func (h *pgxHandle) pipelineFutures(ctx context.Context, n int) error { return h.pipeline(ctx, n) }

func (h *pgxHandle) streamRows(ctx context.Context) (int64, int64, error) {
	rows, err := h.q.Query(ctx, rowsSQL)
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

func (h *pgxHandle) copyIn(ctx context.Context, n int) error {
	_, err := h.q.CopyFrom(ctx, pgx.Identifier{copyTable}, []string{"id", "name", "val"},
		pgx.CopyFromSlice(n, func(i int) ([]any, error) {
			id, name, val := copyRow(i)
			return []any{id, name, val}, nil
		}))
	return err
}

func (h *pgxHandle) insertTx(ctx context.Context, n int) error {
	tx, err := h.q.Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback(ctx)
	for i := range n {
		id, name, val := copyRow(i)
		if _, err := tx.Exec(ctx, insertSQL, id, name, val); err != nil {
			return err
		}
	}
	return tx.Commit(ctx)
}

// tpcb is what a pgx user writes: BeginFunc, the statements one after
// another.
func (h *pgxHandle) tpcb(ctx context.Context, t tpcb) error {
	return pgx.BeginFunc(ctx, h.q, func(tx pgx.Tx) error { return pgxTPCB(ctx, tx, t) })
}

func pgxTPCB(ctx context.Context, tx pgx.Tx, t tpcb) error {
	if _, err := tx.Exec(ctx, tpcbUpdateAccount, t.delta, t.aid); err != nil {
		return err
	}
	var balance int64
	if err := tx.QueryRow(ctx, tpcbSelectAccount, t.aid).Scan(&balance); err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, tpcbUpdateTeller, t.delta, t.tid); err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, tpcbUpdateBranch, t.delta, t.bid); err != nil {
		return err
	}
	_, err := tx.Exec(ctx, tpcbInsertHistory, t.tid, t.bid, t.aid, t.delta)
	return err
}

// tpcbBatch is pgx's one-round-trip form: BEGIN, the statements and COMMIT
// queued in one pgx.Batch.
func (h *pgxHandle) tpcbBatch(ctx context.Context, t tpcb) error {
	b := &pgx.Batch{}
	b.Queue("BEGIN")
	b.Queue(tpcbUpdateAccount, t.delta, t.aid)
	var balance int64
	b.Queue(tpcbSelectAccount, t.aid).QueryRow(func(r pgx.Row) error { return r.Scan(&balance) })
	b.Queue(tpcbUpdateTeller, t.delta, t.tid)
	b.Queue(tpcbUpdateBranch, t.delta, t.bid)
	b.Queue(tpcbInsertHistory, t.tid, t.bid, t.aid, t.delta)
	b.Queue("COMMIT")
	return h.q.SendBatch(ctx, b).Close()
}

func (h *pgxHandle) close() error { return h.closer() }
