package session

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/pgactor/pgactor/futures"
	"github.com/pgactor/pgactor/wire/codec"
)

// What a lookup asks pg_type, and how its answer becomes codecs (see
// typeload.go for who asks and when).

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
