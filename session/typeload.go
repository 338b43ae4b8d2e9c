package session

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pgactor/pgactor/actor"
	"github.com/pgactor/pgactor/wire"
	"github.com/pgactor/pgactor/wire/codec"
)

// Types the registry lacks are looked up in pg_type the first time a
// connection reports one: a column of a RowDescription (Rows.Scan and
// Values ask before decoding the first row of each result), a field inside
// a binary record, or a parameter a value could not be encoded for (an
// enum array, a composite from a struct, hstore from a map).
//
// Who looks up. The caller that meets the OID, never a connection's actor,
// whose loop must not wait on the server. Nor on its own connection: the
// caller may hold unread rows there, and a catalog query queued behind
// them would wait for the caller, who waits for it. Nor on another pool
// connection, for the same reason one step removed: 100 goroutines meeting
// a new type at once may hold rows on every connection of the pool. So the
// lookup opens a short side connection of its own (same configuration, no
// AfterConnect), runs one catalog query and closes it.
//
// Once per OID. Callers that meet the same unknown OIDs at the same time
// share one lookup (a flight); those that come later find the codecs in
// the registry. A lookup that failed is not tried again for
// lookupRetryAfter, and meanwhile the values decode as their text, which
// is what a type without a codec gives anyway.
//
// Where the codecs live. In the pool's (or session's) own registry, an
// overlay over Options.Types (or codec.Default()): OIDs belong to one
// database, so two pools never share what they loaded, and both see what
// the user registered.
//
// Formats. A statement prepared before its result type was known asks
// for that column in text, and keeps doing so while it stays prepared;
// every codec decodes text, and a composite's text decodes field by field,
// so the values are the same as in binary. Statements prepared afterwards
// ask for binary.
//
// Refresh. A type dropped and created again comes back with a new OID,
// which is loaded like any other. What was loaded under the old one is
// checked whenever the pool opens a connection: one query on the new
// connection, before anyone else can use it, compares every loaded type
// with pg_type, and forgets those that changed (ALTER TYPE ... ADD
// ATTRIBUTE keeps the OID) or are gone.

// lookupRetryAfter is how long a failed lookup is not tried again.
const lookupRetryAfter = 5 * time.Second

// lookupTimeout bounds one lookup, side connection included.
const lookupTimeout = 30 * time.Second

// typeCache loads codecs for unknown OIDs into reg for one pool or session.
type typeCache struct {
	reg    *codec.Registry // the overlay; loaded codecs go here
	side   func(ctx context.Context) (*Session, error)
	logger *slog.Logger

	ctx    context.Context // ended by close: lookups in flight stop
	cancel context.CancelFunc
	wg     sync.WaitGroup // lookups in flight

	mu      sync.Mutex
	flights map[uint32]*typeFlight // OIDs being looked up, or whose lookup failed lately
	loaded  map[uint32]string      // OID → what pg_type said, for refresh

	lookups atomic.Int64 // catalog queries run for unknown OIDs (tests count them)
}

// typeFlight is one lookup of some OIDs; err is valid once done is closed.
type typeFlight struct {
	done     chan struct{}
	err      error
	finished time.Time
}

func newTypeCache(reg *codec.Registry, side func(ctx context.Context) (*Session, error), logger *slog.Logger) *typeCache {
	t := &typeCache{reg: reg, side: side, logger: logger, flights: map[uint32]*typeFlight{}, loaded: map[uint32]string{}}
	t.ctx, t.cancel = context.WithCancel(context.Background())
	return t
}

// close ends lookups in flight and waits for them.
func (t *typeCache) close() {
	t.cancel()
	t.wg.Wait()
}

// unknown appends the OIDs of fields the registry has no codec for.
func (t *typeCache) unknown(dst []uint32, fields []wire.FieldDescription) []uint32 {
	for i := range fields {
		oid := fields[i].TypeOID
		if _, ok := t.reg.Lookup(oid); !ok && !containsOID(dst, oid) {
			dst = append(dst, oid)
		}
	}
	return dst
}

func containsOID(list []uint32, oid uint32) bool {
	for _, x := range list {
		if x == oid {
			return true
		}
	}
	return false
}

