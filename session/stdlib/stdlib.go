// Package stdlib is pgactor's database/sql driver:
//
//	db, err := sql.Open("pgactor", "postgres://app@db/app")
//
// or, from a parsed configuration, stdlib.OpenDB(cfg). Each database/sql
// connection is one pgactor Session (one actor, one server connection), so
// database/sql's rules hold exactly: session state (SET, temporary tables,
// advisory locks) sticks to the connection, and a transaction has it to
// itself. Connection strings are session.ParseConfig's.
//
// Parameters pass through to pgactor's codec unchanged (NamedValueChecker):
// slices, maps (json, hstore), structs (json, composites), time.Time,
// [16]byte, driver.Valuer. Named arguments (sql.Named) fill :name
// placeholders. A pgx.QueryExecMode in front of the arguments, which
// libraries written for pgx's driver add (GORM's postgres driver), is
// dropped. Array columns scan into an Array. A cancelled context cancels the query on the server, and
// the connection goes on. Conn.Raw gives the Session back (SessionOf), for
// CopyFrom, Listen and futures.
//
// # Multiplexed mode
//
// OpenDBFromPool(pool) gives a *sql.DB whose connections are light handles
// over a shared pgactor Pool: database/sql may keep hundreds of them open on
// the pool's few server connections. Outside a transaction a handle's
// commands are multiplexed like the Pool's own (each may run on any server
// connection, each in its own implicit transaction); BeginTx takes one
// server connection for the transaction's life (through the actor's
// ownership, so nothing of anyone else runs inside it). What does not
// stick to such a handle is session state: SET, temporary tables, advisory
// locks, LISTEN and prepared statements may land on a different server
// connection from one command to the next. When code needs them, pin the
// handle to one server connection for as long as database/sql lends it:
//
//	c, _ := db.Conn(ctx)
//	defer c.Close() // gives the server connection back to the pool
//	c.Raw(func(dc any) error { return stdlib.Pin(ctx, dc) })
//	c.ExecContext(ctx, "SET search_path = app") // now sticks to c
//
// or use the default mode (OpenDB, sql.Open), one server connection per
// database/sql connection.
//
// # Several statements
//
// A query of several statements without arguments runs over the simple
// protocol, as one implicit transaction, and each statement that returns
// rows gives a result set (sql.Rows.NextResultSet):
//
//	rows, _ := db.QueryContext(ctx, "SELECT 1; SELECT 'a', 'b'")
//	for more := true; more; more = rows.NextResultSet() {
//		for rows.Next() { ... }
//	}
//
// Statements without rows (SET, CREATE, INSERT without RETURNING) have
// none. Values of the simple protocol come as text and scan as usual.
// With arguments a query is one statement (PostgreSQL's rule).
//
// # Libraries
//
// sqlx chooses its placeholders by driver name: call
// sqlx.BindDriver("pgactor", sqlx.DOLLAR) once (or sqlx.NewDb(db,
// "postgres")). GORM takes the *sql.DB as postgres.New(postgres.Config{Conn:
// db}). goose runs as on any driver, but its session locker holds an
// advisory lock on the *sql.Conn it takes itself, which only the default
// mode keeps on one server connection. The module examples/interop tests
// all three in both modes.
package stdlib

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"math"
	"reflect"
	"strings"
	"time"

	"github.com/pgactor/pgactor/futures"
	"github.com/pgactor/pgactor/session"
	"github.com/pgactor/pgactor/wire/codec"
)

func init() { sql.Register("pgactor", &Driver{}) }

// Driver is the "pgactor" database/sql driver.
type Driver struct{}

// Open opens a connection from a connection string.
func (d *Driver) Open(dsn string) (driver.Conn, error) {
	c, err := d.OpenConnector(dsn)
	if err != nil {
		return nil, err
	}
	return c.Connect(context.Background())
}

// OpenConnector parses dsn once for every connection database/sql opens.
func (d *Driver) OpenConnector(dsn string) (driver.Connector, error) {
	cfg, err := session.ParseConfig(dsn)
	if err != nil {
		return nil, err
	}
	return &connector{cfg: cfg, drv: d}, nil
}

// OpenDB returns a *sql.DB over sessions opened from cfg with opts (nil
// for the defaults).
func OpenDB(cfg *session.Config, opts *session.Options) *sql.DB {
	return sql.OpenDB(&connector{cfg: cfg, opts: opts, drv: &Driver{}})
}

