package stdlib

import "strings"

// severalStatements reports whether q holds more than one statement: a
// semicolon outside literals, quoted identifiers, dollar quotes and
// comments with anything but blanks and comments behind it. Such a query
// without arguments goes over the simple protocol, which runs several
// statements and returns a result set for each; a single statement keeps
// the extended protocol (the statement cache, binary values). A mistaken
// yes costs nothing but that; an unterminated quote is a no, and the
// server reports it.
func severalStatements(q string) bool {
	if strings.IndexByte(q, ';') < 0 {
		return false
	}
	for i := 0; i < len(q); {
		switch c := q[i]; {
		case c == ';':
			return !onlyBlanks(q[i+1:])
		case c == '\'':
			// E'...' takes backslash escapes; a plain literal does not.
			esc := i > 0 && (q[i-1] == 'E' || q[i-1] == 'e') && (i == 1 || !identByte(q[i-2]))
			i = quoteEnd(q, i, esc)
		case c == '"':
			i = quoteEnd(q, i, false)
		case c == '$':
			i = dollarEnd(q, i)
		case c == '-' || c == '/':
			if n := commentEnd(q, i); n > i {
				i = n
			} else {
				i++
			}
		default:
			i++
		}
	}
	return false
}

// onlyBlanks reports whether s is nothing but white space and comments.
func onlyBlanks(s string) bool {
	for i := 0; i < len(s); {
		switch s[i] {
		case ' ', '\t', '\n', '\r', '\f', '\v':
			i++
			continue
		}
		n := commentEnd(s, i)
		if n == i {
			return false
		}
		i = n
	}
	return true
}

// commentEnd returns the end of the -- or /* */ comment at i (block
// comments nest), or i when none begins there.
func commentEnd(s string, i int) int {
	switch {
	case strings.HasPrefix(s[i:], "--"):
		if n := strings.IndexByte(s[i:], '\n'); n >= 0 {
			return i + n + 1
		}
		return len(s)
	case strings.HasPrefix(s[i:], "/*"):
		depth := 0
		for j := i; j < len(s)-1; j++ {
			switch s[j : j+2] {
			case "/*":
				depth++
				j++
			case "*/":
				depth--
				j++
				if depth == 0 {
					return j + 1
				}
			}
		}
		return len(s)
	}
	return i
}

// quoteEnd returns the index after the quoted literal or identifier that
// opens at i: a doubled quote stays inside, and so does \x when esc.
func quoteEnd(s string, i int, esc bool) int {
	quote := s[i]
	for j := i + 1; j < len(s); j++ {
		switch s[j] {
		case '\\':
			if esc {
				j++
			}
		case quote:
			if j+1 < len(s) && s[j+1] == quote {
				j++
				continue
			}
			return j + 1
		}
	}
	return len(s)
}

// dollarEnd returns the index after the $tag$...$tag$ string opening at
// i, or i+1 when the '$' opens none ($1, or inside an identifier).
func dollarEnd(s string, i int) int {
	if i > 0 && identByte(s[i-1]) {
		return i + 1
	}
	j := i + 1
	for j < len(s) && identByte(s[j]) && !(j == i+1 && s[j] >= '0' && s[j] <= '9') {
		j++
	}
	if j >= len(s) || s[j] != '$' {
		return i + 1
	}
	tag := s[i : j+1]
	if n := strings.Index(s[j+1:], tag); n >= 0 {
		return j + 1 + n + len(tag)
	}
	return len(s)
}

// identByte reports whether c may be part of an unquoted identifier
// (the '$' aside, which ends a dollar-quote tag).
func identByte(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c >= 0x80
}
