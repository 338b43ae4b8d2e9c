package session

import (
	"bufio"
	"os"
	"strconv"
	"strings"
)

// pgpassEntry is one line of a password file:
// hostname:port:database:username:password.
type pgpassEntry struct {
	// fields are hostname, port, database and username, unescaped.
	fields [4]string
	// wild marks fields written as a bare "*"; an escaped "\*" is a
	// literal star.
	wild     [4]bool
	password string
}

// maxPgpassLine bounds one line of the password file; a longer line ends
// the scan with a warning rather than growing a buffer without limit.
const maxPgpassLine = 1 << 20

// parsePgpassLine splits a line on unescaped colons. "\:" and "\\" stand
// for ":" and "\" (and a backslash before any other byte for that byte, as
// in libpq). Comments, blank lines and lines with fewer than five fields
// report false. Anything after a fifth field is ignored, as libpq does.
func parsePgpassLine(line string) (pgpassEntry, bool) {
	var e pgpassEntry
	line = strings.TrimSuffix(line, "\r")
	if line == "" || line[0] == '#' {
		return e, false
	}
	var b strings.Builder
	field, escaped := 0, false
	for i := 0; i < len(line); i++ {
		c := line[i]
		if c == '\\' && i+1 < len(line) {
			b.WriteByte(line[i+1])
			i++
			escaped = true
			continue
		}
		if c != ':' {
			b.WriteByte(c)
			continue
		}
		if field == 4 {
			break
		}
		e.fields[field] = b.String()
		e.wild[field] = !escaped && e.fields[field] == "*"
		b.Reset()
		escaped = false
		field++
	}
	if field < 4 {
		return pgpassEntry{}, false
	}
	e.password = b.String()
	return e, true
}

// matches reports whether the entry applies to a connection.
func (e *pgpassEntry) matches(host, port, database, user string) bool {
	want := [4]string{host, port, database, user}
	for i := range want {
		if !e.wild[i] && e.fields[i] != want[i] {
			return false
		}
	}
	return true
}

// readPassFile reads the password file at path. A missing file is not an
// error; a file that is not a plain file, or that group or others may
// access (outside Windows), is ignored with a warning, as libpq does.
func readPassFile(path, goos string) ([]pgpassEntry, string) {
	fi, err := os.Stat(path)
	if err != nil {
		if os.IsNotExist(err) {
			return nil, ""
		}
		return nil, "password file " + strconv.Quote(path) + " is ignored: " + err.Error()
	}
	if !fi.Mode().IsRegular() {
		return nil, "password file " + strconv.Quote(path) + " is ignored: not a plain file"
	}
	if goos != "windows" && fi.Mode().Perm()&0o077 != 0 {
		return nil, "password file " + strconv.Quote(path) +
			" is ignored: it has group or world access; permissions should be u=rw (0600) or less"
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, "password file " + strconv.Quote(path) + " is ignored: " + err.Error()
	}
	defer f.Close()
	var entries []pgpassEntry
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 4096), maxPgpassLine)
	for sc.Scan() {
		if e, ok := parsePgpassLine(sc.Text()); ok {
			entries = append(entries, e)
		}
	}
	if err := sc.Err(); err != nil {
		// Entries before the bad spot still count: libpq would have
		// matched them first too.
		return entries, "password file " + strconv.Quote(path) + " was read only in part: " + err.Error()
	}
	return entries, ""
}

// matchPgpass returns the password of the first matching entry, or "".
func matchPgpass(entries []pgpassEntry, host, port, database, user string) string {
	for i := range entries {
		if entries[i].matches(host, port, database, user) {
			return entries[i].password
		}
	}
	return ""
}

// pgpassHost is the host name a connection is looked up under. libpq
// looks up a connection through the default socket directory as
// "localhost"; any other socket directory is matched by its path.
func pgpassHost(host string) string {
	for _, d := range defaultSocketDirs {
		if strings.TrimSuffix(host, "/") == d {
			return "localhost"
		}
	}
	return host
}
