package session

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"sync"

	"github.com/pgactor/pgactor/actor"
	"github.com/pgactor/pgactor/futures"
)

// TxOptions configure BEGIN.
type TxOptions struct {
	// IsoLevel is "serializable", "repeatable read", "read committed" or
	// "read uncommitted"; empty uses the server's default.
	IsoLevel   string
	ReadOnly   bool
	Deferrable bool
}

func (o TxOptions) sql() (string, error) {
	var b strings.Builder
	b.WriteString("BEGIN")
	switch strings.ToLower(o.IsoLevel) {
	case "":
	case "serializable", "repeatable read", "read committed", "read uncommitted":
		b.WriteString(" ISOLATION LEVEL ")
		b.WriteString(strings.ToUpper(o.IsoLevel))
	default:
		return "", errors.New("pgactor: unknown isolation level " + strconv.Quote(o.IsoLevel))
	}
	if o.ReadOnly {
		b.WriteString(" READ ONLY")
	}
	if o.Deferrable {
		b.WriteString(" DEFERRABLE")
	}
	return b.String(), nil
}

// Tx is a transaction on one connection. Its methods may be called from
// several goroutines; their commands are pipelined inside the transaction.
// Nested Begin makes a savepoint.
type Tx struct {
	x       *common
	c       *conn
	parent  *Tx
	depth   int
	release func()

	mu   sync.Mutex
	done bool
}

func begin(ctx context.Context, x *common, c *conn, opts TxOptions, release func()) (*Tx, error) {
	sql, err := opts.sql()
	if err != nil {
		return nil, err
	}
	tx := &Tx{x: x, c: c, release: release}
	if _, err := x.exec(ctx, tx, sql, nil).Await(ctx); err != nil {
		return nil, err
	}
	return tx, nil
}

func (tx *Tx) pick(ctx context.Context) (picked, error) {
	tx.mu.Lock()
	done := tx.done
	tx.mu.Unlock()
	if done {
		return picked{}, ErrTxClosed
	}
	return picked{c: tx.c}, nil
}

// Query is Session.Query inside the transaction.
func (tx *Tx) Query(ctx context.Context, sql string, args ...any) *futures.Future[*Rows] {
	return tx.x.query(ctx, tx, actor.CmdQuery, sql, args)
}

// QueryRow is Session.QueryRow inside the transaction.
func (tx *Tx) QueryRow(ctx context.Context, sql string, args ...any) *Row {
	return &Row{fut: tx.Query(ctx, sql, args...), ctx: ctx}
}

// Exec is Session.Exec inside the transaction: it returns at once, so a
// burst of Exec calls is one round trip, awaited together.
func (tx *Tx) Exec(ctx context.Context, sql string, args ...any) *futures.Future[CommandTag] {
	return tx.x.exec(ctx, tx, sql, args)
}

// Begin starts a nested transaction: a savepoint.
func (tx *Tx) Begin(ctx context.Context) (*Tx, error) {
	name := "pgactor_sp_" + strconv.Itoa(tx.depth+1)
	if _, err := tx.Exec(ctx, "SAVEPOINT "+name).Await(ctx); err != nil {
		return nil, err
	}
	return &Tx{x: tx.x, c: tx.c, parent: tx, depth: tx.depth + 1}, nil
}

func (tx *Tx) finish() bool {
	tx.mu.Lock()
	defer tx.mu.Unlock()
	if tx.done {
		return false
	}
	tx.done = true
	return true
}

// Commit commits (or releases the savepoint). A COMMIT answered with
// ROLLBACK returns ErrTxCommitRollback; a connection lost after COMMIT was
// sent, or ctx ending before the answer, returns ErrCommitOutcomeUnknown.
func (tx *Tx) Commit(ctx context.Context) error {
	if !tx.finish() {
		return ErrTxClosed
	}
	if tx.parent != nil {
		_, err := tx.x.exec(ctx, direct{tx.c}, "RELEASE SAVEPOINT pgactor_sp_"+strconv.Itoa(tx.depth), nil).Await(ctx)
		return err
	}
	tag, err := tx.finishWith(ctx, "COMMIT")
	if err != nil {
		if ctx.Err() != nil || (errors.Is(err, actor.ErrClosed) && !SafeToRetry(err)) {
			return errors.Join(ErrCommitOutcomeUnknown, err)
		}
		return err
	}
	if tag.String() == "ROLLBACK" {
		return ErrTxCommitRollback
	}
	return nil
}

// Rollback rolls back (or to the savepoint). After Commit or Rollback it
// returns ErrTxClosed, so `defer tx.Rollback(ctx)` is safe.
func (tx *Tx) Rollback(ctx context.Context) error {
	if !tx.finish() {
		return ErrTxClosed
	}
	if tx.parent != nil {
		_, err := tx.x.exec(ctx, direct{tx.c}, "ROLLBACK TO SAVEPOINT pgactor_sp_"+strconv.Itoa(tx.depth), nil).Await(ctx)
		return err
	}
	_, err := tx.finishWith(ctx, "ROLLBACK")
	return err
}

// finishWith sends COMMIT or ROLLBACK. The command is sent even if ctx has
// ended (a transaction must not be left open on a shared connection), and
// the connection is given back only once the server answered.
func (tx *Tx) finishWith(ctx context.Context, sql string) (CommandTag, error) {
	f := tx.x.exec(context.WithoutCancel(ctx), direct{tx.c}, sql, nil)
	tag, err := f.Await(ctx)
	if _, _, ok := f.Result(); !ok {
		go func() {
			f.Await(context.Background())
			tx.end()
		}()
		return tag, err
	}
	tx.end()
	return tag, err
}

func (tx *Tx) end() {
	if tx.release != nil {
		tx.release()
	}
}

// direct sends to a connection without any gate.
type direct struct{ c *conn }

func (d direct) pick(context.Context) (picked, error) { return picked{c: d.c}, nil }
