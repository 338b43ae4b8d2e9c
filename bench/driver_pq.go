package main

import (
	"context"
	"database/sql"
	"time"

	_ "github.com/lib/pq" // registers the "postgres" database/sql driver
)

// pqDriver is github.com/lib/pq through database/sql, which is always a pool:
// one connection is a *sql.DB limited to one. The repeated query is a
// *sql.Stmt, which database/sql prepares lazily on each connection it runs
// on; that is how a database/sql user asks for a prepared statement.
type pqDriver struct{}

func (pqDriver) name() string { return "pq" }

type pqHandle struct {
	db   *sql.DB
	stmt *sql.Stmt
}

func (pqDriver) open(ctx context.Context, dsn string, conns int) (handle, error) {
	db, err := sql.Open("postgres", dsn)
	if err != nil {
		return nil, err
	}
	// database/sql keeps only two idle connections by default, so a pool
	// of 64 would reconnect constantly; anyone sizing a pool sets both.
	db.SetMaxOpenConns(conns)
	db.SetMaxIdleConns(conns)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, err
	}
	stmt, err := db.PrepareContext(ctx, selectSQL)
	if err != nil {
		db.Close()
		return nil, err
	}
	return &pqHandle{db: db, stmt: stmt}, nil
}

func (h *pqHandle) selectInt(ctx context.Context, n int64) (int64, error) {
	var v int64
	err := h.stmt.QueryRowContext(ctx, n).Scan(&v)
	return v, err
}

// selectIntSimple sends the query without arguments, which lib/pq runs over
// the simple query protocol.
func (h *pqHandle) selectIntSimple(ctx context.Context, n int64) (int64, error) {
	var v int64
	err := h.db.QueryRowContext(ctx, simpleSQL(n)).Scan(&v)
	return v, err
}

// pipeline is unsupported: lib/pq sends one statement and waits for its
// answer before the next, and database/sql has no batch API.
func (h *pqHandle) pipeline(context.Context, int) error { return errUnsupported }

// tpcb is what a database/sql user writes: BeginTx, the statements one
// after another, Commit.
func (h *pqHandle) tpcb(ctx context.Context, t tpcb) error {
	tx, err := h.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, tpcbUpdateAccount, t.delta, t.aid); err != nil {
		return err
	}
	var balance int64
	if err := tx.QueryRowContext(ctx, tpcbSelectAccount, t.aid).Scan(&balance); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, tpcbUpdateTeller, t.delta, t.tid); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, tpcbUpdateBranch, t.delta, t.bid); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, tpcbInsertHistory, t.tid, t.bid, t.aid, t.delta); err != nil {
		return err
	}
	return tx.Commit()
}

func (h *pqHandle) tpcbBatch(context.Context, tpcb) error { return errUnsupported }

func (h *pqHandle) pipelineFutures(context.Context, int) error { return errUnsupported }

func (h *pqHandle) streamRows(ctx context.Context) (int64, int64, error) {
	rows, err := h.db.QueryContext(ctx, rowsSQL)
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

// copyIn uses lib/pq's COPY support: a statement "COPY ... FROM STDIN"
// prepared in a transaction, one Exec per row, and an empty Exec to finish.
func (h *pqHandle) copyIn(ctx context.Context, n int) error {
	tx, err := h.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	stmt, err := tx.PrepareContext(ctx, "COPY "+copyTable+" ("+copyColumns+") FROM STDIN")
	if err != nil {
		return err
	}
	for i := range n {
		id, name, val := copyRow(i)
		if _, err := stmt.ExecContext(ctx, id, name, val); err != nil {
			stmt.Close()
			return err
		}
	}
	if _, err := stmt.ExecContext(ctx); err != nil {
		stmt.Close()
		return err
	}
	if err := stmt.Close(); err != nil {
		return err
	}
	return tx.Commit()
}

func (h *pqHandle) insertTx(ctx context.Context, n int) error {
	tx, err := h.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	for i := range n {
		id, name, val := copyRow(i)
		if _, err := tx.ExecContext(ctx, insertSQL, id, name, val); err != nil {
			return err
		}
	}
	return tx.Commit()
}

func (h *pqHandle) close() error {
	h.stmt.Close()
	return h.db.Close()
}
