package wire

// How the client works
//
// The Client is a PostgreSQL protocol v3 client that does no I/O: the caller
// moves bytes, the client decides what they mean. Every command method
// (SimpleQuery, Prepare, BindExecute, ...) returns the bytes to send and
// pushes an entry on a FIFO of commands in flight. Receive appends server
// bytes to a buffer; NextEvent cuts one message off that buffer, lets the
// command at the head of the FIFO interpret it (state.go) and returns a
// typed event. A command's ReadyForQuery pops it. Because every command
// carries its own Sync, commands can be pipelined: the server answers them
// in order and an error in one ends at its own Sync.
//
// Received bytes are never written over: the buffer is replaced, not
// compacted, so views handed out in DataRow.Values stay valid as long as
// someone holds them, and decoding a row copies nothing.

import (
	"encoding/binary"
	"strconv"
)

// Config configures a Client. Only User is required.
type Config struct {
	User            string
	Database        string // defaults to User
	Password        string
	ApplicationName string // defaults to "pgactor"

	// RuntimeParams are extra startup parameters (search_path, TimeZone, ...).
	RuntimeParams map[string]string

	// ChannelBinding is the tls-server-end-point channel binding data of
	// the TLS connection; when set, SCRAM-SHA-256-PLUS is used if offered.
	ChannelBinding []byte

	// RequireChannelBinding refuses every authentication that is not
	// SCRAM-SHA-256-PLUS, including none at all.
	RequireChannelBinding bool

	// RequireAuth lists the authentication methods the server may ask for,
	// as libpq's require_auth: "password", "md5", "scram-sha-256", "none",
	// or all of them negated with "!". Empty allows any.
	RequireAuth []string

	// MaxMessageSize bounds a server message; a longer one is a protocol
	// error. Defaults to 1 GiB.
	MaxMessageSize int

	// ResultFormat picks the format (0 text, 1 binary) to ask for a result
	// column of a type: the formats a BindExecute asks for are chosen with
	// it when a statement is described. Nil asks for text everywhere. The
	// wire package encodes and decodes no values itself: a type registry
	// (package codec) does, outside it.
	ResultFormat func(typeOID uint32) int16

	// RawRows makes DataRow events carry only Raw and Columns: the values
	// are not split (the consumer splits them once, with ParseDataRow), and
	// only the column count is checked against the description.
	RawRows bool
}

// DefaultMaxMessageSize is the default bound on one server message.
const DefaultMaxMessageSize = 1 << 30

type opKind uint8

const (
	opSimpleQuery opKind = iota
	opPrepare
	opBindExecute
	opCloseStatement
	opExecuteUnnamed
	opBatch
)

// op is one command in flight, from the moment its bytes were produced
// until its ReadyForQuery.
type op struct {
	kind    opKind
	state   State
	failed  bool   // an ErrorResponse arrived; waiting for ReadyForQuery
	synced  bool   // its Sync is on the wire (or in the outgoing bytes)
	paged   bool   // Execute with a row limit: Flush instead of Sync until it completes
	barrier bool   // commands issued behind it are held until it lets them go (paged, COPY FROM)
	copyIn  bool   // a CopyIn command
	copying bool   // CopyInResponse arrived and the copy has not been ended
	maxRows int32  //
	held    []byte // bytes not yet released because a barrier command is ahead
	info    *PreparedStatementInfo
	rows    *RowDescription // simple query: the description the current DataRows follow

	batch []BatchItem // a batch's commands; pos is the one the server is answering
	pos   int

	tag any // the caller's value for this command (Client.Tag)
}

