package session

import (
	"context"
	"log/slog"
	"net"
	"time"

	"github.com/pgactor/pgactor/wire/codec"
)

// Tracer observes what the driver does; plug OpenTelemetry or metrics in
// here. Methods are called from many goroutines, including connection
// goroutines, and must not block.
type Tracer interface {
	// QueryStart is called when a query or exec is sent.
	QueryStart(ctx context.Context, sql string, args []any)
	// QueryEnd is called when its outcome is known (for queries: when the
	// rows begin, or on failure).
	QueryEnd(ctx context.Context, sql string, d time.Duration, err error)
	// Connect is called after each connection attempt.
	Connect(ctx context.Context, host string, d time.Duration, err error)
	// PoolAcquire is called after Pool.Begin or Pool.Acquire got (or failed
	// to get) a connection.
	PoolAcquire(ctx context.Context, d time.Duration, err error)
}

// Options are the Go-side settings a connection string cannot carry.
type Options struct {
	// Logger receives connection events (connect, failures, closing) at
	// debug and warning levels. Queries and their arguments are logged only
	// with LogQueries; passwords never are. nil logs nothing.
	Logger     *slog.Logger
	LogQueries bool
	// Tracer, when set, is told about connects, queries and acquires.
	Tracer Tracer
	// Dialer dials connections; nil uses a net.Dialer.
	Dialer interface {
		DialContext(ctx context.Context, network, address string) (net.Conn, error)
	}
	// Types is the type registry for parameters and results; nil means
	// codec.Default(). Each Session and Pool decodes with its own overlay
	// of it, where types met unknown are loaded from pg_type by themselves
	// (see Pool.Types). Register your own codecs before connecting: an
	// overlay's loaded codecs win over ones registered later.
	Types *codec.Registry
	// IgnoreUnknownTypes decodes values of types the registry does not know
	// as their text; otherwise decoding them is an error naming the OID.
	IgnoreUnknownTypes bool
	// AfterConnect runs on each new connection before it is used.
	AfterConnect func(ctx context.Context, s *Session) error
}

func (x *common) traceStart(ctx context.Context, sql string, args []any) {
	if x.tracer != nil {
		x.tracer.QueryStart(ctx, sql, args)
	}
	if x.logQueries && x.logger != nil {
		x.logger.DebugContext(ctx, "pgactor: query", "sql", sql, "args", args)
	}
}

func (x *common) traceEnd(ctx context.Context, sql string, start time.Duration, err error) {
	if x.tracer != nil {
		x.tracer.QueryEnd(ctx, sql, monoNow()-start, err)
	}
	if err != nil && x.logQueries && x.logger != nil {
		x.logger.DebugContext(ctx, "pgactor: query failed", "sql", sql, "err", err)
	}
}

// monoNow reads the monotonic clock as a duration since the process
// started using it: 8 bytes to keep in every pending command, where a
// time.Time takes 24.
func monoNow() time.Duration { return time.Since(monoEpoch) }

var monoEpoch = time.Now()
