package codec

import (
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"strings"
)

// ErrMixedParams means a statement uses both $n and :name placeholders.
var ErrMixedParams = errors.New("codec: statement mixes $n and :name parameters")

// NamedRewriter rewrites pg8000-style :name placeholders to $1..$n. The
// zero value lexes string literals as the server does with its default
// standard_conforming_strings=on.
type NamedRewriter struct {
	// BackslashQuotes treats backslash as an escape in plain '...' literals
	// too, as the server does with standard_conforming_strings=off.
	BackslashQuotes bool
	// Strict makes a key of a map argument that the statement never uses
	// an error, instead of a value silently ignored. When the statement
	// has @key (pgx's spelling, PostgreSQL's absolute-value operator here),
	// the error says to write :key.
	Strict bool
}

// RewriteNamed rewrites :name placeholders to $1..$n. args is a map with
// string keys or a struct (or pointer to one): a field's name is its `db`
// tag, or else its Go name matched case-insensitively; embedded structs are
// flattened. It returns the new SQL and the arguments in $n order; a name
// used twice maps to the same $n. A name without a value is an error naming
// it. Casts (::type), string literals (including E” escapes), quoted
// identifiers, dollar-quoted bodies, -- and nested /* */ comments, and
// existing $n are left alone. SQL without any :name comes back unchanged
// with nil arguments.
func RewriteNamed(sql string, args any) (string, []any, error) {
	return NamedRewriter{}.Rewrite(sql, args)
}

// Rewrite is RewriteNamed under the rewriter's lexing rules.
func (nr NamedRewriter) Rewrite(sql string, args any) (string, []any, error) {
	var out strings.Builder
	var names []string
	index := map[string]int{}
	positional := false
	last := 0 // sql[last:i] is still to be copied
	// placeholder replaces sql[i:j], naming name, with its $n.
	placeholder := func(i, j int, name string) {
		n, ok := index[name]
		if !ok {
			names = append(names, name)
			n = len(names)
			index[name] = n
		}
		out.WriteString(sql[last:i])
		out.WriteByte('$')
		out.WriteString(strconv.Itoa(n))
		last = j
	}
	var atNames map[string]bool // @name seen outside literals and comments
	for i := 0; i < len(sql); {
		c := sql[i]
		switch {
		case c == '\'':
			escapes := nr.BackslashQuotes || (i > 0 && (sql[i-1] == 'E' || sql[i-1] == 'e') && (i < 2 || !isIdentChar(sql[i-2])))
			i = skipQuoted(sql, i, '\'', escapes)
		case c == '"':
			i = skipQuoted(sql, i, '"', false)
		case c == '-' && i+1 < len(sql) && sql[i+1] == '-':
			if j := strings.IndexByte(sql[i:], '\n'); j >= 0 {
				i += j + 1
			} else {
				i = len(sql)
			}
		case c == '/' && i+1 < len(sql) && sql[i+1] == '*':
			i = skipBlockComment(sql, i)
		case c == '$':
			if i+1 < len(sql) && isDigit(sql[i+1]) && (i == 0 || !isIdentChar(sql[i-1])) {
				positional = true
				i++
				for i < len(sql) && isDigit(sql[i]) {
					i++
				}
				continue
			}
			i = skipDollarQuoted(sql, i)
		case c == ':':
			if i+1 < len(sql) && sql[i+1] == ':' {
				i += 2
				continue
			}
			// After an identifier character the colon is part of an
			// expression (arr[lo:hi]), and a $n there would merge with it.
			if i+1 >= len(sql) || !isIdentStart(sql[i+1]) || i > 0 && isIdentChar(sql[i-1]) {
				i++
				continue
			}
			j := identEnd(sql, i+1)
			placeholder(i, j, sql[i+1:j])
			i = j
		case c == '@' && nr.Strict:
			if i+1 >= len(sql) || !isIdentStart(sql[i+1]) || i > 0 && (isIdentChar(sql[i-1]) || sql[i-1] == '<' || sql[i-1] == '@') {
				i++
				continue
			}
			j := identEnd(sql, i+1)
			if atNames == nil {
				atNames = map[string]bool{}
			}
			atNames[sql[i+1:j]] = true
			i = j
		default:
			i++
		}
	}
	if m, ok := args.(map[string]any); ok && nr.Strict {
		for k := range m {
			if _, used := index[k]; !used {
				if atNames[k] {
					return "", nil, fmt.Errorf("codec: named parameter %q is not used by the statement: @%s there is PostgreSQL's @ operator; write :%s", k, k, k)
				}
				return "", nil, fmt.Errorf("codec: named parameter %q is not used by the statement", k)
			}
		}
	}
	if len(names) == 0 {
		return sql, nil, nil
	}
	if positional {
		return "", nil, ErrMixedParams
	}
	out.WriteString(sql[last:])
	vals, err := namedValues(names, args)
	if err != nil {
		return "", nil, err
	}
	return out.String(), vals, nil
}

