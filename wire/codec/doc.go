// Package codec converts between Go values and PostgreSQL's text and
// binary value formats, and rewrites :name parameters to $n.
//
// It imports only the standard library; the wire package calls it, never
// the reverse. A Registry maps type OIDs to Codecs; NewRegistry fills one
// with every built-in type and Default shares one process-wide.
//
// # Decoding
//
// DecodeValue returns a column's natural Go value (nil for NULL):
//
//	bool                         bool
//	int2, int4, int8, oid        int16, int32, int64, uint32
//	float4, float8               float32, float64 (NaN and ±Inf included)
//	numeric                      Numeric (exact; never through float64)
//	text, varchar, bpchar,
//	name, unknown                string
//	"char"                       string of its one byte ("\xc3", not the
//	                             text form \303); "" for the zero byte
//	bytea                        []byte
//	date, timestamp              time.Time in UTC (midnight for date)
//	timestamptz                  time.Time in Options.Location (UTC if nil)
//	±infinity (those three)      Infinity or NegativeInfinity (InfinityModifier)
//	time, timetz                 Time, TimeTZ
//	interval                     Interval
//	uuid                         UUID
//	json, jsonb                  json.RawMessage (Scan: any destination but
//	                             string, []byte, json.RawMessage, a Scanner or
//	                             a Decoder goes through encoding/json; *any
//	                             gets what encoding/json gives)
//	inet, cidr                   netip.Prefix (an inet host address is /32 or /128)
//	macaddr, macaddr8            net.HardwareAddr
//	bit, varbit                  BitString
//	arrays                       []any for one dimension with lower bound 1 and
//	                             for empty arrays; Array (dimensions, lower bounds,
//	                             row-major elements) otherwise; nil elements for NULL
//	ranges                       Range
//	multiranges                  Multirange (also scans into []Range)
//	record, composites           []any: typed fields in binary (a nested row is
//	                             a []any too), strings in text (typed in text too
//	                             for a composite whose attributes are known); a
//	                             composite also scans into a struct and encodes
//	                             from one (by attribute name with
//	                             NewCompositeCodecFields, by position, binary
//	                             only, without), and an array of it into a slice
//	                             of structs
//	hstore (NewHstoreCodec)      map[string]*string; scans into map[string]string
//	unknown OIDs                 string: their text (the format asked for a type
//	                             without a codec); in binary (a record field) only
//	                             with Options.IgnoreUnknownTypes, else an
//	                             *UnknownTypeError (errors.Is ErrUnknownType)
//	                             that names the OID
//
// Enums and other extension types (citext, hstore...) are unknown OIDs until
// registered: NewTextCodec covers any type whose values are text, and
// NewArrayCodec, NewRangeCodec, NewMultirangeCodec and NewCompositeCodec
// their arrays, ranges, multiranges and rows. (The session package
// registers all of these by itself, from pg_type, in a registry of its own
// made by Overlay.) A column of a domain type needs nothing: RowDescription
// reports the base type's OID. Everything else about a domain carries the
// domain's own OIDs and needs Register: an array of a domain arrives as the
// domain's array type, whose binary form names the domain, not its base,
// as the element type (so the bytes do not tell the element type either),
// and a record field of a domain type names the domain. NewDomainCodec
// gives a domain its base type's codec; register it, and NewArrayCodec
// over it for the domain's array type.
//
// Scan decodes into a destination instead. It converts only without loss:
// an integer into a narrower Go integer that holds it, a numeric with a
// zero fraction into an integer, anything into *string (the PostgreSQL text
// form), numeric into *float64 (the caller asked for rounding), an interval
// without months into *time.Duration. Everything else is a *ScanError that
// names both types and wraps ErrOverflow, ErrNull, ErrMismatch or
// ErrInvalid. NULL goes into **T, *any, slices, sql.Scanner (sql.NullInt64
// and friends) and Decoder destinations; elsewhere it is an error. Arrays
// scan into (nested) Go slices of any scannable element type; their lower
// bounds are not kept.
//
// A binary record, array or "char" is rendered into a string from its
// bytes, each record field by the type it names, because the decoded value
// cannot say how it prints: a nested row and an array are both []any, and
// a "char" above 127 prints as \ooo.
//
// Decoding never trusts the input: lengths are checked, element and field
// counts are bounded by the bytes that remain before anything is allocated,
// arrays nest at most 6 deep and records 32.
//
// # Encoding
//
// AppendParam encodes a Go value for Bind: nil, nil pointers and nil slices
// are NULL (an empty slice is an empty array), pointers and driver.Valuer
// are unwrapped, Encoder types encode themselves, named types over basic
// kinds count as their kind. For an array of a record or composite type a
// []any element is a row, as decoding returns it, so a decoded array of
// rows goes back as it came; elsewhere a []any in a slice is a sub-array.
// A composite's own fields are encoded by their Go values, the field types
// being unknown: a row or an array of rows inside a field cannot be told
// from an array, so pass such a field in its text form. When the
// server declared the parameter's type the value is encoded for it
// (integers range-checked), binary where that is exact; strings always go
// as text, for the server to parse. When no type is declared, ParamOID
// says which the value implies, or 0 for the ambiguous ones (strings, raw
// JSON, string slices), which then go as text for the server to infer.
//
// # Text formats
//
// Text values follow PostgreSQL 15 with DateStyle=ISO and
// IntervalStyle=postgres ("1 year 2 mons 3 days 04:05:06.5"), bytea_output
// hex (escape is read too), and extra_float_digits=1. Text-format
// timestamps accept a leap second (:60), which rolls into the next minute
// as the server's input does. Interval text in the other IntervalStyles is
// not read.
//
// # Named parameters
//
// RewriteNamed rewrites "WHERE id = :id" to "WHERE id = $1" and returns the
// values in order, leaving casts, literals, quoted identifiers, dollar
// quotes and comments alone, and array slices such as a[lo:hi] (a colon
// right after an identifier character or digit). A slice with an omitted
// lower bound, a[:hi], reads as a parameter; write a[1:hi] there.
package codec