// Client is the sans-IO protocol client. It is not safe for concurrent use:
// one goroutine owns it (in pgactor, the connection actor).
type Client struct {
	cfg     Config
	params  [][2]string // startup parameters, in order
	maxSize int

	state State // startup and authentication; StateReadyForQuery once done
	dead  error // why the client is dead, or nil
	// deathReported is set once NextEvent has returned the cause of death.
	deathReported bool

	buf      []byte   // the chunk being read; never written over once handed in
	r        int      // read offset in buf
	pending  [][]byte // chunks received after buf
	stitched bool     // buf is the client's own copy of a straddling message
	// carve is where straddling messages are copied: each takes the next
	// disjoint piece of it, so stitching rarely allocates.
	carve []byte

	queue   []*op // in flight, head first
	free    []*op // popped ops for reuse
	blocker *op   // the barrier command holding new commands back, or nil
	out     []byte

	auth authState

	encoding string
	pid      uint32
	secret   uint32
	server   map[string]string
	txStatus byte

	// The last RowDescription of a simple or unnamed query, for reuse.
	lastRD     *RowDescription
	lastRDBody []byte

	// Reused hot-path events.
	dataRow DataRow
	cc      CommandComplete
	rfq     ReadyForQuery
	bc      BindComplete
}

// NewClient returns a client in StateStartup.
func NewClient(cfg Config) *Client {
	if cfg.Database == "" {
		cfg.Database = cfg.User
	}
	if cfg.ApplicationName == "" {
		cfg.ApplicationName = "pgactor"
	}
	c := &Client{cfg: cfg, maxSize: cfg.MaxMessageSize, server: map[string]string{}, encoding: "UTF8"}
	if c.maxSize <= 0 {
		c.maxSize = DefaultMaxMessageSize
	}
	// Only parameters PgBouncer tracks, so connecting through it needs no
	// ignore_startup_parameters: the codec reads ISO dates, and the server's
	// defaults already give IntervalStyle=postgres and, since PostgreSQL 12,
	// floats that round-trip exactly.
	c.params = append(c.params, [2]string{"user", cfg.User}, [2]string{"database", cfg.Database},
		[2]string{"application_name", cfg.ApplicationName}, [2]string{"client_encoding", "UTF8"},
		[2]string{"DateStyle", "ISO, MDY"})
	keys := make([]string, 0, len(cfg.RuntimeParams))
	for k := range cfg.RuntimeParams {
		keys = append(keys, k)
	}
	sortStrings(keys) // deterministic startup packets
	for _, k := range keys {
		replaced := false
		for i := range c.params {
			if c.params[i][0] == k {
				c.params[i][1] = cfg.RuntimeParams[k]
				replaced = true
			}
		}
		if !replaced {
			c.params = append(c.params, [2]string{k, cfg.RuntimeParams[k]})
		}
	}
	return c
}

func sortStrings(s []string) {
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && s[j] < s[j-1]; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
}

// SSLRequest returns the SSLRequest packet. Send it before Startup when TLS
// is wanted, read exactly one byte back and pass it to ParseSSLResponse.
// Any byte the server sent after that one, before the TLS handshake, must be
// treated as an attack (CVE-2021-23222): the caller checks for it.
func (c *Client) SSLRequest() []byte {
	return appendSSLRequest(nil)
}

// ParseSSLResponse interprets the server's one-byte answer to SSLRequest:
// 'S' means start TLS now, 'N' means the server refuses TLS.
func (c *Client) ParseSSLResponse(b byte) (ok bool, err error) {
	switch b {
	case 'S':
		return true, nil
	case 'N':
		return false, nil
	case 'E':
		// A server too old to know SSLRequest answers with an error message;
		// its bytes must not be trusted, so we do not read it.
		return false, c.die(&ProtocolError{Msg: "server answered SSLRequest with an ErrorResponse"})
	default:
		return false, c.die(&ProtocolError{Msg: "unexpected answer to SSLRequest: " + strconv.QuoteRune(rune(b))})
	}
}

// Startup returns the StartupMessage and moves to StateSentStartup. If the
// configuration cannot be encoded the client dies and Startup returns nil;
// Err says why.
func (c *Client) Startup() []byte {
	if c.dead != nil {
		return nil
	}
	if c.state != StateStartup {
		c.die(&UsageError{Op: "startup", Msg: "already started"})
		return nil
	}
	if err := c.auth.init(&c.cfg); err != nil {
		c.die(err)
		return nil
	}
	b, err := appendStartup(nil, c.params)
	if err != nil {
		c.die(err)
		return nil
	}
	c.state = StateSentStartup
	return b
}

