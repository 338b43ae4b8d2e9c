package session

import (
	"context"
	"errors"
	"fmt"

	"github.com/pgactor/pgactor/wire/codec"
)

// Loading types from pg_type. A type without a codec comes as its text
// (a string); LoadTypes gives user-defined types their proper codecs:
// enums decode to string, domains as their base type, composites to []any
// or into structs by attribute name, ranges to Range, and each one's array
// type to []any (so an enum array scans into []string). hstore gets its map
// codec; other base types from extensions (citext, ltree...) are text.
//
// Types are registered in the registry the connection uses: Options.Types,
// or codec.Default(), which every connection of the process shares. OIDs
// are per database: with several databases in one process, give each its
// own registry (codec.NewRegistry()).

// LoadTypes looks each named type up in pg_type and registers codecs for
// it, its array type, and any user-defined type it is built from. A name
// may be schema-qualified; an unknown name is an error.
func (s *Session) LoadTypes(ctx context.Context, names ...string) error {
	return loadTypes(ctx, s.reg, s, names)
}

// LoadTypes is Session.LoadTypes on one of the pool's connections; the
// types are registered for every connection of the pool.
func (p *Pool) LoadTypes(ctx context.Context, names ...string) error {
	c, err := p.Acquire(ctx)
	if err != nil {
		return err
	}
	defer c.Release()
	return loadTypes(ctx, p.reg, c, names)
}

type rowQuerier interface {
	QueryRow(ctx context.Context, sql string, args ...any) *Row
}

// typeLoader registers the codecs one LoadTypes call needs.
type typeLoader struct {
	ctx  context.Context
	reg  *codec.Registry
	q    rowQuerier
	seen map[uint32]bool // being loaded: breaks cycles (a composite holding an array of itself)
}

func loadTypes(ctx context.Context, reg *codec.Registry, q rowQuerier, names []string) error {
	l := &typeLoader{ctx: ctx, reg: reg, q: q, seen: map[uint32]bool{}}
	for _, name := range names {
		var oid *uint32
		if err := q.QueryRow(ctx, "SELECT to_regtype($1::text)::oid", name).Scan(&oid); err != nil {
			return fmt.Errorf("pgactor: load type %q: %w", name, err)
		}
		if oid == nil {
			return fmt.Errorf("pgactor: load type %q: no such type", name)
		}
		if _, err := l.load(*oid); err != nil {
			return fmt.Errorf("pgactor: load type %q: %w", name, err)
		}
	}
	return nil
}

// load returns the codec for oid, registering it (and its array type)
// when the registry has none.
func (l *typeLoader) load(oid uint32) (codec.Codec, error) {
	if c, ok := l.reg.Lookup(oid); ok {
		return c, nil
	}
	if l.seen[oid] {
		return nil, errors.New("type " + fmt.Sprint(oid) + " refers to itself")
	}
	l.seen[oid] = true
	var (
		name                          string
		kind                          string
		base, elem, array, rel, rngOf uint32
	)
	err := l.q.QueryRow(l.ctx, `SELECT t.typname::text, t.typtype::text, t.typbasetype, t.typelem, t.typarray, t.typrelid,
		coalesce((SELECT r.rngsubtype FROM pg_range r WHERE r.rngtypid = t.oid), 0)
		FROM pg_type t WHERE t.oid = $1`, oid).Scan(&name, &kind, &base, &elem, &array, &rel, &rngOf)
	if err != nil {
		return nil, fmt.Errorf("type %d: %w", oid, err)
	}
	var c codec.Codec
	switch {
	case kind == "e":
		c = codec.NewTextCodec(oid, name)
	case kind == "d":
		b, err := l.load(base)
		if err != nil {
			return nil, err
		}
		c = codec.NewDomainCodec(oid, name, b)
	case kind == "c":
		fields, err := l.attributes(rel)
		if err != nil {
			return nil, err
		}
		c = codec.NewCompositeCodecFields(oid, name, fields, l.reg)
	case kind == "r":
		sub, err := l.load(rngOf)
		if err != nil {
			return nil, err
		}
		c = codec.NewRangeCodec(oid, name, sub)
	case kind == "b" && elem != 0 && array == 0:
		// An array type named directly: load its element, which
		// registers the array too.
		if _, err := l.load(elem); err != nil {
			return nil, err
		}
		if c, ok := l.reg.Lookup(oid); ok {
			return c, nil
		}
		return nil, fmt.Errorf("type %s: its element type has no array codec", name)
	case kind == "b" && name == "hstore":
		c = codec.NewHstoreCodec(oid)
	case kind == "b" || kind == "m":
		// Extension base types and multiranges: their text, never their
		// binary form, which only their own code knows.
		c = codec.NewTextOnlyCodec(oid, name)
	default:
		return nil, fmt.Errorf("type %s (typtype %q) cannot be loaded", name, kind)
	}
	l.reg.Register(c)
	if array != 0 {
		if _, ok := l.reg.Lookup(array); !ok {
			l.reg.Register(codec.NewArrayCodec(array, "_"+name, c))
		}
	}
	return c, nil
}

// attributes lists a composite's attributes, loading their types.
func (l *typeLoader) attributes(rel uint32) ([]codec.CompositeField, error) {
	var names []string
	var oids []uint32
	err := l.q.QueryRow(l.ctx, `SELECT coalesce(array_agg(attname::text ORDER BY attnum), '{}'), coalesce(array_agg(atttypid ORDER BY attnum), '{}')
		FROM pg_attribute WHERE attrelid = $1 AND attnum > 0 AND NOT attisdropped`, rel).Scan(&names, &oids)
	if err != nil {
		return nil, err
	}
	fields := make([]codec.CompositeField, len(names))
	for i := range names {
		if _, err := l.load(oids[i]); err != nil {
			return nil, err
		}
		fields[i] = codec.CompositeField{Name: names[i], OID: oids[i]}
	}
	return fields, nil
}
