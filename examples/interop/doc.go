// Package interop holds tests, no library code: pgactor's database/sql
// driver (session/stdlib) driven by the libraries that real programs put
// on top of database/sql — sqlx, goose, GORM (through gorm.io/driver/postgres
// given an existing *sql.DB) — and by plain database/sql under many
// goroutines, each in both of the driver's modes: one server connection
// per database/sql connection (sql.Open, stdlib.OpenDB), and multiplexed
// over a pgactor Pool (stdlib.OpenDBFromPool). It is a module of its own so
// that pgactor itself does not depend on them.
//
// Run it with go test -race ./... here; every test binary starts its own
// throwaway PostgreSQL through internal/pgtest, and each test works in a
// schema of its own (set as search_path in the connection string, so it
// holds on every server connection of either mode).
package interop