// Receive hands the client bytes read from the server. The client takes
// ownership of data: the caller must not write to it afterwards.
func (c *Client) Receive(data []byte) {
	if len(data) == 0 || c.dead != nil {
		return
	}
	if c.r == len(c.buf) && len(c.pending) == 0 {
		c.buf, c.r, c.stitched = data, 0, false
		return
	}
	c.pending = append(c.pending, data)
}

// frame cuts the next whole message off the received bytes. Messages lie
// in the chunks Receive was given and are handed out as views into them;
// only a message that straddles two chunks is copied (stitched) into a
// buffer of its own, so reading costs no copy of the bulk of the data.
func (c *Client) frame() (tag byte, body []byte, ok bool) {
	for {
		avail := len(c.buf) - c.r
		need := 5 // bytes needed to know the message length
		if avail >= 5 {
			tag = c.buf[c.r]
			l := int64(int32(binary.BigEndian.Uint32(c.buf[c.r+1:])))
			if l < 4 {
				c.die(&ProtocolError{Msg: "message " + strconv.QuoteRune(rune(tag)) + " has impossible length " + strconv.FormatInt(l, 10)})
				return 0, nil, false
			}
			if l-4 > int64(c.maxSize) {
				c.die(&ProtocolError{Msg: "message " + strconv.QuoteRune(rune(tag)) + " of " + strconv.FormatInt(l-4, 10) +
					" bytes exceeds the limit of " + strconv.Itoa(c.maxSize)})
				return 0, nil, false
			}
			need = 1 + int(l)
			if avail >= need {
				start, end := c.r+5, c.r+need
				body = c.buf[start:end:end]
				c.r = end
				return tag, body, true
			}
		}
		if len(c.pending) == 0 {
			return 0, nil, false
		}
		if avail == 0 {
			c.buf, c.r, c.stitched = c.popPending(), 0, false
			continue
		}
		c.stitch(need)
	}
}

// stitch makes the partial message at the end of buf contiguous with the
// pending chunks, up to need bytes, copying only that message.
func (c *Client) stitch(need int) {
	if need == 5 {
		need = c.peekNeed()
	}
	rem := c.buf[c.r:]
	var sb []byte
	switch {
	case c.stitched && cap(c.buf)-c.r >= need:
		// Our own buffer with room: append past everything handed out.
		sb = c.buf[c.r:]
	case need <= carveMax:
		if cap(c.carve)-len(c.carve) < need {
			c.carve = make([]byte, 0, carveSize)
		}
		off := len(c.carve)
		c.carve = c.carve[:off+need]
		sb = append(c.carve[off:off:off+need], rem...)
	default:
		sb = make([]byte, len(rem), need)
		copy(sb, rem)
	}
	for len(sb) < need && len(c.pending) > 0 {
		p := c.pending[0]
		take := min(need-len(sb), len(p))
		sb = append(sb, p[:take]...)
		if take == len(p) {
			c.popPending()
		} else {
			c.pending[0] = p[take:]
		}
	}
	c.buf, c.r, c.stitched = sb, 0, true
}

// carveSize is the size of the buffers straddling messages are copied
// into; a message over carveMax gets a buffer of its own.
const (
	carveSize = 4 << 10
	carveMax  = carveSize / 4
)

// peekNeed returns the size of the message that begins at buf[r], its
// header read across the pending chunks, so that one copy takes it all;
// 5 when the header is not all there or its length is impossible (frame
// then reports it).
func (c *Client) peekNeed() int {
	var hdr [5]byte
	n := copy(hdr[:], c.buf[c.r:])
	for _, p := range c.pending {
		if n == len(hdr) {
			break
		}
		n += copy(hdr[n:], p)
	}
	if n < len(hdr) {
		return 5
	}
	l := int64(int32(binary.BigEndian.Uint32(hdr[1:])))
	if l < 4 || l-4 > int64(c.maxSize) {
		return 5
	}
	return 1 + int(l)
}

