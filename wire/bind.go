package wire

import (
	"encoding/binary"
	"strconv"
)

// appendBind encodes Bind for the unnamed portal: parameter formats and
// values encoded by the registry against the types the server declared,
// and the result formats chosen when the statement was described.
func (c *Client) appendBind(dst []byte, info *PreparedStatementInfo, params []any) ([]byte, error) {
	if len(params) != len(info.ParamOIDs) {
		return dst, &UsageError{Op: "bind", Msg: "statement takes " + strconv.Itoa(len(info.ParamOIDs)) +
			" parameters, got " + strconv.Itoa(len(params))}
	}
	if err := checkCString("statement name", info.Name); err != nil {
		return dst, err
	}
	start := len(dst)
	dst, at := beginMessage(dst, TagBind)
	dst = append(dst, 0) // unnamed portal
	dst = appendCString(dst, info.Name)

	// Formats are written after the values are known; reserve room for one
	// code per parameter, then shrink to a single code when they agree.
	n := len(params)
	fmtAt := len(dst)
	dst = appendInt16(dst, int16(uint16(n)))
	for range n {
		dst = append(dst, 0, 0)
	}
	dst = appendInt16(dst, int16(uint16(n)))
	opts := c.decode.options()
	// A NULL has no format; it takes whatever the others agree on.
	allSame, first := true, int16(-1)
	for i, p := range params {
		lenAt := len(dst)
		dst = append(dst, 0, 0, 0, 0)
		out, format, null, err := c.decode.reg.AppendParam(dst, info.ParamOIDs[i], p, opts)
		if err != nil {
			return dst[:start], &ParamError{Index: i, Err: err}
		}
		dst = out
		if null {
			binary.BigEndian.PutUint32(dst[lenAt:], 0xffffffff)
			continue
		}
		size := len(dst) - lenAt - 4
		if size > maxFrontendBody {
			return dst[:start], ErrMessageTooLarge
		}
		binary.BigEndian.PutUint32(dst[lenAt:], uint32(size))
		binary.BigEndian.PutUint16(dst[fmtAt+2+2*i:], uint16(format))
		if first == -1 {
			first = format
		} else if format != first {
			allSame = false
		}
	}
	if allSame && n > 0 {
		// One code applies to every parameter: drop the other n-1 slots.
		binary.BigEndian.PutUint16(dst[fmtAt:], 1)
		binary.BigEndian.PutUint16(dst[fmtAt+2:], uint16(max(first, 0)))
		cut := fmtAt + 4
		dst = append(dst[:cut], dst[cut+2*(n-1):]...)
	}

	dst = appendResultFormats(dst, info.Columns)
	out, err := finishMessage(dst, at)
	if err != nil {
		return dst[:start], err
	}
	return out, nil
}

func appendResultFormats(dst []byte, rd *RowDescription) []byte {
	if rd == nil || len(rd.Fields) == 0 {
		return appendInt16(dst, 0)
	}
	same := true
	for _, f := range rd.Fields[1:] {
		if f.Format != rd.Fields[0].Format {
			same = false
			break
		}
	}
	if same {
		if rd.Fields[0].Format == 0 {
			return appendInt16(dst, 0) // no codes: all text
		}
		dst = appendInt16(dst, 1)
		return appendInt16(dst, rd.Fields[0].Format)
	}
	dst = appendInt16(dst, int16(len(rd.Fields)))
	for _, f := range rd.Fields {
		dst = appendInt16(dst, f.Format)
	}
	return dst
}

// ParamError wraps an encoding error with the parameter it happened in.
type ParamError struct {
	Index int // 0-based; reported as $Index+1
	Err   error
}

func (e *ParamError) Error() string {
	return "parameter $" + strconv.Itoa(e.Index+1) + ": " + e.Err.Error()
}

func (e *ParamError) Unwrap() error { return e.Err }
