package session_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log"
	"os"
	"time"

	"github.com/pgactor/pgactor/futures"
	"github.com/pgactor/pgactor/internal/pgtest"
	"github.com/pgactor/pgactor/session"
)

// databaseURL is the server the examples talk to: the test harness's. A
// program would use its own, such as "postgres://app@localhost/app".
func databaseURL() string { return cluster.DSN(pgtest.Trust) }

// Queries and commands return futures at once, so several of them go out
// together; Await gives each one's result.
func Example() {
	ctx := context.Background()
	pool, err := session.NewPool(ctx, databaseURL(), nil)
	if err != nil {
		log.Fatal(err)
	}
	defer pool.Close()

	// Three queries in flight at once; none waits for another.
	var pending []*futures.Future[*session.Rows]
	for _, n := range []int{10, 100, 1000} {
		pending = append(pending, pool.Query(ctx, "SELECT sum(i) FROM generate_series(1, $1::int) AS i", n))
	}
	for _, f := range pending {
		rows, err := f.Await(ctx)
		if err != nil {
			log.Fatal(err)
		}
		sum, err := session.CollectOne(rows, session.RowTo[int64])
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(sum)
	}
	// Output:
	// 55
	// 5050
	// 500500
}

func ExamplePool_QueryRow() {
	ctx := context.Background()
	pool, err := session.NewPool(ctx, databaseURL(), nil)
	if err != nil {
		log.Fatal(err)
	}
	defer pool.Close()

	var name string
	var length int
	err = pool.QueryRow(ctx, "SELECT $1::text, length($1::text)", "pgactor").Scan(&name, &length)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(name, length)

	// No row is ErrNoRows, which database/sql's ErrNoRows matches too.
	err = pool.QueryRow(ctx, "SELECT 1 WHERE false").Scan(&length)
	fmt.Println(errors.Is(err, session.ErrNoRows), errors.Is(err, sql.ErrNoRows))
	// Output:
	// pgactor 7
	// true true
}

func ExampleCollectRows() {
	ctx := context.Background()
	pool, err := session.NewPool(ctx, databaseURL(), nil)
	if err != nil {
		log.Fatal(err)
	}
	defer pool.Close()

	type Planet struct {
		Name     string
		Moons    int
		HasRings bool `db:"rings"`
	}
	rows, err := pool.Query(ctx, `
		SELECT * FROM (VALUES ('Earth', 1, false), ('Mars', 2, false), ('Saturn', 274, true))
			AS p(name, moons, rings)
		ORDER BY name`).Await(ctx)
	if err != nil {
		log.Fatal(err)
	}
	planets, err := session.CollectRows(rows, session.RowToStructByName[Planet])
	if err != nil {
		log.Fatal(err)
	}
	for _, p := range planets {
		fmt.Printf("%+v\n", p)
	}
	// Output:
	// {Name:Earth Moons:1 HasRings:false}
	// {Name:Mars Moons:2 HasRings:false}
	// {Name:Saturn Moons:274 HasRings:true}
}

func ExampleNamed() {
	ctx := context.Background()
	pool, err := session.NewPool(ctx, databaseURL(), nil)
	if err != nil {
		log.Fatal(err)
	}
	defer pool.Close()

	if _, err := pool.Exec(ctx, "CREATE TABLE ex_named_books (title text, year int)").Await(ctx); err != nil {
		log.Fatal(err)
	}
	defer func() { pool.Exec(ctx, "DROP TABLE ex_named_books").Await(ctx) }()

	// A map of :name parameters...
	_, err = pool.Exec(ctx, "INSERT INTO ex_named_books VALUES (:title, :year)",
		session.Named{"title": "Dune", "year": 1965}).Await(ctx)
	if err != nil {
		log.Fatal(err)
	}
	// ...or a struct's fields, by their db tags.
	type Book struct {
		Title string `db:"title"`
		Year  int    `db:"year"`
	}
	_, err = pool.Exec(ctx, "INSERT INTO ex_named_books VALUES (:title, :year)",
		session.Struct(Book{Title: "Solaris", Year: 1961})).Await(ctx)
	if err != nil {
		log.Fatal(err)
	}

	var titles string
	err = pool.QueryRow(ctx, "SELECT string_agg(title, ', ' ORDER BY year) FROM ex_named_books WHERE year < :before",
		session.Named{"before": 2000}).Scan(&titles)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(titles)

	// A key the statement does not use is an error, not a silent NULL.
	_, err = pool.Exec(ctx, "DELETE FROM ex_named_books WHERE title = :title", session.Named{"titel": "Dune"}).Await(ctx)
	fmt.Println(err != nil)
	// Output:
	// Solaris, Dune
	// true
}

