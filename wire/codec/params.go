package codec

import (
	"encoding/binary"
	"errors"
	"strconv"
)

// AppendParams encodes args as the parameter part of a Bind message for
// parameters of the types oids (0 lets the server infer one): the format
// codes, then the values, each with its length (-1 for NULL). This is the
// part of a Bind that depends on the arguments; it is encoded once, in the
// caller's goroutine, and the connection adds the statement and the result
// formats when it writes the Bind.
func (r *Registry) AppendParams(dst []byte, oids []uint32, args []any, opts *Options) ([]byte, error) {
	if len(args) != len(oids) {
		return dst, &ParamCountError{Want: len(oids), Got: len(args)}
	}
	if len(args) > 65535 {
		return dst, errors.New("codec: more than 65535 parameters")
	}
	start := len(dst)
	// Formats are known only once the values are encoded: reserve a code
	// per parameter, then shrink to a single code when they agree.
	n := len(args)
	fmtAt := len(dst)
	dst = binary.BigEndian.AppendUint16(dst, uint16(n))
	for range n {
		dst = append(dst, 0, 0)
	}
	dst = binary.BigEndian.AppendUint16(dst, uint16(n))
	allSame, first := true, int16(-1) // a NULL takes whatever the others agree on
	for i, a := range args {
		lenAt := len(dst)
		dst = append(dst, 0, 0, 0, 0)
		out, format, null, err := r.AppendParam(dst, oids[i], a, opts)
		if err != nil {
			return dst[:start], &ParamError{Index: i, Err: err}
		}
		dst = out
		if null {
			binary.BigEndian.PutUint32(dst[lenAt:], 0xffffffff)
			continue
		}
		size := len(dst) - lenAt - 4
		if size > maxParamSize {
			return dst[:start], &ParamError{Index: i, Err: errors.New("value exceeds 1 GiB")}
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
		binary.BigEndian.PutUint16(dst[fmtAt:], 1)
		binary.BigEndian.PutUint16(dst[fmtAt+2:], uint16(max(first, 0)))
		cut := fmtAt + 4
		dst = append(dst[:cut], dst[cut+2*(n-1):]...)
	}
	return dst, nil
}

// maxParamSize bounds one encoded value, as the server bounds a message.
const maxParamSize = 1<<30 - 1

// ParamOIDs appends the parameter type each of args implies on its own (0
// for a value that could be of several types): the types to Parse a
// statement with when the server has not described it.
func (r *Registry) ParamOIDs(dst []uint32, args []any) []uint32 {
	for _, a := range args {
		dst = append(dst, r.ParamOID(a))
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

// ParamCountError reports arguments that do not match the statement's
// parameters in number.
type ParamCountError struct {
	Want, Got int
}

func (e *ParamCountError) Error() string {
	return "statement takes " + strconv.Itoa(e.Want) + " parameters, got " + strconv.Itoa(e.Got)
}
