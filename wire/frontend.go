package wire

import (
	"encoding/binary"
	"errors"
	"strconv"
)

// Frontend (client → server) message tags.
const (
	TagBind          = 'B'
	TagClose         = 'C'
	TagCopyDataF     = 'd'
	TagCopyDoneF     = 'c'
	TagCopyFail      = 'f'
	TagDescribe      = 'D'
	TagExecute       = 'E'
	TagFlush         = 'H'
	TagParse         = 'P'
	TagPasswordMsg   = 'p'
	TagQuery         = 'Q'
	TagSync          = 'S'
	TagTerminate     = 'X'
	protocolVersion3 = 196608
	sslRequestCode   = 80877103
	cancelCode       = 80877102
)

// maxFrontendBody is the largest message body we will ever put on the wire.
// PostgreSQL refuses anything over 1 GiB anyway; refusing locally keeps a
// length field from ever overflowing into a second, attacker-chosen message
// (the class of bug behind pgx's CVE-2024-27304).
var maxFrontendBody = 0x3fffffff

// ErrMessageTooLarge is returned when a message we were asked to encode
// would exceed PostgreSQL's 1 GiB limit.
var ErrMessageTooLarge = errors.New("wire: message body exceeds 0x3fffffff bytes")

// beginMessage appends a tag and a length placeholder and returns the buffer
// and the offset of the length field, to be filled by finishMessage.
func beginMessage(dst []byte, tag byte) ([]byte, int) {
	dst = append(dst, tag, 0, 0, 0, 0)
	return dst, len(dst) - 4
}

// finishMessage writes the length of the message that starts at lenAt.
func finishMessage(dst []byte, lenAt int) ([]byte, error) {
	n := len(dst) - lenAt
	if n > maxFrontendBody {
		return dst[:lenAt-1], ErrMessageTooLarge
	}
	binary.BigEndian.PutUint32(dst[lenAt:], uint32(n))
	return dst, nil
}

func appendCString(dst []byte, s string) []byte {
	dst = append(dst, s...)
	return append(dst, 0)
}

func appendInt16(dst []byte, v int16) []byte {
	return binary.BigEndian.AppendUint16(dst, uint16(v))
}

func appendInt32(dst []byte, v int32) []byte {
	return binary.BigEndian.AppendUint32(dst, uint32(v))
}

// hasNUL reports whether s contains a zero byte, which would end a C string
// early and let the rest be read as another field.
func hasNUL(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] == 0 {
			return true
		}
	}
	return false
}

func checkCString(what, s string) error {
	if hasNUL(s) {
		return &UsageError{Op: what, Msg: "contains a NUL byte"}
	}
	return nil
}

// appendStartup encodes a StartupMessage: no tag, length, protocol 3.0, then
// name/value pairs ended by an empty name.
func appendStartup(dst []byte, params [][2]string) ([]byte, error) {
	start := len(dst)
	dst = append(dst, 0, 0, 0, 0)
	dst = appendInt32(dst, protocolVersion3)
	for _, kv := range params {
		if err := checkCString("startup parameter", kv[0]); err != nil {
			return dst[:start], err
		}
		if err := checkCString("startup parameter "+strconv.Quote(kv[0]), kv[1]); err != nil {
			return dst[:start], err
		}
		dst = appendCString(dst, kv[0])
		dst = appendCString(dst, kv[1])
	}
	dst = append(dst, 0)
	if len(dst)-start > 10000 {
		// The server refuses startup packets over 10000 bytes.
		return dst[:start], &UsageError{Op: "startup", Msg: "startup packet exceeds 10000 bytes"}
	}
	binary.BigEndian.PutUint32(dst[start:], uint32(len(dst)-start))
	return dst, nil
}

// SSLRequestMessage is the 8-byte SSLRequest packet.
func appendSSLRequest(dst []byte) []byte {
	dst = appendInt32(dst, 8)
	return appendInt32(dst, sslRequestCode)
}

// CancelRequest returns the 16-byte CancelRequest packet, sent on a new
// connection to ask the server to cancel what backend pid is running.
func CancelRequest(pid, secret uint32) []byte {
	b := make([]byte, 0, 16)
	b = appendInt32(b, 16)
	b = appendInt32(b, cancelCode)
	b = binary.BigEndian.AppendUint32(b, pid)
	return binary.BigEndian.AppendUint32(b, secret)
}

