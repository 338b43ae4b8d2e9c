package session

import (
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/pgactor/pgactor/actor"
	"github.com/pgactor/pgactor/wire/codec"
)

// Identifier is a possibly qualified SQL name, such as {"public", "users"}.
type Identifier []string

// Sanitize quotes each part ("a"."b"), doubling embedded quotes and
// dropping NUL bytes, so any string is safe to put in SQL as a name.
func (id Identifier) Sanitize() string {
	parts := make([]string, len(id))
	for i, p := range id {
		p = strings.ReplaceAll(p, "\x00", "")
		parts[i] = `"` + strings.ReplaceAll(p, `"`, `""`) + `"`
	}
	return strings.Join(parts, ".")
}

// CopyFromSource yields the rows of a CopyFrom, one Values per Next.
type CopyFromSource interface {
	Next() bool
	Values() ([]any, error)
	Err() error
}

// CopyFromRows is a CopyFromSource over rows in memory.
func CopyFromRows(rows [][]any) CopyFromSource {
	return CopyFromSlice(len(rows), func(i int) ([]any, error) { return rows[i], nil })
}

// CopyFromSlice is a CopyFromSource of n rows produced by next(i).
func CopyFromSlice(n int, next func(i int) ([]any, error)) CopyFromSource {
	return &sliceSource{n: n, next: next, i: -1}
}

type sliceSource struct {
	n    int
	next func(int) ([]any, error)
	i    int
	err  error
}

func (s *sliceSource) Next() bool {
	s.i++
	return s.i < s.n
}

func (s *sliceSource) Values() ([]any, error) { return s.next(s.i) }
func (s *sliceSource) Err() error             { return s.err }

// copyChunk is the size of the pieces COPY data travels in.
const copyChunk = 64 << 10

// copyChunks bounds the chunks one CopyFrom fills: the producer, two
// waiting on the data channel and one the connection copies out, which
// comes back on the free channel (of room for all but one).
const copyChunks = 4

// spareChunks keeps the chunks of finished copies for the next ones, so
// that a program copying again and again does not make its buffers anew
// each time. It holds at most what one copy uses.
var spareChunks = make(chan []byte, copyChunks)

// newChunk returns an empty chunk, a spare one when there is one.
func newChunk() []byte {
	select {
	case c := <-spareChunks:
		return c[:0]
	default:
		return make([]byte, 0, copyChunk+4096)
	}
}

// spareChunk keeps c for a later copy if there is room.
func spareChunk(c []byte) {
	if cap(c) < copyChunk {
		return
	}
	select {
	case spareChunks <- c[:0]:
	default:
	}
}

// copyFrom runs COPY table (columns) FROM STDIN on t with src's rows in
// COPY's text format, encoding in the caller's goroutine while the
// connection sends what is ready. It returns the number of rows copied.
func copyFrom(ctx context.Context, x *common, t target, table Identifier, columns []string, src CopyFromSource) (int64, error) {
	var cols strings.Builder
	for i, c := range columns {
		if i > 0 {
			cols.WriteString(", ")
		}
		cols.WriteString(Identifier{c}.Sanitize())
	}
	// The binary format is cheaper for the server to read, but needs the
	// column types: ask for them first. When that fails, or a type has no
	// binary codec here, the text format does the job.
	oids := describeColumns(ctx, x, t, table, cols.String())
	var sql strings.Builder
	sql.WriteString("COPY ")
	sql.WriteString(table.Sanitize())
	if len(columns) > 0 {
		sql.WriteString(" (" + cols.String() + ")")
	}
	sql.WriteString(" FROM STDIN")
	if oids != nil {
		sql.WriteString(" (FORMAT binary)")
	}

	data := make(chan []byte, 2)
	free := make(chan []byte, 3)
	var perr error // written before data is closed; read by the actor after
	cmd := &actor.Command{Kind: actor.CmdCopyIn, SQL: sql.String(), CopySource: data,
		CopyErr: func() error { return perr }, CopyRecycle: free}
	tr := x.copyStart(ctx, CopyStartData{SQL: cmd.SQL, In: true, Table: table, Columns: columns})
	sendTo(ctx, t, cmd, nil)

	enc := &copyEncoder{x: x, oids: oids, ncols: len(columns), free: free}
	if oids != nil {
		enc.ncols = len(oids)
	}
	perr = enc.produce(ctx, cmd, data, src)
	close(data)
	comp, err := cmd.Result.Await(ctx)
	if _, _, answered := cmd.Result.Result(); answered {
		// The connection is done with the copy, so with its chunks: those
		// it copied out came back on free, those it never took are still
		// in data.
		for len(free) > 0 {
			spareChunk(<-free)
		}
		for c := range data {
			spareChunk(c)
		}
	}
	if err != nil {
		if perr != nil {
			err = fmt.Errorf("pgactor: copy from: %w (server: %w)", perr, err)
		} else {
			err = wrapCtx(ctx, err)
		}
		x.copyEnd(tr, 0, err)
		return 0, err
	}
	x.copyEnd(tr, comp.Rows, nil)
	return comp.Rows, nil
}

