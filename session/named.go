package session

// Named holds :name parameters. Passed as the only argument of a query, it
// makes the statement's :name placeholders into $n parameters:
//
//	s.Query(ctx, "SELECT * FROM books WHERE title = :title", session.Named{"title": t})
//
// A key the statement never uses is an error; pgx's @name, which is
// PostgreSQL's absolute-value operator here, gets one that says to write
// :name. Casts (::int), quoted strings and identifiers, dollar-quoted
// bodies, comments and existing $n are left alone.
type Named map[string]any

type structArgs struct{ v any }

// Struct passes the exported fields of v (a struct or pointer to one) as
// :name parameters, named by their `db` tag or field name.
func Struct(v any) any { return structArgs{v: v} }