func appendQuery(dst []byte, sql string) ([]byte, error) {
	if err := checkCString("query", sql); err != nil {
		return dst, err
	}
	dst, at := beginMessage(dst, TagQuery)
	dst = appendCString(dst, sql)
	return finishMessage(dst, at)
}

func appendParse(dst []byte, name, sql string, paramOIDs []uint32) ([]byte, error) {
	if err := checkCString("statement name", name); err != nil {
		return dst, err
	}
	if err := checkCString("query", sql); err != nil {
		return dst, err
	}
	if len(paramOIDs) > 65535 {
		return dst, &UsageError{Op: "parse", Msg: "more than 65535 parameters"}
	}
	dst, at := beginMessage(dst, TagParse)
	dst = appendCString(dst, name)
	dst = appendCString(dst, sql)
	dst = appendInt16(dst, int16(uint16(len(paramOIDs))))
	for _, oid := range paramOIDs {
		dst = binary.BigEndian.AppendUint32(dst, oid)
	}
	return finishMessage(dst, at)
}

// appendDescribe encodes Describe; kind is 'S' (statement) or 'P' (portal).
func appendDescribe(dst []byte, kind byte, name string) ([]byte, error) {
	dst, at := beginMessage(dst, TagDescribe)
	dst = append(dst, kind)
	dst = appendCString(dst, name)
	return finishMessage(dst, at)
}

// appendClose encodes Close; kind is 'S' (statement) or 'P' (portal).
func appendClose(dst []byte, kind byte, name string) ([]byte, error) {
	if err := checkCString("statement name", name); err != nil {
		return dst, err
	}
	dst, at := beginMessage(dst, TagClose)
	dst = append(dst, kind)
	dst = appendCString(dst, name)
	return finishMessage(dst, at)
}

func appendExecute(dst []byte, portal string, maxRows int32) []byte {
	dst, at := beginMessage(dst, TagExecute)
	dst = appendCString(dst, portal)
	dst = appendInt32(dst, maxRows)
	dst, _ = finishMessage(dst, at) // cannot exceed the limit: portal names are ours
	return dst
}

func appendSync(dst []byte) []byte  { return append(dst, TagSync, 0, 0, 0, 4) }
func appendFlush(dst []byte) []byte { return append(dst, TagFlush, 0, 0, 0, 4) }
func appendTerminate(dst []byte) []byte {
	return append(dst, TagTerminate, 0, 0, 0, 4)
}

func appendPassword(dst []byte, password string) ([]byte, error) {
	if err := checkCString("password", password); err != nil {
		return dst, err
	}
	dst, at := beginMessage(dst, TagPasswordMsg)
	dst = appendCString(dst, password)
	return finishMessage(dst, at)
}

func appendSASLInitialResponse(dst []byte, mechanism string, data []byte) ([]byte, error) {
	dst, at := beginMessage(dst, TagPasswordMsg)
	dst = appendCString(dst, mechanism)
	dst = appendInt32(dst, int32(len(data)))
	dst = append(dst, data...)
	return finishMessage(dst, at)
}

func appendSASLResponse(dst []byte, data []byte) ([]byte, error) {
	dst, at := beginMessage(dst, TagPasswordMsg)
	dst = append(dst, data...)
	return finishMessage(dst, at)
}

// AppendCopyData appends a CopyData message carrying data, for COPY FROM STDIN.
func AppendCopyData(dst, data []byte) ([]byte, error) {
	dst, at := beginMessage(dst, TagCopyDataF)
	dst = append(dst, data...)
	return finishMessage(dst, at)
}

// AppendCopyDone appends CopyDone, ending a COPY FROM STDIN successfully.
func AppendCopyDone(dst []byte) []byte { return append(dst, TagCopyDoneF, 0, 0, 0, 4) }

// AppendCopyFail appends CopyFail, aborting a COPY FROM STDIN with reason.
func AppendCopyFail(dst []byte, reason string) ([]byte, error) {
	if err := checkCString("copy fail reason", reason); err != nil {
		return dst, err
	}
	dst, at := beginMessage(dst, TagCopyFail)
	dst = appendCString(dst, reason)
	return finishMessage(dst, at)
}
