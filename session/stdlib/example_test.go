package stdlib_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log"

	"github.com/pgactor/pgactor/internal/pgtest"
	"github.com/pgactor/pgactor/session"
	_ "github.com/pgactor/pgactor/session/stdlib" // registers the "pgactor" driver
)

// databaseURL is the server the examples talk to: the test harness's. A
// program would use its own, such as "postgres://app@localhost/app".
func databaseURL() string { return cluster.DSN(pgtest.Trust) }

// The driver registers itself as "pgactor" for database/sql.
func Example() {
	ctx := context.Background()
	db, err := sql.Open("pgactor", databaseURL())
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()

	if _, err := db.ExecContext(ctx, "CREATE TABLE ex_sql_users (id int PRIMARY KEY, name text)"); err != nil {
		log.Fatal(err)
	}
	defer db.ExecContext(ctx, "DROP TABLE ex_sql_users")

	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		log.Fatal(err)
	}
	for id, name := range []string{"ada", "grace", "edsger"} {
		if _, err := tx.ExecContext(ctx, "INSERT INTO ex_sql_users VALUES ($1, $2)", id+1, name); err != nil {
			log.Fatal(err)
		}
	}
	if err := tx.Commit(); err != nil {
		log.Fatal(err)
	}

	rows, err := db.QueryContext(ctx, "SELECT id, name FROM ex_sql_users WHERE id >= $1 ORDER BY id", 2)
	if err != nil {
		log.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int
		var name string
		if err := rows.Scan(&id, &name); err != nil {
			log.Fatal(err)
		}
		fmt.Println(id, name)
	}
	if err := rows.Err(); err != nil {
		log.Fatal(err)
	}

	// Named arguments, and the server's errors as *session.PgError.
	_, err = db.ExecContext(ctx, "INSERT INTO ex_sql_users VALUES (:id, :name)", sql.Named("id", 1), sql.Named("name", "alan"))
	var pe *session.PgError
	fmt.Println(errors.As(err, &pe), pe.SQLState())

	var name string
	err = db.QueryRowContext(ctx, "SELECT name FROM ex_sql_users WHERE id = 99").Scan(&name)
	fmt.Println(errors.Is(err, sql.ErrNoRows))
	// Output:
	// 2 grace
	// 3 edsger
	// true 23505
	// true
}
