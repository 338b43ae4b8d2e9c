package pgotel

import "strings"

// operation returns a statement's first keyword in upper case ("SELECT",
// "INSERT", …) and, where it is cheap to see, the table it works on: the
// name after INSERT INTO, UPDATE, DELETE FROM, COPY, and after the first
// FROM of a SELECT outside parentheses. The table is "" when it is not a
// plain (possibly qualified, possibly quoted) name, such as a function
// call or a subquery. It reads the text only; nothing is executed.
func operation(sql string) (op, table string) {
	s := scanner{src: sql}
	op = strings.ToUpper(s.word())
	switch op {
	case "INSERT":
		if strings.EqualFold(s.word(), "INTO") {
			table = s.name()
		}
	case "UPDATE", "COPY":
		table = s.name()
	case "DELETE":
		if strings.EqualFold(s.word(), "FROM") {
			table = s.name()
		}
	case "SELECT":
		if s.skipToTopLevel("FROM") {
			table = s.name()
			if s.i < len(s.src) && s.src[s.i] == '(' {
				table = "" // a function, not a table
			}
		}
	}
	return op, table
}

// scanner walks SQL text a token at a time, skipping comments.
type scanner struct {
	src string
	i   int
}

// space skips white space and comments.
func (s *scanner) space() {
	for s.i < len(s.src) {
		c := s.src[s.i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f':
			s.i++
		case strings.HasPrefix(s.src[s.i:], "--"):
			if j := strings.IndexByte(s.src[s.i:], '\n'); j >= 0 {
				s.i += j + 1
			} else {
				s.i = len(s.src)
			}
		case strings.HasPrefix(s.src[s.i:], "/*"):
			if j := strings.Index(s.src[s.i+2:], "*/"); j >= 0 {
				s.i += j + 4
			} else {
				s.i = len(s.src)
			}
		default:
			return
		}
	}
}

func isWordByte(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c >= 0x80 || c == '$'
}

// word returns the next bare word ("" if the next token is not one).
func (s *scanner) word() string {
	s.space()
	j := s.i
	for j < len(s.src) && isWordByte(s.src[j]) {
		j++
	}
	w := s.src[s.i:j]
	s.i = j
	return w
}

// name reads a possibly qualified table name: words or "quoted" parts
// joined by dots, and "" when the next token is no name. (After FROM, a
// '(' following the name makes it a function; after INSERT INTO or COPY
// it opens a column list.)
func (s *scanner) name() string {
	var b strings.Builder
	for {
		s.space()
		if s.i >= len(s.src) {
			break
		}
		if s.src[s.i] == '"' {
			j := s.i + 1
			for j < len(s.src) {
				if s.src[j] == '"' {
					if j+1 < len(s.src) && s.src[j+1] == '"' {
						j += 2
						continue
					}
					break
				}
				j++
			}
			if j >= len(s.src) {
				return "" // unterminated
			}
			b.WriteString(strings.ReplaceAll(s.src[s.i+1:j], `""`, `"`))
			s.i = j + 1
		} else {
			w := s.word()
			if w == "" || w[0] >= '0' && w[0] <= '9' || w[0] == '$' {
				return ""
			}
			b.WriteString(strings.ToLower(w))
		}
		s.space()
		if s.i < len(s.src) && s.src[s.i] == '.' {
			b.WriteByte('.')
			s.i++
			continue
		}
		break
	}
	return b.String()
}

// skipToTopLevel moves past the first keyword kw outside parentheses,
// quotes and comments, reporting whether there was one.
func (s *scanner) skipToTopLevel(kw string) bool {
	depth := 0
	for {
		s.space()
		if s.i >= len(s.src) {
			return false
		}
		c := s.src[s.i]
		switch {
		case c == '(':
			depth++
			s.i++
		case c == ')':
			depth--
			s.i++
		case c == '\'' || c == '"':
			j := strings.IndexByte(s.src[s.i+1:], c)
			if j < 0 {
				return false
			}
			s.i += j + 2
		case isWordByte(c):
			if w := s.word(); depth == 0 && strings.EqualFold(w, kw) {
				return true
			}
		default:
			s.i++
		}
	}
}
