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
// gives the rows (or the command tag); QueryRow(...).Scan blocks. On a
// Session, commands run in the order they were sent, each in its own
// implicit transaction, so an error in one never disturbs the next. On a
// Pool, commands that are not awaited one after the other may land on
// different connections and run in any order.
//
// What is guaranteed, on a Session and on a Pool alike:
//
//   - Nothing runs inside someone else's transaction. Who may use a
//     connection is its actor's own state: Begin and Acquire are commands
//     that take the connection for a token as the actor admits them, in the
//     order commands reach it. A command of anyone else that arrives
//     meanwhile waits inside the actor until the holder is done (Session;
//     its context still applies, and a command that gave up is never sent)
//     or is handed back unsent and routed to another connection (Pool).
//   - Nothing of a transaction runs outside it. Once Commit or Rollback is
//     taken, the transaction's token is dead: its later commands are
//     refused with ErrTxClosed, unsent. A savepoint dies with its parent;
//     a released Conn refuses its commands with ErrConnReleased.
//   - A connection is handed on clean of transactions: if a holder let go
//     inside one (a raw BEGIN on an acquired Conn), the actor rolls it back
//     before anything else runs there. Session state (SET, temporary
//     tables, LISTEN) is not reset, as in any pool.
//   - A caller who walks away owns nothing. When the context of an Await
//     on a Query future ends before the rows begin, the future is
//     abandoned: when the rows arrive the library discards them and asks
//     the server to stop the query (unless another command was written
//     behind it, which the request could stop instead), so the connection
//     and Close are never held up by a result nobody reads; a later Await
//     reports futures.ErrAbandoned. An
//     Exec future holds no rows: one that is never awaited costs only its
//     memory until the command is answered, and its command runs all the
//     same. A Rows the caller did receive must be read to the end or
//     closed, as with any driver.
//   - Retries never reorder a caller's commands. The actor runs a command
//     again by itself only when it provably had no effect (a cancel aimed
//     at an earlier command, a cached statement the server no longer has
//     as prepared) and nothing is queued behind it; otherwise the command
//     fails with an error SafeToRetry reports, and a Pool sends such a
//     multiplexed command again elsewhere.
//   - Arguments are read before Query, Exec or SendBatch returns. Once a
//     connection has described a statement, the arguments are encoded in
//     the caller's goroutine for the types the server gave; the first time
//     a connection sees a statement they are deep-copied (slices, maps,
//     pointers; a big.Int by value) and encoded once the server has
//     described it. Either way a caller may reuse or change its buffers as
//     soon as the call returns: nothing sent changes.
//
// # Prepared statements
//
// Query with parameters uses the extended protocol. Each connection keeps
// an LRU cache of named prepared statements (statement_cache_size,
// default 512): a cached statement costs one round trip. The first use of
// a statement on a connection costs one more (its Prepare), and commands
// sent behind it wait for that Prepare so that nothing overtakes it. A
// statement's name is derived from its text, so one name never means two
// statements. A statement a schema change invalidated ("cached plan must
// not change result type") is prepared again and retried under the rules
// above.
//
// Behind a pooler in transaction mode (PgBouncer) a named statement may be
// prepared on one server connection and bound on another. The first sign
// of that (a cached name the server says exists already, 42P05, or does
// not exist, 26000, outside a transaction) switches every connection of
// the Session or Pool to the unnamed mode below, logs it once, and runs
// the command again when that is safe. statement_cache_mode=unnamed starts
// in that mode: Parse, Bind, Describe, Execute and Sync go out in one
// flight on the unnamed statement, which no pooler can split.
//
// Exec without parameters uses the simple protocol, which allows several
// statements in one string. COPY FROM STDIN sent that way fails with an
// error pointing to CopyFrom; commands pipelined behind it are unharmed.
//
// # Batches
//
// A Batch sends one caller's commands with a single Sync: one round trip,
// one implicit transaction, all or nothing (see Batch). Futures are the
// default for independent commands; a Batch is for one unit of work.
//
// # Errors
//
// Server errors are *PgError (every field, SQLState()). Errors caused by a
// closed or dead connection wrap ErrClosed; SafeToRetry says whether a
// command was never sent. Context errors are wrapped so errors.Is(err,
// context.DeadlineExceeded) holds. A lost connection after COMMIT was sent
// gives ErrCommitOutcomeUnknown, never a retry.
//
// # Types
//
// Values decode in the caller's goroutine with the codecs of a registry
// that belongs to the Session or Pool (Types), an overlay over
// Options.Types or codec.Default(). A type it has no codec for is looked
// up in pg_type the first time a result column, a binary record field or a
// parameter shows it (enums, domains, composites, ranges, multiranges,
// arrays of them, hstore; other types as their text): one catalog query
// per type per pool, shared by the callers that meet it at once, on a short
// side connection so that it never waits behind rows a caller has not
// read. A query whose parameter could not be encoded for want of the type
// is sent again once it is loaded (not one inside a transaction or batch:
// that fails as it would have, and the next attempt works). A new pool
// connection checks what was loaded against pg_type and forgets what
// changed. LoadTypes loads named types up front. See typeload.go for the
// design.
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
// use Pool.Acquire or a transaction for anything that depends on it. Do not
// send BEGIN through a multiplexed Exec: the transaction it opens is
// nobody's, and other callers' commands would run in it; use Begin.
//
// # Primary and standbys
//
// ReplicaPool keeps a Pool per host of a multi-host connection string and
// routes each call by the host's role: its own methods to the primary, the
// read views from Standby and PreferStandby to the least busy standby
// (within ReplicaOptions.MaxReplayLag), and Causal's reads to a standby
// only once it replayed the caller's writes. When the primary dies and a
// standby is promoted, writes follow without a restart; a command that
// never reached the dead primary runs on the new one, and one that did
// fails with ErrHostLost, since it may or may not have taken effect.
package session