// popPending takes the first pending chunk off, keeping the slice's
// storage for later chunks.
func (c *Client) popPending() []byte {
	p := c.pending[0]
	n := copy(c.pending, c.pending[1:])
	c.pending[n] = nil
	c.pending = c.pending[:n]
	return p
}

// NextEvent returns the next event, or NeedData when more bytes are needed.
// When the client dies, NextEvent returns the cause once (a
// *ProtocolError, *AuthError, or the fatal *ErrorOrNoticeResponse), and
// NeedData after that; Dead and Err tell the rest.
func (c *Client) NextEvent() Event {
	for {
		if c.dead != nil {
			return c.reportDeath()
		}
		tag, body, ok := c.frame()
		if !ok {
			if c.dead != nil {
				continue
			}
			return NeedData
		}
		if ev := c.handle(tag, body); ev != nil {
			return ev
		}
	}
}

func (c *Client) reportDeath() Event {
	if c.deathReported {
		return NeedData
	}
	c.deathReported = true
	switch e := c.dead.(type) {
	case *ProtocolError:
		return e
	case *ErrorOrNoticeResponse:
		return e
	case *AuthError:
		return &ProtocolError{Msg: e.Error()}
	case *UsageError:
		return &ProtocolError{Msg: e.Error()}
	}
	return NeedData
}

// die records the first cause of death and returns it wrapped with ErrDead.
func (c *Client) die(cause error) error {
	if c.dead == nil {
		c.dead = cause
		// An error returned by die is reported to the caller directly; the
		// event is for causes discovered while reading.
	}
	return c.Err()
}

// NeededSync returns bytes the client must send by itself now:
// authentication responses, the next Execute after PortalSuspended, a Sync
// ending a paged command, and commands held behind it. It may return nil.
// The caller owns the returned slice.
func (c *Client) NeededSync() []byte {
	switch c.state {
	case StateCleartextStartup:
		c.state = StateCleartextSent
	case StateMD5Startup:
		c.state = StateMD5Sent
	case StateSASLStartup:
		c.state = StateSASLFirstSent
	case StateSASLFirstReceived:
		c.state = StateSASLFinalSent
	}
	if h := c.head(); h != nil && h.state == StateMultiQueryReceivedPortalSuspended {
		h.state = StateMultiQueryReadingDataRows
	}
	b := c.out
	c.out = nil
	return b
}

// Ready reports whether startup is done and no command is in flight.
func (c *Client) Ready() bool {
	return c.dead == nil && c.state == StateReadyForQuery && len(c.queue) == 0
}

// InFlight returns the number of commands sent (or held) and not yet
// answered by their ReadyForQuery.
func (c *Client) InFlight() int { return len(c.queue) }

// Tag attaches v to the command issued last, so that the caller needs no
// queue of its own in step with the client's: v comes back in the
// ReadyForQuery that ends the command (ReadyForQuery.Tag) and, while the
// command is in flight, from Pending.
func (c *Client) Tag(v any) {
	if n := len(c.queue); n > 0 {
		c.queue[n-1].tag = v
	}
}

// Pending returns the tag of the i-th command in flight, 0 being the one
// the server is answering, or nil when there is no such command.
func (c *Client) Pending(i int) any {
	if i < 0 || i >= len(c.queue) {
		return nil
	}
	return c.queue[i].tag
}

// State returns the state of the startup exchange or of the command at the
// head of the queue.
func (c *Client) State() State {
	if c.dead != nil {
		if c.dead == ErrTerminated {
			return StateTerminated
		}
		return StateUnrecoverableError
	}
	if h := c.head(); h != nil {
		if h.failed {
			return StateRecoverableError
		}
		return h.state
	}
	return c.state
}

// Dead reports whether the client is unusable (after an unrecoverable
// error or Terminate).
func (c *Client) Dead() bool { return c.dead != nil }

// Err returns why the client is dead, wrapping ErrDead, or nil.
func (c *Client) Err() error {
	if c.dead == nil {
		return nil
	}
	return &deadError{cause: c.dead}
}

