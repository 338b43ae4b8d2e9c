package interop_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"reflect"
	"testing"
	"time"

	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"github.com/pgactor/pgactor/session/stdlib"
)

type author struct {
	ID        uint
	Name      string  `gorm:"size:100;not null;uniqueIndex"`
	Email     *string `gorm:"size:200"`
	Books     []book
	CreatedAt time.Time
	UpdatedAt time.Time
}

type book struct {
	ID       uint
	AuthorID uint `gorm:"not null;index"`
	Title    string
	Year     int16
	Price    float64              `gorm:"type:numeric(10,2)"`
	Tags     stdlib.Array[string] `gorm:"type:text[]"`
}

// openGorm gives GORM the *sql.DB, as postgres.New(postgres.Config{Conn:
// db}) does for any driver's.
func openGorm(t *testing.T, db *sql.DB) *gorm.DB {
	t.Helper()
	g, err := gorm.Open(postgres.New(postgres.Config{Conn: db}), &gorm.Config{Logger: logger.Default.LogMode(logger.Silent)})
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// columnsOf lists a table's columns in the current schema as
// "name type nullable", in order.
func columnsOf(t *testing.T, db *sql.DB, table string) []string {
	t.Helper()
	rows, err := db.Query(`SELECT column_name || ' ' || format_type(atttypid, atttypmod) || ' ' || is_nullable
		FROM information_schema.columns c JOIN pg_attribute a ON a.attrelid = (current_schema() || '.' || c.table_name)::regclass AND a.attname = c.column_name
		WHERE table_schema = current_schema() AND table_name = $1 ORDER BY ordinal_position`, table)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		out = append(out, s)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestGORM(t *testing.T) {
	forEachMode(t, func(t *testing.T, db *sql.DB, _ string) {
		ctx := context.Background()
		g := openGorm(t, db).WithContext(ctx)

		// AutoMigrate creates the tables; a second run (which reads the
		// columns' types back through the driver) changes nothing.
		for range 2 {
			if err := g.AutoMigrate(&author{}, &book{}); err != nil {
				t.Fatal(err)
			}
			if got, want := columnsOf(t, db, "authors"), []string{
				"id bigint NO", "name character varying(100) NO", "email character varying(200) YES",
				"created_at timestamp with time zone YES", "updated_at timestamp with time zone YES",
			}; !reflect.DeepEqual(got, want) {
				t.Fatalf("authors: %q", got)
			}
			if got, want := columnsOf(t, db, "books"), []string{
				"id bigint NO", "author_id bigint NO", "title text YES", "year smallint YES", "price numeric(10,2) YES", "tags text[] YES",
			}; !reflect.DeepEqual(got, want) {
				t.Fatalf("books: %q", got)
			}
		}
		if !g.Migrator().HasTable(&book{}) || !g.Migrator().HasIndex(&author{}, "Name") || !g.Migrator().HasColumn(&book{}, "Tags") {
			t.Fatal("Migrator does not see what AutoMigrate made")
		}

		// Create, with a has-many association created alongside.
		mail := "le@example.org"
		authors := []author{
			{Name: "Le Guin", Email: &mail, Books: []book{
				{Title: "The Dispossessed", Year: 1974, Price: 12.5, Tags: stdlib.Array[string]{"sf", "anarchism"}},
				{Title: "A Wizard of Earthsea", Year: 1968, Price: 9.99, Tags: stdlib.Array[string]{"fantasy"}},
			}},
			{Name: "Lem", Books: []book{{Title: "Solaris", Year: 1961, Price: 11}}},
			{Name: "Nobody"},
		}
		if err := g.Create(&authors).Error; err != nil {
			t.Fatal(err)
		}
		for _, a := range authors {
			if a.ID == 0 || a.CreatedAt.IsZero() {
				t.Fatalf("not filled in by RETURNING: %+v", a)
			}
			for _, b := range a.Books {
				if b.ID == 0 || b.AuthorID != a.ID {
					t.Fatalf("book not filled in: %+v", b)
				}
			}
		}

		// Find and First, with conditions.
		var found author
		if err := g.Where("name = ?", "Lem").First(&found).Error; err != nil || found.ID != authors[1].ID || found.Email != nil {
			t.Fatalf("First: %+v %v", found, err)
		}
		var old []book
		if err := g.Where("year < ?", 1970).Order("year").Find(&old).Error; err != nil {
			t.Fatal(err)
		}
		if len(old) != 2 || old[0].Title != "Solaris" || old[1].Title != "A Wizard of Earthsea" || old[1].Price != 9.99 ||
			!reflect.DeepEqual(old[1].Tags, stdlib.Array[string]{"fantasy"}) {
			t.Fatalf("Find: %+v", old)
		}
		if err := g.Where("name = ?", "Asimov").First(&found).Error; !errors.Is(err, gorm.ErrRecordNotFound) {
			t.Fatalf("First of nothing: %v", err)
		}

		// Preload the has-many association.
		var withBooks []author
		if err := g.Preload("Books", func(db *gorm.DB) *gorm.DB { return db.Order("year") }).Order("name").Find(&withBooks).Error; err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, a := range withBooks {
			s := a.Name + ":"
			for _, b := range a.Books {
				s += fmt.Sprintf(" %s(%d,%v)", b.Title, b.Year, b.Tags)
			}
			got = append(got, s)
		}
		want := []string{
			"Le Guin: A Wizard of Earthsea(1968,[fantasy]) The Dispossessed(1974,[sf anarchism])",
			"Lem: Solaris(1961,[])",
			"Nobody:",
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("Preload:\n%q\nwant\n%q", got, want)
		}

		// Update one column, several, and by a condition.
		if err := g.Model(&authors[1]).Update("name", "Stanisław Lem").Error; err != nil {
			t.Fatal(err)
		}
		if err := g.Model(&authors[0].Books[0]).Updates(book{Price: 13.25, Tags: stdlib.Array[string]{"sf"}}).Error; err != nil {
			t.Fatal(err)
		}
		res := g.Model(&book{}).Where("year < ?", 1970).Update("price", gorm.Expr("price + ?", 1))
		if res.Error != nil || res.RowsAffected != 2 {
			t.Fatalf("Update where: %d %v", res.RowsAffected, res.Error)
		}
		var b book
		if err := g.First(&b, authors[0].Books[0].ID).Error; err != nil || b.Price != 13.25 || !reflect.DeepEqual(b.Tags, stdlib.Array[string]{"sf"}) {
			t.Fatalf("after Updates: %+v %v", b, err)
		}
		var prices []float64
		if err := g.Model(&book{}).Order("year").Pluck("price", &prices).Error; err != nil || !reflect.DeepEqual(prices, []float64{12, 10.99, 13.25}) {
			t.Fatalf("prices %v %v", prices, err)
		}
		if err := g.First(&found, authors[1].ID).Error; err != nil || found.Name != "Stanisław Lem" || !found.UpdatedAt.After(authors[1].CreatedAt) {
			t.Fatalf("after Update: %+v %v", found, err)
		}

		// Delete.
		res = g.Delete(&author{}, authors[2].ID)
		if res.Error != nil || res.RowsAffected != 1 {
			t.Fatalf("Delete: %d %v", res.RowsAffected, res.Error)
		}
		var n int64
		if err := g.Model(&author{}).Count(&n).Error; err != nil || n != 2 {
			t.Fatalf("count after delete: %d %v", n, err)
		}

		// A transaction that fails rolls back: its author and book are seen
		// inside it and nowhere after.
		errBoom := errors.New("boom")
		err := g.Transaction(func(tx *gorm.DB) error {
			ghost := author{Name: "Ghost", Books: []book{{Title: "Unwritten", Year: 2030}}}
			if err := tx.Create(&ghost).Error; err != nil {
				return err
			}
			var inside int64
			if err := tx.Model(&book{}).Where("title = ?", "Unwritten").Count(&inside).Error; err != nil || inside != 1 {
				return fmt.Errorf("inside the transaction: %d %v", inside, err)
			}
			return errBoom
		})
		if !errors.Is(err, errBoom) {
			t.Fatalf("Transaction: %v", err)
		}
		if err := g.Model(&author{}).Where("name = ?", "Ghost").Count(&n).Error; err != nil || n != 0 {
			t.Fatalf("rolled-back author exists: %d %v", n, err)
		}
		if err := g.Model(&book{}).Where("title = ?", "Unwritten").Count(&n).Error; err != nil || n != 0 {
			t.Fatalf("rolled-back book exists: %d %v", n, err)
		}

		// And one that succeeds, with a savepoint rolled back inside it.
		err = g.Transaction(func(tx *gorm.DB) error {
			if err := tx.Create(&author{Name: "Kept"}).Error; err != nil {
				return err
			}
			inner := tx.Transaction(func(tx2 *gorm.DB) error {
				if err := tx2.Create(&author{Name: "Dropped"}).Error; err != nil {
					return err
				}
				return errBoom
			})
			if !errors.Is(inner, errBoom) {
				return fmt.Errorf("nested: %v", inner)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		if err := g.Model(&author{}).Order("name").Pluck("name", &names).Error; err != nil ||
			!reflect.DeepEqual(names, []string{"Kept", "Le Guin", "Stanisław Lem"}) {
			t.Fatalf("after the nested transaction: %q %v", names, err)
		}
	})
}
