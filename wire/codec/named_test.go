package codec_test

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/pgactor/pgactor/wire/codec"
)

func TestRewriteNamed(t *testing.T) {
	args := map[string]any{"id": 1, "name": "x", "n2": 2, "ÿ": 3, "a$b": 5}
	tests := []struct {
		sql, want string
		args      []any
	}{
		{"SELECT :id", "SELECT $1", []any{1}},
		{"SELECT :id, :name, :id", "SELECT $1, $2, $1", []any{1, "x"}},
		{"SELECT :id::int8, x::text, (:name)::text", "SELECT $1::int8, x::text, ($2)::text", []any{1, "x"}},
		{"SELECT ':id', :id", "SELECT ':id', $1", []any{1}},
		{"SELECT 'it''s :id', :id", "SELECT 'it''s :id', $1", []any{1}},
		{`SELECT E'\' :id', :id`, `SELECT E'\' :id', $1`, []any{1}},
		{`SELECT e'\\', :id`, `SELECT e'\\', $1`, []any{1}},
		{`SELECT '\', :id`, `SELECT '\', $1`, []any{1}},
		{`SELECT "col:id", :id`, `SELECT "col:id", $1`, []any{1}},
		{`SELECT "a""b:id", :id`, `SELECT "a""b:id", $1`, []any{1}},
		{"SELECT $$ :id $$, :id", "SELECT $$ :id $$, $1", []any{1}},
		{"SELECT $fn$ :id $x$ :id $fn$, :id", "SELECT $fn$ :id $x$ :id $fn$, $1", []any{1}},
		{"SELECT :id -- :name\n, :n2", "SELECT $1 -- :name\n, $2", []any{1, 2}},
		{"SELECT /* :name /* nested :name */ still :name */ :id", "SELECT /* :name /* nested :name */ still :name */ $1", []any{1}},
		{"SELECT a$b, :id", "SELECT a$b, $1", []any{1}},
		{"SELECT :ÿ", "SELECT $1", []any{3}},
		{"SELECT arr[1:2], :id", "SELECT arr[1:2], $1", []any{1}},
		{"SELECT arr[lo:hi], a:id, (:id)", "SELECT arr[lo:hi], a:id, ($1)", []any{1}},
		{"SELECT $:id", "SELECT $:id", nil},
		{"SELECT :a$b", "SELECT $1", []any{5}},
		{"SELECT x := 1, :id", "SELECT x := 1, $1", []any{1}},
		{"SELECT :id :", "SELECT $1 :", []any{1}},
		{"SELECT 1", "SELECT 1", nil},
		{"SELECT $1, ':x'", "SELECT $1, ':x'", nil},
		{"SELECT 'unterminated :id", "SELECT 'unterminated :id", nil},
		{"SELECT $tag$ unterminated :id", "SELECT $tag$ unterminated :id", nil},
	}
	for _, tc := range tests {
		got, gotArgs, err := codec.RewriteNamed(tc.sql, args)
		if err != nil {
			t.Errorf("%q: %v", tc.sql, err)
			continue
		}
		if got != tc.want || !reflect.DeepEqual(gotArgs, tc.args) {
			t.Errorf("%q = %q %v, want %q %v", tc.sql, got, gotArgs, tc.want, tc.args)
		}
	}
}

func TestRewriteNamedBackslashQuotes(t *testing.T) {
	sql := `SELECT 'a\' :x', :id`
	got, _, err := codec.NamedRewriter{BackslashQuotes: true}.Rewrite(sql, map[string]any{"id": 1})
	if err != nil || got != `SELECT 'a\' :x', $1` {
		t.Errorf("got %q, %v", got, err)
	}
	// The same text under standard strings ends the literal at \' and
	// sees :x as a parameter.
	if _, _, err := codec.RewriteNamed(sql, map[string]any{"id": 1}); err == nil || !strings.Contains(err.Error(), ":x") {
		t.Errorf("standard strings: err = %v", err)
	}
}

func TestRewriteNamedArgs(t *testing.T) {
	type Base struct {
		Tenant int `db:"tenant_id"`
	}
	type Params struct {
		Base
		ID      int
		Name    string `db:"name"`
		Skipped string `db:"-"`
		hidden  int
	}
	p := Params{Base: Base{Tenant: 9}, ID: 1, Name: "n", Skipped: "s", hidden: 5}
	for _, args := range []any{p, &p} {
		got, vals, err := codec.RewriteNamed("SELECT :id, :ID, :name, :tenant_id", args)
		if err != nil || got != "SELECT $1, $2, $3, $4" || !reflect.DeepEqual(vals, []any{1, 1, "n", 9}) {
			t.Errorf("%T: %q %v %v", args, got, vals, err)
		}
	}
	for _, name := range []string{"skipped", "hidden", "Tenant"} {
		if _, _, err := codec.RewriteNamed("SELECT :"+name, p); err == nil || err.Error() != "codec: named parameter :"+name+" has no value" {
			t.Errorf(":%s: err = %v", name, err)
		}
	}
	type key string
	if _, vals, err := codec.RewriteNamed("SELECT :a", map[key]int{"a": 4}); err != nil || !reflect.DeepEqual(vals, []any{4}) {
		t.Errorf("map[key]int: %v %v", vals, err)
	}
	if _, _, err := codec.RewriteNamed("SELECT :a", []any{1}); err == nil {
		t.Error("a slice of arguments was accepted")
	}
	if _, _, err := codec.RewriteNamed("SELECT :a", nil); err == nil {
		t.Error("nil arguments satisfied :a")
	}
	if _, _, err := codec.RewriteNamed("SELECT :a, $1", map[string]any{"a": 1}); !errors.Is(err, codec.ErrMixedParams) {
		t.Errorf("mixed: err = %v", err)
	}
}

func TestRewriteStrict(t *testing.T) {
	nr := codec.NamedRewriter{Strict: true}
	if _, _, err := nr.Rewrite("SELECT :id", map[string]any{"id": 1, "idd": 2}); err == nil || !strings.Contains(err.Error(), `"idd"`) {
		t.Errorf("an unused key: %v", err)
	}
	if _, _, err := nr.Rewrite("SELECT 1", map[string]any{"id": 1}); err == nil {
		t.Error("a key of a statement without placeholders was accepted")
	}
	if _, vals, err := nr.Rewrite("SELECT :id", map[string]any{"id": 1}); err != nil || !reflect.DeepEqual(vals, []any{1}) {
		t.Errorf("%v %v", vals, err)
	}
	// pgx's @id is PostgreSQL's @ operator here: the error says :id.
	if _, _, err := nr.Rewrite("SELECT * FROM t WHERE id = @id", map[string]any{"id": 1}); err == nil || !strings.Contains(err.Error(), "write :id") {
		t.Errorf("@id: %v", err)
	}
	// @ on a column, <@ and @@ are operators and stay so.
	for sql, want := range map[string]string{
		"SELECT @x, :id FROM t":     "SELECT @x, $1 FROM t",
		"SELECT a <@b, b @@ c, :id": "SELECT a <@b, b @@ c, $1",
	} {
		if got, _, err := nr.Rewrite(sql, map[string]any{"id": 1}); err != nil || got != want {
			t.Errorf("%q: %q %v, want %q", sql, got, err, want)
		}
	}
}