// Encoding returns the server's client_encoding.
func (c *Client) Encoding() string { return c.encoding }

// BackendKeyData returns what a CancelRequest for this session needs.
func (c *Client) BackendKey() (pid, secret uint32) { return c.pid, c.secret }

// ServerParameter returns a parameter the server reported (server_version,
// standard_conforming_strings, ...).
func (c *Client) ServerParameter(name string) string { return c.server[name] }

// TxStatus returns the transaction status from the last ReadyForQuery.
func (c *Client) TxStatus() byte { return c.txStatus }

// Terminate returns the Terminate message; the client is dead afterwards.
func (c *Client) Terminate() []byte {
	if c.dead == nil {
		c.dead = ErrTerminated
		c.deathReported = true
	}
	return appendTerminate(nil)
}

func (c *Client) head() *op {
	if len(c.queue) == 0 {
		return nil
	}
	return c.queue[0]
}

// checkCommand returns an error when a command may not be issued now.
func (c *Client) checkCommand(name string) error {
	if c.dead != nil {
		return c.Err()
	}
	if c.state != StateReadyForQuery {
		return &UsageError{Op: name, Msg: "startup has not completed (state " + c.state.String() + ")"}
	}
	return nil
}

func (c *Client) newOp(kind opKind, state State) *op {
	var o *op
	if n := len(c.free); n > 0 {
		o = c.free[n-1]
		c.free = c.free[:n-1]
		*o = op{}
	} else {
		o = &op{}
	}
	o.kind, o.state, o.synced = kind, state, true
	return o
}

// push queues o, whose bytes are b[start:], and decides whether those bytes
// go out now or wait behind a barrier command. It returns what to send now.
func (c *Client) push(o *op, b []byte, start int) []byte {
	c.queue = append(c.queue, o)
	if c.blocker != nil {
		o.held = append([]byte(nil), b[start:]...)
		return b[:start]
	}
	if o.barrier {
		c.blocker = o
	}
	return b
}

// release sends the commands held behind a barrier command that no longer
// needs them held, up to and including the next barrier.
func (c *Client) release() {
	c.blocker = nil
	for _, o := range c.queue {
		if o.held == nil {
			continue
		}
		c.out = append(c.out, o.held...)
		o.held = nil
		if o.barrier {
			c.blocker = o
			return
		}
	}
}

func (c *Client) pop() {
	o := c.queue[0]
	if c.blocker == o {
		// A barrier that ended without letting go (a COPY that failed
		// before it started): the server is back to normal. o itself holds
		// nothing, so release skips it.
		c.release()
	}
	c.queue[0] = nil
	// Slide the window instead of shifting: a deep pipeline pops in O(1),
	// and append reallocates (copying only what is live) when the front
	// runs out. An emptied queue keeps its array.
	if len(c.queue) == 1 {
		c.queue = c.queue[:0]
	} else {
		c.queue = c.queue[1:]
	}
	o.info, o.rows, o.held, o.batch, o.tag = nil, nil, nil, nil, nil
	c.free = append(c.free, o)
}

// SimpleQuery returns a Query message for sql (one or more statements).
func (c *Client) SimpleQuery(sql string) ([]byte, error) {
	return c.AppendSimpleQuery(nil, sql)
}

// AppendSimpleQuery is SimpleQuery appending to dst.
func (c *Client) AppendSimpleQuery(dst []byte, sql string) ([]byte, error) {
	if err := c.checkCommand("simple query"); err != nil {
		return dst, err
	}
	start := len(dst)
	b, err := appendQuery(dst, sql)
	if err != nil {
		return dst, err
	}
	o := c.newOp(opSimpleQuery, StateSimpleQuerySentQuery)
	o.barrier = MayCopyIn(sql)
	return c.push(o, b, start), nil
}

