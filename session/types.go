package session

import (
	"context"
	"fmt"
	"strings"
)

// Loading types from pg_type. Types the registry lacks are loaded the
// first time a connection reports one (see typeload.go); LoadTypes loads
// named ones up front. Either way: enums decode to string, domains as
// their base type, composites to []any or into structs by attribute name
// (and structs encode as composites), ranges to Range, multiranges to
// Multirange, arrays of any of these to []any (so an enum array scans
// into []string); hstore gets its map codec; other base types from
// extensions (citext, ltree...) and built-in types without a codec
// (point, tsvector...) are text.
//
// Types are registered in the session's or pool's own registry (Types),
// an overlay over Options.Types or codec.Default(): OIDs are per
// database, so pools over different databases never share them.

// LoadTypes looks each named type up in pg_type and registers codecs for
// it, its array type, and any type it is built from that has none. A name
// may be schema-qualified or an array (name[]); an unknown name is an
// error. It runs on the session's own connection, so call it while the
// session holds no unread rows.
func (s *Session) LoadTypes(ctx context.Context, names ...string) error {
	return s.types.loadNames(ctx, s, s.ServerParameter("server_version"), names)
}

// LoadTypes is Session.LoadTypes on one of the pool's connections; the
// types are registered for every connection of the pool.
func (p *Pool) LoadTypes(ctx context.Context, names ...string) error {
	c, err := p.Acquire(ctx)
	if err != nil {
		return err
	}
	defer c.Release()
	return p.types.loadNames(ctx, c, c.c.a.ServerParameter("server_version"), names)
}

// loadNames resolves names to OIDs (with their array types) in one query
// and loads them on q.
func (t *typeCache) loadNames(ctx context.Context, q querier, version string, names []string) error {
	if len(names) == 0 {
		return nil
	}
	rows, err := q.Query(ctx, `SELECT n, coalesce(t.oid::int8, 0), coalesce(t.typarray::int8, 0)
		FROM unnest($1::text[]) WITH ORDINALITY AS u(n, i) LEFT JOIN pg_type t ON t.oid = to_regtype(n)
		ORDER BY i`, names).Await(ctx)
	if err != nil {
		return fmt.Errorf("pgactor: load types: %w", err)
	}
	var oids []uint32
	var missing []string
	for rows.Next() {
		var name string
		var oid, array int64
		if err := rows.Scan(&name, &oid, &array); err != nil {
			rows.Close()
			return fmt.Errorf("pgactor: load types: %w", err)
		}
		if oid == 0 {
			missing = append(missing, fmt.Sprintf("%q", name))
			continue
		}
		oids = append(oids, uint32(oid))
		if array != 0 {
			oids = append(oids, uint32(array))
		}
	}
	if err := rows.Close(); err != nil {
		return fmt.Errorf("pgactor: load types: %w", err)
	}
	if len(missing) > 0 {
		return fmt.Errorf("pgactor: load types: no such type: %s", strings.Join(missing, ", "))
	}
	if err := t.load(ctx, q, version, oids); err != nil {
		return fmt.Errorf("pgactor: load types %s: %w", strings.Join(names, ", "), err)
	}
	return nil
}
