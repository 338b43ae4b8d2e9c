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
	"github.com/pgactor/pgactor/futures"
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

// querier runs a query; Session and Conn are queriers.
type querier interface {
	Query(ctx context.Context, sql string, args ...any) *futures.Future[*Rows]
}

// catalogQuery fetches the types $1 names and, recursively, every type
// they are built from: a domain's base type, an array's element, a range's
// subtype, a multirange's range, a composite's attribute types.
const catalogQuery = `WITH RECURSIVE wanted(oid) AS (
	SELECT unnest($1::int8[])::oid
	UNION
	SELECT d.dep FROM wanted w JOIN pg_type t ON t.oid = w.oid, LATERAL (
		SELECT t.typbasetype WHERE t.typtype = 'd'
		UNION ALL SELECT t.typelem WHERE t.typinput = 'array_in'::regproc
		UNION ALL SELECT r.rngsubtype FROM pg_range r WHERE r.rngtypid = t.oid
		UNION ALL SELECT r.rngtypid FROM pg_range r WHERE @MULTI@ = t.oid
		UNION ALL SELECT a.atttypid FROM pg_attribute a WHERE t.typrelid <> 0 AND a.attrelid = t.typrelid AND a.attnum > 0 AND NOT a.attisdropped
	) d(dep)
)
SELECT t.oid::int8, t.typname::text, t.typtype::text, t.typinput = 'array_in'::regproc, t.typbasetype::int8, t.typelem::int8,
	coalesce((SELECT r.rngsubtype::int8 FROM pg_range r WHERE r.rngtypid = t.oid), 0),
	coalesce((SELECT r.rngtypid::int8 FROM pg_range r WHERE @MULTI@ = t.oid), 0),
	coalesce((SELECT array_agg(a.attname::text ORDER BY a.attnum) FROM pg_attribute a WHERE t.typrelid <> 0 AND a.attrelid = t.typrelid AND a.attnum > 0 AND NOT a.attisdropped), '{}'),
	coalesce((SELECT array_agg(a.atttypid::int8 ORDER BY a.attnum) FROM pg_attribute a WHERE t.typrelid <> 0 AND a.attrelid = t.typrelid AND a.attnum > 0 AND NOT a.attisdropped), '{}')
FROM pg_type t WHERE t.oid IN (SELECT oid FROM wanted)`

// catalogSQL is catalogQuery for a server of version (its server_version
// parameter): multiranges (pg_range.rngmultitypid) came with PostgreSQL 14.
func catalogSQL(version string) string {
	multi := "r.rngmultitypid"
	if major, _ := strconv.Atoi(strings.SplitN(version, ".", 2)[0]); major > 0 && major < 14 {
		multi = "NULL::oid"
	}
	return strings.ReplaceAll(catalogQuery, "@MULTI@", multi)
}

// pgType is one row of catalogQuery.
type pgType struct {
	oid, base, elem, rngSub, mrRange int64
	name, kind                       string
	array                            bool // read by array_in: elements of typelem
	attNames                         []string
	attTypes                         []int64
}

// fingerprint is what refresh compares: everything a codec was built from.
func (p *pgType) fingerprint() string {
	return fmt.Sprint(p.name, p.kind, p.array, p.base, p.elem, p.rngSub, p.mrRange, p.attNames, p.attTypes)
}

// fetch runs catalogQuery for oids on q, a server of version.
func fetch(ctx context.Context, q querier, version string, oids []uint32) (map[uint32]*pgType, error) {
	ids := make([]int64, len(oids))
	for i, o := range oids {
		ids[i] = int64(o)
	}
	rows, err := q.Query(ctx, catalogSQL(version), ids).Await(ctx)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	found := map[uint32]*pgType{}
	for rows.Next() {
		p := &pgType{}
		if err := rows.Scan(&p.oid, &p.name, &p.kind, &p.array, &p.base, &p.elem, &p.rngSub, &p.mrRange, &p.attNames, &p.attTypes); err != nil {
			return nil, err
		}
		if len(p.attNames) != len(p.attTypes) {
			return nil, fmt.Errorf("type %s: %d attribute names for %d types", p.name, len(p.attNames), len(p.attTypes))
		}
		found[uint32(p.oid)] = p
	}
	if err := rows.Close(); err != nil {
		return nil, err
	}
	return found, nil
}