// MayCopyIn reports whether sql may start a COPY FROM STDIN. Such a
// command is a barrier: anything written behind it before the copy ends
// would reach the server as copy data, and a message it does not expect
// there makes it drop the connection (FATAL 08P01, protocol
// synchronization lost). COPY FROM STDIN cannot be reached without the
// keyword STDIN in the statement itself (PL/pgSQL refuses it), and a
// keyword cannot be quoted or escaped, so looking for the word, in any
// case, finds every one; a false alarm only costs pipelining behind that
// one command.
func MayCopyIn(sql string) bool {
	for i := 0; i+5 <= len(sql); i++ {
		if sql[i]|0x20 == 's' && sql[i+1]|0x20 == 't' && sql[i+2]|0x20 == 'd' &&
			sql[i+3]|0x20 == 'i' && sql[i+4]|0x20 == 'n' {
			return true
		}
	}
	return false
}

// Prepare returns Parse + Describe(statement) + Sync for sql under name
// ("" is the unnamed statement). paramOIDs may fix parameter types; a zero
// or missing OID lets the server infer it. The answer ends with a
// PreparedStatementInfo event to pass to BindExecute.
func (c *Client) Prepare(name, sql string, paramOIDs ...uint32) ([]byte, error) {
	return c.AppendPrepare(nil, name, sql, paramOIDs...)
}

// AppendPrepare is Prepare appending to dst.
func (c *Client) AppendPrepare(dst []byte, name, sql string, paramOIDs ...uint32) ([]byte, error) {
	if err := c.checkCommand("prepare"); err != nil {
		return dst, err
	}
	start := len(dst)
	b, err := appendParse(dst, name, sql, paramOIDs)
	if err == nil {
		b, err = appendDescribe(b, 'S', name)
	}
	if err != nil {
		return dst[:start], err
	}
	b = appendSync(b)
	o := c.newOp(opPrepare, StateMultiQuerySentParseDescribe)
	o.info = &PreparedStatementInfo{Name: name, SQL: sql, copyKnown: true, mayCopy: MayCopyIn(sql)}
	return c.push(o, b, start), nil
}

// CloseStatement returns Close(statement) + Sync, deallocating a named
// prepared statement. While it is in flight State reports
// StateMultiQuerySentParseDescribe, the nearest of the seed's states.
func (c *Client) CloseStatement(name string) ([]byte, error) {
	return c.AppendCloseStatement(nil, name)
}

// AppendCloseStatement is CloseStatement appending to dst.
func (c *Client) AppendCloseStatement(dst []byte, name string) ([]byte, error) {
	if err := c.checkCommand("close statement"); err != nil {
		return dst, err
	}
	start := len(dst)
	b, err := appendClose(dst, 'S', name)
	if err != nil {
		return dst[:start], err
	}
	b = appendSync(b)
	return c.push(c.newOp(opCloseStatement, StateMultiQuerySentParseDescribe), b, start), nil
}

// BindExecute returns Bind + Execute + Sync running the prepared statement
// info with p, its parameters encoded beforehand for info's parameter
// types (codec.Registry.AppendParams). maxRows > 0 limits each Execute to
// that many rows: the command then ends with Flush, and after each
// PortalSuspended NeededSync returns the next Execute; commands issued
// meanwhile are held back until the portal is done, because a Sync or
// another Bind would close it.
func (c *Client) BindExecute(info *PreparedStatementInfo, p *Params, maxRows int) ([]byte, error) {
	return c.AppendBindExecute(nil, info, p, maxRows)
}

// AppendBindExecute is BindExecute appending to dst.
func (c *Client) AppendBindExecute(dst []byte, info *PreparedStatementInfo, p *Params, maxRows int) ([]byte, error) {
	return c.appendBindExecute(dst, info, p, maxRows)
}

