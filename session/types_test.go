package session_test

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/big"
	"net"
	"net/netip"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pgactor/pgactor/internal/pgtest"
	"github.com/pgactor/pgactor/session"
	"github.com/pgactor/pgactor/wire"
	"github.com/pgactor/pgactor/wire/codec"
)

// These tests take every type the codec knows through a real server, in
// both formats: SimpleQuery brings values back as text, Query (extended
// protocol) as binary. Where the Go side cannot be its own judge, the
// server is the oracle: a parameter is right when the server prints it
// exactly as it prints the literal it stands for, and a value scanned into
// *string is right when it is the server's text output (or a spelling the
// server reads back as the same value).

// rtValue is one value of a type.
type rtValue struct {
	expr  string // a literal of the type, or "=" and a raw SQL expression
	want  any    // natural Go value, in both formats
	text  any    // natural Go value in text format when it differs (records)
	param any    // Go value to bind for the encode check; nil means want
	// noParam: the server cannot read this value back as a parameter
	// (anonymous records have no input function).
	noParam bool
	// bug describes a codec bug this value shows; its checks are skipped
	// (and it is left out of the generated arrays) until that is fixed.
	bug string
	// renderBug describes a bug only in rendering it into *string.
	renderBug string
}

// rtType is one PostgreSQL type with its values.
type rtType struct {
	typ    string // SQL spelling, used in casts
	oid    uint32 // column OID RowDescription reports
	arrOID uint32 // OID of its array type; 0: no generated array checks
	vals   []rtValue
	// noBounds: the array type has no text input (record[]), so arrays
	// with explicit lower bounds cannot be built from text.
	noBounds bool
	// arrayEncodeBug and arrayRenderBug describe, by array shape, codec
	// bugs in encoding that shape or rendering it into *string; those
	// checks are skipped.
	arrayEncodeBug, arrayRenderBug map[string]string
}

// v is a value given as a literal of typ.
func v(lit string, want any) rtValue { return rtValue{expr: lit, want: want} }

// sqlLit quotes lit as a string constant cast to typ.
func sqlLit(lit, typ string) string {
	return "'" + strings.ReplaceAll(lit, "'", "''") + "'::" + typ
}

func (tt rtType) exprOf(x rtValue) string {
	if strings.HasPrefix(x.expr, "=") { // a raw SQL expression
		return x.expr[1:]
	}
	return sqlLit(x.expr, tt.typ)
}

func (x rtValue) textWant() any {
	if x.text != nil {
		return x.text
	}
	return x.want
}

func (x rtValue) paramValue() any {
	if x.param != nil {
		return x.param
	}
	return x.want
}

func utc(y int, mo time.Month, d, h, mi, s, ns int) time.Time {
	return time.Date(y, mo, d, h, mi, s, ns, time.UTC)
}

func mustNumeric(t *testing.T, s string) codec.Numeric {
	t.Helper()
	n, err := codec.ParseNumeric(s)
	if err != nil {
		t.Fatalf("ParseNumeric(%q): %v", s, err)
	}
	return n
}

