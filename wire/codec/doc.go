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
//	name, "char", unknown        string
//	bytea                        []byte
//	date, timestamp              time.Time in UTC (midnight for date)
//	timestamptz                  time.Time in Options.Location (UTC if nil)
//	±infinity (those three)      Infinity or NegativeInfinity (InfinityModifier)
//	time, timetz                 Time, TimeTZ
//	interval                     Interval
//	uuid                         UUID
//	json, jsonb                  json.RawMessage
//	inet, cidr                   netip.Prefix (an inet host address is /32 or /128)
//	macaddr, macaddr8            net.HardwareAddr
//	bit, varbit                  BitString
//	arrays                       []any for one dimension with lower bound 1 and
//	                             for empty arrays; Array (dimensions, lower bounds,
//	                             row-major elements) otherwise; nil elements for NULL
//	ranges                       Range
//	record, composites           []any: typed fields in binary, strings in text
//	unknown OIDs                 string with Options.IgnoreUnknownTypes, else an
//	                             error wrapping ErrUnknownType that names the OID
//
// Enums and other extension types (citext, hstore...) are unknown OIDs until
// registered: NewTextCodec covers any type whose values are text, and
// NewArrayCodec, NewRangeCodec and NewCompositeCodec their arrays, ranges
// and rows. Domains need nothing: RowDescription reports their base type.
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
// Decoding never trusts the input: lengths are checked, element and field
// counts are bounded by the bytes that remain before anything is allocated,
// arrays nest at most 6 deep and records 32.
//
// # Encoding
//
// AppendParam encodes a Go value for Bind: nil and nil pointers are NULL,
// pointers and driver.Valuer are unwrapped, Encoder types encode
// themselves, named types over basic kinds count as their kind. When the
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