func (c *Client) appendBindExecute(dst []byte, info *PreparedStatementInfo, p *Params, maxRows int) ([]byte, error) {
	if err := c.checkCommand("bind/execute"); err != nil {
		return dst, err
	}
	if info == nil {
		return dst, &UsageError{Op: "bind/execute", Msg: "nil statement info"}
	}
	if maxRows < 0 || maxRows > 1<<31-1 {
		return dst, &UsageError{Op: "bind/execute", Msg: "maxRows out of range: " + strconv.Itoa(maxRows)}
	}
	start := len(dst)
	b, err := appendBindParams(dst, info, p)
	if err != nil {
		return dst[:start], err
	}
	b = appendExecute(b, "", int32(maxRows))
	o := c.newOp(opBindExecute, StateMultiQuerySentBind)
	o.info = info
	o.maxRows = int32(maxRows)
	if maxRows > 0 {
		b = appendFlush(b)
		o.paged, o.barrier, o.synced = true, true, false
	} else {
		b = appendSync(b)
		if info.copyKnown {
			o.barrier = info.mayCopy
		} else {
			o.barrier = MayCopyIn(info.SQL)
		}
	}
	return c.push(o, b, start), nil
}

// ExecuteUnnamed returns Parse + Bind + Describe(portal) + Execute + Sync for
// sql with p, all on the unnamed statement and portal, in one flight; the
// statement is parsed with p.OIDs as its parameter types (0 lets the server
// infer one). Nothing outlives its Sync, which is what PgBouncer in
// transaction mode needs: it may hand the server connection to another
// client between two Syncs, so a statement prepared in one flight and
// bound in the next could meet a different session. Results come back in
// text, since their types are only known after the Bind. The answer is
// ParseComplete, BindComplete, a RowDescription (none for statements
// without rows), the rows, and CommandComplete. While it runs, State
// reports the seed's 30x/31x states.
func (c *Client) ExecuteUnnamed(sql string, p *Params) ([]byte, error) {
	return c.AppendExecuteUnnamed(nil, sql, p)
}

// AppendExecuteUnnamed is ExecuteUnnamed appending to dst.
func (c *Client) AppendExecuteUnnamed(dst []byte, sql string, p *Params) ([]byte, error) {
	if err := c.checkCommand("execute unnamed"); err != nil {
		return dst, err
	}
	start := len(dst)
	b, err := appendUnnamedBind(dst, sql, p)
	if err != nil {
		return dst[:start], err
	}
	b = appendExecute(b, "", 0)
	b = appendSync(b)
	o := c.newOp(opExecuteUnnamed, StateMultiQuerySentParseDescribe)
	o.barrier = MayCopyIn(sql)
	return c.push(o, b, start), nil
}

// BatchItem is one command of a batch: a prepared statement (Info) bound
// to Params, or, when Info is nil, SQL run on the unnamed statement (its
// results then come in text, as for ExecuteUnnamed).
type BatchItem struct {
	Info *PreparedStatementInfo
	SQL  string
	// Params are the parameters, encoded for Info's parameter types (or,
	// unnamed, the types the statement is parsed with).
	Params *Params
}

// AppendBatch appends the commands of items followed by one Sync: the
// server runs them in one implicit transaction (unless a transaction is
// open), and an error skips every command after it. The answer is each
// command's results in turn (BindComplete, a RowDescription for unnamed
// items, rows, CommandComplete or EmptyQueryResponse), then one
// ReadyForQuery; after an ErrorResponse, only the ReadyForQuery. Callers
// learn which item an event belongs to by counting the CommandComplete and
// EmptyQueryResponse events.
func (c *Client) AppendBatch(dst []byte, items []BatchItem) ([]byte, error) {
	if err := c.checkCommand("batch"); err != nil {
		return dst, err
	}
	if len(items) == 0 {
		return dst, &UsageError{Op: "batch", Msg: "no commands"}
	}
	start := len(dst)
	b := dst
	barrier := false
	for i := range items {
		it := &items[i]
		var err error
		if it.Info != nil {
			b, err = appendBindParams(b, it.Info, it.Params)
			barrier = barrier || MayCopyIn(it.Info.SQL)
		} else {
			b, err = appendUnnamedBind(b, it.SQL, it.Params)
			barrier = barrier || MayCopyIn(it.SQL)
		}
		if err != nil {
			return dst[:start], &BatchItemError{Index: i, Err: err}
		}
		b = appendExecute(b, "", 0)
	}
	b = appendSync(b)
	o := c.newOp(opBatch, StateMultiQuerySentBind)
	o.batch, o.barrier = items, barrier
	o.startItem()
	return c.push(o, b, start), nil
}

