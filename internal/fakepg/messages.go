// Package fakepg builds PostgreSQL backend messages, byte for byte, for
// tests that script a server: unit tests of wire and the actor's fake
// backend. It encodes what a real server sends; it decides nothing.
package fakepg

import (
	"encoding/binary"
	"strconv"
)

// Msg returns a backend message: tag, length, body.
func Msg(tag byte, body ...[]byte) []byte {
	n := 4
	for _, b := range body {
		n += len(b)
	}
	out := make([]byte, 0, 1+n)
	out = append(out, tag)
	out = binary.BigEndian.AppendUint32(out, uint32(n))
	for _, b := range body {
		out = append(out, b...)
	}
	return out
}

// Concat joins messages into one byte stream.
func Concat(msgs ...[]byte) []byte {
	var out []byte
	for _, m := range msgs {
		out = append(out, m...)
	}
	return out
}

// I16, I32 and U32 encode big-endian integers; CStr a NUL-terminated string.
func I16(v int16) []byte  { return binary.BigEndian.AppendUint16(nil, uint16(v)) }
func I32(v int32) []byte  { return binary.BigEndian.AppendUint32(nil, uint32(v)) }
func U32(v uint32) []byte { return binary.BigEndian.AppendUint32(nil, v) }
func CStr(s string) []byte {
	return append([]byte(s), 0)
}

// AuthOK is AuthenticationOk.
func AuthOK() []byte { return Msg('R', I32(0)) }

// AuthCleartext is AuthenticationCleartextPassword.
func AuthCleartext() []byte { return Msg('R', I32(3)) }

// AuthMD5 is AuthenticationMD5Password with salt.
func AuthMD5(salt [4]byte) []byte { return Msg('R', I32(5), salt[:]) }

// AuthSASL is AuthenticationSASL offering mechs.
func AuthSASL(mechs ...string) []byte {
	var b []byte
	for _, m := range mechs {
		b = append(b, CStr(m)...)
	}
	return Msg('R', I32(10), b, []byte{0})
}

// AuthSASLContinue and AuthSASLFinal carry SCRAM server messages.
func AuthSASLContinue(data string) []byte { return Msg('R', I32(11), []byte(data)) }
func AuthSASLFinal(data string) []byte    { return Msg('R', I32(12), []byte(data)) }

// ParameterStatus reports name=value.
func ParameterStatus(name, value string) []byte { return Msg('S', CStr(name), CStr(value)) }

// BackendKeyData carries pid and secret.
func BackendKeyData(pid, secret uint32) []byte { return Msg('K', U32(pid), U32(secret)) }

// ReadyForQuery with status 'I', 'T' or 'E'.
func ReadyForQuery(status byte) []byte { return Msg('Z', []byte{status}) }

// Column describes one RowDescription field.
type Column struct {
	Name    string
	TypeOID uint32
	Format  int16
}

// RowDescription describes cols (table OID and attnum zero, size -1).
func RowDescription(cols ...Column) []byte {
	b := I16(int16(len(cols)))
	for _, c := range cols {
		b = append(b, CStr(c.Name)...)
		b = append(b, U32(0)...)
		b = append(b, I16(0)...)
		b = append(b, U32(c.TypeOID)...)
		b = append(b, I16(-1)...)
		b = append(b, I32(-1)...)
		b = append(b, I16(c.Format)...)
	}
	return Msg('T', b)
}

// DataRow carries values; a nil value is NULL.
func DataRow(values ...[]byte) []byte {
	b := I16(int16(len(values)))
	for _, v := range values {
		if v == nil {
			b = append(b, I32(-1)...)
			continue
		}
		b = append(b, I32(int32(len(v)))...)
		b = append(b, v...)
	}
	return Msg('D', b)
}

// TextRow is DataRow of text values.
func TextRow(values ...string) []byte {
	vs := make([][]byte, len(values))
	for i, v := range values {
		vs[i] = []byte(v)
	}
	return DataRow(vs...)
}

// CommandComplete carries tag, e.g. "SELECT 1".
func CommandComplete(tag string) []byte { return Msg('C', CStr(tag)) }

// SelectComplete is CommandComplete for n rows.
func SelectComplete(n int) []byte { return CommandComplete("SELECT " + strconv.Itoa(n)) }

// Simple messages with empty bodies.
func ParseComplete() []byte      { return Msg('1') }
func BindComplete() []byte       { return Msg('2') }
func CloseComplete() []byte      { return Msg('3') }
func NoData() []byte             { return Msg('n') }
func PortalSuspended() []byte    { return Msg('s') }
func EmptyQueryResponse() []byte { return Msg('I') }
func CopyDone() []byte           { return Msg('c') }

// ParameterDescription lists parameter type OIDs.
func ParameterDescription(oids ...uint32) []byte {
	b := I16(int16(len(oids)))
	for _, o := range oids {
		b = append(b, U32(o)...)
	}
	return Msg('t', b)
}

// Field is one ErrorResponse/NoticeResponse field.
type Field struct {
	Code  byte
	Value string
}

func fields(fs []Field) []byte {
	var b []byte
	for _, f := range fs {
		b = append(b, f.Code)
		b = append(b, CStr(f.Value)...)
	}
	return append(b, 0)
}

// ErrorResponse with the given fields.
func ErrorResponse(fs ...Field) []byte { return Msg('E', fields(fs)) }

// NoticeResponse with the given fields.
func NoticeResponse(fs ...Field) []byte { return Msg('N', fields(fs)) }

// Error is an ErrorResponse with severity, SQLSTATE and message.
func Error(severity, code, message string) []byte {
	return ErrorResponse(Field{'S', severity}, Field{'V', severity}, Field{'C', code}, Field{'M', message})
}

// Notice is a NoticeResponse with severity, SQLSTATE and message.
func Notice(severity, code, message string) []byte {
	return NoticeResponse(Field{'S', severity}, Field{'V', severity}, Field{'C', code}, Field{'M', message})
}

// Notification is a NotificationResponse.
func Notification(pid uint32, channel, payload string) []byte {
	return Msg('A', U32(pid), CStr(channel), CStr(payload))
}

// CopyInResponse / CopyOutResponse with text format and n columns.
func CopyInResponse(n int) []byte  { return copyResponse('G', n) }
func CopyOutResponse(n int) []byte { return copyResponse('H', n) }

func copyResponse(tag byte, n int) []byte {
	b := []byte{0}
	b = append(b, I16(int16(n))...)
	for range n {
		b = append(b, I16(0)...)
	}
	return Msg(tag, b)
}

// CopyData carries data.
func CopyData(data []byte) []byte { return Msg('d', data) }

// Startup is the usual trust startup answer: AuthenticationOk, a few
// ParameterStatus messages, BackendKeyData and ReadyForQuery.
func Startup(pid, secret uint32) []byte {
	return Concat(AuthOK(),
		ParameterStatus("client_encoding", "UTF8"),
		ParameterStatus("server_version", "15.0"),
		ParameterStatus("TimeZone", "UTC"),
		ParameterStatus("standard_conforming_strings", "on"),
		BackendKeyData(pid, secret),
		ReadyForQuery('I'))
}
