package wire

import (
	"strconv"

	"github.com/pgactor/pgactor/wire/codec"
)

// decodeOptions is what value decoding needs from the client: the type
// registry and the session facts the codec consults.
type decodeOptions struct {
	reg  *codec.Registry
	opts codec.Options
	c    *Client
}

func (d *decodeOptions) init(c *Client) {
	d.c = c
	d.reg = c.cfg.Types
	if d.reg == nil {
		d.reg = codec.Default()
	}
	d.opts.IgnoreUnknownTypes = c.cfg.IgnoreUnknownTypes
}

// options returns the codec options with the session's current TimeZone.
func (d *decodeOptions) options() *codec.Options {
	d.opts.Location = d.c.loc
	return &d.opts
}

// resultFormat picks the format BindExecute asks for: binary where the
// registry decodes the type in binary, text otherwise.
func (d *decodeOptions) resultFormat(oid uint32) int16 {
	return d.reg.ResultFormat(oid)
}

// Value decodes column i to its natural Go value (nil for NULL) with the
// client's type registry and the session's TimeZone.
func (r *DataRow) Value(i int) (any, error) {
	if i < 0 || i >= len(r.Values) {
		return nil, &UsageError{Op: "DataRow.Value", Msg: "column " + strconv.Itoa(i) + " out of range"}
	}
	if r.Columns == nil || r.opts == nil {
		return nil, &UsageError{Op: "DataRow.Value", Msg: "row has no description"}
	}
	f := &r.Columns.Fields[i]
	v, err := r.opts.reg.DecodeValue(f.TypeOID, f.Format, r.Values[i], r.opts.options())
	if err != nil {
		return nil, &ColumnError{Column: f.Name, Index: i, Err: err}
	}
	return v, nil
}

// ColumnError wraps a decoding error with the column it happened in.
type ColumnError struct {
	Column string
	Index  int
	Err    error
}

func (e *ColumnError) Error() string {
	return "column " + strconv.Quote(e.Column) + " (#" + strconv.Itoa(e.Index+1) + "): " + e.Err.Error()
}

func (e *ColumnError) Unwrap() error { return e.Err }

// CodecOptions returns the codec options of this session (registry
// defaults, current TimeZone), for decoding rows outside NextEvent.
func (c *Client) CodecOptions() codec.Options {
	return *c.decode.options()
}

// Registry returns the type registry the client encodes and decodes with.
func (c *Client) Registry() *codec.Registry { return c.decode.reg }

// Clone returns a copy of the row that survives the client's reuse of the
// DataRow event: its own Values slice (the value bytes are still shared
// views, which the client never overwrites) and the same decoding context.
func (r *DataRow) Clone() *DataRow {
	c := *r
	c.Values = append([][]byte(nil), r.Values...)
	return &c
}
