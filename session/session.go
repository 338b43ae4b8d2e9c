package session

import (
	"context"

	"github.com/pgactor/pgactor/actor"
	"github.com/pgactor/pgactor/futures"
	"github.com/pgactor/pgactor/wire/codec"
)

// Session is one connection. Every method may be called from any number of
// goroutines at once: their commands are pipelined on the connection, each
// in its own implicit transaction, and each caller gets its own answer.
//
// Begin takes the connection for one transaction. From the moment the
// connection's actor takes the BEGIN, every command that is not the
// transaction's own waits inside the actor until the transaction has ended
// (and the server confirmed it), then runs in the order it was sent; a
// waiting command whose context ends is dropped, unsent. A Begin from
// another goroutine waits the same way. So nothing strays into someone
// else's transaction, and nothing of a transaction runs after it ended:
// its commands are refused with ErrTxClosed, unsent.
//
// A BEGIN sent through Exec, by contrast, opens a transaction for the whole
// session: every goroutine's commands run in it until it ends. That is the
// single-connection behaviour some code relies on; use Begin when one
// goroutine's work should be a transaction.
type Session struct {
	common
	c   *conn
	cfg *Config
}

// Connect parses dsn and opens a session.
func Connect(ctx context.Context, dsn string) (*Session, error) {
	cfg, err := ParseConfig(dsn)
	if err != nil {
		return nil, err
	}
	return ConnectConfig(ctx, cfg, nil)
}

// ConnectConfig opens a session from a parsed configuration.
func ConnectConfig(ctx context.Context, cfg *Config, opts *Options) (*Session, error) {
	c := newConn()
	s := &Session{c: c, cfg: cfg, common: newCommon(opts)}
	stmts := &actor.StatementMode{OnSwitch: s.poolerSeen}
	o := Options{}
	if opts != nil {
		o = *opts
	}
	o.Types = s.setupTypes(cfg, opts)
	a, err := connectAny(ctx, cfg, &o, c.notes.notify, stmts)
	if err != nil {
		s.types.close()
		return nil, err
	}
	c.a = a
	if opts != nil && opts.AfterConnect != nil {
		if err := opts.AfterConnect(ctx, s); err != nil {
			s.Close(ctx)
			return nil, err
		}
	}
	return s, nil
}

func newCommon(opts *Options) common {
	x := common{reg: codec.Default()}
	if opts != nil {
		x.trace, x.logger, x.logQueries = tracersOf(opts.Tracer), opts.Logger, opts.LogQueries
		x.ignoreUnk = opts.IgnoreUnknownTypes
		x.onUnobserved = opts.OnUnobservedError
		if opts.Types != nil {
			x.reg = opts.Types
		}
	}
	return x
}

// poolerSeen logs the switch to unnamed statements.
func (s *Session) poolerSeen(evidence error) {
	if s.logger != nil {
		s.logger.Warn("pgactor: a pooler in transaction mode hands this connection's server sessions to other clients between commands; using unnamed statements from now on (set statement_cache_mode=unnamed to start that way)", "evidence", evidence)
	}
}

func (s *Session) pick(context.Context) (picked, error) { return picked{c: s.c}, nil }

// Query sends sql with args and returns at once; the future resolves when
// the rows begin (or the query fails). Several Query calls in a row are
// pipelined: they go out together and their answers come back in order.
// A single Named or Struct argument fills :name placeholders.
func (s *Session) Query(ctx context.Context, sql string, args ...any) *futures.Future[*Rows] {
	return s.query(ctx, s, actor.CmdQuery, sql, args)
}

// SimpleQuery sends sql (one or more statements, no parameters) over the
// simple protocol; values come back as text and decode all the same.
func (s *Session) SimpleQuery(ctx context.Context, sql string) *futures.Future[*Rows] {
	return s.query(ctx, s, actor.CmdSimple, sql, nil)
}

// QueryRow sends sql and returns a Row to Scan; it blocks only in Scan.
func (s *Session) QueryRow(ctx context.Context, sql string, args ...any) *Row {
	return s.queryRow(ctx, s, sql, args)
}

// Exec sends sql with args, discarding any rows, and returns at once; the
// future resolves with the command tag.
func (s *Session) Exec(ctx context.Context, sql string, args ...any) *futures.Future[CommandTag] {
	return s.exec(ctx, s, sql, args)
}

// Begin starts a transaction, which has the connection to itself from its
// BEGIN until Commit or Rollback; commands other goroutines send meanwhile
// wait inside the connection's actor. Begin returns at once: BEGIN goes
// out with the transaction's first commands (see Tx), and waits there
// while another transaction holds the connection.
func (s *Session) Begin(ctx context.Context, opts TxOptions) (*Tx, error) {
	tx, err := begin(ctx, &s.common, s.c, 0, opts, nil)
	if err == nil {
		tx.home = s
	}
	return tx, err
}

// Close waits for commands in flight, then closes the connection. If ctx
// ends first the connection is cut and the remaining commands fail.
func (s *Session) Close(ctx context.Context) error {
	if s.types != nil {
		s.types.close()
	}
	return s.c.a.Close(ctx)
}

// Types returns the registry the session decodes and encodes with: its
// own, in front of Options.Types (or codec.Default()), holding the types
// loaded from pg_type.
func (s *Session) Types() *codec.Registry { return s.reg }

// Alive reports whether the connection still works.
func (s *Session) Alive() bool { return s.c.a.Alive() }

// ServerParameter returns a parameter the server reported, such as
// server_version or TimeZone.
func (s *Session) ServerParameter(name string) string { return s.c.a.ServerParameter(name) }

// BackendPID returns the server process of this session.
func (s *Session) BackendPID() uint32 { return s.c.a.BackendPID() }

// Config returns the configuration the session was opened with.
func (s *Session) Config() *Config { return s.cfg }
