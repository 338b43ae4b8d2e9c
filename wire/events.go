package wire

import (
	"strconv"
)

// Event is one thing the server told us, decoded. NextEvent returns events
// as pointers. Unless an event's doc says otherwise, the pointer and what it
// points to are the caller's to keep. The hot-path events (DataRow,
// CommandComplete, BindComplete, ReadyForQuery) are reused by the client and
// are valid only until the next call to NextEvent; copy what you keep.
type Event interface {
	event()
}

type needData struct{}

func (*needData) event() {}

// NeedData is the sentinel NextEvent returns when it needs more bytes from
// the server before it can produce another event.
var NeedData Event = &needData{}

// AuthMethod names an authentication exchange the server asked for.
type AuthMethod string

// The authentication methods, named as libpq's require_auth names them.
const (
	AuthNone        AuthMethod = "none"
	AuthPassword    AuthMethod = "password"
	AuthMD5         AuthMethod = "md5"
	AuthSCRAMSHA256 AuthMethod = "scram-sha-256"
	// GSSAPI and SSPI are never performed by this client, but require_auth
	// may name them (libpq's "!gss" is common).
	AuthGSS  AuthMethod = "gss"
	AuthSSPI AuthMethod = "sspi"
)

// AuthenticationRequest reports that the server asked us to authenticate.
// The client answers it by itself through NeededSync.
type AuthenticationRequest struct {
	Method     AuthMethod
	Mechanisms []string // SASL mechanisms the server offered, for scram-sha-256
	Mechanism  string   // the SASL mechanism we chose
}

// AuthenticationCompleted reports AuthenticationOk: the server accepted us.
// Startup ends with the ReadyForQuery that follows.
type AuthenticationCompleted struct{}

// ParameterStatus reports a run-time parameter's current value; the server
// sends these during startup and whenever a reported parameter changes.
type ParameterStatus struct {
	Name, Value string
}

// BackendKeyData carries what a CancelRequest needs to name this session.
type BackendKeyData struct {
	PID, Secret uint32
}

// Transaction status as reported by ReadyForQuery.
const (
	TxIdle          byte = 'I'
	TxInTransaction byte = 'T'
	TxFailed        byte = 'E'
)

// ReadyForQuery ends every command (and startup). TxStatus is TxIdle,
// TxInTransaction or TxFailed. Reused: valid until the next NextEvent.
type ReadyForQuery struct {
	TxStatus byte
	// Tag is what the caller attached (Client.Tag) to the command this
	// ReadyForQuery ends; nil after startup or for an untagged command.
	Tag any
}

// FieldDescription describes one result column.
type FieldDescription struct {
	Name         string
	TableOID     uint32
	AttNum       int16
	TypeOID      uint32
	TypeSize     int16
	TypeModifier int32
	Format       int16 // 0 text, 1 binary
}

// RowDescription describes the columns of the rows that follow. Treat it as
// read-only: the client hands the same one out again when a later result
// has the same description.
type RowDescription struct {
	Fields []FieldDescription
}

// DataRow is one result row. Values holds one entry per column: a view
// into the bytes handed to Receive, or nil for SQL NULL. Those views stay
// valid for as long as the caller holds them (the client never writes over
// bytes it was given), but the DataRow struct and its Values slice are
// reused by the next NextEvent. Raw is the whole message body, also a
// stable view; ParseDataRow splits it again later, in another goroutine.
type DataRow struct {
	Values  [][]byte
	Raw     []byte
	Columns *RowDescription // the description these values follow; nil if none was received
}

// CommandComplete ends one SQL command's results. Tag is e.g. "INSERT 0 5"
// or "SELECT 3"; Rows is the count it carries (0 when it carries none).
// Reused: valid until the next NextEvent.
type CommandComplete struct {
	Tag  string
	Rows int64
}

// rowsFromTag reads the trailing row count of a command tag.
func rowsFromTag(tag string) int64 {
	i := len(tag)
	for i > 0 && tag[i-1] >= '0' && tag[i-1] <= '9' {
		i--
	}
	if i == len(tag) || i == 0 || tag[i-1] != ' ' {
		return 0
	}
	n, err := strconv.ParseInt(tag[i:], 10, 64)
	if err != nil {
		return 0
	}
	return n
}

// EmptyQueryResponse answers a query string that held no statement.
type EmptyQueryResponse struct{}

// ParseComplete acknowledges Parse.
type ParseComplete struct{}

// ParameterDescription lists the parameter types of a prepared statement.
type ParameterDescription struct {
	OIDs []uint32
}

// PreparedStatementInfo is what Prepare learns about a statement: the seed
// folds ParameterDescription and RowDescription (or NoData) into it.
// Pass it to BindExecute. Columns is nil for statements that return no rows;
// its Format fields say which format BindExecute will ask for.
type PreparedStatementInfo struct {
	Name      string
	SQL       string
	ParamOIDs []uint32
	Columns   *RowDescription

	// Set by Prepare: whether SQL may start COPY FROM STDIN, computed once.
	copyKnown, mayCopy bool
}

// BindComplete acknowledges Bind. Reused.
type BindComplete struct{}

// PortalSuspended reports that Execute hit its row limit; the client will
// ask for the next page through NeededSync.
type PortalSuspended struct{}

// NotificationResponse is a NOTIFY delivered to this session.
type NotificationResponse struct {
	PID     uint32
	Channel string
	Payload string
}

// CopyInResponse says the server waits for COPY data from us.
type CopyInResponse struct {
	Format        int8
	ColumnFormats []int16
}

// CopyOutResponse says COPY data from the server follows.
type CopyOutResponse struct {
	Format        int8
	ColumnFormats []int16
}

// CopyData is a chunk of COPY data from the server. Data is a stable view.
type CopyData struct {
	Data []byte
}

// CopyDone ends COPY data from the server.
type CopyDone struct{}

func (*AuthenticationRequest) event()   {}
func (*AuthenticationCompleted) event() {}
func (*ParameterStatus) event()         {}
func (*BackendKeyData) event()          {}
func (*ReadyForQuery) event()           {}
func (*RowDescription) event()          {}
func (*DataRow) event()                 {}
func (*CommandComplete) event()         {}
func (*EmptyQueryResponse) event()      {}
func (*ErrorOrNoticeResponse) event()   {}
func (*ParseComplete) event()           {}
func (*ParameterDescription) event()    {}
func (*PreparedStatementInfo) event()   {}
func (*BindComplete) event()            {}
func (*PortalSuspended) event()         {}
func (*NotificationResponse) event()    {}
func (*CopyInResponse) event()          {}
func (*CopyOutResponse) event()         {}
func (*CopyData) event()                {}
func (*CopyDone) event()                {}
func (*ProtocolError) event()           {}