// A transaction's commands can be fired as futures: they go out with
// BEGIN and COMMIT in one round trip. A nested Begin is a savepoint.
func ExamplePool_Begin() {
	ctx := context.Background()
	pool, err := session.NewPool(ctx, databaseURL(), nil)
	if err != nil {
		log.Fatal(err)
	}
	defer pool.Close()

	if _, err := pool.Exec(ctx, "CREATE TABLE ex_tx_steps (step text)").Await(ctx); err != nil {
		log.Fatal(err)
	}
	defer func() { pool.Exec(ctx, "DROP TABLE ex_tx_steps").Await(ctx) }()

	tx, err := pool.Begin(ctx, session.TxOptions{})
	if err != nil {
		log.Fatal(err)
	}
	defer tx.Rollback(ctx) // does nothing once committed

	tx.Exec(ctx, "INSERT INTO ex_tx_steps VALUES ($1)", "first")

	sp, err := tx.Begin(ctx) // SAVEPOINT
	if err != nil {
		log.Fatal(err)
	}
	sp.Exec(ctx, "INSERT INTO ex_tx_steps VALUES ($1)", "undone")
	if err := sp.Rollback(ctx); err != nil { // ROLLBACK TO SAVEPOINT
		log.Fatal(err)
	}

	tx.Exec(ctx, "INSERT INTO ex_tx_steps VALUES ($1)", "second")
	if err := tx.Commit(ctx); err != nil {
		log.Fatal(err)
	}

	var steps string
	if err := pool.QueryRow(ctx, "SELECT string_agg(step, ' ' ORDER BY step) FROM ex_tx_steps").Scan(&steps); err != nil {
		log.Fatal(err)
	}
	fmt.Println(steps)
	// Output:
	// first second
}

// BeginFunc commits when the function returns nil and rolls back when it
// returns an error; a failed command fails the commit.
func ExampleBeginFunc() {
	ctx := context.Background()
	pool, err := session.NewPool(ctx, databaseURL(), nil)
	if err != nil {
		log.Fatal(err)
	}
	defer pool.Close()

	if _, err := pool.Exec(ctx, "CREATE TABLE ex_beginfunc (id int PRIMARY KEY)").Await(ctx); err != nil {
		log.Fatal(err)
	}
	defer func() { pool.Exec(ctx, "DROP TABLE ex_beginfunc").Await(ctx) }()

	insert := func(ids ...int) error {
		return session.BeginFunc(ctx, pool, session.TxOptions{}, func(tx *session.Tx) error {
			for _, id := range ids {
				tx.Exec(ctx, "INSERT INTO ex_beginfunc VALUES ($1)", id)
			}
			return nil
		})
	}
	fmt.Println(insert(1, 2) == nil)
	err = insert(3, 1) // 1 is there already: nothing of this transaction stays
	var pe *session.PgError
	fmt.Println(errors.As(err, &pe), pe.SQLState())

	var n int
	if err := pool.QueryRow(ctx, "SELECT count(*) FROM ex_beginfunc").Scan(&n); err != nil {
		log.Fatal(err)
	}
	fmt.Println(n, "rows")
	// Output:
	// true
	// true 23505
	// 2 rows
}