// scalarTypes lists every built-in scalar and range type with edge values.
// timestamptz values are written in UTC; they are compared in the
// session's TimeZone (see inZone).
func scalarTypes(t *testing.T) []rtType {
	num := func(s string) codec.Numeric { return mustNumeric(t, s) }
	const huge = "1234567890123456789012345678901234567890.000000000000000001"
	const unicode = "héllo, wörld ✓ 日本語 🎉"
	long63 := strings.Repeat("n", 63)
	us := func(h, m, s int64, micro int64) int64 { return ((h*60+m)*60+s)*1e6 + micro }
	dim1 := codec.ArrayDimension{Length: 1, LowerBound: 1}
	return []rtType{
		{typ: "bool", oid: codec.OIDBool, arrOID: codec.OIDBoolArray, vals: []rtValue{
			v("true", true), v("false", false)}},
		{typ: "int2", oid: codec.OIDInt2, arrOID: codec.OIDInt2Array, vals: []rtValue{
			v("-32768", int16(math.MinInt16)), v("32767", int16(math.MaxInt16)), v("0", int16(0))}},
		{typ: "int4", oid: codec.OIDInt4, arrOID: codec.OIDInt4Array, vals: []rtValue{
			v("-2147483648", int32(math.MinInt32)), v("2147483647", int32(math.MaxInt32)), v("0", int32(0))}},
		{typ: "int8", oid: codec.OIDInt8, arrOID: codec.OIDInt8Array, vals: []rtValue{
			v("-9223372036854775808", int64(math.MinInt64)), v("9223372036854775807", int64(math.MaxInt64)), v("0", int64(0))}},
		{typ: "oid", oid: codec.OIDOID, arrOID: codec.OIDOIDArray, vals: []rtValue{
			v("0", uint32(0)), v("4294967295", uint32(math.MaxUint32))}},
		{typ: "float4", oid: codec.OIDFloat4, arrOID: codec.OIDFloat4Array, vals: []rtValue{
			v("1.5", float32(1.5)), v("NaN", float32(math.NaN())), v("Infinity", float32(math.Inf(1))),
			v("-Infinity", float32(math.Inf(-1))), v("-0", float32(math.Copysign(0, -1))),
			v("3.4028235e+38", float32(math.MaxFloat32)), v("1e-45", float32(math.SmallestNonzeroFloat32)),
			v("0.1", float32(0.1))}},
		{typ: "float8", oid: codec.OIDFloat8, arrOID: codec.OIDFloat8Array, vals: []rtValue{
			v("0.1", 0.1), v("NaN", math.NaN()), v("Infinity", math.Inf(1)), v("-Infinity", math.Inf(-1)),
			v("-0", math.Copysign(0, -1)), v("1.7976931348623157e308", math.MaxFloat64),
			v("5e-324", math.SmallestNonzeroFloat64)}},
		{typ: "numeric", oid: codec.OIDNumeric, arrOID: codec.OIDNumericArray, vals: []rtValue{
			v("0", num("0")), v("-12.340", num("-12.340")), v(huge, num(huge)), v("-"+huge, num("-"+huge)),
			v("1e-20", num("0.00000000000000000001")), v("12e30", num("12000000000000000000000000000000")),
			v("NaN", codec.NumericNaN), v("Infinity", codec.NumericPosInf), v("-Infinity", codec.NumericNegInf),
			v("0.000", num("0.000")), v("1e-1000", num("0."+strings.Repeat("0", 999)+"1")),
			v("9e1000", num("9"+strings.Repeat("0", 1000)))}},
		{typ: "numeric(10,3)", oid: codec.OIDNumeric, arrOID: codec.OIDNumericArray, vals: []rtValue{
			v("1.5", num("1.500")), v("-9999999.9994", num("-9999999.999"))}},
		{typ: "text", oid: codec.OIDText, arrOID: codec.OIDTextArray, vals: []rtValue{
			v("", ""), v(unicode, unicode), v(`a'b\c"d{e},f`, `a'b\c"d{e},f`), v("NULL", "NULL"),
			v(" line\n\ttab ", " line\n\ttab "), v(strings.Repeat("ü", 40000), strings.Repeat("ü", 40000))}},
		{typ: "varchar", oid: codec.OIDVarchar, arrOID: codec.OIDVarcharArray, vals: []rtValue{
			v("abc", "abc"), v("", "")}},
		{typ: "varchar(5)", oid: codec.OIDVarchar, arrOID: codec.OIDVarcharArray, vals: []rtValue{
			v("héllo", "héllo")}},
		{typ: "char(4)", oid: codec.OIDBpchar, arrOID: codec.OIDBpcharArray, vals: []rtValue{
			v("ab", "ab  "), v("é", "é   "), v("", "    ")}},
		{typ: "name", oid: codec.OIDName, arrOID: codec.OIDNameArray, vals: []rtValue{
			v("pg_catalog", "pg_catalog"), v(long63+"truncated", long63), v("日本", "日本"),
			// Truncation to 63 bytes keeps whole characters.
			v(strings.Repeat("é", 40), strings.Repeat("é", 31))}},
		{typ: `"char"`, oid: codec.OIDChar, arrOID: codec.OIDCharArray, vals: []rtValue{
			// A byte above 127 is one byte, not a character: the server
			// prints it as an octal escape and the codec returns the byte.
			v("a", "a"), {expr: `\303`, want: "\xc3"}, v("Z", "Z"),
			{expr: "", want: ""}}},
		{typ: "bytea", oid: codec.OIDBytea, arrOID: codec.OIDByteaArray, vals: []rtValue{
			v(`\x`, []byte{}), v(`\xdeadbeef00ff`, []byte{0xde, 0xad, 0xbe, 0xef, 0, 0xff}),
			v(`a\000b`, []byte{'a', 0, 'b'})}},
		{typ: "date", oid: codec.OIDDate, arrOID: codec.OIDDateArray, vals: []rtValue{
			v("2024-02-29", utc(2024, 2, 29, 0, 0, 0, 0)), v("2000-01-01", utc(2000, 1, 1, 0, 0, 0, 0)),
			v("0045-03-15 BC", utc(-44, 3, 15, 0, 0, 0, 0)), v("4713-01-01 BC", utc(-4712, 1, 1, 0, 0, 0, 0)),
			v("5874897-12-31", utc(5874897, 12, 31, 0, 0, 0, 0)),
			v("infinity", codec.Infinity), v("-infinity", codec.NegativeInfinity)}},
		{typ: "time", oid: codec.OIDTime, arrOID: codec.OIDTimeArray, vals: []rtValue{
			v("00:00:00", codec.Time{}), v("12:34:56.5", codec.Time{Microseconds: us(12, 34, 56, 500000)}),
			v("23:59:59.999999", codec.Time{Microseconds: us(23, 59, 59, 999999)}),
			v("24:00:00", codec.Time{Microseconds: us(24, 0, 0, 0)}),
			v("23:59:60", codec.Time{Microseconds: us(24, 0, 0, 0)})}},
		{typ: "timetz", oid: codec.OIDTimetz, arrOID: codec.OIDTimetzArray, vals: []rtValue{
			v("12:34:56.789+05:30", codec.TimeTZ{Microseconds: us(12, 34, 56, 789000), Offset: 19800}),
			v("00:00:00-15:59", codec.TimeTZ{Offset: -(15*3600 + 59*60)}),
			v("23:59:59.999999+15:59", codec.TimeTZ{Microseconds: us(23, 59, 59, 999999), Offset: 15*3600 + 59*60}),
			v("01:02:03+00", codec.TimeTZ{Microseconds: us(1, 2, 3, 0)})}},
		{typ: "timestamp", oid: codec.OIDTimestamp, arrOID: codec.OIDTimestampArray, vals: []rtValue{
			v("2016-12-31 23:59:60", utc(2017, 1, 1, 0, 0, 0, 0)),
			v("2000-01-01 00:00:00.000001", utc(2000, 1, 1, 0, 0, 0, 1000)),
			v("0001-12-31 23:59:59.999999 BC", utc(0, 12, 31, 23, 59, 59, 999999000)),
			v("4713-01-01 00:00:00 BC", utc(-4712, 1, 1, 0, 0, 0, 0)),
			v("294276-12-31 23:59:59.999999", utc(294276, 12, 31, 23, 59, 59, 999999000)),
			v("infinity", codec.Infinity), v("-infinity", codec.NegativeInfinity)}},
		{typ: "timestamptz", oid: codec.OIDTimestamptz, arrOID: codec.OIDTimestamptzArray, vals: []rtValue{
			v("2016-12-31 23:59:60+00", utc(2017, 1, 1, 0, 0, 0, 0)),
			v("2024-07-01 12:00:00.123456+02", utc(2024, 7, 1, 10, 0, 0, 123456000)),
			v("2024-01-15 12:00:00 America/New_York", utc(2024, 1, 15, 17, 0, 0, 0)),
			v("0045-03-15 12:00:00+00 BC", utc(-44, 3, 15, 12, 0, 0, 0)),
			v("4713-01-01 00:00:00+00 BC", utc(-4712, 1, 1, 0, 0, 0, 0)),
			v("294276-12-31 23:59:59.999999+00", utc(294276, 12, 31, 23, 59, 59, 999999000)),
			v("infinity", codec.Infinity), v("-infinity", codec.NegativeInfinity)}},
		{typ: "interval", oid: codec.OIDInterval, arrOID: codec.OIDIntervalArray, vals: []rtValue{
			v("1 year 2 mons 3 days 04:05:06.5", codec.Interval{Months: 14, Days: 3, Microseconds: us(4, 5, 6, 500000)}),
			v("00:00:00", codec.Interval{}),
			v("1 day -00:00:01", codec.Interval{Days: 1, Microseconds: -1e6}),
			v("-178000000 years", codec.Interval{Months: -2136000000}),
			v("2562047788:00:54.775807", codec.Interval{Microseconds: math.MaxInt64}),
			v("-2147483648 days -0.000001 seconds", codec.Interval{Days: math.MinInt32, Microseconds: -1})}},
		{typ: "uuid", oid: codec.OIDUUID, arrOID: codec.OIDUUIDArray, vals: []rtValue{
			v("A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11", codec.UUID{0xa0, 0xee, 0xbc, 0x99, 0x9c, 0x0b, 0x4e, 0xf8, 0xbb, 0x6d, 0x6b, 0xb9, 0xbd, 0x38, 0x0a, 0x11}),
			v("00000000-0000-0000-0000-000000000000", codec.UUID{})}},
		{typ: "json", oid: codec.OIDJSON, arrOID: codec.OIDJSONArray, vals: []rtValue{
			v(`{"b": 1, "a": [1, 2.50, null], "u": "\u00e9 ✓"}`, json.RawMessage(`{"b": 1, "a": [1, 2.50, null], "u": "\u00e9 ✓"}`)),
			v("null", json.RawMessage("null")), v(`""`, json.RawMessage(`""`)), v("[]", json.RawMessage("[]"))}},
		{typ: "jsonb", oid: codec.OIDJSONB, arrOID: codec.OIDJSONBArray, vals: []rtValue{
			{expr: `{"b": 1,  "a": [1, 2.50, null], "u": "\u00e9 ✓"}`, want: json.RawMessage(`{"a": [1, 2.50, null], "b": 1, "u": "é ✓"}`),
				param: json.RawMessage(`{"b":1,"a":[1,2.50,null],"u":"\u00e9 ✓"}`)},
			v("null", json.RawMessage("null")), v("{}", json.RawMessage("{}"))}},
		{typ: "inet", oid: codec.OIDInet, arrOID: codec.OIDInetArray, vals: []rtValue{
			v("192.168.0.1", netip.MustParsePrefix("192.168.0.1/32")), v("10.1.2.3/8", netip.MustParsePrefix("10.1.2.3/8")),
			v("::1", netip.MustParsePrefix("::1/128")), v("2001:db8::1/64", netip.MustParsePrefix("2001:db8::1/64")),
			v("::ffff:1.2.3.4", netip.MustParsePrefix("::ffff:1.2.3.4/128")), v("0.0.0.0/0", netip.MustParsePrefix("0.0.0.0/0"))}},
		{typ: "cidr", oid: codec.OIDCidr, arrOID: codec.OIDCidrArray, vals: []rtValue{
			v("10.0.0.0/8", netip.MustParsePrefix("10.0.0.0/8")), v("2001:db8::/32", netip.MustParsePrefix("2001:db8::/32")),
			v("192.168.1.7", netip.MustParsePrefix("192.168.1.7/32"))}},
		{typ: "macaddr", oid: codec.OIDMacaddr, arrOID: codec.OIDMacaddrArray, vals: []rtValue{
			v("08:00:2B:01:02:03", net.HardwareAddr{8, 0, 0x2b, 1, 2, 3}), v("000000000000", net.HardwareAddr{0, 0, 0, 0, 0, 0})}},
		{typ: "macaddr8", oid: codec.OIDMacaddr8, arrOID: codec.OIDMacaddr8Array, vals: []rtValue{
			v("08:00:2b:01:02:03:04:05", net.HardwareAddr{8, 0, 0x2b, 1, 2, 3, 4, 5})}},
		{typ: "bit(5)", oid: codec.OIDBit, arrOID: codec.OIDBitArray, vals: []rtValue{
			v("10101", codec.BitString{Bytes: []byte{0xa8}, Len: 5}), v("00000", codec.BitString{Bytes: []byte{0}, Len: 5})}},
		{typ: "varbit", oid: codec.OIDVarbit, arrOID: codec.OIDVarbitArray, vals: []rtValue{
			v("", codec.BitString{Len: 0}), v("1", codec.BitString{Bytes: []byte{0x80}, Len: 1}),
			v("101100111", codec.BitString{Bytes: []byte{0xb3, 0x80}, Len: 9}),
			v("1111111100000000", codec.BitString{Bytes: []byte{0xff, 0}, Len: 16})}},
		{typ: "int4range", oid: codec.OIDInt4range, arrOID: codec.OIDInt4rangeArray, vals: []rtValue{
			v("[1,10)", codec.Range{Lower: int32(1), Upper: int32(10), LowerInclusive: true}),
			v("(,5]", codec.Range{Upper: int32(6), LowerUnbounded: true}),
			v("empty", codec.Range{Empty: true}),
			v("(,)", codec.Range{LowerUnbounded: true, UpperUnbounded: true}),
			v("[-2147483648,2147483647)", codec.Range{Lower: int32(math.MinInt32), Upper: int32(math.MaxInt32), LowerInclusive: true})}},
		{typ: "int8range", oid: codec.OIDInt8range, arrOID: codec.OIDInt8rangeArray, vals: []rtValue{
			v("[-9223372036854775808,9223372036854775807)", codec.Range{Lower: int64(math.MinInt64), Upper: int64(math.MaxInt64), LowerInclusive: true}),
			v("(0,)", codec.Range{Lower: int64(1), LowerInclusive: true, UpperUnbounded: true})}},
		{typ: "numrange", oid: codec.OIDNumrange, arrOID: codec.OIDNumrangeArray, vals: []rtValue{
			v("(1.50,2.250]", codec.Range{Lower: num("1.50"), Upper: num("2.250"), UpperInclusive: true}),
			v("[0,)", codec.Range{Lower: num("0"), LowerInclusive: true, UpperUnbounded: true}),
			v("[-Infinity,Infinity]", codec.Range{Lower: codec.NumericNegInf, Upper: codec.NumericPosInf, LowerInclusive: true, UpperInclusive: true}),
			v("empty", codec.Range{Empty: true})}},
		{typ: "tsrange", oid: codec.OIDTsrange, arrOID: codec.OIDTsrangeArray, vals: []rtValue{
			v("[2016-12-31 23:59:60,infinity)", codec.Range{Lower: utc(2017, 1, 1, 0, 0, 0, 0), Upper: codec.Infinity, LowerInclusive: true}),
			v("(0045-03-15 00:00:00 BC,)", codec.Range{Lower: utc(-44, 3, 15, 0, 0, 0, 0), UpperUnbounded: true})}},
		{typ: "tstzrange", oid: codec.OIDTstzrange, arrOID: codec.OIDTstzrangeArray, vals: []rtValue{
			v("[2016-12-31 23:59:60+00,2017-06-01 12:00:00.5+02)", codec.Range{Lower: utc(2017, 1, 1, 0, 0, 0, 0), Upper: utc(2017, 6, 1, 10, 0, 0, 5e8), LowerInclusive: true}),
			v("[-infinity,)", codec.Range{Lower: codec.NegativeInfinity, LowerInclusive: true, UpperUnbounded: true}),
			v("empty", codec.Range{Empty: true})}},
		{typ: "daterange", oid: codec.OIDDaterange, arrOID: codec.OIDDaterangeArray, vals: []rtValue{
			v("[2020-01-01,2020-01-05]", codec.Range{Lower: utc(2020, 1, 1, 0, 0, 0, 0), Upper: utc(2020, 1, 6, 0, 0, 0, 0), LowerInclusive: true}),
			v("[-infinity,infinity]", codec.Range{Lower: codec.NegativeInfinity, Upper: codec.Infinity, LowerInclusive: true, UpperInclusive: true}),
			v("(0001-01-01 BC,)", codec.Range{Lower: utc(0, 1, 2, 0, 0, 0, 0), LowerInclusive: true, UpperUnbounded: true})}},
		{typ: "int4multirange", oid: codec.OIDInt4multirange, arrOID: codec.OIDInt4multirangeArray, vals: []rtValue{
			v("{[1,3),[5,7)}", codec.Multirange{{Lower: int32(1), Upper: int32(3), LowerInclusive: true}, {Lower: int32(5), Upper: int32(7), LowerInclusive: true}}),
			v("{}", codec.Multirange{}),
			v("{(,5], [3,9), [20,)}", codec.Multirange{{Upper: int32(9), LowerUnbounded: true}, {Lower: int32(20), LowerInclusive: true, UpperUnbounded: true}})}},
		{typ: "int8multirange", oid: codec.OIDInt8multirange, arrOID: codec.OIDInt8multirangeArray, vals: []rtValue{
			v("{[-9223372036854775808,0),[1,2)}", codec.Multirange{{Lower: int64(math.MinInt64), Upper: int64(0), LowerInclusive: true}, {Lower: int64(1), Upper: int64(2), LowerInclusive: true}}),
			v("{(,)}", codec.Multirange{{LowerUnbounded: true, UpperUnbounded: true}})}},
		{typ: "nummultirange", oid: codec.OIDNummultirange, arrOID: codec.OIDNummultirangeArray, vals: []rtValue{
			v("{[1.5,2.5],(3,)}", codec.Multirange{{Lower: num("1.5"), Upper: num("2.5"), LowerInclusive: true, UpperInclusive: true}, {Lower: num("3"), UpperUnbounded: true}}),
			v("{empty}", codec.Multirange{})}},
		{typ: "tsmultirange", oid: codec.OIDTsmultirange, arrOID: codec.OIDTsmultirangeArray, vals: []rtValue{
			v("{[2020-01-01 00:00:00,2020-01-02 12:30:00.5),[2021-01-01 00:00:00,infinity)}", codec.Multirange{
				{Lower: utc(2020, 1, 1, 0, 0, 0, 0), Upper: utc(2020, 1, 2, 12, 30, 0, 5e8), LowerInclusive: true},
				{Lower: utc(2021, 1, 1, 0, 0, 0, 0), Upper: codec.Infinity, LowerInclusive: true}})}},
		{typ: "tstzmultirange", oid: codec.OIDTstzmultirange, arrOID: codec.OIDTstzmultirangeArray, vals: []rtValue{
			v("{[2017-01-01 00:00:00+00,2017-06-01 12:00:00.5+02)}", codec.Multirange{{Lower: utc(2017, 1, 1, 0, 0, 0, 0), Upper: utc(2017, 6, 1, 10, 0, 0, 5e8), LowerInclusive: true}}),
			v("{}", codec.Multirange{})}},
		{typ: "datemultirange", oid: codec.OIDDatemultirange, arrOID: codec.OIDDatemultirangeArray, vals: []rtValue{
			v("{[2020-01-01,2020-01-05],[2020-02-01,)}", codec.Multirange{
				{Lower: utc(2020, 1, 1, 0, 0, 0, 0), Upper: utc(2020, 1, 6, 0, 0, 0, 0), LowerInclusive: true},
				{Lower: utc(2020, 2, 1, 0, 0, 0, 0), LowerInclusive: true, UpperUnbounded: true}})}},
		// Arrays beyond the generated shapes: three dimensions with their
		// own lower bounds, and the server's limit of six.
		{typ: "int4[]", oid: codec.OIDInt4Array, vals: []rtValue{
			v("[0:1][-1:0][1:2]={{{1,2},{3,4}},{{5,NULL},{7,8}}}", codec.Array{
				Dims:     []codec.ArrayDimension{{Length: 2, LowerBound: 0}, {Length: 2, LowerBound: -1}, {Length: 2, LowerBound: 1}},
				Elements: []any{int32(1), int32(2), int32(3), int32(4), int32(5), nil, int32(7), int32(8)}}),
			v("{{{{{{1,2}}}}}}", codec.Array{
				Dims:     []codec.ArrayDimension{dim1, dim1, dim1, dim1, dim1, {Length: 2, LowerBound: 1}},
				Elements: []any{int32(1), int32(2)}})}},
		{typ: "text[]", oid: codec.OIDTextArray, vals: []rtValue{
			v(`{"a b","",NULL,"NULL","é,\"q\"}","\\","{}"}`, []any{"a b", "", nil, "NULL", `é,"q"}`, `\`, "{}"})}},
		{typ: "record", oid: codec.OIDRecord, arrOID: codec.OIDRecordArray, noBounds: true,
			vals: []rtValue{
				{expr: "=ROW(1, 'a b'::text, NULL::int4, 'é,\"()'::text, ARRAY[1,2])",
					want:    []any{int32(1), "a b", nil, `é,"()`, []any{int32(1), int32(2)}},
					text:    []any{"1", "a b", nil, `é,"()`, "{1,2}"},
					noParam: true},
				{expr: "=ROW(ROW(1, 'x'::text), 2.50::numeric, ''::text)",
					want:    []any{[]any{int32(1), "x"}, num("2.50"), ""},
					text:    []any{"(1,x)", "2.50", ""},
					noParam: true},
				{expr: "=ROW(NULL::int4)", want: []any{nil}, noParam: true},
				// The text form of a record with no fields, "()", is also that of
				// one NULL field: text cannot tell them apart, binary can.
				{expr: "=ROW()", want: []any{}, text: []any{nil}, noParam: true}}},
	}
}

// zoneTypes are the types whose values depend on the session TimeZone.
var zoneTypes = map[string]bool{"timestamptz": true, "tstzrange": true, "tstzmultirange": true}

// inZone puts every time.Time in v (a natural value) into loc: the codec
// returns timestamptz values in the session's TimeZone.
func inZone(v any, loc *time.Location) any {
	switch x := v.(type) {
	case time.Time:
		return x.In(loc)
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = inZone(e, loc)
		}
		return out
	case codec.Array:
		return codec.Array{Dims: x.Dims, Elements: inZone(x.Elements, loc).([]any)}
	case codec.Range:
		x.Lower, x.Upper = inZone(x.Lower, loc), inZone(x.Upper, loc)
		return x
	case codec.Multirange:
		out := make(codec.Multirange, len(x))
		for i, r := range x {
			out[i] = inZone(r, loc).(codec.Range)
		}
		return out
	}
	return v
}