// identEnd returns the end of the identifier starting at i.
func identEnd(sql string, i int) int {
	for i < len(sql) && isIdentChar(sql[i]) {
		i++
	}
	return i
}

func isIdentStart(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= 0x80
}

func isIdentChar(c byte) bool { return isIdentStart(c) || isDigit(c) || c == '$' }

// skipQuoted returns the index after the literal or identifier opening at
// i; a doubled quote is an escaped quote, and with escapes so is \'. An
// unterminated one runs to the end, as the server would reject it anyway.
func skipQuoted(sql string, i int, q byte, escapes bool) int {
	for i++; i < len(sql); i++ {
		switch sql[i] {
		case '\\':
			if escapes {
				i++
			}
		case q:
			if i+1 < len(sql) && sql[i+1] == q {
				i++
				continue
			}
			return i + 1
		}
	}
	return len(sql)
}

// skipBlockComment skips a /* */ comment; they nest in PostgreSQL.
func skipBlockComment(sql string, i int) int {
	depth := 0
	for i < len(sql) {
		switch {
		case sql[i] == '/' && i+1 < len(sql) && sql[i+1] == '*':
			depth++
			i += 2
		case sql[i] == '*' && i+1 < len(sql) && sql[i+1] == '/':
			depth--
			i += 2
			if depth == 0 {
				return i
			}
		default:
			i++
		}
	}
	return len(sql)
}

// skipDollarQuoted skips $tag$...$tag$ opening at i; a '$' that does not
// open one (inside an identifier, or no valid tag) is just skipped.
func skipDollarQuoted(sql string, i int) int {
	if i > 0 && isIdentChar(sql[i-1]) {
		return i + 1
	}
	j := i + 1
	if j < len(sql) && isIdentStart(sql[j]) {
		for j < len(sql) && isIdentChar(sql[j]) && sql[j] != '$' {
			j++
		}
	}
	if j >= len(sql) || sql[j] != '$' {
		return i + 1
	}
	tag := sql[i : j+1]
	if end := strings.Index(sql[j+1:], tag); end >= 0 {
		return j + 1 + end + len(tag)
	}
	return len(sql)
}

// namedValues looks the names up in args.
func namedValues(names []string, args any) ([]any, error) {
	lookup, err := namedLookup(args)
	if err != nil {
		return nil, err
	}
	vals := make([]any, len(names))
	for i, n := range names {
		v, ok := lookup(n)
		if !ok {
			return nil, fmt.Errorf("codec: named parameter :%s has no value", n)
		}
		vals[i] = v
	}
	return vals, nil
}

func namedLookup(args any) (func(string) (any, bool), error) {
	if m, ok := args.(map[string]any); ok {
		return func(n string) (any, bool) { v, ok := m[n]; return v, ok }, nil
	}
	rv := reflect.ValueOf(args)
	for rv.Kind() == reflect.Pointer && !rv.IsNil() {
		rv = rv.Elem()
	}
	switch rv.Kind() {
	case reflect.Map:
		if rv.Type().Key().Kind() != reflect.String {
			break
		}
		return func(n string) (any, bool) {
			v := rv.MapIndex(reflect.ValueOf(n).Convert(rv.Type().Key()))
			if !v.IsValid() {
				return nil, false
			}
			return v.Interface(), true
		}, nil
	case reflect.Struct:
		fields := map[string]reflect.Value{}
		folded := map[string]reflect.Value{}
		collectFields(rv, fields, folded)
		return func(n string) (any, bool) {
			if v, ok := fields[n]; ok {
				return v.Interface(), true
			}
			if v, ok := folded[strings.ToLower(n)]; ok {
				return v.Interface(), true
			}
			return nil, false
		}, nil
	case reflect.Invalid:
		return func(string) (any, bool) { return nil, false }, nil
	}
	return nil, fmt.Errorf("codec: named parameters need a map[string]any or a struct, not %T", args)
}

// collectFields maps tag names exactly and Go field names by lower case;
// an outer field hides an embedded one of the same name.
func collectFields(rv reflect.Value, tagged, folded map[string]reflect.Value) {
	t := rv.Type()
	var embedded []reflect.Value
	for i := range t.NumField() {
		f := t.Field(i)
		if f.Anonymous {
			fv := rv.Field(i)
			for fv.Kind() == reflect.Pointer && !fv.IsNil() {
				fv = fv.Elem()
			}
			if fv.Kind() == reflect.Struct {
				embedded = append(embedded, fv)
				continue
			}
		}
		if !f.IsExported() {
			continue
		}
		tag := f.Tag.Get("db")
		if tag == "-" {
			continue
		}
		if name, _, _ := strings.Cut(tag, ","); name != "" {
			if _, dup := tagged[name]; !dup {
				tagged[name] = rv.Field(i)
			}
			continue
		}
		if _, dup := folded[strings.ToLower(f.Name)]; !dup {
			folded[strings.ToLower(f.Name)] = rv.Field(i)
		}
	}
	for _, e := range embedded {
		collectFields(e, tagged, folded)
	}
}