// A Batch goes out in one round trip as one implicit transaction: all of
// it happens, or none.
func ExampleBatch() {
	ctx := context.Background()
	pool, err := session.NewPool(ctx, databaseURL(), nil)
	if err != nil {
		log.Fatal(err)
	}
	defer pool.Close()

	if _, err := pool.Exec(ctx, "CREATE TABLE ex_batch_accounts (id int PRIMARY KEY, balance int CHECK (balance >= 0))").Await(ctx); err != nil {
		log.Fatal(err)
	}
	defer func() { pool.Exec(ctx, "DROP TABLE ex_batch_accounts").Await(ctx) }()
	if _, err := pool.Exec(ctx, "INSERT INTO ex_batch_accounts VALUES (1, 100), (2, 0)").Await(ctx); err != nil {
		log.Fatal(err)
	}

	transfer := func(amount int) (debit, credit error) {
		b := &session.Batch{}
		d := b.Exec("UPDATE ex_batch_accounts SET balance = balance - $1 WHERE id = 1", amount)
		c := b.Exec("UPDATE ex_batch_accounts SET balance = balance + $1 WHERE id = 2", amount)
		pool.SendBatch(ctx, b).Await(ctx) // the first error; each command's future holds its own
		_, debit = d.Await(ctx)
		_, credit = c.Await(ctx)
		return debit, credit
	}

	debit, credit := transfer(30)
	fmt.Println(debit, credit)

	// The debit breaks the CHECK: the credit behind it is not run.
	debit, credit = transfer(500)
	var pe *session.PgError
	fmt.Println(errors.As(debit, &pe), pe.SQLState(), errors.Is(credit, session.ErrBatchNotRun))

	b := &session.Batch{}
	rows := b.Query("SELECT id, balance FROM ex_batch_accounts ORDER BY id")
	if _, err := pool.SendBatch(ctx, b).Await(ctx); err != nil {
		log.Fatal(err)
	}
	r, err := rows.Await(ctx)
	if err != nil {
		log.Fatal(err)
	}
	balances, err := session.CollectRows(r, session.RowToMap)
	if err != nil {
		log.Fatal(err)
	}
	for _, m := range balances {
		fmt.Println(m["id"], m["balance"])
	}
	// Output:
	// <nil> <nil>
	// true 23514 true
	// 1 70
	// 2 30
}

func ExamplePool_CopyFrom() {
	ctx := context.Background()
	pool, err := session.NewPool(ctx, databaseURL(), nil)
	if err != nil {
		log.Fatal(err)
	}
	defer pool.Close()

	if _, err := pool.Exec(ctx, "CREATE TABLE ex_copy_in (id int, kind text, at date)").Await(ctx); err != nil {
		log.Fatal(err)
	}
	defer func() { pool.Exec(ctx, "DROP TABLE ex_copy_in").Await(ctx) }()

	day := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	n, err := pool.CopyFrom(ctx, session.Identifier{"ex_copy_in"}, []string{"id", "kind", "at"},
		session.CopyFromSlice(1000, func(i int) ([]any, error) {
			return []any{i, []string{"click", "view"}[i%2], day.AddDate(0, 0, i%7)}, nil
		}))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(n, "rows copied")

	var clicks int
	var last time.Time
	if err := pool.QueryRow(ctx, "SELECT count(*) FILTER (WHERE kind = 'click'), max(at) FROM ex_copy_in").Scan(&clicks, &last); err != nil {
		log.Fatal(err)
	}
	fmt.Println(clicks, "clicks, the last on", last.Format(time.DateOnly))
	// Output:
	// 1000 rows copied
	// 500 clicks, the last on 2026-12-07
}

func ExamplePool_CopyTo() {
	ctx := context.Background()
	pool, err := session.NewPool(ctx, databaseURL(), nil)
	if err != nil {
		log.Fatal(err)
	}
	defer pool.Close()

	n, err := pool.CopyTo(ctx, os.Stdout,
		"COPY (SELECT i, i * i AS square FROM generate_series(1, 3) AS i) TO STDOUT WITH (FORMAT csv, HEADER)")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(n, "rows")
	// Output:
	// i,square
	// 1,1
	// 2,4
	// 3,9
	// 3 rows
}

// A Listener has a connection of its own; it reconnects and LISTENs again
// by itself, and says so with a Reconnected event.
func ExamplePool_Listen() {
	ctx := context.Background()
	pool, err := session.NewPool(ctx, databaseURL(), nil)
	if err != nil {
		log.Fatal(err)
	}
	defer pool.Close()

	l, err := pool.Listen(ctx, "ex_jobs")
	if err != nil {
		log.Fatal(err)
	}
	defer l.Close()

	for _, job := range []string{"resize 42", "email 7"} {
		if _, err := pool.Exec(ctx, "SELECT pg_notify('ex_jobs', $1)", job).Await(ctx); err != nil {
			log.Fatal(err)
		}
	}
	timeout := time.After(10 * time.Second)
	for range 2 {
		select {
		case ev := <-l.C():
			if ev.Reconnected {
				fmt.Println("reconnected; missed notifications are lost:", ev.Gap)
				continue
			}
			fmt.Printf("%s: %s\n", ev.Notification.Channel, ev.Notification.Payload)
		case <-timeout:
			log.Fatal("no notification")
		}
	}
	// Output:
	// ex_jobs: resize 42
	// ex_jobs: email 7
}

