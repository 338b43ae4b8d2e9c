package wire

import (
	"encoding/binary"
	"strconv"
)

// Backend (server → client) message tags.
const (
	TagAuthentication       = 'R'
	TagBackendKeyData       = 'K'
	TagBindComplete         = '2'
	TagCloseComplete        = '3'
	TagCommandComplete      = 'C'
	TagCopyData             = 'd'
	TagCopyDone             = 'c'
	TagCopyInResponse       = 'G'
	TagCopyOutResponse      = 'H'
	TagCopyBothResponse     = 'W'
	TagDataRow              = 'D'
	TagEmptyQueryResponse   = 'I'
	TagErrorResponse        = 'E'
	TagNegotiateProtocol    = 'v'
	TagNoData               = 'n'
	TagNoticeResponse       = 'N'
	TagNotificationResponse = 'A'
	TagParameterDescription = 't'
	TagParameterStatus      = 'S'
	TagParseComplete        = '1'
	TagPortalSuspended      = 's'
	TagReadyForQuery        = 'Z'
	TagRowDescription       = 'T'
)

// reader walks a message body. Every method checks bounds; the first
// failure sticks in err so decoders can read straight through and check once.
type reader struct {
	b   []byte
	err *ProtocolError
	msg string // message name, for errors
}

func (r *reader) fail(what string) {
	if r.err == nil {
		r.err = &ProtocolError{Msg: r.msg + ": " + what}
	}
	r.b = nil
}

func (r *reader) byte1() byte {
	if len(r.b) < 1 {
		r.fail("truncated")
		return 0
	}
	v := r.b[0]
	r.b = r.b[1:]
	return v
}

func (r *reader) int16() int16 {
	if len(r.b) < 2 {
		r.fail("truncated")
		return 0
	}
	v := int16(binary.BigEndian.Uint16(r.b))
	r.b = r.b[2:]
	return v
}

func (r *reader) uint32() uint32 {
	if len(r.b) < 4 {
		r.fail("truncated")
		return 0
	}
	v := binary.BigEndian.Uint32(r.b)
	r.b = r.b[4:]
	return v
}

func (r *reader) int32() int32 { return int32(r.uint32()) }

// cstring reads a NUL-terminated string.
func (r *reader) cstring() string {
	for i, c := range r.b {
		if c == 0 {
			s := string(r.b[:i])
			r.b = r.b[i+1:]
			return s
		}
	}
	r.fail("unterminated string")
	return ""
}

// bytes returns the next n bytes as a capped view.
func (r *reader) bytes(n int) []byte {
	if n < 0 || n > len(r.b) {
		r.fail("truncated")
		return nil
	}
	v := r.b[:n:n]
	r.b = r.b[n:]
	return v
}

// rest returns what is left, as a capped view.
func (r *reader) rest() []byte {
	v := r.b[:len(r.b):len(r.b)]
	r.b = nil
	return v
}

// done fails on trailing bytes: a message longer than its fields is as
// suspect as one that is shorter.
func (r *reader) done() *ProtocolError {
	if r.err == nil && len(r.b) != 0 {
		r.fail(strconv.Itoa(len(r.b)) + " trailing bytes")
	}
	return r.err
}

// count reads an int16 count and checks that at least min bytes per item
// remain, so a hostile count cannot make us allocate.
func (r *reader) count(min int) int {
	n := int(r.int16())
	if n < 0 {
		r.fail("negative count")
		return 0
	}
	if n*min > len(r.b) {
		r.fail("count " + strconv.Itoa(n) + " exceeds message")
		return 0
	}
	return n
}

// Authentication request codes.
const (
	authOK                = 0
	authKerberosV5        = 2
	authCleartextPassword = 3
	authMD5Password       = 5
	authSCMCredential     = 6
	authGSS               = 7
	authGSSContinue       = 8
	authSSPI              = 9
	authSASL              = 10
	authSASLContinue      = 11
	authSASLFinal         = 12
)

// authMessage is a decoded Authentication* message.
type authMessage struct {
	code       int32
	salt       []byte   // MD5
	mechanisms []string // SASL
	data       []byte   // SASLContinue / SASLFinal
}

func decodeAuthentication(body []byte) (authMessage, *ProtocolError) {
	r := reader{b: body, msg: "Authentication"}
	m := authMessage{code: r.int32()}
	switch m.code {
	case authMD5Password:
		m.salt = r.bytes(4)
	case authSASL:
		for r.err == nil {
			s := r.cstring()
			if s == "" {
				break
			}
			m.mechanisms = append(m.mechanisms, s)
		}
	case authSASLContinue, authSASLFinal, authGSSContinue:
		m.data = r.rest()
	}
	return m, r.done()
}

