package wire

import (
	"encoding/binary"
	"math"
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

// DataRowWidth returns the number of columns a DataRow body announces, or
// 0 when the body is too short to say.
func DataRowWidth(body []byte) int {
	if len(body) < 2 {
		return 0
	}
	return int(int16(binary.BigEndian.Uint16(body)))
}

// IndexDataRow checks a DataRow body and records in idx, which must have
// room for every column (DataRowWidth), where each column's length word
// lies, so that DataRowValue returns any column without splitting the row
// again. It returns the number of columns. ParseDataRow does the same
// work into views; offsets hold no pointers, so recording them costs the
// garbage collector nothing, where storing a view while it marks goes
// through its write barrier. That is what a consumer of millions of rows
// notices.
func IndexDataRow(body []byte, idx []int32) (int, error) {
	if len(body) < 2 {
		return 0, &ProtocolError{Msg: "DataRow: truncated"}
	}
	if len(body) > math.MaxInt32 {
		return 0, &ProtocolError{Msg: "DataRow: larger than 2 GiB"}
	}
	n := int(int16(binary.BigEndian.Uint16(body)))
	if n < 0 || n*4 > len(body)-2 {
		return 0, &ProtocolError{Msg: "DataRow: column count " + strconv.Itoa(n) + " exceeds message"}
	}
	if len(idx) < n {
		return 0, &ProtocolError{Msg: "DataRow: " + strconv.Itoa(n) + " columns, room for " + strconv.Itoa(len(idx))}
	}
	p := 2
	for i := range n {
		if len(body)-p < 4 {
			return 0, &ProtocolError{Msg: "DataRow: truncated"}
		}
		idx[i] = int32(p)
		l := int32(binary.BigEndian.Uint32(body[p:]))
		p += 4
		switch {
		case l == -1:
		case l < -1:
			return 0, &ProtocolError{Msg: "DataRow: negative value length " + strconv.Itoa(int(l))}
		case int(l) > len(body)-p:
			return 0, &ProtocolError{Msg: "DataRow: value length " + strconv.Itoa(int(l)) + " exceeds message"}
		default:
			p += int(l)
		}
	}
	if p != len(body) {
		return 0, &ProtocolError{Msg: "DataRow: " + strconv.Itoa(len(body)-p) + " trailing bytes"}
	}
	return n, nil
}

// DataRowValue returns the column whose length word lies at off, as
// IndexDataRow recorded it for body: a capped view into body, or nil for
// NULL.
func DataRowValue(body []byte, off int32) []byte {
	l := int32(binary.BigEndian.Uint32(body[off:]))
	if l < 0 {
		return nil
	}
	s := int(off) + 4
	e := s + int(l)
	return body[s:e:e]
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
