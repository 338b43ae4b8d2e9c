package wire

import (
	"encoding/binary"
	"strconv"
)

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