// copyTrace is a COPY being traced.
type copyTrace struct {
	ctx   context.Context // the tracer's
	sql   string
	start time.Duration
}

// copyStart tells a CopyTracer a COPY starts; logs it with LogQueries.
func (x *common) copyStart(ctx context.Context, d CopyStartData) copyTrace {
	tr := copyTrace{ctx: ctx, sql: d.SQL, start: monoNow()}
	if x.trace.copy != nil {
		tr.ctx = x.trace.copy.TraceCopyStart(ctx, d)
	}
	x.logQuery(ctx, d.SQL, nil)
	return tr
}

// copyEnd tells the CopyTracer how the COPY ended.
func (x *common) copyEnd(tr copyTrace, rows int64, err error) {
	if x.trace.copy != nil {
		x.trace.copy.TraceCopyEnd(tr.ctx, CopyEndData{Rows: rows, Err: err, Duration: monoNow() - tr.start})
	}
	x.logFailure(tr.ctx, tr.sql, err)
}

// describeColumns returns the type OIDs of the copied columns when every
// one can be written in binary, else nil.
func describeColumns(ctx context.Context, x *common, t target, table Identifier, cols string) []uint32 {
	if cols == "" {
		cols = "*"
	}
	cmd := &actor.Command{Kind: actor.CmdPrepare, SQL: "SELECT " + cols + " FROM " + table.Sanitize()}
	sendTo(ctx, t, cmd, nil)
	comp, err := cmd.Result.Await(ctx)
	if err != nil || comp.Info == nil || comp.Info.Columns == nil {
		return nil // the COPY itself will say what is wrong
	}
	oids := make([]uint32, len(comp.Info.Columns.Fields))
	for i, f := range comp.Info.Columns.Fields {
		c, ok := x.reg.Lookup(f.TypeOID)
		if !ok || !c.DecodesBinary() {
			return nil
		}
		oids[i] = f.TypeOID
	}
	return oids
}

// copyEncoder writes rows in COPY's text format, or in its binary format
// when the column types are known (oids).
type copyEncoder struct {
	x     *common
	oids  []uint32
	ncols int
	free  <-chan []byte // chunks the connection copied out, to fill again
}

// textLike are the types whose binary form is their text: a value the
// codec gives as text is already binary for them.
var textLike = map[uint32]bool{25: true, 1043: true, 1042: true, 19: true, 114: true, 705: true}

// plainColumns marks the columns whose codec is the built-in one of a type
// appendPlain writes itself: for those the registry is asked once per COPY,
// not once per value.
func (e *copyEncoder) plainColumns() []bool {
	plain := make([]bool, len(e.oids))
	def := codec.Default()
	for i, oid := range e.oids {
		switch oid {
		case codec.OIDInt8, codec.OIDInt4, codec.OIDInt2, codec.OIDText, codec.OIDVarchar, codec.OIDFloat8, codec.OIDFloat4, codec.OIDBool:
		default:
			continue
		}
		mine, ok1 := e.x.reg.Lookup(oid)
		builtin, ok2 := def.Lookup(oid)
		plain[i] = ok1 && ok2 && mine == builtin
	}
	return plain
}