// DecodeParameterStatus decodes a ParameterStatus body.
func DecodeParameterStatus(body []byte) (*ParameterStatus, error) {
	r := reader{b: body, msg: "ParameterStatus"}
	ev := &ParameterStatus{Name: r.cstring(), Value: r.cstring()}
	if err := r.done(); err != nil {
		return nil, err
	}
	return ev, nil
}

// DecodeBackendKeyData decodes a BackendKeyData body.
func DecodeBackendKeyData(body []byte) (*BackendKeyData, error) {
	r := reader{b: body, msg: "BackendKeyData"}
	ev := &BackendKeyData{PID: r.uint32(), Secret: r.uint32()}
	if err := r.done(); err != nil {
		return nil, err
	}
	return ev, nil
}

// decodeReadyForQuery decodes into ev (reused).
func decodeReadyForQuery(body []byte, ev *ReadyForQuery) *ProtocolError {
	r := reader{b: body, msg: "ReadyForQuery"}
	ev.TxStatus = r.byte1()
	if r.err == nil && ev.TxStatus != TxIdle && ev.TxStatus != TxInTransaction && ev.TxStatus != TxFailed {
		r.fail("unknown transaction status " + strconv.QuoteRune(rune(ev.TxStatus)))
	}
	return r.done()
}

// DecodeRowDescription decodes a RowDescription body.
func DecodeRowDescription(body []byte) (*RowDescription, error) {
	rd, err := decodeRowDescription(body)
	if err != nil {
		return nil, err
	}
	return rd, nil
}

func decodeRowDescription(body []byte) (*RowDescription, *ProtocolError) {
	r := reader{b: body, msg: "RowDescription"}
	n := r.count(19) // 1-byte name + 18 bytes of fixed fields
	rd := &RowDescription{Fields: make([]FieldDescription, n)}
	for i := range rd.Fields {
		f := &rd.Fields[i]
		f.Name = r.cstring()
		f.TableOID = r.uint32()
		f.AttNum = r.int16()
		f.TypeOID = r.uint32()
		f.TypeSize = r.int16()
		f.TypeModifier = r.int32()
		f.Format = r.int16()
		if r.err == nil && f.Format != 0 && f.Format != 1 {
			r.fail("unknown format code " + strconv.Itoa(int(f.Format)))
		}
	}
	if err := r.done(); err != nil {
		return nil, err
	}
	return rd, nil
}

// ParseDataRow splits a DataRow body into column values, reusing dst.
// Each value is a capped view into body, or nil for NULL. It is what the
// client runs on each DataRow, exported so a consumer holding only Raw can
// split it again without help.
func ParseDataRow(body []byte, dst [][]byte) ([][]byte, error) {
	v, err := parseDataRow(body, dst)
	if err != nil {
		return dst[:0], err
	}
	return v, nil
}

func parseDataRow(body []byte, dst [][]byte) ([][]byte, *ProtocolError) {
	if len(body) < 2 {
		return dst[:0], &ProtocolError{Msg: "DataRow: truncated"}
	}
	n := int(int16(binary.BigEndian.Uint16(body)))
	if n < 0 || n*4 > len(body)-2 {
		return dst[:0], &ProtocolError{Msg: "DataRow: column count " + strconv.Itoa(n) + " exceeds message"}
	}
	if cap(dst) < n {
		dst = make([][]byte, n)
	}
	dst = dst[:n]
	p := 2
	for i := range dst {
		if len(body)-p < 4 {
			return dst[:0], &ProtocolError{Msg: "DataRow: truncated"}
		}
		l := int32(binary.BigEndian.Uint32(body[p:]))
		p += 4
		switch {
		case l == -1:
			dst[i] = nil
		case l < -1:
			return dst[:0], &ProtocolError{Msg: "DataRow: negative value length " + strconv.Itoa(int(l))}
		case int(l) > len(body)-p:
			return dst[:0], &ProtocolError{Msg: "DataRow: value length " + strconv.Itoa(int(l)) + " exceeds message"}
		default:
			e := p + int(l)
			dst[i] = body[p:e:e]
			p = e
		}
	}
	if p != len(body) {
		return dst[:0], &ProtocolError{Msg: "DataRow: " + strconv.Itoa(len(body)-p) + " trailing bytes"}
	}
	return dst, nil
}

// decodeCommandComplete decodes into ev (reused).
func decodeCommandComplete(body []byte, ev *CommandComplete) *ProtocolError {
	r := reader{b: body, msg: "CommandComplete"}
	raw := r.b
	i := 0
	for i < len(raw) && raw[i] != 0 {
		i++
	}
	if i == len(raw) {
		r.fail("unterminated string")
		return r.err
	}
	// Common tags are interned so steady-state queries do not allocate.
	ev.Tag = internTag(raw[:i])
	ev.Rows = rowsFromTag(ev.Tag)
	r.b = raw[i+1:]
	return r.done()
}

