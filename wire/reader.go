package wire

import (
	"encoding/binary"
	"strconv"
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

// decodeEmpty checks that a message that carries nothing carries nothing.
func decodeEmpty(body []byte, name string) *ProtocolError {
	r := reader{b: body, msg: name}
	return r.done()
}