// BatchItemError reports which command of a batch could not be encoded.
type BatchItemError struct {
	Index int
	Err   error
}

func (e *BatchItemError) Error() string {
	return "batch command " + strconv.Itoa(e.Index+1) + ": " + e.Err.Error()
}

func (e *BatchItemError) Unwrap() error { return e.Err }

// startItem sets a batch op up for the answer of its item at pos.
func (o *op) startItem() {
	it := &o.batch[o.pos]
	o.info, o.rows = it.Info, nil
	if it.Info != nil {
		o.state = StateMultiQuerySentBind
	} else {
		o.state = StateMultiQuerySentParseDescribe
	}
}

// appendUnnamedBind appends Parse, Bind and Describe(portal) of sql on the
// unnamed statement with p's parameter types and values.
func appendUnnamedBind(dst []byte, sql string, p *Params) ([]byte, error) {
	if p == nil {
		return dst, &UsageError{Op: "execute unnamed", Msg: "no parameters encoded"}
	}
	if len(p.OIDs) > 65535 {
		return dst, &UsageError{Op: "execute unnamed", Msg: "more than 65535 parameters"}
	}
	start := len(dst)
	b, err := appendParse(dst, "", sql, p.OIDs)
	if err == nil {
		b, err = appendBindParams(b, &PreparedStatementInfo{ParamOIDs: p.OIDs}, p)
	}
	if err == nil {
		b, err = appendDescribe(b, 'P', "")
	}
	if err != nil {
		return dst[:start], err
	}
	return b, nil
}

// CopyIn returns a Query message for sql, a COPY ... FROM STDIN. Commands
// issued behind it are held until the copy ends, because the server would
// take them for copy data. After the CopyInResponse event, send the data
// with CopyData and end it with EndCopy; the answer then ends with
// CommandComplete ("COPY n") and ReadyForQuery as for a simple query. If the
// server refuses the COPY (an ErrorResponse instead of CopyInResponse), the
// held commands are released at its ReadyForQuery.
func (c *Client) CopyIn(sql string) ([]byte, error) {
	return c.AppendCopyIn(nil, sql)
}

// AppendCopyIn is CopyIn appending to dst.
func (c *Client) AppendCopyIn(dst []byte, sql string) ([]byte, error) {
	if err := c.checkCommand("copy in"); err != nil {
		return dst, err
	}
	start := len(dst)
	b, err := appendQuery(dst, sql)
	if err != nil {
		return dst, err
	}
	o := c.newOp(opSimpleQuery, StateSimpleQuerySentQuery)
	o.copyIn, o.barrier = true, true
	return c.push(o, b, start), nil
}

// Copying reports whether the command at the head is a CopyIn the server
// is waiting for data on.
func (c *Client) Copying() bool {
	h := c.head()
	return c.dead == nil && h != nil && h.copying
}

// CopyData appends a CopyData message with data for the running CopyIn.
func (c *Client) CopyData(dst, data []byte) ([]byte, error) {
	if !c.Copying() {
		return dst, &UsageError{Op: "copy data", Msg: "no COPY FROM STDIN is waiting for data"}
	}
	return AppendCopyData(dst, data)
}

// EndCopy ends the running CopyIn: CopyDone, or CopyFail with failReason
// when it is not empty. The commands held behind the copy follow through
// NeededSync.
func (c *Client) EndCopy(dst []byte, failReason string) ([]byte, error) {
	if !c.Copying() {
		return dst, &UsageError{Op: "end copy", Msg: "no COPY FROM STDIN is waiting for data"}
	}
	h := c.head()
	h.copying = false
	var err error
	if failReason == "" {
		dst = AppendCopyDone(dst)
	} else if dst, err = AppendCopyFail(dst, failReason); err != nil {
		return dst, err
	}
	if c.blocker == h {
		c.release()
	}
	return dst, nil
}
