package codec

import (
	"fmt"
	"reflect"
	"sync"
	"sync/atomic"
	"time"
)

// Options carry per-connection facts that decoding and encoding need.
type Options struct {
	// Location is the session TimeZone; timestamptz values are returned in it (nil = UTC).
	Location *time.Location
	// IgnoreUnknownTypes makes values of unregistered OIDs decode as string
	// (their bytes) in the binary format too. In the text format, which is
	// what is asked for a type without a codec, they decode as their text
	// either way.
	IgnoreUnknownTypes bool

	depth int // record nesting, counted by the record codec
}

func (o *Options) location() *time.Location {
	if o == nil || o.Location == nil {
		return time.UTC
	}
	return o.Location
}

func (o *Options) ignoreUnknown() bool { return o != nil && o.IgnoreUnknownTypes }

// Codec converts the values of one PostgreSQL type. The built-in types have
// codecs in every Registry; users add their own with Register.
//
// A Codec must be safe for concurrent use: one registry serves every
// connection.
type Codec interface {
	// OID is the type's pg_type oid.
	OID() uint32
	// Name is the type's name as PostgreSQL spells it (int8, timestamptz, _int4).
	Name() string
	// DecodesBinary reports whether Decode understands BinaryFormat; the
	// registry asks the server for binary results only when it does.
	DecodesBinary() bool
	// Decode returns the natural Go value of src, which is never nil (the
	// registry handles NULL). It must not keep src: the caller reuses it.
	Decode(format int16, src []byte, opts *Options) (any, error)
	// Encode appends v (never nil, never a pointer or driver.Valuer: the
	// registry unwraps those) in the format the codec prefers for it and
	// returns that format.
	Encode(buf []byte, v any, opts *Options) ([]byte, int16, error)
	// AppendText appends v in PostgreSQL text input syntax. Arrays, ranges
	// and records use it when they must fall back to the text format, and
	// Scan uses it to render a decoded value into a *string.
	AppendText(buf []byte, v any, opts *Options) ([]byte, error)
}

// GoTyper is implemented by codecs that own a Go type: Register then also
// routes parameters of that Go type to the codec and declares its OID.
type GoTyper interface {
	GoType() reflect.Type
}

// Encoder is implemented by Go types that encode themselves as parameters.
// oid is the type the server declared, or 0 when unknown. Return null=true
// for SQL NULL.
type Encoder interface {
	EncodePG(buf []byte, oid uint32, opts *Options) (out []byte, format int16, null bool, err error)
}

// ParamTyper is optionally implemented by an Encoder to name the OID to
// declare in Parse (0 lets the server infer it).
type ParamTyper interface {
	PGParamOID() uint32
}

// Decoder is implemented by pointer destinations that decode themselves.
// src is nil for SQL NULL and is only valid during the call.
type Decoder interface {
	DecodePG(oid uint32, format int16, src []byte, opts *Options) error
}

// fastScanner is implemented by built-in codecs that decode straight into
// common destinations without boxing a value; handled=false falls back to
// the generic path.
type fastScanner interface {
	scanFast(format int16, src []byte, dest any, opts *Options) (handled bool, err error)
}

// binaryTexter is implemented by codecs whose decoded value does not
// render back to its text form by itself: records and arrays (a row and a
// sub-array both decode to []any) and "char" (a byte above 127). Scanning
// a binary value of theirs into a string renders it from its bytes.
type binaryTexter interface {
	appendBinaryText(buf, src []byte, opts *Options) ([]byte, error)
}

// texterOf returns c as a binaryTexter, looking through domains: a
// domain's bytes are its base type's.
func texterOf(c Codec) (binaryTexter, bool) {
	for {
		d, ok := c.(*domainCodec)
		if !ok {
			break
		}
		c = d.Codec
	}
	bt, ok := c.(binaryTexter)
	return bt, ok
}

// appendBinaryText appends the text form of the binary value src of c.
func appendBinaryText(buf []byte, c Codec, src []byte, opts *Options) ([]byte, error) {
	if bt, ok := texterOf(c); ok {
		return bt.appendBinaryText(buf, src, opts)
	}
	if !c.DecodesBinary() {
		return buf, invalid(c.Name(), "binary format not supported")
	}
	v, err := c.Decode(BinaryFormat, src, opts)
	if err != nil {
		return buf, err
	}
	return c.AppendText(buf, v, opts)
}

// appendBinaryText is appendBinaryText for a value that names its own
// type (a record field), unknown ones handled as DecodeValue does.
func (r *Registry) appendBinaryText(buf []byte, oid uint32, src []byte, opts *Options) ([]byte, error) {
	c, ok := r.Lookup(oid)
	if !ok {
		if opts.ignoreUnknown() {
			return append(buf, src...), nil
		}
		return buf, unknownTypeError(oid)
	}
	out, err := appendBinaryText(buf, c, src, opts)
	if err != nil {
		return buf, fmt.Errorf("codec: cannot decode %s: %w", c.Name(), err)
	}
	return out, nil
}

// Registry maps OIDs and Go types to codecs. Lookups are lock-free; Register
// copies the tables, so it is safe at any time but meant for setup.
//
// A registry made by Overlay has codecs of its own in front of its
// parent's: a lookup it cannot answer goes to the parent, and Register
// never changes the parent. A pool keeps the types it loads from its own
// database in one, so two pools over different databases never share an
// OID's codec while both see what the user registered.
type Registry struct {
	mu     sync.Mutex // serialises Register and Unregister
	tables atomic.Pointer[tables]
	parent *Registry // nil: built-ins and what was registered here only
}