type connector struct {
	cfg  *session.Config
	opts *session.Options
	drv  *Driver
}

func (c *connector) Connect(ctx context.Context) (driver.Conn, error) {
	s, err := session.ConnectConfig(ctx, c.cfg, c.opts)
	if err != nil {
		return nil, err
	}
	return &conn{s: s}, nil
}

func (c *connector) Driver() driver.Driver { return c.drv }

// OpenDBFromPool returns a *sql.DB in multiplexed mode over pool (see the
// package doc). Closing the *sql.DB leaves the pool open: its owner closes
// it.
func OpenDBFromPool(pool *session.Pool) *sql.DB {
	return sql.OpenDB(&poolConnector{p: pool, drv: &Driver{}})
}

type poolConnector struct {
	p   *session.Pool
	drv *Driver
}

func (c *poolConnector) Connect(context.Context) (driver.Conn, error) {
	return &conn{p: c.p}, nil
}

func (c *poolConnector) Driver() driver.Driver { return c.drv }

// SessionOf returns the Session behind a connection database/sql hands to
// Conn.Raw (default mode; false in multiplexed mode):
//
//	conn.Raw(func(dc any) error { s, _ := stdlib.SessionOf(dc); ... })
func SessionOf(driverConn any) (*session.Session, bool) {
	c, ok := driverConn.(*conn)
	if !ok || c.s == nil {
		return nil, false
	}
	return c.s, true
}

// PoolOf returns the Pool behind a multiplexed connection database/sql
// hands to Conn.Raw (false in the default mode).
func PoolOf(driverConn any) (*session.Pool, bool) {
	c, ok := driverConn.(*conn)
	if !ok || c.p == nil {
		return nil, false
	}
	return c.p, true
}

// Pin gives a multiplexed connection (database/sql hands it to Conn.Raw)
// one server connection of its own, taken from the pool, until
// database/sql takes the connection back (sql.Conn.Close, or the end of
// the *sql.DB call that used it): session state then sticks to it. It does
// nothing in the default mode, where every connection has one already, or
// when the connection is pinned already.
func Pin(ctx context.Context, driverConn any) error {
	c, ok := driverConn.(*conn)
	if !ok {
		return errors.New("pgactor: Pin needs a connection of the pgactor driver")
	}
	if c.p == nil || c.pinned != nil {
		return nil
	}
	if c.tx != nil {
		return errors.New("pgactor: Pin inside a transaction")
	}
	pc, err := c.p.Acquire(ctx)
	if err != nil {
		return err
	}
	c.pinned = pc
	return nil
}

// conn is one database/sql connection: a Session (default mode) or a
// handle over a Pool (multiplexed mode, possibly pinned to one of its
// connections), and its transaction while one is open.
type conn struct {
	s      *session.Session
	p      *session.Pool
	pinned *session.Conn
	tx     *session.Tx
}

// runner is what a conn sends its commands to.
type runner interface {
	Query(ctx context.Context, sql string, args ...any) *futures.Future[*session.Rows]
	SimpleQuery(ctx context.Context, sql string) *futures.Future[*session.Rows]
	Exec(ctx context.Context, sql string, args ...any) *futures.Future[session.CommandTag]
	Begin(ctx context.Context, opts session.TxOptions) (*session.Tx, error)
}

// target is where c's commands go outside a transaction.
func (c *conn) target() runner {
	switch {
	case c.s != nil:
		return c.s
	case c.pinned != nil:
		return c.pinned
	}
	return c.p
}

func (c *conn) alive() bool {
	if c.s != nil {
		return c.s.Alive()
	}
	return !c.p.Closed()
}

func (c *conn) query(ctx context.Context, q string, args []any) (*session.Rows, error) {
	if len(args) == 0 && severalStatements(q) {
		if c.tx != nil {
			return c.tx.SimpleQuery(ctx, q).Await(ctx)
		}
		return c.target().SimpleQuery(ctx, q).Await(ctx)
	}
	if c.tx != nil {
		return c.tx.Query(ctx, q, args...).Await(ctx)
	}
	return c.target().Query(ctx, q, args...).Await(ctx)
}

func (c *conn) exec(ctx context.Context, q string, args []any) (session.CommandTag, error) {
	if c.tx != nil {
		return c.tx.Exec(ctx, q, args...).Await(ctx)
	}
	return c.target().Exec(ctx, q, args...).Await(ctx)
}

