package session

import "errors"

// Deps pins what ParseConfig consults outside its arguments.
type Deps struct {
	// Env is the whole environment; a missing key is an unset variable.
	Env map[string]string
	// OSUser is the operating system user name; empty means unknown.
	OSUser string
	// Dirs are the directories that exist, for the default socket directory.
	Dirs []string
	// GOOS defaults to "linux".
	GOOS string
}

// ParseConfigDeps is ParseConfig with every outside lookup pinned.
func ParseConfigDeps(connString string, d Deps) (*Config, error) {
	goos := d.GOOS
	if goos == "" {
		goos = "linux"
	}
	return parseConfig(connString, sysDeps{
		env: func(k string) (string, bool) {
			v, ok := d.Env[k]
			return v, ok
		},
		osUser: func() (string, error) {
			if d.OSUser == "" {
				return "", errors.New("unknown user")
			}
			return d.OSUser, nil
		},
		dirExists: func(p string) bool {
			for _, dir := range d.Dirs {
				if dir == p {
					return true
				}
			}
			return false
		},
		goos: goos,
	})
}

// PgpassLine is one parsed password file line.
type PgpassLine struct {
	Fields   [4]string
	Wild     [4]bool
	Password string
}

// ParsePgpassLine exposes the password file line parser.
func ParsePgpassLine(line string) (PgpassLine, bool) {
	e, ok := parsePgpassLine(line)
	return PgpassLine{Fields: e.fields, Wild: e.wild, Password: e.password}, ok
}
