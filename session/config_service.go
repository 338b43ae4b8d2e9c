package session

import (
	"bufio"
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// Connection service files, as libpq reads them: service=name (or
// PGSERVICE) names a section of the user's file (servicefile, PGSERVICEFILE
// or ~/.pg_service.conf) or, when that file has no such section, of the
// system's (PGSYSCONFDIR/pg_service.conf, by default Debian's
// /etc/postgresql-common/pg_service.conf). The section's key=value lines
// supply the keys the connection string left out, before the environment
// does.

// defaultSysConfDir is where libpq as packaged by Debian looks without
// PGSYSCONFDIR.
const defaultSysConfDir = "/etc/postgresql-common"

// applyService fills keys from the service the string or PGSERVICE names.
func (p *parser) applyService(deps sysDeps) error {
	name, from := p.settings["service"].value, "service"
	if _, given := p.settings["service"]; !given {
		v, ok := deps.env("PGSERVICE")
		if !ok || v == "" {
			return nil
		}
		name, from = v, "PGSERVICE"
	}
	if name == "" {
		return nil
	}
	var files []string
	switch {
	case p.settings["servicefile"].value != "":
		files = append(files, p.settings["servicefile"].value)
	default:
		if f, ok := deps.env("PGSERVICEFILE"); ok && f != "" {
			files = append(files, f)
		} else if home, ok := deps.env("HOME"); ok && home != "" {
			files = append(files, filepath.Join(home, ".pg_service.conf"))
		}
	}
	sysdir := defaultSysConfDir
	if d, ok := deps.env("PGSYSCONFDIR"); ok && d != "" {
		sysdir = d
	}
	files = append(files, filepath.Join(sysdir, "pg_service.conf"))
	for _, f := range files {
		section, found, err := readService(f, name)
		if err != nil {
			return &ConfigError{Key: "service", Msg: err.Error()}
		}
		if !found {
			continue
		}
		for _, kv := range section {
			if kv[0] == "service" || kv[0] == "servicefile" {
				return &ConfigError{Key: "service", Msg: "nested service specifications are not supported (" + f + ")"}
			}
			if _, given := p.settings[kv[0]]; given {
				continue
			}
			if kv[0] == "password" {
				p.addSecret(kv[1])
			}
			p.settings[kv[0]] = setting{value: kv[1], envVar: "service " + strconv.Quote(name) + " in " + f}
		}
		return nil
	}
	msg := "definition of service " + strconv.Quote(name) + " not found in " + strings.Join(files, " or ")
	if from == "PGSERVICE" {
		msg += " (from PGSERVICE)"
	}
	return &ConfigError{Key: "service", Msg: msg}
}

// readService returns the key=value pairs of section name in file; a
// missing file has no sections.
func readService(file, name string) (kvs [][2]string, found bool, err error) {
	data, err := os.ReadFile(file)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, errors.New("cannot read service file: " + err.Error())
	}
	in := false
	sc := bufio.NewScanner(bytes.NewReader(data))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		switch {
		case line == "" || line[0] == '#':
			continue
		case line[0] == '[':
			if found && in {
				return kvs, true, nil // the section ended
			}
			if !strings.HasSuffix(line, "]") {
				return nil, false, errors.New("syntax error in service file " + file + ", line " + strconv.Itoa(n))
			}
			in = line[1:len(line)-1] == name
			found = found || in
			continue
		}
		if !in {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			return nil, false, errors.New("syntax error in service file " + file + ", line " + strconv.Itoa(n))
		}
		kvs = append(kvs, [2]string{strings.TrimSpace(k), strings.TrimSpace(v)})
	}
	if err := sc.Err(); err != nil {
		return nil, false, errors.New("cannot read service file " + file + ": " + err.Error())
	}
	return kvs, found, nil
}