// load looks oids up on q and registers a codec for each, and for every
// type they are built from that the registry lacks.
func (t *typeCache) load(ctx context.Context, q querier, version string, oids []uint32) error {
	found, err := fetch(ctx, q, version, oids)
	if err != nil {
		return err
	}
	b := &codecBuilder{reg: t.reg, found: found, building: map[uint32]bool{}}
	for _, oid := range oids {
		if _, err := b.build(oid); err != nil {
			return err
		}
	}
	// Register what was built only now, all of it or nothing: a codec
	// whose parts failed must not half exist.
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, c := range b.built {
		t.reg.Register(c)
		t.loaded[c.OID()] = found[c.OID()].fingerprint()
	}
	return nil
}

// codecBuilder builds the codecs of one lookup, parts first.
type codecBuilder struct {
	reg      *codec.Registry
	found    map[uint32]*pgType
	building map[uint32]bool // on the way down: a cycle would be a catalog bug
	done     map[uint32]codec.Codec
	built    []codec.Codec // in the order built, parts before wholes
}

func (b *codecBuilder) build(oid uint32) (codec.Codec, error) {
	if c, ok := b.reg.Lookup(oid); ok {
		return c, nil
	}
	if c, ok := b.done[oid]; ok {
		return c, nil
	}
	p := b.found[oid]
	if p == nil {
		return nil, fmt.Errorf("type %d: not in pg_type (dropped?)", oid)
	}
	if b.building[oid] {
		return nil, fmt.Errorf("type %s refers to itself", p.name)
	}
	b.building[oid] = true
	c, err := b.codecOf(oid, p)
	if err != nil {
		return nil, err
	}
	if b.done == nil {
		b.done = map[uint32]codec.Codec{}
	}
	b.done[oid] = c
	b.built = append(b.built, c)
	return c, nil
}

// codecOf picks the codec for one pg_type row by its typtype.
func (b *codecBuilder) codecOf(oid uint32, p *pgType) (codec.Codec, error) {
	switch {
	case p.kind == "e":
		return codec.NewTextCodec(oid, p.name), nil
	case p.kind == "d":
		base, err := b.build(uint32(p.base))
		if err != nil {
			return nil, err
		}
		return codec.NewDomainCodec(oid, p.name, base), nil
	case p.kind == "c":
		fields := make([]codec.CompositeField, len(p.attNames))
		for i := range p.attNames {
			if _, err := b.build(uint32(p.attTypes[i])); err != nil {
				return nil, err
			}
			fields[i] = codec.CompositeField{Name: p.attNames[i], OID: uint32(p.attTypes[i])}
		}
		return codec.NewCompositeCodecFields(oid, p.name, fields, b.reg), nil
	case p.kind == "r":
		sub, err := b.build(uint32(p.rngSub))
		if err != nil {
			return nil, err
		}
		return codec.NewRangeCodec(oid, p.name, sub), nil
	case p.kind == "m":
		rng, err := b.build(uint32(p.mrRange))
		if err != nil {
			return nil, err
		}
		return codec.NewMultirangeCodec(oid, p.name, rng), nil
	case p.array && p.elem != 0:
		elem, err := b.build(uint32(p.elem))
		if err != nil {
			return nil, err
		}
		return codec.NewArrayCodec(oid, p.name, elem), nil
	case p.kind == "b" && p.name == "hstore":
		return codec.NewHstoreCodec(oid), nil
	default:
		// Other base types (extensions', and built-in ones without a
		// codec) and pseudo-types: their text, never their binary
		// form, which only their own code knows.
		return codec.NewTextOnlyCodec(oid, p.name), nil
	}
}

// refresh checks every loaded type against pg_type on q, a connection
// nobody else uses yet, and forgets those that changed or are gone.
func (t *typeCache) refresh(ctx context.Context, s *Session) error {
	t.mu.Lock()
	oids := make([]uint32, 0, len(t.loaded))
	for oid := range t.loaded {
		oids = append(oids, oid)
	}
	t.mu.Unlock()
	if len(oids) == 0 {
		return nil
	}
	found, err := fetch(ctx, s, s.ServerParameter("server_version"), oids)
	if err != nil {
		return err
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, oid := range oids {
		p := found[oid]
		if p != nil && p.fingerprint() == t.loaded[oid] {
			continue
		}
		delete(t.loaded, oid)
		t.reg.Unregister(oid)
	}
	return nil
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
