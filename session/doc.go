// Package session is pgactor's public API: connection strings, sessions,
// queries that return futures, rows, transactions and a pool.
//
//	pool, err := session.NewPool(ctx, "postgres://app@db/app", nil)
//	defer pool.Close()
//
//	// Both queries go out together; neither waits for the other.
//	a := pool.Query(ctx, "SELECT name FROM users WHERE id = $1", 1)
//	b := pool.Exec(ctx, "UPDATE counters SET n = n + 1")
//	rows, err := a.Await(ctx)
//	for rows.Next() { rows.Scan(&name) }
//	tag, err := b.Await(ctx)
//
// # Concurrency
//
// Every method of Session, Pool, Tx and Conn may be called from any number
// of goroutines at once. A connection is owned by one actor goroutine
// (package actor); callers hand it commands and get futures back, so no
// lock is held around the connection and commands from many goroutines are
// pipelined on it. Rows are read by one goroutine at a time.
//
// Each Query/Exec returns a future before the server answers. Awaiting it
// gives the rows (or the command tag); QueryRow(...).Scan blocks. Commands
// sent one after another are written together and answered in order, each
// in its own implicit transaction, so an error in one never disturbs the
// next.
//
// # Prepared statements
//
// Query with parameters uses the extended protocol. Each connection keeps
// an LRU cache of named prepared statements (statement_cache_size,
// default 512): a cached statement costs one round trip. A statement a
// schema change invalidated ("cached plan must not change result type") is
// prepared again and retried when that is provably safe (it ran alone in
// its implicit transaction and delivered no rows). statement_cache_mode=
// unnamed sends Parse, Bind, Describe, Execute and Sync in one flight on the
// unnamed statement instead, for PgBouncer in transaction mode.
//
// Exec without parameters uses the simple protocol, which allows several
// statements in one string.
//
// # Errors
//
// Server errors are *PgError (every field, SQLState()). Errors caused by a
// closed or dead connection wrap ErrClosed; SafeToRetry says whether a
// command was never sent. Context errors are wrapped so errors.Is(err,
// context.DeadlineExceeded) holds. A lost connection after COMMIT was sent
// gives ErrCommitOutcomeUnknown, never a retry.
//
// # COPY
//
// CopyFrom copies rows in with COPY ... FROM STDIN. It first asks for the
// columns' types; when every one has a codec it uses the binary format
// (values that are not of the column's Go type, such as strings for
// numbers, are converted through the column's type), otherwise the text
// format. The caller's goroutine encodes rows into 64 KiB chunks while the
// connection sends the previous ones, so memory stays bounded whatever the
// number of rows. CopyTo streams COPY ... TO STDOUT into an io.Writer. Commands sent to the same
// connection meanwhile wait behind the copy (the server would read them as
// copy data); Pool.CopyFrom therefore takes a connection of its own.
//
// # Pool
//
// See Pool for multiplexing and pinning. Session state set on a multiplexed
// pool connection (SET, temporary tables, LISTEN) is the user's problem:
// use Pool.Acquire or a transaction for anything that depends on it.
package session