// The context of a command cancels it on the server; the connection stays
// usable.
func Example_cancellation() {
	ctx := context.Background()
	s, err := session.Connect(ctx, databaseURL())
	if err != nil {
		log.Fatal(err)
	}
	defer s.Close(ctx)

	short, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
	defer cancel()
	_, err = s.Exec(short, "SELECT pg_sleep(30)").Await(short)
	fmt.Println(errors.Is(err, context.DeadlineExceeded))

	var one int
	if err := s.QueryRow(ctx, "SELECT 1").Scan(&one); err != nil {
		log.Fatal(err)
	}
	fmt.Println(one)
	// Output:
	// true
	// 1
}

// Server errors are *PgError, with SQLSTATE and every field the server
// sent.
func ExamplePgError() {
	ctx := context.Background()
	pool, err := session.NewPool(ctx, databaseURL(), nil)
	if err != nil {
		log.Fatal(err)
	}
	defer pool.Close()

	if _, err := pool.Exec(ctx, "CREATE TABLE ex_errors (email text CONSTRAINT ex_errors_email UNIQUE)").Await(ctx); err != nil {
		log.Fatal(err)
	}
	defer func() { pool.Exec(ctx, "DROP TABLE ex_errors").Await(ctx) }()

	insert := "INSERT INTO ex_errors VALUES ($1)"
	if _, err := pool.Exec(ctx, insert, "ada@example.com").Await(ctx); err != nil {
		log.Fatal(err)
	}
	_, err = pool.Exec(ctx, insert, "ada@example.com").Await(ctx)

	var pe *session.PgError
	if errors.As(err, &pe) {
		fmt.Println(pe.SQLState(), pe.ConstraintName, pe.TableName)
	}
	// The server ran it and said no: sending it again cannot help.
	fmt.Println(session.SafeToRetry(err))
	// Output:
	// 23505 ex_errors_email ex_errors
	// false
}

// SafeToRetry says whether a failed command provably never reached the
// server, so that running it again cannot run it twice.
func ExampleSafeToRetry() {
	ctx := context.Background()
	s, err := session.Connect(ctx, databaseURL())
	if err != nil {
		log.Fatal(err)
	}
	s.Close(ctx)

	_, err = s.Exec(ctx, "INSERT INTO anywhere VALUES (1)").Await(ctx)
	fmt.Println(errors.Is(err, session.ErrClosed), session.SafeToRetry(err))
	// Output:
	// true true
}

// When the answer to COMMIT never arrives (the connection was lost, or the
// context ended first), nobody can say whether the transaction committed:
// Commit returns ErrCommitOutcomeUnknown and does not retry.
func ExampleErrCommitOutcomeUnknown() {
	ctx := context.Background()
	pool, err := session.NewPool(ctx, databaseURL(), nil)
	if err != nil {
		log.Fatal(err)
	}
	defer pool.Close()

	// A deferred trigger makes COMMIT itself slow.
	for _, sql := range []string{
		"CREATE TABLE ex_slow_commit (id int)",
		"CREATE FUNCTION ex_slow_commit_wait() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN PERFORM pg_sleep(1); RETURN NULL; END $$",
		"CREATE CONSTRAINT TRIGGER ex_slow_commit_wait AFTER INSERT ON ex_slow_commit DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION ex_slow_commit_wait()",
	} {
		if _, err := pool.Exec(ctx, sql).Await(ctx); err != nil {
			log.Fatal(err)
		}
	}
	defer func() { pool.Exec(ctx, "DROP TABLE ex_slow_commit; DROP FUNCTION ex_slow_commit_wait()").Await(ctx) }()

	tx, err := pool.Begin(ctx, session.TxOptions{})
	if err != nil {
		log.Fatal(err)
	}
	tx.Exec(ctx, "INSERT INTO ex_slow_commit VALUES ($1)", 1)

	short, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
	defer cancel()
	err = tx.Commit(short)
	fmt.Println(errors.Is(err, session.ErrCommitOutcomeUnknown), session.SafeToRetry(err))
	// Output:
	// true false
}
