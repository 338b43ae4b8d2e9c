package wire

import (
	"errors"
	"strings"
)

// ErrorOrNoticeResponse is an ErrorResponse or NoticeResponse, with every
// field PostgreSQL sends. As an error (it implements error) its text is
// "SEVERITY: message (SQLSTATE code)". Notice is true for NoticeResponse.
type ErrorOrNoticeResponse struct {
	Notice bool

	Severity         string // localized severity, e.g. "ERREUR"
	SeverityNonLocal string // 'V': ERROR, FATAL, PANIC, WARNING, NOTICE, ...
	Code             string // SQLSTATE
	Message          string
	Detail           string
	Hint             string
	Position         int32 // 1-based character position in the query; 0 when absent
	InternalPosition int32
	InternalQuery    string
	Where            string
	SchemaName       string
	TableName        string
	ColumnName       string
	DataTypeName     string
	ConstraintName   string
	File             string
	Line             int32
	Routine          string
	UnknownFields    map[byte]string // fields this client does not know, by their code
}

// Error formats the response like psql's terse form.
func (e *ErrorOrNoticeResponse) Error() string {
	var b strings.Builder
	sev := e.SeverityNonLocal
	if sev == "" {
		sev = e.Severity
	}
	b.WriteString(sev)
	b.WriteString(": ")
	b.WriteString(e.Message)
	if e.Code != "" {
		b.WriteString(" (SQLSTATE ")
		b.WriteString(e.Code)
		b.WriteString(")")
	}
	return b.String()
}

// SQLState returns the five-character SQLSTATE code.
func (e *ErrorOrNoticeResponse) SQLState() string { return e.Code }

// Fatal reports whether the server will close the session after this error.
func (e *ErrorOrNoticeResponse) Fatal() bool {
	sev := e.SeverityNonLocal
	if sev == "" {
		sev = e.Severity
	}
	return !e.Notice && (sev == "FATAL" || sev == "PANIC")
}

// ProtocolError is a remote error: the server (or whatever answers in its
// place) sent bytes that break the protocol. It kills the client. NextEvent
// returns it once as an event; Err returns it afterwards.
type ProtocolError struct {
	Msg string
}

func (e *ProtocolError) Error() string { return "wire: protocol violation: " + e.Msg }

// UsageError is a local error: the caller asked for something the client
// cannot do in its state, or gave an argument that cannot be encoded. It
// does not harm the client.
type UsageError struct {
	Op  string
	Msg string
}

func (e *UsageError) Error() string { return "wire: " + e.Op + ": " + e.Msg }

// AuthError reports an authentication exchange this client refused to take
// part in (a method not allowed by RequireAuth, a missing channel binding,
// an unsupported method) or one that failed to verify the server.
type AuthError struct {
	Msg string
}

func (e *AuthError) Error() string { return "wire: authentication: " + e.Msg }

// ErrDead is wrapped by every error a dead client returns, so callers can
// test for it with errors.Is whatever the cause.
var ErrDead = errors.New("wire: connection is dead")

// ErrTerminated is the cause recorded when Terminate was called.
var ErrTerminated = errors.New("wire: connection was terminated")

// deadError wraps the cause of death with ErrDead.
type deadError struct{ cause error }

func (e *deadError) Error() string { return "wire: connection is dead: " + e.cause.Error() }
func (e *deadError) Unwrap() []error {
	return []error{ErrDead, e.cause}
}