// same compares natural values as the codec documents them: NaN equals
// NaN, -0 differs from 0, times must be the same instant in the same
// zone, and bit strings compare by their bits (an empty one may or may
// not have a nil slice).
func same(a, b any) bool {
	if reflect.TypeOf(a) != reflect.TypeOf(b) {
		return false
	}
	switch x := a.(type) {
	case float32:
		y := b.(float32)
		return math.Float32bits(x) == math.Float32bits(y) || (x != x && y != y)
	case float64:
		y := b.(float64)
		return math.Float64bits(x) == math.Float64bits(y) || (x != x && y != y)
	case time.Time:
		y := b.(time.Time)
		return x.Equal(y) && x.Location().String() == y.Location().String() && x.Format(time.RFC3339Nano) == y.Format(time.RFC3339Nano)
	case []any:
		y := b.([]any)
		if len(x) != len(y) || (x == nil) != (y == nil) {
			return false
		}
		for i := range x {
			if !same(x[i], y[i]) {
				return false
			}
		}
		return true
	case codec.Array:
		y := b.(codec.Array)
		return reflect.DeepEqual(x.Dims, y.Dims) && same(x.Elements, y.Elements)
	case codec.Range:
		y := b.(codec.Range)
		return same(x.Lower, y.Lower) && same(x.Upper, y.Upper) &&
			x.LowerInclusive == y.LowerInclusive && x.UpperInclusive == y.UpperInclusive &&
			x.LowerUnbounded == y.LowerUnbounded && x.UpperUnbounded == y.UpperUnbounded && x.Empty == y.Empty
	case codec.Multirange:
		y := b.(codec.Multirange)
		if len(x) != len(y) {
			return false
		}
		for i := range x {
			if !same(x[i], y[i]) {
				return false
			}
		}
		return true
	case codec.BitString:
		y := b.(codec.BitString)
		return x.Len == y.Len && bytes.Equal(x.Bytes, y.Bytes)
	case nil:
		return true
	}
	if reflect.TypeOf(a).Comparable() {
		return a == b
	}
	return reflect.DeepEqual(a, b)
}