type tables struct {
	byOID  map[uint32]Codec
	byType map[reflect.Type]Codec
}

// NewRegistry returns a registry with every built-in type registered.
func NewRegistry() *Registry {
	r := &Registry{}
	r.tables.Store(&tables{byOID: map[uint32]Codec{}, byType: map[reflect.Type]Codec{}})
	registerBuiltins(r)
	return r
}

var (
	defaultOnce     sync.Once
	defaultRegistry *Registry
)

// Default returns the process-wide registry (built once with NewRegistry).
// Types registered on it are seen by every connection that uses it.
func Default() *Registry {
	defaultOnce.Do(func() { defaultRegistry = NewRegistry() })
	return defaultRegistry
}

// Overlay returns an empty registry in front of r: it sees every codec r
// has (and gets later), and what is registered on it stays in it.
//
// The overlay has record codecs of its own, so that the fields of an
// anonymous record decode with the codecs registered on it.
func (r *Registry) Overlay() *Registry {
	o := &Registry{parent: r}
	o.tables.Store(&tables{byOID: map[uint32]Codec{}, byType: map[reflect.Type]Codec{}})
	rec := newRecordCodec(o)
	o.Register(rec)
	o.Register(NewArrayCodec(OIDRecordArray, "_record", rec))
	return o
}

// Register adds or replaces the codec for c.OID(); if c is a GoTyper it also
// becomes the encoder for values of that Go type.
func (r *Registry) Register(c Codec) {
	r.mu.Lock()
	defer r.mu.Unlock()
	old := r.tables.Load()
	t := &tables{byOID: make(map[uint32]Codec, len(old.byOID)+1), byType: make(map[reflect.Type]Codec, len(old.byType)+1)}
	for k, v := range old.byOID {
		t.byOID[k] = v
	}
	for k, v := range old.byType {
		t.byType[k] = v
	}
	t.byOID[c.OID()] = c
	if g, ok := c.(GoTyper); ok && g.GoType() != nil {
		t.byType[g.GoType()] = c
	}
	r.tables.Store(t)
}

// Unregister removes the codec of oid from r (never from its parent), and
// the Go type routing to it; a codec the parent has for oid shows again.
func (r *Registry) Unregister(oid uint32) {
	r.mu.Lock()
	defer r.mu.Unlock()
	old := r.tables.Load()
	c, ok := old.byOID[oid]
	if !ok {
		return
	}
	t := &tables{byOID: make(map[uint32]Codec, len(old.byOID)), byType: make(map[reflect.Type]Codec, len(old.byType))}
	for k, v := range old.byOID {
		if k != oid {
			t.byOID[k] = v
		}
	}
	for k, v := range old.byType {
		if v != c {
			t.byType[k] = v
		}
	}
	r.tables.Store(t)
}

// Lookup returns the codec registered for oid, in r or its parent.
func (r *Registry) Lookup(oid uint32) (Codec, bool) {
	for ; r != nil; r = r.parent {
		if c, ok := r.tables.Load().byOID[oid]; ok {
			return c, true
		}
	}
	return nil, false
}

// LookupType returns the codec registered for the Go type t, in r or its
// parent.
func (r *Registry) LookupType(t reflect.Type) (Codec, bool) {
	for ; r != nil; r = r.parent {
		if c, ok := r.tables.Load().byType[t]; ok {
			return c, true
		}
	}
	return nil, false
}

// TypeName names oid for messages: the codec's name, or "OID n".
func (r *Registry) TypeName(oid uint32) string {
	if c, ok := r.Lookup(oid); ok {
		return c.Name()
	}
	return unknownName(oid)
}

// ResultFormat says which format to ask the server for in Bind's result
// column format codes: BinaryFormat where this registry decodes that OID in
// binary, else TextFormat.
func (r *Registry) ResultFormat(oid uint32) int16 {
	if c, ok := r.Lookup(oid); ok && c.DecodesBinary() {
		return BinaryFormat
	}
	return TextFormat
}

// DecodeValue decodes one column into its natural Go value; src == nil means
// SQL NULL and gives (nil, nil). The natural types are listed in the package
// documentation. The result never aliases src.
func (r *Registry) DecodeValue(oid uint32, format int16, src []byte, opts *Options) (any, error) {
	if src == nil {
		return nil, nil
	}
	c, ok := r.Lookup(oid)
	if !ok {
		if format == TextFormat || opts.ignoreUnknown() {
			return string(src), nil // a type without a codec still has its text
		}
		return nil, unknownTypeError(oid)
	}
	if format != TextFormat && format != BinaryFormat {
		return nil, fmt.Errorf("codec: cannot decode %s: %w: format code %d", c.Name(), ErrInvalid, format)
	}
	if format == BinaryFormat && !c.DecodesBinary() {
		return nil, fmt.Errorf("codec: cannot decode %s: binary format not supported", c.Name())
	}
	v, err := c.Decode(format, src, opts)
	if err != nil {
		return nil, fmt.Errorf("codec: cannot decode %s: %w", c.Name(), err)
	}
	return v, nil
}

func unknownTypeError(oid uint32) error {
	return fmt.Errorf("codec: cannot decode %s: %w (register a codec or set IgnoreUnknownTypes)", unknownName(oid), &UnknownTypeError{OID: oid})
}