// appendPlain appends one field of a binary COPY row for the commonest
// pairs of column type and Go type, and reports false for the rest.
func appendPlain(chunk []byte, oid uint32, v any) ([]byte, bool) {
	switch x := v.(type) {
	case nil:
		return binary.BigEndian.AppendUint32(chunk, 0xffffffff), true
	case int64:
		switch {
		case oid == codec.OIDInt8:
			return binary.BigEndian.AppendUint64(binary.BigEndian.AppendUint32(chunk, 8), uint64(x)), true
		case oid == codec.OIDInt4 && x == int64(int32(x)):
			return binary.BigEndian.AppendUint32(binary.BigEndian.AppendUint32(chunk, 4), uint32(x)), true
		}
	case int:
		switch {
		case oid == codec.OIDInt8:
			return binary.BigEndian.AppendUint64(binary.BigEndian.AppendUint32(chunk, 8), uint64(x)), true
		case oid == codec.OIDInt4 && x == int(int32(x)):
			return binary.BigEndian.AppendUint32(binary.BigEndian.AppendUint32(chunk, 4), uint32(x)), true
		}
	case int32:
		switch oid {
		case codec.OIDInt8:
			return binary.BigEndian.AppendUint64(binary.BigEndian.AppendUint32(chunk, 8), uint64(int64(x))), true
		case codec.OIDInt4:
			return binary.BigEndian.AppendUint32(binary.BigEndian.AppendUint32(chunk, 4), uint32(x)), true
		}
	case int16:
		if oid == codec.OIDInt2 {
			return binary.BigEndian.AppendUint16(binary.BigEndian.AppendUint32(chunk, 2), uint16(x)), true
		}
	case string:
		if (oid == codec.OIDText || oid == codec.OIDVarchar) && utf8.ValidString(x) && strings.IndexByte(x, 0) < 0 {
			chunk = binary.BigEndian.AppendUint32(chunk, uint32(len(x)))
			return append(chunk, x...), true
		}
	case float64:
		if oid == codec.OIDFloat8 {
			return binary.BigEndian.AppendUint64(binary.BigEndian.AppendUint32(chunk, 8), math.Float64bits(x)), true
		}
	case float32:
		if oid == codec.OIDFloat4 {
			return binary.BigEndian.AppendUint32(binary.BigEndian.AppendUint32(chunk, 4), math.Float32bits(x)), true
		}
	case bool:
		if oid == codec.OIDBool {
			b := byte(0)
			if x {
				b = 1
			}
			return append(binary.BigEndian.AppendUint32(chunk, 1), b), true
		}
	}
	return chunk, false
}

// appendBinary appends one field of a binary COPY row.
func (e *copyEncoder) appendBinary(chunk []byte, oid uint32, v any, opts *codec.Options) ([]byte, error) {
	at := len(chunk)
	chunk = append(chunk, 0, 0, 0, 0)
	out, format, null, err := e.x.reg.AppendParam(chunk, oid, v, opts)
	if err != nil {
		return chunk[:at], err
	}
	if null {
		binary.BigEndian.PutUint32(chunk[at:], 0xffffffff)
		return chunk, nil
	}
	if format != codec.BinaryFormat && oid == codec.OIDJSONB {
		// jsonb's binary form is a version byte, 1, then the text.
		out = append(out, 0)
		copy(out[at+5:], out[at+4:])
		out[at+4] = 1
		format = codec.BinaryFormat
	}
	if format != codec.BinaryFormat && !textLike[oid] {
		// The codec chose text for this value (a string for a number, say):
		// read it back as the column's type and write that in binary.
		c, _ := e.x.reg.Lookup(oid)
		nat, derr := c.Decode(codec.TextFormat, out[at+4:], opts)
		if derr != nil {
			return chunk[:at], derr
		}
		if out, format, err = c.Encode(chunk[:at+4], nat, opts); err != nil || format != codec.BinaryFormat {
			if err == nil {
				err = fmt.Errorf("no binary form for %T as %s", v, c.Name())
			}
			return chunk[:at], err
		}
	}
	binary.BigEndian.PutUint32(out[at:], uint32(len(out)-at-4))
	return out, nil
}