// show prints a natural value for a failure message.
func show(v any) string {
	if p, ok := v.(*string); ok && p != nil {
		v = *p
	}
	if s, ok := v.(string); ok && len(s) > 80 {
		return fmt.Sprintf("string(len %d) %q...", len(s), s[:40])
	}
	if t, ok := v.(time.Time); ok {
		return "time " + t.Format("2006-01-02 15:04:05.999999999 -07:00:00 MST") + " [" + t.Location().String() + "]"
	}
	return fmt.Sprintf("%#v", v)
}

// format names a format code for messages.
func format(f int16) string {
	if f == codec.BinaryFormat {
		return "binary"
	}
	return "text"
}

// queryRow runs sql through the simple protocol (text results) or the
// extended one (binary where the codec decodes binary) and returns the
// only row's values and its columns.
func queryRow(ctx context.Context, s *session.Session, simple bool, sql string, args ...any) ([]any, []wire.FieldDescription, error) {
	var f interface {
		Await(context.Context) (*session.Rows, error)
	}
	if simple {
		f = s.SimpleQuery(ctx, sql)
	} else {
		f = s.Query(ctx, sql, args...)
	}
	rows, err := f.Await(ctx)
	if err != nil {
		return nil, nil, err
	}
	defer rows.Close()
	if !rows.Next() {
		if err := rows.Err(); err != nil {
			return nil, nil, err
		}
		return nil, nil, errors.New("no rows")
	}
	vals, err := rows.Values()
	cols := append([]wire.FieldDescription(nil), rows.Columns()...)
	if err != nil {
		return nil, cols, err
	}
	return vals, cols, rows.Close()
}

