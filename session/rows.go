package session

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"strconv"
	"strings"

	"github.com/pgactor/pgactor/actor"
	"github.com/pgactor/pgactor/futures"
	"github.com/pgactor/pgactor/wire"
	"github.com/pgactor/pgactor/wire/codec"
)

// CommandTag is what the server said about a finished command, such as
// "INSERT 0 3" or "SELECT 10".
type CommandTag struct {
	tag  string
	rows int64
}

// String returns the tag as the server sent it.
func (t CommandTag) String() string { return t.tag }

// RowsAffected returns the row count the tag carries.
func (t CommandTag) RowsAffected() int64 { return t.rows }

// Insert, Update, Delete and Select report the kind of command.
func (t CommandTag) Insert() bool { return strings.HasPrefix(t.tag, "INSERT") }
func (t CommandTag) Update() bool { return strings.HasPrefix(t.tag, "UPDATE") }
func (t CommandTag) Delete() bool { return strings.HasPrefix(t.tag, "DELETE") }
func (t CommandTag) Select() bool { return strings.HasPrefix(t.tag, "SELECT") }

func tagOf(c actor.Completion) CommandTag { return CommandTag{tag: c.Tag, rows: c.Rows} }

// Rows is the result of a query, read row by row in the caller's goroutine.
// Rows arrive from the connection in batches; decoding (Scan, Values)
// happens here, not on the connection. A Rows is used by one goroutine.
//
// Always read a Rows to the end or Close it. A few batches (by default up to
// 4 × 256 rows) are buffered for a consumer that has not caught up; past
// that the connection stops reading until the consumer takes more, which
// is how a slow consumer slows the server instead of growing memory. A Rows
// that is held unread therefore holds up the commands queued behind it on
// the same connection, as an unclosed rows object would hold a pgx
// connection busy. A caller who gave up awaiting the Query's future
// (Await's context ended) never holds the Rows: the library cancels the
// query and discards its rows itself.
type Rows struct {
	ctx    context.Context
	cmd    *actor.Command
	a      *actor.Actor                  // the connection running cmd
	stream *futures.Stream[actor.RawRow] // nil: the whole result comes with the completion
	tail   bool                          // the completion's rows were taken
	done   bool
	// compSet: the command's outcome came with the rows (a result that
	// needed no stream, see pendingQuery.Done): its rows are in batch, its
	// tag in tag, its error in compErr.
	compSet bool
	cols    *wire.RowDescription
	reg     *codec.Registry
	types   *typeCache // loads codecs for unknown column types; nil: none
	opts    codec.Options

	batch []actor.RawRow
	i     int // the current row is batch[i-1]
	// Where the current row's columns lie in its body (wire.IndexDataRow):
	// offsets, not views, so that reading a row stores no pointer.
	idx   []int32
	ncols int
	raw   [][]byte             // what RawValues returned last
	cur   *wire.RowDescription // the description the current row follows
	next  *wire.RowDescription // Next stopped where this result set begins (SimpleQuery)

	plans    []codec.ScanPlan // per column of planFor
	planFor  *wire.RowDescription
	typesFor *wire.RowDescription // the description loadColumns last saw
	err      error
	tag      CommandTag
	compErr  error

	q *pendingQuery // the query whose trace ends with the rows
}

// completion returns the command's outcome, waiting for it if it did not
// come with the rows: the query records it (pendingQuery.Done) before the
// stream ends, so the end of the stream is what is waited for.
func (r *Rows) completion() (actor.Completion, error) {
	if r.compSet {
		return actor.Completion{Tag: r.tag.tag, Rows: r.tag.rows}, r.compErr
	}
	if err := r.streamEnd(); err != nil {
		return actor.Completion{}, err
	}
	q := r.q
	return actor.Completion{Tag: q.endTag.tag, Rows: q.endTag.rows}, q.endErr
}

// streamEnd waits until the producer finished the stream (what is still
// buffered is recycled unread), or until the context ends.
func (r *Rows) streamEnd() error {
	c := r.stream.C()
	for {
		select {
		case b, ok := <-c:
			if !ok {
				return nil
			}
			r.stream.Recycle(b)
			continue
		default:
		}
		select {
		case b, ok := <-c:
			if !ok {
				return nil
			}
			r.stream.Recycle(b)
		case <-r.ctx.Done():
			return fmt.Errorf("%w: %w", actor.ErrCanceled, context.Cause(r.ctx))
		}
	}
}

// ended ends the query's trace with how the rows ended.
// Rows closed early end without an error, as Close reports.
func (r *Rows) ended() {
	if r.q != nil {
		err := r.err
		if errors.Is(err, futures.ErrCanceled) {
			err = nil
		}
		r.q.traceEnd(r.tag, err)
	}
}

// detach lets go of the query behind rows that ended, when the caller
// holds the rows apart from it (Query's queryOut): the query goes back to
// queryPool if the actor is done with its command. Nothing of the rows
// looks at the query afterwards.
func (r *Rows) detach() {
	q := r.q
	if q == nil || q.out == nil || &q.out.rows != r {
		return
	}
	r.q, r.cmd, r.a, r.stream, r.batch = nil, nil, nil, nil, nil
	q.letGo()
}

