package pgotel

import "testing"

func TestOperation(t *testing.T) {
	for _, c := range []struct{ sql, op, table string }{
		{"SELECT 1", "SELECT", ""},
		{"  select id FROM users WHERE id = $1", "SELECT", "users"},
		{"SELECT g FROM generate_series(1, 3) g", "SELECT", ""},
		{"SELECT (SELECT 1 FROM a) FROM b", "SELECT", "b"},
		{"SELECT 'from x' FROM public.\"Odd \"\"T\"\"\"", "SELECT", `public.Odd "T"`},
		{"-- note\n/* c */ INSERT INTO orders (a) VALUES (1)", "INSERT", "orders"},
		{"UPDATE Stock SET n = 1", "UPDATE", "stock"},
		{"DELETE FROM s.t WHERE true", "DELETE", "s.t"},
		{`COPY "items" ("id") FROM STDIN (FORMAT binary)`, "COPY", "items"},
		{"COPY (SELECT 1) TO STDOUT", "COPY", ""},
		{"BEGIN", "BEGIN", ""},
		{"WITH x AS (SELECT 1) SELECT * FROM x", "WITH", ""},
		{"", "", ""},
		{"SELECT * FROM \"unterminated", "SELECT", ""},
		{"/* never closed", "", ""},
	} {
		op, table := operation(c.sql)
		if op != c.op || table != c.table {
			t.Errorf("operation(%q) = %q, %q; want %q, %q", c.sql, op, table, c.op, c.table)
		}
	}
}

func FuzzOperation(f *testing.F) {
	for _, s := range []string{"SELECT 1", "INSERT INTO \"a\"\"b\".c", "SELECT (( FROM", "/*", "--"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		operation(s) // must not panic or loop
	})
}