// typeChecker runs the checks for one session.
type typeChecker struct {
	ctx context.Context
	s   *session.Session
	loc *time.Location
}

// decode checks that expr decodes to want as text and as binary, with the
// column OID oid, and reports both formats' results for comparison.
func (c *typeChecker) decode(t *testing.T, typ, expr string, oid uint32, wantText, wantBinary any) {
	t.Helper()
	for _, simple := range []bool{true, false} {
		want, wantFormat := wantBinary, codec.BinaryFormat
		if simple {
			want, wantFormat = wantText, codec.TextFormat
		}
		vals, cols, err := queryRow(c.ctx, c.s, simple, "SELECT "+expr)
		if err != nil {
			t.Errorf("%s: decode %s (%s): %v", typ, expr, format(wantFormat), err)
			continue
		}
		if cols[0].TypeOID != oid || cols[0].Format != wantFormat {
			t.Errorf("%s: %s arrived as OID %d in %s, want OID %d in %s",
				typ, expr, cols[0].TypeOID, format(cols[0].Format), oid, format(wantFormat))
		}
		if !same(vals[0], want) {
			t.Errorf("%s: decode %s (%s) = %s, want %s", typ, expr, format(wantFormat), show(vals[0]), show(want))
		}
	}
}

// render checks that a binary value scanned into *string is the
// PostgreSQL text form: the server's own text output, or a spelling the
// server's input function reads back as the same value (records quote
// with backslashes, for instance). Records have no input function; for
// them the codec's reading of both spellings must agree.
func (c *typeChecker) render(t *testing.T, typ, expr string, oid uint32) {
	t.Helper()
	var got *string
	if err := c.s.QueryRow(c.ctx, "SELECT "+expr).Scan(&got); err != nil {
		t.Errorf("%s: scan %s (binary) into *string: %v", typ, expr, err)
		return
	}
	rows, err := c.s.SimpleQuery(c.ctx, "SELECT "+expr).Await(c.ctx)
	if err != nil {
		t.Fatalf("%s: %v", expr, err)
	}
	defer rows.Close()
	if !rows.Next() {
		t.Fatalf("%s: %v", expr, rows.Err())
	}
	raw := rows.RawValues()[0]
	if (got == nil) != (raw == nil) {
		t.Errorf("%s: %s scanned into *string = %s, server sent %q", typ, expr, show(got), raw)
		return
	}
	if got == nil || *got == string(raw) {
		return
	}
	if oid == codec.OIDRecord || oid == codec.OIDRecordArray {
		opts := &codec.Options{Location: c.loc}
		a, errA := codec.Default().DecodeValue(oid, codec.TextFormat, []byte(*got), opts)
		b, errB := codec.Default().DecodeValue(oid, codec.TextFormat, raw, opts)
		if errA != nil || errB != nil || !same(a, b) {
			t.Errorf("%s: %s scanned into *string = %s, which reads as %s (%v); the server's %q reads as %s (%v)",
				typ, expr, show(*got), show(a), errA, raw, show(b), errB)
		}
		return
	}
	// ROW(x)::text prints x with its type's output function (a plain
	// x::text may not: bool, bpchar and inet have casts of their own).
	var same bool
	sql := fmt.Sprintf("SELECT ROW($1::text::%s)::text = ROW(%s)::text", sqlType(typ), expr)
	if err := c.s.QueryRow(c.ctx, sql, *got).Scan(&same); err != nil || !same {
		t.Errorf("%s: %s scanned into *string = %s; the server sent %q and reads ours back as another value (%v)",
			typ, expr, show(*got), raw, err)
	}
}

// sqlType returns the SQL type in a check's label ("int4[] two dimensions").
func sqlType(label string) string {
	if i := strings.Index(label, " "); i > 0 {
		return label[:i]
	}
	return label
}

// encode binds param to $1::typ and checks that the server prints it as it
// prints expr, and that it comes back (binary) as want.
func (c *typeChecker) encode(t *testing.T, typ, expr string, param, want any) {
	t.Helper()
	sql := fmt.Sprintf("SELECT $1::%s, $1::%s::text, (%s)::text", typ, typ, expr)
	vals, _, err := queryRow(c.ctx, c.s, false, sql, param)
	if err != nil {
		t.Errorf("%s: encode %s for %s: %v", typ, show(param), expr, err)
		return
	}
	if vals[1] != vals[2] {
		t.Errorf("%s: encode %s: server prints the parameter as %s, the literal %s as %s",
			typ, show(param), show(vals[1]), expr, show(vals[2]))
	}
	if !same(vals[0], want) {
		t.Errorf("%s: round trip of %s (binary) = %s", typ, show(param), show(vals[0]))
	}
}

// null checks NULL of typ in both formats and as a parameter.
func (c *typeChecker) null(t *testing.T, typ string, oid uint32) {
	t.Helper()
	c.decode(t, typ, "NULL::"+typ, oid, nil, nil)
	c.render(t, typ, "NULL::"+typ, oid)
	vals, _, err := queryRow(c.ctx, c.s, false, fmt.Sprintf("SELECT $1::%s IS NULL, $1::%s", typ, typ), nil)
	if err != nil || vals[0] != true || vals[1] != nil {
		t.Errorf("%s: NULL parameter: %v %v", typ, vals, err)
	}
}

// scalar runs every check on the values of tt.
func (c *typeChecker) scalar(t *testing.T, tt rtType) {
	c.null(t, tt.typ, tt.oid)
	for _, x := range tt.vals {
		expr := tt.exprOf(x)
		want, text := x.want, x.textWant()
		if zoneTypes[tt.typ] {
			want, text = inZone(want, c.loc), inZone(text, c.loc)
		}
		check := func(t *testing.T) {
			c.decode(t, tt.typ, expr, tt.oid, text, want)
			if x.renderBug != "" {
				knownBug(t, "render "+expr, x.renderBug, func(t *testing.T) { c.render(t, tt.typ, expr, tt.oid) })
			} else {
				c.render(t, tt.typ, expr, tt.oid)
			}
			if !x.noParam {
				c.encode(t, tt.typ, expr, x.paramValue(), want)
			}
		}
		if x.bug != "" {
			knownBug(t, expr, x.bug, check)
			continue
		}
		check(t)
	}
}

// knownBug runs check in a subtest that is skipped with msg (which starts
// with "BUG:") until the bug is fixed; then delete the marker and the
// check runs as any other.
func knownBug(t *testing.T, name, msg string, check func(t *testing.T)) {
	t.Helper()
	t.Run(name, func(t *testing.T) {
		t.Skip(msg)
		check(t)
	})
}