// abandon lets go of rows nobody will read: the connection discards what
// is left, and the server is asked to stop running the query. It must not
// block (it may run on the connection's goroutine).
func (r *Rows) abandon() {
	if r.q != nil && r.q.traced {
		r.q.traceEnd(CommandTag{}, errRowsAbandoned)
	}
	if r.cmd == nil {
		return // the rows ended and let go of their query (detach)
	}
	if r.cmd.Answered() || r.compSet {
		return // the whole result is here already; nothing holds the connection
	}
	if r.stream != nil {
		r.stream.Cancel()
	}
	r.a.Cancel(r.cmd)
}

// Columns describes the result columns (nil for a command without rows):
// those of the current result set, when a SimpleQuery has several.
func (r *Rows) Columns() []wire.FieldDescription {
	if r.cols == nil {
		return nil
	}
	return r.cols.Fields
}

// Next advances to the next row, reporting false at the end or on error
// (see Err), and at the end of a result set that another follows (see
// NextResultSet).
func (r *Rows) Next() bool {
	if r.done || r.next != nil {
		return false
	}
	for r.i >= len(r.batch) {
		if r.stream == nil {
			// A small result: every row came with the completion.
			if r.tail {
				r.finish()
				return false
			}
			r.tail = true
			comp, err := r.completion()
			if err != nil {
				r.finish()
				return false
			}
			r.batch, r.i = comp.Batch, 0
			continue
		}
		if r.batch != nil {
			r.stream.Recycle(r.batch)
			r.batch = nil
		}
		b, ok := r.stream.Next(r.ctx)
		if !ok {
			r.finish()
			return false
		}
		r.batch, r.i = b, 0
	}
	row := r.batch[r.i]
	r.i++
	if row.Data == nil {
		// A later statement's result set begins here (see actor.RawRow).
		r.next, r.cur = row.Columns, nil
		return false
	}
	if n := wire.DataRowWidth(row.Data); n > len(r.idx) {
		r.idx = make([]int32, n)
	}
	n, err := wire.IndexDataRow(row.Data, r.idx)
	if err != nil {
		r.err = err
		r.Close()
		return false
	}
	r.ncols = n
	if r.cur != row.Columns {
		r.cur = row.Columns
	}
	return true
}

// value returns column i of the current row.
func (r *Rows) value(i int) []byte {
	return wire.DataRowValue(r.batch[r.i-1].Data, r.idx[i])
}

// NextResultSet moves on to the next result set of a SimpleQuery of
// several statements, discarding what is left of the current one, and
// reports whether there is one; Columns then describes it and Next reads
// its rows. Each statement that returns rows (SELECT, VALUES, ...
// RETURNING, SHOW), even none, has a result set; the others (SET, CREATE,
// an INSERT without RETURNING) have none. The Rows begins on the first
// result set, so a query of one statement has no next one:
//
//	rows, err := s.SimpleQuery(ctx, "SELECT 1; SELECT 'a', 'b'").Await(ctx)
//	for more := true; more; more = rows.NextResultSet() {
//		for rows.Next() { ... }
//	}
//	err = rows.Close()
//
// When a statement fails, the statements behind it do not run: the
// result sets end there and Err reports the failure.
func (r *Rows) NextResultSet() bool {
	for r.next == nil && r.Next() {
	}
	if r.next == nil {
		return false
	}
	r.cols, r.next = r.next, nil
	return true
}

// finish records how the result ended.
func (r *Rows) finish() {
	r.done = true
	defer r.detach() // after ended, which the trace needs the query for
	defer r.ended()
	comp, err := r.completion()
	if err == nil && r.stream != nil {
		err = r.stream.Err()
	}
	if err != nil {
		if r.err == nil {
			r.err = wrapCtx(r.ctx, err)
		}
		return
	}
	r.tag = tagOf(comp)
}

