package session

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/pgactor/pgactor/actor"
	"github.com/pgactor/pgactor/wire"
)

// PgError is an error the server reported (an ErrorResponse), with every
// field PostgreSQL sends and SQLState().
type PgError = wire.ErrorOrNoticeResponse

// Errors to test with errors.Is.
var (
	// ErrClosed is wrapped by errors caused by a closed or dead connection
	// (or a closed pool).
	ErrClosed = actor.ErrClosed
	// ErrTxClosed is returned by a Tx used after Commit or Rollback.
	ErrTxClosed = errors.New("pgactor: transaction already committed or rolled back")
	// ErrTxLeftOpen fails a multiplexed pool command that left a
	// transaction open (a BEGIN sent through Pool.Exec), and the commands
	// that ran behind it on the same connection: all of it is rolled back.
	// Use Pool.Begin for transactions.
	ErrTxLeftOpen = actor.ErrTxLeftOpen
	// ErrConnReleased is returned by an acquired Conn used after Release.
	ErrConnReleased = errors.New("pgactor: connection already released to the pool")
	// ErrTxCommitRollback is returned by Commit when the server rolled the
	// transaction back instead (it had failed earlier).
	ErrTxCommitRollback = errors.New("pgactor: commit unexpectedly resulted in rollback")
	// ErrCommitOutcomeUnknown is returned by Commit when the connection was
	// lost after COMMIT was sent: the transaction may or may not have
	// committed. It is never retried.
	ErrCommitOutcomeUnknown = errors.New("pgactor: connection lost during COMMIT; outcome unknown")
	// ErrNoRows is returned by Row.Scan and CollectOne when there is no row.
	// errors.Is(err, sql.ErrNoRows) holds for it too, as code written for
	// database/sql or pgx expects.
	ErrNoRows error = noRowsError{}
	// ErrTooManyRows is returned by CollectExactlyOne when there is more
	// than one row.
	ErrTooManyRows = errors.New("pgactor: more than one row in result set")
	// ErrPoolClosed is returned by a closed pool.
	ErrPoolClosed = fmt.Errorf("pgactor: pool closed: %w", actor.ErrClosed)
)

type noRowsError struct{}

func (noRowsError) Error() string { return "pgactor: no rows in result set" }
func (noRowsError) Unwrap() error { return sql.ErrNoRows }

// SafeToRetry reports whether err means the command never reached the
// server, so running it again cannot run it twice.
func SafeToRetry(err error) bool {
	return actor.SafeToRetry(err)
}

// wrapCtx makes a context error recognizable with errors.Is against both
// the context's own error and ErrCanceled-style conditions.
func wrapCtx(ctx context.Context, err error) error {
	if err == nil {
		return nil
	}
	if ctx.Err() != nil && !errors.Is(err, ctx.Err()) {
		return fmt.Errorf("%w: %w", ctx.Err(), err)
	}
	return err
}