// arrays builds arrays of tt's values on the server (ARRAY[...], so no
// client-side quoting is involved) and checks them: one dimension with a
// NULL element, two dimensions, explicit lower bounds, empty, and NULL.
func (c *typeChecker) arrays(t *testing.T, tt rtType) {
	arr := tt.typ + "[]"
	c.null(t, arr, tt.arrOID)
	c.decode(t, arr, "'{}'::"+arr, tt.arrOID, []any{}, []any{})
	c.render(t, arr, "'{}'::"+arr, tt.arrOID)
	c.encode(t, arr, "'{}'::"+arr, []any{}, []any{})

	var exprs []string
	var want, text, params []any
	noParam := false
	var vals []rtValue
	for _, x := range tt.vals {
		if x.bug == "" {
			vals = append(vals, x)
		}
	}
	for i, x := range vals {
		if i == 1 {
			exprs, want, text, params = append(exprs, "NULL"), append(want, nil), append(text, nil), append(params, nil)
		}
		exprs = append(exprs, tt.exprOf(x))
		want, text, params = append(want, x.want), append(text, x.textWant()), append(params, x.paramValue())
		noParam = noParam || x.noParam
	}
	if len(vals) == 1 {
		exprs, want, text, params = append(exprs, "NULL"), append(want, nil), append(text, nil), append(params, nil)
	}
	n := len(exprs)
	oneDim := "ARRAY[" + strings.Join(exprs, ", ") + "]"
	// Two rows of two: [[e0, e1], [e1, e0]].
	twoDim := fmt.Sprintf("ARRAY[ARRAY[%[1]s, %[2]s], ARRAY[%[2]s, %[1]s]]", exprs[0], exprs[1])
	dims2 := []codec.ArrayDimension{{Length: 2, LowerBound: 1}, {Length: 2, LowerBound: 1}}
	grid := func(v []any) []any { return []any{v[0], v[1], v[1], v[0]} }
	// The server prints the array with its bounds when they are not 1, so
	// prefixing its own text with bounds builds the same array starting at -1.
	bounded := fmt.Sprintf("('[-1:%d]=' || (%s)::text)::%s", n-2, oneDim, arr)
	dimsB := []codec.ArrayDimension{{Length: int32(n), LowerBound: -1}}

	shapes := []struct {
		name, expr        string
		want, text, param any
	}{
		{"one dimension", oneDim, want, text, params},
		{"two dimensions", twoDim, codec.Array{Dims: dims2, Elements: grid(want)}, codec.Array{Dims: dims2, Elements: grid(text)},
			codec.Array{Dims: dims2, Elements: grid(params)}},
		{"lower bound -1", bounded, codec.Array{Dims: dimsB, Elements: want}, codec.Array{Dims: dimsB, Elements: text},
			codec.Array{Dims: dimsB, Elements: params}},
	}
	for _, sh := range shapes {
		if tt.noBounds && sh.name == "lower bound -1" {
			continue
		}
		w, tx := sh.want, sh.text
		if zoneTypes[tt.typ] {
			w, tx = inZone(w, c.loc), inZone(tx, c.loc)
		}
		label := arr + " " + sh.name
		c.decode(t, label, sh.expr, tt.arrOID, tx, w)
		if msg := tt.arrayRenderBug[sh.name]; msg != "" {
			knownBug(t, "render "+sh.name, msg, func(t *testing.T) { c.render(t, label, sh.expr, tt.arrOID) })
		} else {
			c.render(t, label, sh.expr, tt.arrOID)
		}
		if noParam {
			continue
		}
		if msg := tt.arrayEncodeBug[sh.name]; msg != "" {
			knownBug(t, "encode "+sh.name, msg, func(t *testing.T) { c.encode(t, arr, sh.expr, sh.param, w) })
			continue
		}
		c.encode(t, arr, sh.expr, sh.param, w)
	}
}

func newTypeChecker(t *testing.T, zone string) *typeChecker {
	loc, err := time.LoadLocation(zone)
	if err != nil {
		t.Skipf("no tzdata for %s: %v", zone, err)
	}
	s := connect(t, dsn(t, pgtest.Trust, "timezone", zone))
	// Background, not a deadline: a context that can end makes the actor
	// arm a cancel watch after the command is already in its mailbox, and
	// the race detector catches the loop reading that field at the same
	// time (actor.Command.watch vs loop.stopWatching). The test binary's
	// -timeout still bounds a hang.
	ctx := context.Background()
	if got := s.ServerParameter("TimeZone"); got != zone {
		t.Fatalf("session TimeZone = %q, want %q", got, zone)
	}
	return &typeChecker{ctx: ctx, s: s, loc: loc}
}

// TestTypesRoundTrip takes every built-in type, its arrays and NULL
// through the server in both formats, in a session whose TimeZone is not
// UTC (and not a whole number of hours away from it).
func TestTypesRoundTrip(t *testing.T) {
	c := newTypeChecker(t, "Asia/Kolkata")
	for _, tt := range scalarTypes(t) {
		t.Run(tt.typ, func(t *testing.T) {
			c.scalar(t, tt)
			if tt.arrOID != 0 {
				c.arrays(t, tt)
			}
		})
	}
}

// TestTypesTimeZones repeats the zone-dependent types in zones with
// daylight saving time, a 45-minute offset, and UTC.
func TestTypesTimeZones(t *testing.T) {
	for _, zone := range []string{"America/New_York", "Pacific/Chatham", "UTC"} {
		t.Run(zone, func(t *testing.T) {
			c := newTypeChecker(t, zone)
			for _, tt := range scalarTypes(t) {
				if !zoneTypes[tt.typ] {
					continue
				}
				t.Run(tt.typ, func(t *testing.T) {
					c.scalar(t, tt)
					c.arrays(t, tt)
				})
			}
			// Summer and winter instants get different offsets in zones with
			// DST; a parameter's own zone does not matter, only its instant.
			elsewhere := time.FixedZone("", -(9*3600 + 30*60))
			for _, at := range []time.Time{utc(2024, 7, 1, 12, 0, 0, 0), utc(2024, 1, 1, 12, 0, 0, 0)} {
				for _, p := range []time.Time{at, at.In(elsewhere)} {
					var got time.Time
					if err := c.s.QueryRow(c.ctx, "SELECT $1::timestamptz", p).Scan(&got); err != nil {
						t.Fatal(err)
					}
					if want := at.In(c.loc); !same(got, want) {
						t.Errorf("timestamptz %s scanned as %s, want %s", show(p), show(got), show(want))
					}
				}
			}
		})
	}
}