// produceCopy encodes src into chunks on data until the end, an error, or
// the command ending early; it returns the producer's error.
func (e *copyEncoder) produce(ctx context.Context, cmd *actor.Command, data chan<- []byte, src CopyFromSource) error {
	opts := e.x.options(nil)
	ncols := e.ncols
	chunk := newChunk()
	made := 1 // chunks made; past copyChunks, wait for one to come back
	var scratch []byte
	put := func() bool {
		select {
		case data <- chunk:
			return true
		case <-cmd.Result.Done():
		case <-ctx.Done():
		}
		return false
	}
	send := func() bool {
		if !put() {
			return false
		}
		if made < copyChunks {
			select {
			case chunk = <-e.free:
			default:
				chunk = newChunk()
				made++
			}
			return true
		}
		select {
		case chunk = <-e.free:
			return true
		case <-cmd.Result.Done():
		case <-ctx.Done():
		}
		chunk = nil // sent: the connection's now
		return false
	}
	var plain []bool
	if e.oids != nil {
		plain = e.plainColumns()
		chunk = append(chunk, "PGCOPY\n\xff\r\n\x00"...)
		chunk = append(chunk, 0, 0, 0, 0, 0, 0, 0, 0) // flags, header extension length
	}
	row := 0
	for src.Next() {
		row++
		vals, err := src.Values()
		if err != nil {
			return fmt.Errorf("row %d: %w", row, err)
		}
		if ncols > 0 && len(vals) != ncols {
			return fmt.Errorf("row %d has %d values for %d columns", row, len(vals), ncols)
		}
		if e.oids != nil {
			chunk = binary.BigEndian.AppendUint16(chunk, uint16(len(vals)))
			for i, v := range vals {
				if plain[i] {
					var ok bool
					if chunk, ok = appendPlain(chunk, e.oids[i], v); ok {
						continue
					}
				}
				if chunk, err = e.appendBinary(chunk, e.oids[i], v, &opts); err != nil {
					return fmt.Errorf("row %d, column %d: %w", row, i+1, err)
				}
			}
			if len(chunk) >= copyChunk && !send() {
				return nil
			}
			continue
		}
		for i, v := range vals {
			if i > 0 {
				chunk = append(chunk, '\t')
			}
			// The commonest types skip the registry: their text form is
			// plain and needs no escaping.
			switch v := v.(type) {
			case nil:
				chunk = append(chunk, '\\', 'N')
				continue
			case int64:
				chunk = strconv.AppendInt(chunk, v, 10)
				continue
			case int:
				chunk = strconv.AppendInt(chunk, int64(v), 10)
				continue
			case int32:
				chunk = strconv.AppendInt(chunk, int64(v), 10)
				continue
			case string:
				chunk = appendCopyText(chunk, v)
				continue
			case float64:
				if !math.IsInf(v, 0) && !math.IsNaN(v) {
					chunk = strconv.AppendFloat(chunk, v, 'g', -1, 64)
					continue
				}
			}
			var null bool
			scratch, null, err = e.x.reg.AppendText(scratch[:0], 0, v, &opts)
			if err != nil {
				return fmt.Errorf("row %d, column %d: %w", row, i+1, err)
			}
			if null {
				chunk = append(chunk, '\\', 'N')
				continue
			}
			chunk = appendCopyText(chunk, scratch)
		}
		chunk = append(chunk, '\n')
		if len(chunk) >= copyChunk && !send() {
			return nil // the command ended early; its error says why
		}
	}
	if err := src.Err(); err != nil {
		return err
	}
	if e.oids != nil {
		chunk = append(chunk, 0xff, 0xff) // file trailer
	}
	if len(chunk) > 0 {
		put()
	}
	return nil
}