// resolve loads codecs for the OIDs of oids the registry lacks, sharing
// lookups in flight, and waits for them (or for ctx).
func (t *typeCache) resolve(ctx context.Context, oids []uint32) error {
	wait := t.start(oids)
	var errs []error
	for _, f := range wait {
		select {
		case <-f.done:
			if f.err != nil {
				errs = append(errs, f.err)
			}
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return errors.Join(errs...)
}

// start returns the lookups that will give codecs for the OIDs of oids the
// registry lacks: those in flight, and one it starts for the rest.
func (t *typeCache) start(oids []uint32) []*typeFlight {
	var wait []*typeFlight
	var fresh []uint32
	now := time.Now()
	t.mu.Lock()
	for _, oid := range oids {
		if _, ok := t.reg.Lookup(oid); ok {
			continue
		}
		if f := t.flights[oid]; f != nil {
			select {
			case <-f.done:
				if f.err == nil || now.Sub(f.finished) >= lookupRetryAfter {
					break // loaded meanwhile (and since unregistered), or time to try again
				}
				wait = append(wait, f)
				continue
			default:
				wait = append(wait, f)
				continue
			}
		}
		if !containsOID(fresh, oid) {
			fresh = append(fresh, oid)
		}
	}
	if len(fresh) > 0 {
		f := &typeFlight{done: make(chan struct{})}
		for _, oid := range fresh {
			t.flights[oid] = f
		}
		wait = append(wait, f)
		t.wg.Add(1)
		go t.fly(f, fresh)
	}
	t.mu.Unlock()
	return wait
}

// fly runs one lookup on a side connection.
func (t *typeCache) fly(f *typeFlight, oids []uint32) {
	defer t.wg.Done()
	ctx, cancel := context.WithTimeout(t.ctx, lookupTimeout)
	defer cancel()
	err := func() error {
		s, err := t.side(ctx)
		if err != nil {
			return err
		}
		defer s.Close(ctx)
		t.lookups.Add(1)
		return t.load(ctx, s, s.ServerParameter("server_version"), oids)
	}()
	if err != nil {
		err = fmt.Errorf("pgactor: looking up type %s in pg_type: %w", oidList(oids), err)
		if t.logger != nil {
			t.logger.Warn("pgactor: type lookup failed; values of these types decode as text", "err", err)
		}
	}
	t.mu.Lock()
	f.err, f.finished = err, time.Now()
	if err == nil {
		for _, oid := range oids {
			if t.flights[oid] == f {
				delete(t.flights, oid)
			}
		}
	}
	t.mu.Unlock()
	close(f.done)
}

func oidList(oids []uint32) string {
	s := make([]string, len(oids))
	for i, o := range oids {
		s[i] = strconv.FormatUint(uint64(o), 10)
	}
	return strings.Join(s, ", ")
}

// loadColumns makes sure the registry has a codec for every column type
// of rd, looking the missing ones up. A failed lookup is not an error
// here: those columns decode as their text, as without loading.
func (r *Rows) loadColumns(rd *wire.RowDescription) {
	if r.types == nil || rd == r.typesFor {
		return
	}
	r.typesFor = rd
	var buf [8]uint32
	if oids := r.types.unknown(buf[:0], rd.Fields); len(oids) > 0 {
		r.types.resolve(r.ctx, oids) // logged by the lookup
	}
}

// loadNested loads the type a decoding error names (a field of a binary
// record) and reports whether decoding is worth trying again.
func (r *Rows) loadNested(err error) bool {
	var ute *codec.UnknownTypeError
	if r.types == nil || !errors.As(err, &ute) {
		return false
	}
	if _, ok := r.types.reg.Lookup(ute.OID); ok {
		return false // known now, so this error is about something else
	}
	return r.types.resolve(r.ctx, []uint32{ute.OID}) == nil
}

// unknownParamType returns the OID of the parameter type an encoding
// error reports missing, when that is why a command failed unsent. A
// command of a batch is not sent again on its own (a batch runs all or
// nothing): its type is looked up for the next attempt, and ok is false.
func (x *common) unknownParamType(err error) (oid uint32, ok bool) {
	if err == nil {
		return 0, false // before the targets below, which escape: no allocation for success
	}
	var ute *codec.UnknownTypeError
	var ee *codec.EncodeError
	if x == nil || x.types == nil || !errors.As(err, &ee) || !errors.As(err, &ute) {
		return 0, false
	}
	if _, ok := x.reg.Lookup(ute.OID); ok {
		return 0, false
	}
	var bie *wire.BatchItemError
	if errors.As(err, &bie) {
		x.types.start([]uint32{ute.OID}) // for the next attempt
		return 0, false
	}
	return ute.OID, true
}

// retriesAfterLoad reports whether a command of t whose parameter type was
// unknown runs again once the type is loaded: on a Session, a Pool or an
// acquired Conn, where nothing depends on it having failed. In a
// transaction the failure already turned COMMIT into ROLLBACK; the caller
// gets the error, and the type is loaded for the next attempt.
func retriesAfterLoad(t target) bool {
	switch t.(type) {
	case *Session, *Pool, *Conn:
		return true
	}
	return false
}

// sideSession opens a connection for a catalog lookup: cfg as the pool or
// session has it, decoding with the user's registry, without
// AfterConnect, tracing or type loading of its own.
func sideSession(ctx context.Context, cfg *Config, opts *Options, parent *codec.Registry) (*Session, error) {
	var o Options
	if opts != nil {
		o.Dialer = opts.Dialer
	}
	o.Types = parent
	// One query: nothing to gain from a named statement, and nothing to
	// lose behind a pooler in transaction mode.
	sc := *cfg
	sc.StatementCacheMode = StatementCacheModeUnnamed
	a, err := connectAny(ctx, &sc, &o, nil, &actor.StatementMode{})
	if err != nil {
		return nil, err
	}
	c := newConn()
	c.a = a
	return &Session{c: c, cfg: &sc, common: common{reg: parent}}, nil
}

// setupTypes gives x its own registry, an overlay over the user's, and a
// type cache that looks types up over side connections made from cfg and
// opts. It returns the registry for the connections to use.
func (x *common) setupTypes(cfg *Config, opts *Options) *codec.Registry {
	parent := x.reg
	x.reg = parent.Overlay()
	var logger *slog.Logger
	if opts != nil {
		logger = opts.Logger
	}
	x.types = newTypeCache(x.reg, func(ctx context.Context) (*Session, error) {
		return sideSession(ctx, cfg, opts, parent)
	}, logger)
	return x.reg
}
