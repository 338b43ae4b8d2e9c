package wire

import (
	"strconv"
)

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
