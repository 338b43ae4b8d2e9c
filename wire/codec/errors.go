package codec

import (
	"errors"
	"fmt"
	"strconv"
)

// Sentinel causes carried by ScanError and EncodeError, for errors.Is.
var (
	// ErrOverflow means the value does not fit the destination without loss.
	ErrOverflow = errors.New("overflow")
	// ErrNull means SQL NULL met a destination that cannot represent it.
	ErrNull = errors.New("NULL")
	// ErrMismatch means the PostgreSQL type and the Go type do not convert.
	ErrMismatch = errors.New("type mismatch")
	// ErrUnknownType means no codec is registered for the OID.
	ErrUnknownType = errors.New("unknown type")
	// ErrInvalid means the bytes are not a valid value of the claimed type:
	// the server (or whoever produced them) sent garbage.
	ErrInvalid = errors.New("invalid value")
)

// UnknownTypeError names the OID no codec is registered for. It matches
// ErrUnknownType with errors.Is; errors.As gives the OID, so that a caller
// that can load types (the session package) knows which.
type UnknownTypeError struct {
	OID uint32
}

// Error implements error.
func (e *UnknownTypeError) Error() string { return ErrUnknownType.Error() }

// Is reports ErrUnknownType.
func (e *UnknownTypeError) Is(target error) bool { return target == ErrUnknownType }

// ScanError describes a value that could not be decoded into a destination.
// Its message reads "column X: cannot scan int8 into *int16 (overflow: ...)".
type ScanError struct {
	Column   string // result column name; empty when the caller did not give one
	OID      uint32 // PostgreSQL type of the value
	TypeName string // PostgreSQL name of that type, or "OID n" when unknown
	Dest     string // Go type of the destination, as %T prints it
	Err      error  // the cause; wraps one of the sentinels above
}

// Error implements error.
func (e *ScanError) Error() string {
	var b []byte
	if e.Column != "" {
		b = append(b, "column "...)
		b = append(b, e.Column...)
		b = append(b, ": "...)
	}
	b = append(b, "cannot scan "...)
	b = append(b, e.TypeName...)
	b = append(b, " into "...)
	b = append(b, e.Dest...)
	if e.Err != nil {
		b = append(b, " ("...)
		b = append(b, e.Err.Error()...)
		b = append(b, ')')
	}
	return string(b)
}

// Unwrap returns the cause.
func (e *ScanError) Unwrap() error { return e.Err }

// EncodeError describes a Go value that could not be encoded as a parameter.
type EncodeError struct {
	Value    string // Go type of the value, as %T prints it
	OID      uint32 // parameter type the value was encoded for; 0 when the codec chose
	TypeName string
	Err      error
}

// Error implements error.
func (e *EncodeError) Error() string {
	s := "cannot encode " + e.Value
	if e.TypeName != "" {
		s += " as " + e.TypeName
	}
	if e.Err != nil {
		s += " (" + e.Err.Error() + ")"
	}
	return s
}

// Unwrap returns the cause.
func (e *EncodeError) Unwrap() error { return e.Err }

// invalid builds an ErrInvalid cause naming the type and what is wrong.
func invalid(typ, format string, args ...any) error {
	return fmt.Errorf("%w %s: %s", ErrInvalid, typ, fmt.Sprintf(format, args...))
}

// overflow builds an ErrOverflow cause naming the value.
func overflow(v string) error {
	return fmt.Errorf("%w: %s does not fit", ErrOverflow, v)
}

func overflowInt(v int64) error   { return overflow(strconv.FormatInt(v, 10)) }
func overflowUint(v uint64) error { return overflow(strconv.FormatUint(v, 10)) }

// mismatch builds an ErrMismatch cause.
func mismatch(detail string) error {
	if detail == "" {
		return ErrMismatch
	}
	return fmt.Errorf("%w: %s", ErrMismatch, detail)
}

// unknownName names an OID for messages when no codec knows it.
func unknownName(oid uint32) string { return "OID " + strconv.FormatUint(uint64(oid), 10) }