// unpin gives a pinned connection back to the pool.
func (c *conn) unpin() {
	if c.pinned != nil {
		c.pinned.Release()
		c.pinned = nil
	}
}

func (c *conn) Prepare(query string) (driver.Stmt, error) {
	return c.PrepareContext(context.Background(), query)
}

// PrepareContext returns a statement that runs through the connection's
// statement cache; nothing is sent until it runs.
func (c *conn) PrepareContext(_ context.Context, query string) (driver.Stmt, error) {
	return &stmt{c: c, q: query}, nil
}

func (c *conn) Close() error {
	if c.s == nil {
		c.unpin() // the pool is its owner's to close
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return c.s.Close(ctx)
}

func (c *conn) Begin() (driver.Tx, error) {
	return c.BeginTx(context.Background(), driver.TxOptions{})
}

// BeginTx starts a transaction with database/sql's isolation level and
// read-only flag; a level PostgreSQL does not have is an error.
func (c *conn) BeginTx(ctx context.Context, o driver.TxOptions) (driver.Tx, error) {
	if c.tx != nil {
		return nil, errors.New("pgactor: a transaction is already open on this connection")
	}
	var opts session.TxOptions
	switch sql.IsolationLevel(o.Isolation) {
	case sql.LevelDefault:
	case sql.LevelReadUncommitted:
		opts.IsoLevel = "read uncommitted"
	case sql.LevelReadCommitted:
		opts.IsoLevel = "read committed"
	case sql.LevelRepeatableRead, sql.LevelSnapshot:
		opts.IsoLevel = "repeatable read" // PostgreSQL's repeatable read is snapshot isolation
	case sql.LevelSerializable:
		opts.IsoLevel = "serializable"
	default:
		return nil, fmt.Errorf("pgactor: isolation level %v is not supported by PostgreSQL", sql.IsolationLevel(o.Isolation))
	}
	opts.ReadOnly = o.ReadOnly
	tx, err := c.target().Begin(ctx, opts)
	if err != nil {
		return nil, err
	}
	c.tx = tx
	return &txn{c: c}, nil
}

type txn struct{ c *conn }

func (t *txn) Commit() error {
	tx := t.c.tx
	t.c.tx = nil
	if tx == nil {
		return session.ErrTxClosed
	}
	return tx.Commit(context.Background())
}

func (t *txn) Rollback() error {
	tx := t.c.tx
	t.c.tx = nil
	if tx == nil {
		return session.ErrTxClosed
	}
	return tx.Rollback(context.Background())
}

// args turns database/sql's arguments into pgactor's: positional values,
// or one session.Named when they are named.
func args(nv []driver.NamedValue) []any {
	if len(nv) > 0 && nv[0].Name != "" {
		named := session.Named{}
		for _, v := range nv {
			named[v.Name] = v.Value
		}
		return []any{named}
	}
	out := make([]any, len(nv))
	for i, v := range nv {
		out[i] = v.Value
	}
	return out
}

func (c *conn) QueryContext(ctx context.Context, q string, nv []driver.NamedValue) (driver.Rows, error) {
	r, err := c.query(ctx, q, args(nv))
	if err != nil {
		return nil, c.badConn(err)
	}
	return &rows{r: r}, nil
}

func (c *conn) ExecContext(ctx context.Context, q string, nv []driver.NamedValue) (driver.Result, error) {
	tag, err := c.exec(ctx, q, args(nv))
	if err != nil {
		return nil, c.badConn(err)
	}
	return result{tag}, nil
}

// badConn reports driver.ErrBadConn only when the command provably never
// left (database/sql then retries on another connection); after that,
// the error itself, even when the connection died.
func (c *conn) badConn(err error) error {
	if session.SafeToRetry(err) && errors.Is(err, session.ErrClosed) {
		return driver.ErrBadConn
	}
	return err
}

// CheckNamedValue lets every value through to pgactor's codec, but for a
// pgx.QueryExecMode in front of the arguments, which it drops (see
// pgxExecMode).
func (c *conn) CheckNamedValue(nv *driver.NamedValue) error { return checkNamedValue(nv) }

func checkNamedValue(nv *driver.NamedValue) error {
	if nv.Ordinal == 1 && pgxExecMode(nv.Value) {
		return driver.ErrRemoveArgument
	}
	return nil
}

// pgxExecMode reports whether v is a pgx.QueryExecMode (told by its type's
// name, without importing pgx). pgx's database/sql driver reads one as the
// first argument to choose its protocol, and libraries written for it pass
// one: gorm.io/driver/postgres does (the simple protocol, for the
// SELECT * it reads column types from) whenever its Config names no driver,
// as with postgres.Config{Conn: db}. pgactor picks its protocol itself, so
// the mode is dropped instead of being taken for a parameter.
func pgxExecMode(v any) bool {
	t := reflect.TypeOf(v)
	return t != nil && t.Name() == "QueryExecMode" && strings.HasPrefix(t.PkgPath(), "github.com/jackc/pgx/")
}

func (c *conn) Ping(ctx context.Context) error {
	if !c.alive() {
		return driver.ErrBadConn
	}
	_, err := c.target().Exec(ctx, "SELECT 1").Await(ctx)
	return err
}

// ResetSession refuses a dead connection before database/sql reuses it,
// and gives a pinned server connection back to the pool.
func (c *conn) ResetSession(context.Context) error {
	c.unpin()
	if !c.alive() {
		return driver.ErrBadConn
	}
	return nil
}

// IsValid is what database/sql asks as it takes the connection back: a
// pinned server connection returns to the pool then.
func (c *conn) IsValid() bool {
	c.unpin()
	return c.alive()
}

type result struct{ tag session.CommandTag }

func (r result) LastInsertId() (int64, error) {
	return 0, errors.New("pgactor: LastInsertId is not supported by PostgreSQL; use RETURNING")
}

func (r result) RowsAffected() (int64, error) { return r.tag.RowsAffected(), nil }

// stmt runs its query through the connection (and its statement cache).
type stmt struct {
	c *conn
	q string
}

func (s *stmt) Close() error  { return nil }
func (s *stmt) NumInput() int { return -1 }

func (s *stmt) Exec(v []driver.Value) (driver.Result, error) {
	return s.c.ExecContext(context.Background(), s.q, named(v))
}

func (s *stmt) Query(v []driver.Value) (driver.Rows, error) {
	return s.c.QueryContext(context.Background(), s.q, named(v))
}

func (s *stmt) ExecContext(ctx context.Context, nv []driver.NamedValue) (driver.Result, error) {
	return s.c.ExecContext(ctx, s.q, nv)
}

func (s *stmt) QueryContext(ctx context.Context, nv []driver.NamedValue) (driver.Rows, error) {
	return s.c.QueryContext(ctx, s.q, nv)
}

func (s *stmt) CheckNamedValue(nv *driver.NamedValue) error { return checkNamedValue(nv) }

func named(v []driver.Value) []driver.NamedValue {
	nv := make([]driver.NamedValue, len(v))
	for i := range v {
		nv[i] = driver.NamedValue{Ordinal: i + 1, Value: v[i]}
	}
	return nv
}

// rows hands database/sql each row's values: int64, float64, bool,
// string, []byte and time.Time as they are, and every other type as its
// PostgreSQL text form (a string), which database/sql converts from or a
// sql.Scanner reads.
type rows struct {
	r     *session.Rows
	text  []any // per column: nil, or the *string a non-basic value is rendered into
	ahead bool  // HasNextResultSet moved r to the next result set already
}

// HasNextResultSet reports whether another result set follows; database/sql
// asks when Next reached the end of one. Answering moves on to that set,
// discarding what is left of the current one.
func (r *rows) HasNextResultSet() bool {
	if !r.ahead {
		r.ahead = r.r.NextResultSet()
	}
	return r.ahead
}

// NextResultSet moves on to the next result set: io.EOF when there is
// none, or the error that ended the statements.
func (r *rows) NextResultSet() error {
	if !r.ahead && !r.r.NextResultSet() {
		if err := r.r.Err(); err != nil {
			return err
		}
		return io.EOF
	}
	r.ahead, r.text = false, nil
	return nil
}

func (r *rows) Columns() []string {
	cols := r.r.Columns()
	names := make([]string, len(cols))
	for i, c := range cols {
		names[i] = c.Name
	}
	return names
}

func (r *rows) Close() error { return r.r.Close() }

func (r *rows) Next(dest []driver.Value) error {
	if r.ahead {
		return io.EOF // the next result set waits for NextResultSet
	}
	if !r.r.Next() {
		if err := r.r.Err(); err != nil {
			return err
		}
		return io.EOF
	}
	vals, err := r.r.Values()
	if err != nil {
		return err
	}
	again := false
	for i, v := range vals {
		switch x := v.(type) {
		case nil, int64, float64, bool, string, []byte, time.Time:
			dest[i] = v
		case int16:
			dest[i] = int64(x)
		case int32:
			dest[i] = int64(x)
		case uint32:
			dest[i] = int64(x)
		case float32:
			dest[i] = float64(x)
		default:
			if r.text == nil {
				r.text = make([]any, len(vals))
			}
			r.text[i] = new(string)
			again = true
		}
	}
	if !again {
		return nil
	}
	if err := r.r.Scan(r.text...); err != nil {
		return err
	}
	for i, t := range r.text {
		if t != nil {
			dest[i] = *t.(*string)
			r.text[i] = nil
		}
	}
	return nil
}

// ColumnTypeDatabaseTypeName is the type's name, upper case ("INT8").
func (r *rows) ColumnTypeDatabaseTypeName(i int) string {
	return strings.ToUpper(strings.TrimPrefix(codec.Default().TypeName(r.r.Columns()[i].TypeOID), "_"))
}

// ColumnTypeScanType is the Go type Next gives for the column.
func (r *rows) ColumnTypeScanType(i int) reflect.Type {
	switch r.r.Columns()[i].TypeOID {
	case codec.OIDInt2, codec.OIDInt4, codec.OIDInt8, codec.OIDOID:
		return reflect.TypeFor[int64]()
	case codec.OIDFloat4, codec.OIDFloat8:
		return reflect.TypeFor[float64]()
	case codec.OIDBool:
		return reflect.TypeFor[bool]()
	case codec.OIDBytea:
		return reflect.TypeFor[[]byte]()
	case codec.OIDDate, codec.OIDTimestamp, codec.OIDTimestamptz:
		return reflect.TypeFor[time.Time]()
	}
	return reflect.TypeFor[string]()
}

// ColumnTypeNullable: PostgreSQL's RowDescription does not say.
func (r *rows) ColumnTypeNullable(int) (nullable, ok bool) { return false, false }

// ColumnTypeLength is the declared length of varchar(n) and char(n), and
// unlimited for text and bytea.
func (r *rows) ColumnTypeLength(i int) (int64, bool) {
	f := r.r.Columns()[i]
	switch f.TypeOID {
	case codec.OIDText, codec.OIDBytea:
		return math.MaxInt64, true
	case codec.OIDVarchar, codec.OIDBpchar:
		if f.TypeModifier == -1 {
			return math.MaxInt64, true
		}
		return int64(f.TypeModifier - 4), true
	}
	return 0, false
}

// ColumnTypePrecisionScale is numeric(p, s)'s.
func (r *rows) ColumnTypePrecisionScale(i int) (precision, scale int64, ok bool) {
	f := r.r.Columns()[i]
	if f.TypeOID != codec.OIDNumeric {
		return 0, 0, false
	}
	if f.TypeModifier == -1 {
		return math.MaxInt64, math.MaxInt64, true
	}
	m := f.TypeModifier - 4
	return int64(m >> 16 & 0xffff), int64(m & 0xffff), true
}

var (
	_ driver.DriverContext                  = (*Driver)(nil)
	_ driver.Connector                      = (*connector)(nil)
	_ driver.ConnBeginTx                    = (*conn)(nil)
	_ driver.ConnPrepareContext             = (*conn)(nil)
	_ driver.QueryerContext                 = (*conn)(nil)
	_ driver.ExecerContext                  = (*conn)(nil)
	_ driver.NamedValueChecker              = (*conn)(nil)
	_ driver.Pinger                         = (*conn)(nil)
	_ driver.SessionResetter                = (*conn)(nil)
	_ driver.Validator                      = (*conn)(nil)
	_ driver.RowsColumnTypeDatabaseTypeName = (*rows)(nil)
	_ driver.RowsColumnTypeScanType         = (*rows)(nil)
	_ driver.RowsColumnTypeNullable         = (*rows)(nil)
	_ driver.RowsColumnTypeLength           = (*rows)(nil)
	_ driver.RowsColumnTypePrecisionScale   = (*rows)(nil)
	_ driver.RowsNextResultSet              = (*rows)(nil)
	_ driver.StmtQueryContext               = (*stmt)(nil)
	_ driver.StmtExecContext                = (*stmt)(nil)
)
