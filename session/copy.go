package session

import (
	"context"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/pgactor/pgactor/actor"
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

// copyFrom runs COPY table (columns) FROM STDIN on t with src's rows in
// COPY's text format, encoding in the caller's goroutine while the
// connection sends what is ready. It returns the number of rows copied.
func copyFrom(ctx context.Context, x *common, t target, table Identifier, columns []string, src CopyFromSource) (int64, error) {
	var sql strings.Builder
	sql.WriteString("COPY ")
	sql.WriteString(table.Sanitize())
	if len(columns) > 0 {
		sql.WriteString(" (")
		for i, c := range columns {
			if i > 0 {
				sql.WriteString(", ")
			}
			sql.WriteString(Identifier{c}.Sanitize())
		}
		sql.WriteString(")")
	}
	sql.WriteString(" FROM STDIN")

	data := make(chan []byte, 2)
	var perr error // written before data is closed; read by the actor after
	cmd := &actor.Command{Kind: actor.CmdCopyIn, SQL: sql.String(), CopySource: data,
		CopyErr: func() error { return perr }}
	start := time.Now()
	x.traceStart(ctx, cmd.SQL, nil)
	sendTo(ctx, t, cmd, nil)

	perr = produceCopy(ctx, x, cmd, data, src, len(columns))
	close(data)
	comp, err := cmd.Result.Await(ctx)
	x.traceEnd(ctx, cmd.SQL, start, err)
	if err != nil {
		if perr != nil {
			return 0, fmt.Errorf("pgactor: copy from: %w (server: %w)", perr, err)
		}
		return 0, wrapCtx(ctx, err)
	}
	return comp.Rows, nil
}

// produceCopy encodes src into chunks on data until the end, an error, or
// the command ending early; it returns the producer's error.
func produceCopy(ctx context.Context, x *common, cmd *actor.Command, data chan<- []byte, src CopyFromSource, ncols int) error {
	opts := x.options(nil)
	chunk := make([]byte, 0, copyChunk+4096)
	var scratch []byte
	send := func() bool {
		select {
		case data <- chunk:
			chunk = make([]byte, 0, copyChunk+4096)
			return true
		case <-cmd.Result.Done():
			return false
		case <-ctx.Done():
			return false
		}
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
			scratch, null, err = x.reg.AppendText(scratch[:0], 0, v, &opts)
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
	if len(chunk) > 0 {
		send()
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
	start := time.Now()
	x.traceStart(ctx, sql, nil)
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
	x.traceEnd(ctx, sql, start, err)
	switch {
	case werr != nil:
		return 0, fmt.Errorf("pgactor: copy to: write: %w", werr)
	case err != nil:
		return 0, wrapCtx(ctx, err)
	}
	if err := cmd.Rows.Err(); err != nil {
		return 0, wrapCtx(ctx, err)
	}
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