// Scan decodes the current row into dest, one destination per column:
// pointers to Go values, **T for nullable values, *any, sql.Scanner, or a
// codec.Decoder. nil skips a column.
func (r *Rows) Scan(dest ...any) error {
	if r.cur == nil || r.done {
		return errors.New("pgactor: Scan called without a current row (call Next first)")
	}
	if len(dest) != r.ncols {
		return fmt.Errorf("pgactor: Scan: %d destinations for %d columns", len(dest), r.ncols)
	}
	if r.planFor != r.cur {
		// Look each column's codec up once per result, not once per value.
		r.loadColumns(r.cur)
		r.plans = r.plans[:0]
		for i := range r.cur.Fields {
			r.plans = append(r.plans, r.reg.PlanScan(r.cur.Fields[i].TypeOID))
		}
		r.planFor = r.cur
	}
	for i, d := range dest {
		if d == nil {
			continue
		}
		f, v := &r.cur.Fields[i], r.value(i)
		err := r.plans[i].Scan(f.Name, f.Format, v, d, &r.opts)
		for try := 0; err != nil && try < maxNestedLoads && r.loadNested(err); try++ {
			err = r.plans[i].Scan(f.Name, f.Format, v, d, &r.opts)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// maxNestedLoads bounds the lookups one value may trigger (each names one
// more unknown type inside a record).
const maxNestedLoads = 4

// Values decodes the current row into its natural Go values.
func (r *Rows) Values() ([]any, error) {
	if r.cur == nil || r.done {
		return nil, errors.New("pgactor: Values called without a current row")
	}
	r.loadColumns(r.cur)
	out := make([]any, r.ncols)
	for i := range out {
		f, raw := &r.cur.Fields[i], r.value(i)
		v, err := r.reg.DecodeValue(f.TypeOID, f.Format, raw, &r.opts)
		for try := 0; err != nil && try < maxNestedLoads && r.loadNested(err); try++ {
			v, err = r.reg.DecodeValue(f.TypeOID, f.Format, raw, &r.opts)
		}
		if err != nil {
			return nil, &ColumnError{Column: f.Name, Index: i, Err: err}
		}
		out[i] = v
	}
	return out, nil
}

// RawValues returns the current row's undecoded values (nil for NULL),
// or nil when there is no current row; they stay valid until the next
// call to Next.
func (r *Rows) RawValues() [][]byte {
	if r.cur == nil || r.done {
		return nil
	}
	r.raw = r.raw[:0]
	for i := range r.ncols {
		r.raw = append(r.raw, r.value(i))
	}
	return r.raw
}

// Err returns the error that ended the rows, if any.
func (r *Rows) Err() error { return r.err }

// CommandTag returns the tag once every row was read (or after Close).
func (r *Rows) CommandTag() CommandTag { return r.tag }

// Close stops reading: the connection discards the rest of the result. It
// waits until the command ended and returns its error, if any.
func (r *Rows) Close() error {
	if !r.done {
		if r.stream != nil {
			r.stream.Cancel()
		}
		r.done = true
		comp, err := r.completion()
		if err != nil && r.err == nil {
			r.err = wrapCtx(r.ctx, err)
		}
		if err == nil {
			r.tag = tagOf(comp)
		}
		r.ended()
		r.detach()
	}
	if errors.Is(r.err, futures.ErrCanceled) {
		return nil
	}
	return r.err
}

// All iterates over the rows: for row, err := range rows.All() { row.Scan(...) }.
// The *Rows yielded is r itself, positioned on the row. The iteration ends
// with a final (nil, err) when the result failed; breaking out closes r.
func (r *Rows) All() iter.Seq2[*Rows, error] {
	return func(yield func(*Rows, error) bool) {
		defer r.Close()
		for r.Next() {
			if !yield(r, nil) {
				return
			}
		}
		if r.err != nil {
			yield(nil, r.err)
		}
	}
}

// Chan delivers each row's decoded values on a channel, closed at the end;
// Err reports the outcome afterwards. Rows still travel from the connection
// in batches; the goroutine Chan starts decodes them. Cancel ctx to stop
// early (the rows are then closed).
func (r *Rows) Chan(ctx context.Context) <-chan []any {
	out := make(chan []any, 64)
	go func() {
		defer close(out)
		defer r.Close()
		for r.Next() {
			v, err := r.Values()
			if err != nil {
				r.err = err
				return
			}
			select {
			case out <- v:
			case <-ctx.Done():
				r.err = ctx.Err()
				return
			}
		}
	}()
	return out
}

// Row is the result of QueryRow: one row, read by Scan.
type Row struct {
	fut *futures.Future[*Rows]
	ctx context.Context
	q   *pendingQuery // recycled after Scan, when set
}

// errRowsAbandoned ends the trace of a query whose caller stopped waiting
// for its rows.
var errRowsAbandoned = errors.New("pgactor: the caller stopped waiting for the rows; they were discarded")

// ErrRowScanned is returned by a second Scan of the same Row.
var ErrRowScanned = errors.New("pgactor: Row.Scan called twice")

// Scan reads the first row into dest and discards the rest; ErrNoRows when
// there is none. A Row can be scanned once.
func (r *Row) Scan(dest ...any) error {
	if r.fut == nil {
		return ErrRowScanned
	}
	err := r.scan(dest)
	r.fut = nil
	if q := r.q; q != nil {
		r.q = nil
		q.letGo()
	}
	return err
}

func (r *Row) scan(dest []any) error {
	wait := r.ctx
	if q := r.q; q != nil && q.cmd.ContextWatched() {
		// The connection answers the query as soon as its context (the
		// Row's) ends: waiting on the context as well would only make every
		// waiter take the lock of its shared channel. Should the query be
		// routed again meanwhile, retry watches the context itself.
		wait = context.Background()
	}
	rows, err := r.fut.Await(wait)
	if err != nil {
		return wrapCtx(r.ctx, err)
	}
	defer rows.Close()
	if !rows.Next() {
		if rows.Err() != nil {
			return rows.Err()
		}
		return ErrNoRows
	}
	if err := rows.Scan(dest...); err != nil {
		return err
	}
	return rows.Close()
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
