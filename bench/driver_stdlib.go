package main

import (
	"context"
	"database/sql"
	"errors"

	"github.com/jackc/pgx/v5"
	pgxstdlib "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" database/sql driver

	"github.com/pgactor/pgactor/session"
	"github.com/pgactor/pgactor/session/stdlib" // registers the "pgactor" database/sql driver
)

// sqlDriver is a database/sql driver other than lib/pq, used as a
// database/sql user uses any of them: the same code as pqDriver's (a
// *sql.DB, a lazily prepared *sql.Stmt, BeginTx/Commit), which it embeds.
// What differs is how the *sql.DB is opened, how a query asks for the
// simple protocol, and COPY, which database/sql has no API for: each
// driver's own way through sql.Conn.Raw.
//
//   - pgactor-stdlib: sql.Open("pgactor", dsn), one pgactor Session per
//     database/sql connection, the pool sized as pq's.
//   - pgactor-stdlib-mux: stdlib.OpenDBFromPool over a pgactor Pool of
//     conns server connections; database/sql's own limits are left alone,
//     its connections being light handles over the Pool, so concurrent
//     goroutines are multiplexed on the Pool's connections.
//   - pgx-stdlib: sql.Open("pgx", dsn) of github.com/jackc/pgx/v5/stdlib,
//     the pool sized as pq's.
type sqlDriver struct{ id string }

func (d sqlDriver) name() string { return d.id }

type sqlHandle struct {
	*pqHandle
	id   string
	pool *session.Pool // pgactor-stdlib-mux: the Pool under the *sql.DB
}

func (d sqlDriver) open(ctx context.Context, dsn string, conns int) (handle, error) {
	var (
		db   *sql.DB
		pool *session.Pool
		err  error
	)
	switch d.id {
	case "pgactor-stdlib", "pgx-stdlib":
		name := "pgactor"
		if d.id == "pgx-stdlib" {
			name = "pgx"
		}
		if db, err = sql.Open(name, dsn); err != nil {
			return nil, err
		}
		db.SetMaxOpenConns(conns)
		db.SetMaxIdleConns(conns)
	case "pgactor-stdlib-mux":
		if pool, err = session.NewPool(ctx, dsn, &session.PoolOptions{MaxConns: conns}); err != nil {
			return nil, err
		}
		db = stdlib.OpenDBFromPool(pool)
	default:
		return nil, errors.New("unknown database/sql driver " + d.id)
	}
	h := &sqlHandle{pqHandle: &pqHandle{db: db}, id: d.id, pool: pool}
	if err := db.PingContext(ctx); err != nil {
		h.closeAll()
		return nil, err
	}
	if h.stmt, err = db.PrepareContext(ctx, selectSQL); err != nil {
		h.closeAll()
		return nil, err
	}
	return h, nil
}

// selectIntSimple: a pgx-stdlib user asks for the simple protocol with
// pgx.QueryExecModeSimpleProtocol in front of the arguments. pgactor's
// driver has no such switch for one statement: its users write the query
// without arguments, which pgactor runs over the extended protocol and its
// statement cache (the simple protocol only for several statements).
func (h *sqlHandle) selectIntSimple(ctx context.Context, n int64) (int64, error) {
	var v int64
	var err error
	if h.id == "pgx-stdlib" {
		err = h.db.QueryRowContext(ctx, simpleSQL(n), pgx.QueryExecModeSimpleProtocol).Scan(&v)
	} else {
		err = h.db.QueryRowContext(ctx, simpleSQL(n)).Scan(&v)
	}
	return v, err
}

// copyIn takes the driver's own connection through sql.Conn.Raw: the
// pgactor Session (or, multiplexed, the Pool) and its CopyFrom, or pgx's
// *pgx.Conn and its CopyFrom.
func (h *sqlHandle) copyIn(ctx context.Context, n int) error {
	c, err := h.db.Conn(ctx)
	if err != nil {
		return err
	}
	defer c.Close()
	row := func(i int) ([]any, error) {
		id, name, val := copyRow(i)
		return []any{id, name, val}, nil
	}
	cols := []string{"id", "name", "val"}
	return c.Raw(func(dc any) error {
		if s, ok := stdlib.SessionOf(dc); ok {
			_, err := s.CopyFrom(ctx, session.Identifier{copyTable}, cols, session.CopyFromSlice(n, row))
			return err
		}
		if p, ok := stdlib.PoolOf(dc); ok {
			_, err := p.CopyFrom(ctx, session.Identifier{copyTable}, cols, session.CopyFromSlice(n, row))
			return err
		}
		if pc, ok := dc.(*pgxstdlib.Conn); ok {
			_, err := pc.Conn().CopyFrom(ctx, pgx.Identifier{copyTable}, cols, pgx.CopyFromSlice(n, row))
			return err
		}
		return errors.New("copyin: not a pgactor or pgx connection")
	})
}

func (h *sqlHandle) close() error {
	err := h.pqHandle.close()
	if h.pool != nil {
		h.pool.Close()
	}
	return err
}

// closeAll closes what open made before it failed.
func (h *sqlHandle) closeAll() {
	if h.stmt != nil {
		h.stmt.Close()
	}
	h.db.Close()
	if h.pool != nil {
		h.pool.Close()
	}
}