// appendCopyText escapes a value for COPY's text format.
func appendCopyText[T string | []byte](dst []byte, v T) []byte {
	for i := 0; i < len(v); i++ {
		b := v[i]
		switch b {
		case '\\':
			dst = append(dst, '\\', '\\')
		case '\n':
			dst = append(dst, '\\', 'n')
		case '\r':
			dst = append(dst, '\\', 'r')
		case '\t':
			dst = append(dst, '\\', 't')
		default:
			dst = append(dst, b)
		}
	}
	return dst
}

// CopyFrom copies src's rows into table (columns) with COPY FROM STDIN and
// returns the number of rows. Commands other goroutines send meanwhile
// wait behind the copy.
func (s *Session) CopyFrom(ctx context.Context, table Identifier, columns []string, src CopyFromSource) (int64, error) {
	return copyFrom(ctx, &s.common, s, table, columns, src)
}

// CopyFrom is Session.CopyFrom inside the transaction.
func (tx *Tx) CopyFrom(ctx context.Context, table Identifier, columns []string, src CopyFromSource) (int64, error) {
	return copyFrom(ctx, tx.x, tx, table, columns, src)
}

// CopyFrom is Session.CopyFrom on the acquired connection.
func (c *Conn) CopyFrom(ctx context.Context, table Identifier, columns []string, src CopyFromSource) (int64, error) {
	return copyFrom(ctx, &c.p.common, c, table, columns, src)
}

// CopyFrom takes a connection for the copy (so multiplexed commands do not
// queue behind it), copies, and gives the connection back.
func (p *Pool) CopyFrom(ctx context.Context, table Identifier, columns []string, src CopyFromSource) (int64, error) {
	c, err := p.Acquire(ctx)
	if err != nil {
		return 0, err
	}
	defer c.Release()
	return c.CopyFrom(ctx, table, columns, src)
}

// copyTo runs sql, a COPY ... TO STDOUT, on t and writes the data to w as it
// arrives (in batches, with backpressure: a slow w slows the server). It
// returns the number of rows the server reports.
func copyTo(ctx context.Context, x *common, t target, w io.Writer, sql string) (int64, error) {
	cmd := &actor.Command{Kind: actor.CmdCopyOut, SQL: sql, Rows: actor.NewRowStream(4)}
	tr := x.copyStart(ctx, CopyStartData{SQL: sql})
	sendTo(ctx, t, cmd, nil)
	var werr error
	for {
		batch, ok := cmd.Rows.Next(ctx)
		if !ok {
			break
		}
		for _, r := range batch {
			if werr == nil {
				_, werr = w.Write(r.Data)
			}
		}
		cmd.Rows.Recycle(batch)
		if werr != nil {
			cmd.Rows.Cancel() // the connection discards the rest
			break
		}
	}
	comp, err := cmd.Result.Await(ctx)
	switch {
	case werr != nil:
		err = fmt.Errorf("pgactor: copy to: write: %w", werr)
	case err != nil:
		err = wrapCtx(ctx, err)
	default:
		if serr := cmd.Rows.Err(); serr != nil {
			err = wrapCtx(ctx, serr)
		}
	}
	if err != nil {
		x.copyEnd(tr, 0, err)
		return 0, err
	}
	x.copyEnd(tr, comp.Rows, nil)
	return comp.Rows, nil
}

// CopyTo runs sql, a COPY ... TO STDOUT, and writes what it produces to w.
func (s *Session) CopyTo(ctx context.Context, w io.Writer, sql string) (int64, error) {
	return copyTo(ctx, &s.common, s, w, sql)
}

// CopyTo is Session.CopyTo inside the transaction.
func (tx *Tx) CopyTo(ctx context.Context, w io.Writer, sql string) (int64, error) {
	return copyTo(ctx, tx.x, tx, w, sql)
}

// CopyTo is Session.CopyTo on the acquired connection.
func (c *Conn) CopyTo(ctx context.Context, w io.Writer, sql string) (int64, error) {
	return copyTo(ctx, &c.p.common, c, w, sql)
}

// CopyTo runs a COPY ... TO STDOUT on a multiplexed connection: it is an
// ordinary command there, answered in turn like any query.
func (p *Pool) CopyTo(ctx context.Context, w io.Writer, sql string) (int64, error) {
	return copyTo(ctx, &p.common, p, w, sql)
}