// exec runs sql (several statements allowed) and fails the test on error.
func (c *typeChecker) exec(t *testing.T, sql string, args ...any) {
	t.Helper()
	if _, err := c.s.Exec(c.ctx, sql, args...).Await(c.ctx); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

// typeOIDs returns the OID of a type and of its array type.
func (c *typeChecker) typeOIDs(t *testing.T, name string) (oid, arrOID uint32) {
	t.Helper()
	if err := c.s.QueryRow(c.ctx, "SELECT oid, typarray FROM pg_type WHERE oid = $1::text::regtype", name).Scan(&oid, &arrOID); err != nil {
		t.Fatalf("OID of %s: %v", name, err)
	}
	return oid, arrOID
}

// TestTypesUserDefined covers enums, domains and composite types, which
// the codec does not know until told (domains excepted), and what happens
// to values of an OID nobody registered.
func TestTypesUserDefined(t *testing.T) {
	c := newTypeChecker(t, "Asia/Kolkata")
	suffix := strconv.FormatInt(time.Now().UnixNano(), 36)
	mood, posint, textlist, pair := "pgactor_mood_"+suffix, "pgactor_posint_"+suffix, "pgactor_textlist_"+suffix, "pgactor_pair_"+suffix
	c.exec(t, fmt.Sprintf(`CREATE TYPE %s AS ENUM ('sad', 'ok', 'happy 😀');
		CREATE DOMAIN %s AS int4 CHECK (VALUE > 0);
		CREATE DOMAIN %s AS text[] NOT NULL;
		CREATE TYPE %s AS (n int4, label text, at timestamptz, tags text[])`, mood, posint, textlist, pair))
	// Registered after connect's cleanup, so it runs first, on the open session.
	t.Cleanup(func() {
		drop := fmt.Sprintf("DROP TYPE IF EXISTS %s, %s; DROP DOMAIN IF EXISTS %s, %s", mood, pair, posint, textlist)
		if _, err := c.s.Exec(c.ctx, drop).Await(c.ctx); err != nil {
			t.Errorf("drop types: %v", err)
		}
	})
	moodOID, moodArrOID := c.typeOIDs(t, mood)
	_, posintArrOID := c.typeOIDs(t, posint)
	pairOID, pairArrOID := c.typeOIDs(t, pair)

	t.Run("no codec", func(t *testing.T) {
		// point is built in but has no codec; the enum has none in the
		// user's registry. The first statement to see each asks for its
		// text (the type is unknown when it is prepared); the session then
		// loads it from pg_type (point as a text-only type, the enum as
		// text that also reads binary). In either protocol and either
		// format the text is the value: Values, *any and *string all get it.
		for _, u := range []struct {
			expr, label string
			oid         uint32
		}{{"'(1,2.5)'::point", "(1,2.5)", 600}, {"'ok'::" + mood, "ok", moodOID}} {
			for i, simple := range []bool{true, false, false} {
				vals, cols, err := queryRow(c.ctx, c.s, simple, "SELECT "+u.expr)
				if err != nil || len(vals) != 1 || vals[0] != u.label {
					t.Errorf("%s (simple=%v): Values %#v, %v, want %q", u.expr, simple, vals, err, u.label)
				}
				if i == 0 && (cols == nil || cols[0].Format != codec.TextFormat) {
					t.Errorf("%s (simple=%v): columns %+v, want one in text", u.expr, simple, cols)
				}
			}
			if _, ok := c.s.Types().Lookup(u.oid); !ok {
				t.Errorf("%s: no codec loaded for OID %d", u.expr, u.oid)
			}
			var str string
			if err := c.s.QueryRow(c.ctx, "SELECT "+u.expr).Scan(&str); err != nil || str != u.label {
				t.Errorf("scan %s into *string: %q %v, want %q", u.expr, str, err, u.label)
			}
			var anyv any
			if err := c.s.QueryRow(c.ctx, "SELECT "+u.expr).Scan(&anyv); err != nil || anyv != u.label {
				t.Errorf("scan %s into *any: %#v %v, want %q", u.expr, anyv, err, u.label)
			}
			// A destination that is neither gets an error naming the type.
			var n int64
			err := c.s.QueryRow(c.ctx, "SELECT "+u.expr).Scan(&n)
			if !errors.Is(err, codec.ErrMismatch) || !strings.Contains(err.Error(), c.s.Types().TypeName(u.oid)) {
				t.Errorf("scan %s into *int64: %v, want ErrMismatch naming the type", u.expr, err)
			}
			// A registry that never loaded it decodes the text all the same,
			// and names the OID for the binary form it cannot read.
			reg := codec.NewRegistry()
			if got, err := reg.DecodeValue(u.oid, codec.TextFormat, []byte(u.label), &codec.Options{}); err != nil || got != u.label {
				t.Errorf("%s decoded: %#v, %v", u.expr, got, err)
			}
			var ute *codec.UnknownTypeError
			if _, err := reg.DecodeValue(u.oid, codec.BinaryFormat, []byte(u.label), &codec.Options{}); !errors.As(err, &ute) || ute.OID != u.oid {
				t.Errorf("%s in binary without a codec: %v, want UnknownTypeError for %d", u.expr, err, u.oid)
			}
			// A parameter of the type goes as text, for the type's own input
			// function.
			var ok bool
			sql := fmt.Sprintf("SELECT $1::%s::text = (%s)::text", strings.SplitN(u.expr, "::", 2)[1], u.expr)
			if err := c.s.QueryRow(c.ctx, sql, u.label).Scan(&ok); err != nil || !ok {
				t.Errorf("%s: %v %v", sql, ok, err)
			}
		}
	})

	t.Run("enum", func(t *testing.T) {
		// Registering on the shared registry is safe: the OIDs are this
		// test's own and nobody else will ever see them.
		enumCodec := codec.NewTextCodec(moodOID, mood)
		codec.Default().Register(enumCodec)
		codec.Default().Register(codec.NewArrayCodec(moodArrOID, "_"+mood, enumCodec))
		tt := rtType{typ: mood, oid: moodOID, arrOID: moodArrOID, vals: []rtValue{
			v("sad", "sad"), v("happy 😀", "happy 😀")}}
		c.scalar(t, tt)
		c.arrays(t, tt)
	})

	t.Run("domain", func(t *testing.T) {
		// RowDescription reports a domain's base type, so its values
		// decode as the base type's, binary included.
		tt := rtType{typ: posint, oid: codec.OIDInt4, vals: []rtValue{v("1", int32(1)), v("2147483647", int32(math.MaxInt32))}}
		c.scalar(t, tt)
		tl := rtType{typ: textlist, oid: codec.OIDTextArray, vals: []rtValue{
			{expr: `{a,"b c",NULL}`, want: []any{"a", "b c", nil}}}}
		for _, x := range tl.vals {
			c.decode(t, textlist, tl.exprOf(x), tl.oid, x.want, x.want)
			c.encode(t, textlist, tl.exprOf(x), x.paramValue(), x.want)
		}
		// An array of a domain carries the domain's array type, which the
		// session loads from pg_type (the domain over its base type).
		c.decode(t, posint+"[]", "'{1,2}'::"+posint+"[]", posintArrOID, []any{int32(1), int32(2)}, []any{int32(1), int32(2)})
		// The domain's constraints hold for parameters.
		var n int32
		err := c.s.QueryRow(c.ctx, "SELECT $1::"+posint, int32(0)).Scan(&n)
		var pe *session.PgError
		if !errors.As(err, &pe) || pe.SQLState() != "23514" {
			t.Errorf("posint 0: %v, want check_violation", err)
		}
		err = c.s.QueryRow(c.ctx, "SELECT $1::"+textlist, nil).Scan(new(any))
		if !errors.As(err, &pe) || pe.SQLState() != "23502" {
			t.Errorf("textlist NULL: %v, want not_null_violation", err)
		}
	})

	t.Run("composite", func(t *testing.T) {
		comp := codec.NewCompositeCodec(pairOID, pair, codec.Default())
		codec.Default().Register(comp)
		codec.Default().Register(codec.NewArrayCodec(pairArrOID, "_"+pair, comp))
		at := utc(2016, 12, 31, 23, 59, 59, 0)
		tt := rtType{typ: pair, oid: pairOID, arrOID: pairArrOID,
			vals: []rtValue{
				{expr: `(7,"a ""quoted"", label",2016-12-31 23:59:59+00,"{x,NULL,""y z""}")`,
					want:  []any{int32(7), `a "quoted", label`, at.In(c.loc), []any{"x", nil, "y z"}},
					text:  []any{"7", `a "quoted", label`, "2017-01-01 05:29:59+05:30", `{x,NULL,"y z"}`},
					param: []any{int32(7), `a "quoted", label`, at, []any{"x", nil, "y z"}}},
				{expr: `(,,,)`, want: []any{nil, nil, nil, nil}},
				{expr: `(-1,"",,{})`, want: []any{int32(-1), "", nil, []any{}}, text: []any{"-1", "", nil, "{}"}},
			}}
		c.scalar(t, tt)
		c.arrays(t, tt)
	})
}

// TestTypesParams binds Go values of types other than the natural ones
// (narrower and wider integers, slices of Go types, netip, time.Duration,
// driver.Valuer...) and checks that the server prints each as it prints
// the literal it stands for.
func TestTypesParams(t *testing.T) {
	c := newTypeChecker(t, "America/New_York")
	type myString string
	type myBool bool
	x := int32(7)
	cases := []struct {
		typ, lit string // lit "NULL": the parameter must be NULL
		param    any
	}{
		{"int2", "-128", int8(-128)}, {"int2", "255", uint8(255)}, {"int2", "32767", int(32767)},
		{"int4", "65535", uint16(65535)}, {"int4", "2147483647", int64(math.MaxInt32)}, {"int4", "-5", int(-5)},
		{"int8", "-9223372036854775808", int(math.MinInt64)}, {"int8", "9223372036854775807", uint64(math.MaxInt64)},
		{"oid", "4294967295", uint32(math.MaxUint32)}, {"oid", "7", int(7)},
		{"numeric", "18446744073709551615", uint64(math.MaxUint64)},
		{"numeric", "1267650600228229401496703205376", new(big.Int).Lsh(big.NewInt(1), 100)},
		{"numeric", "-7", int64(-7)}, {"numeric", "0.1", 0.1}, {"numeric", "Infinity", math.Inf(1)}, {"numeric", "NaN", math.NaN()},
		{"float8", "3", int(3)}, {"float8", "0.10000000149011612", float32(0.1)},
		{"float4", "-Infinity", float32(math.Inf(-1))},
		{"text", "héllo", myString("héllo")}, {"bool", "true", myBool(true)}, {"text", "x", sql.NullString{String: "x", Valid: true}},
		{"int8", "NULL", sql.NullInt64{}}, {"int4", "NULL", (*int32)(nil)}, {"int4", "7", &x}, {"bytea", "NULL", []byte(nil)},
		{"bytea", `\x`, []byte{}},
		{"interval", "01:30:00.0015", 90*time.Minute + 1500*time.Microsecond}, {"interval", "-36:00:00", -36 * time.Hour},
		{"uuid", "00010203-0405-0607-0809-0a0b0c0d0e0f", [16]byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15}},
		{"inet", "::1", netip.MustParseAddr("::1")}, {"inet", "1.2.3.4", netip.MustParseAddr("1.2.3.4")},
		{"inet", "10.0.0.1", net.ParseIP("10.0.0.1")},
		{"cidr", "10.1.0.0/16", &net.IPNet{IP: net.IP{10, 1, 0, 0}, Mask: net.CIDRMask(16, 32)}},
		{"macaddr", "08:00:2b:01:02:03", net.HardwareAddr{8, 0, 0x2b, 1, 2, 3}},
		{"jsonb", `{"a": [1, "é"]}`, `{"a":[1,"é"]}`}, {"json", `{"a":1}`, json.RawMessage(`{"a":1}`)},
		{"timestamptz", "2024-07-01 12:00:00+00", time.Date(2024, 7, 1, 15, 30, 0, 0, time.FixedZone("", 3*3600+1800))},
		{"timestamptz", "infinity", codec.Timestamp{InfinityModifier: codec.Infinity}},
		{"date", "-infinity", codec.Timestamp{InfinityModifier: codec.NegativeInfinity}},
		{"varbit", "101", codec.BitString{Bytes: []byte{0xa0}, Len: 3}},
		{"int4[]", "{1,2}", []int32{1, 2}}, {"int8[]", "{}", []int64{}}, {"int4[]", "{{1,2},{3,4}}", [][]int{{1, 2}, {3, 4}}},
		{"int4[]", "{NULL,7}", []*int32{nil, &x}}, {"int4[]", "NULL", []int32(nil)},
		{"text[]", `{a,"b,c","",NULL}`, []any{"a", "b,c", "", nil}}, {"text[]", `{"x y"}`, []string{"x y"}},
		{"text[]", `{{a,b},{c,d}}`, [][]string{{"a", "b"}, {"c", "d"}}},
		{"float8[]", "{NaN,-0,Infinity}", []float64{math.NaN(), math.Copysign(0, -1), math.Inf(1)}},
		{"bytea[]", `{"\\x01",NULL}`, [][]byte{{1}, nil}},
		{"numeric[]", "{1.50,NaN}", []codec.Numeric{mustNumeric(t, "1.50"), codec.NumericNaN}},
		{"uuid[]", "{00000000-0000-0000-0000-000000000001}", []codec.UUID{{15: 1}}},
		{"timestamptz[]", `{"2024-01-01 00:00:00+00",infinity}`, []any{utc(2024, 1, 1, 0, 0, 0, 0), codec.Infinity}},
		{"int4range", "[1,5)", codec.Range{Lower: 1, Upper: 5, LowerInclusive: true}},
		{"int8range", "(,0]", codec.Range{Upper: int64(0), UpperInclusive: true, LowerUnbounded: true}},
	}
	for _, tc := range cases {
		lit := "NULL::" + tc.typ
		if tc.lit != "NULL" {
			lit = sqlLit(tc.lit, tc.typ)
		}
		check := func(t *testing.T) {
			vals, _, err := queryRow(c.ctx, c.s, false, fmt.Sprintf("SELECT $1::%s::text, (%s)::text", tc.typ, lit), tc.param)
			if err != nil {
				t.Errorf("%s: %T %s: %v", tc.typ, tc.param, show(tc.param), err)
				return
			}
			if !same(vals[0], vals[1]) {
				t.Errorf("%s: %T %s: server prints the parameter as %s, the literal %s as %s",
					tc.typ, tc.param, show(tc.param), show(vals[0]), lit, show(vals[1]))
			}
		}
		check(t)
	}
	// What Scan makes of NULL and of an empty array must go back as it came.
	var null, empty []int32
	if err := c.s.QueryRow(c.ctx, "SELECT NULL::int4[], '{}'::int4[]").Scan(&null, &empty); err != nil || null != nil || empty == nil {
		t.Fatalf("scan NULL and {} into []int32: %v %v %v", null, empty, err)
	}
	t.Run("scanned NULL array back", func(t *testing.T) {
		var isNull bool
		if err := c.s.QueryRow(c.ctx, "SELECT $1::int4[] IS NULL", null).Scan(&isNull); err != nil || !isNull {
			t.Errorf("NULL int4[] scanned into []int32 and sent back: IS NULL = %v, %v", isNull, err)
		}
	})
}

// TestTypesWithDeadline runs typed queries under a context that can end,
// as real callers do: the cancel watch each command arms must not race with
// the connection answering it (it once did: the watch was armed after the
// command was already in the mailbox).
func TestTypesWithDeadline(t *testing.T) {
	{
		s := connect(t, dsn(t, pgtest.Trust))
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		for i := range 200 {
			var got int64
			if err := s.QueryRow(ctx, "SELECT $1::int8 * 2", int64(i)).Scan(&got); err != nil || got != int64(2*i) {
				t.Fatalf("%d: %d %v", i, got, err)
			}
		}
	}
}