var commonTags = func() map[string]string {
	m := map[string]string{}
	for _, t := range []string{"SELECT 0", "SELECT 1", "INSERT 0 0", "INSERT 0 1", "UPDATE 0", "UPDATE 1",
		"DELETE 0", "DELETE 1", "BEGIN", "COMMIT", "ROLLBACK", "SET", "SAVEPOINT", "RELEASE",
		"CREATE TABLE", "DROP TABLE", "TRUNCATE TABLE", "LISTEN", "UNLISTEN", "NOTIFY", "DISCARD ALL", "DEALLOCATE", "DO"} {
		m[t] = t
	}
	return m
}()

func internTag(b []byte) string {
	if s, ok := commonTags[string(b)]; ok { // no allocation: the compiler folds string(b) in a map index
		return s
	}
	return string(b)
}

// DecodeErrorOrNotice decodes an ErrorResponse or NoticeResponse body.
func DecodeErrorOrNotice(body []byte, notice bool) (*ErrorOrNoticeResponse, error) {
	ev, err := decodeErrorOrNotice(body, notice)
	if err != nil {
		return nil, err
	}
	return ev, nil
}

func decodeErrorOrNotice(body []byte, notice bool) (*ErrorOrNoticeResponse, *ProtocolError) {
	name := "ErrorResponse"
	if notice {
		name = "NoticeResponse"
	}
	r := reader{b: body, msg: name}
	ev := &ErrorOrNoticeResponse{Notice: notice}
	for {
		code := r.byte1()
		if r.err != nil || code == 0 {
			break
		}
		v := r.cstring()
		switch code {
		case 'S':
			ev.Severity = v
		case 'V':
			ev.SeverityNonLocal = v
		case 'C':
			ev.Code = v
		case 'M':
			ev.Message = v
		case 'D':
			ev.Detail = v
		case 'H':
			ev.Hint = v
		case 'P':
			ev.Position = atoi32(v)
		case 'p':
			ev.InternalPosition = atoi32(v)
		case 'q':
			ev.InternalQuery = v
		case 'W':
			ev.Where = v
		case 's':
			ev.SchemaName = v
		case 't':
			ev.TableName = v
		case 'c':
			ev.ColumnName = v
		case 'd':
			ev.DataTypeName = v
		case 'n':
			ev.ConstraintName = v
		case 'F':
			ev.File = v
		case 'L':
			ev.Line = atoi32(v)
		case 'R':
			ev.Routine = v
		default:
			// The protocol says to ignore unknown field types; keep them for
			// whoever wants to look.
			if ev.UnknownFields == nil {
				ev.UnknownFields = map[byte]string{}
			}
			ev.UnknownFields[code] = v
		}
	}
	if err := r.done(); err != nil {
		return nil, err
	}
	if ev.SeverityNonLocal == "" {
		ev.SeverityNonLocal = ev.Severity
	}
	return ev, nil
}

func atoi32(s string) int32 {
	n, err := strconv.ParseInt(s, 10, 32)
	if err != nil {
		return 0
	}
	return int32(n)
}

// DecodeParameterDescription decodes a ParameterDescription body.
func DecodeParameterDescription(body []byte) (*ParameterDescription, error) {
	ev, err := decodeParameterDescription(body)
	if err != nil {
		return nil, err
	}
	return ev, nil
}

func decodeParameterDescription(body []byte) (*ParameterDescription, *ProtocolError) {
	r := reader{b: body, msg: "ParameterDescription"}
	n := int(uint16(r.int16())) // up to 65535 parameters
	if r.err == nil && n*4 > len(r.b) {
		r.fail("count exceeds message")
	}
	ev := &ParameterDescription{}
	if r.err == nil {
		ev.OIDs = make([]uint32, n)
		for i := range ev.OIDs {
			ev.OIDs[i] = r.uint32()
		}
	}
	if err := r.done(); err != nil {
		return nil, err
	}
	return ev, nil
}

// DecodeNotificationResponse decodes a NotificationResponse body.
func DecodeNotificationResponse(body []byte) (*NotificationResponse, error) {
	r := reader{b: body, msg: "NotificationResponse"}
	ev := &NotificationResponse{PID: r.uint32(), Channel: r.cstring(), Payload: r.cstring()}
	if err := r.done(); err != nil {
		return nil, err
	}
	return ev, nil
}

// decodeCopyResponse decodes CopyInResponse / CopyOutResponse bodies.
func decodeCopyResponse(body []byte, name string) (int8, []int16, *ProtocolError) {
	r := reader{b: body, msg: name}
	format := int8(r.byte1())
	n := r.count(2)
	var cols []int16
	if r.err == nil {
		cols = make([]int16, n)
		for i := range cols {
			cols[i] = r.int16()
		}
	}
	return format, cols, r.done()
}

// decodeEmpty checks that a message that carries nothing carries nothing.
func decodeEmpty(body []byte, name string) *ProtocolError {
	r := reader{b: body, msg: name}
	return r.done()
}
