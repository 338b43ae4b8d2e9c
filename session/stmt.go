package session

import (
	"context"
	"errors"

	"github.com/pgactor/pgactor/actor"
	"github.com/pgactor/pgactor/futures"
	"github.com/pgactor/pgactor/wire"
)

// Stmt is a statement prepared explicitly on one connection (Session or
// acquired Conn). Queries through the automatic statement cache need no
// Stmt; use one to fix parameter types, to see the parameter and result
// types before running anything, or to keep a statement out of the LRU.
type Stmt struct {
	x    *common
	t    target
	info *wire.PreparedStatementInfo
}

// ParamOIDs returns the parameter types the server settled on.
func (s *Stmt) ParamOIDs() []uint32 { return s.info.ParamOIDs }

// Columns describes the result (nil for a statement without rows).
func (s *Stmt) Columns() []wire.FieldDescription {
	if s.info.Columns == nil {
		return nil
	}
	return s.info.Columns.Fields
}

// Name returns the statement's server-side name.
func (s *Stmt) Name() string { return s.info.Name }

func prepare(ctx context.Context, x *common, t target, name, sql string, paramOIDs []uint32) (*Stmt, error) {
	if name == "" {
		return nil, errors.New("pgactor: Prepare needs a name (the unnamed statement belongs to the driver)")
	}
	cmd := &actor.Command{Kind: actor.CmdPrepare, Name: name, SQL: sql, ParamOIDs: paramOIDs}
	end := x.prepareStart(ctx, name, sql)
	sendTo(ctx, t, cmd, nil)
	comp, err := cmd.Result.Await(ctx)
	err = wrapCtx(ctx, err)
	end(err)
	if err != nil {
		return nil, err
	}
	return &Stmt{x: x, t: t, info: comp.Info}, nil
}

// Query runs the statement with args.
func (s *Stmt) Query(ctx context.Context, args ...any) *futures.Future[*Rows] {
	q := &pendingQuery{x: s.x, t: s.t, ctx: ctx, sql: s.info.SQL, args: args, start: monoNow()}
	q.fut = &q.own
	q.own.SetRelease(releaseRows)
	q.cmd.Kind, q.cmd.Stmt, q.cmd.Args = actor.CmdExecute, s.info, args
	q.dispatch()
	return q.fut
}

// QueryRow runs the statement and returns a Row to Scan.
func (s *Stmt) QueryRow(ctx context.Context, args ...any) *Row {
	return &Row{fut: s.Query(ctx, args...), ctx: ctx}
}

// Exec runs the statement, discarding rows.
func (s *Stmt) Exec(ctx context.Context, args ...any) *futures.Future[CommandTag] {
	e := &pendingExec{x: s.x, t: s.t, ctx: ctx, sql: s.info.SQL, args: args, start: monoNow()}
	e.fut = &e.own
	e.cmd.Kind, e.cmd.Stmt, e.cmd.Args = actor.CmdExecute, s.info, args
	e.dispatch()
	return e.fut
}

// Close deallocates the statement on the server.
func (s *Stmt) Close(ctx context.Context) error {
	cmd := &actor.Command{Kind: actor.CmdCloseStatement, Name: s.info.Name}
	sendTo(ctx, s.t, cmd, nil)
	_, err := cmd.Result.Await(ctx)
	return wrapCtx(ctx, err)
}

// Prepare prepares sql under name on the session's connection. paramOIDs
// may fix parameter types (0 lets the server infer each).
func (s *Session) Prepare(ctx context.Context, name, sql string, paramOIDs ...uint32) (*Stmt, error) {
	return prepare(ctx, &s.common, s, name, sql, paramOIDs)
}

// Prepare prepares sql under name on the acquired connection.
func (c *Conn) Prepare(ctx context.Context, name, sql string, paramOIDs ...uint32) (*Stmt, error) {
	return prepare(ctx, &c.p.common, c, name, sql, paramOIDs)
}
