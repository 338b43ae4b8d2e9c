package pgtest

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"os/user"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// defaultOSUser runs the server when the test binary is root; Debian's
// postgresql package creates it, and we create it where it is missing.
const defaultOSUser = "postgres"

// serverCredential returns the identity initdb and postgres run with: nil
// (the test binary's own) unless the test binary is root, because postgres
// refuses to run as root; then the OS user name, created when missing.
func serverCredential(name string) (*syscall.Credential, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	if name == "" {
		name = defaultOSUser
	}
	u, err := ensureOSUser(name, 30*time.Second)
	if err != nil {
		return nil, err
	}
	uid, err := strconv.ParseUint(u.Uid, 10, 32)
	if err != nil {
		return nil, fmt.Errorf("pgtest: OS user %s: uid %q: %w", name, u.Uid, err)
	}
	gid, err := strconv.ParseUint(u.Gid, 10, 32)
	if err != nil {
		return nil, fmt.Errorf("pgtest: OS user %s: gid %q: %w", name, u.Gid, err)
	}
	if uid == 0 {
		return nil, fmt.Errorf("pgtest: OS user %s is root, and postgres refuses to run as root", name)
	}
	// An empty Groups drops root's supplementary groups too.
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid), Groups: []uint32{}}, nil
}

// ensureOSUser looks up the OS user name and creates it as a system user
// without a home or a login shell if it does not exist. Test binaries of
// several packages may race to create the same user, and concurrent useradd
// runs can each add it (seen: one name, two uids), so creators take an
// exclusive flock on /etc/passwd first: shadow-utils lock with lock files,
// not flock, so this only orders pgtest instances among themselves.
func ensureOSUser(name string, patience time.Duration) (*user.User, error) {
	if u, err := user.Lookup(name); err == nil {
		return u, nil
	}
	unlock := lockUserDB()
	defer unlock()
	deadline := time.Now().Add(patience)
	for {
		u, err := user.Lookup(name)
		if err == nil {
			return u, nil
		}
		var unknown user.UnknownUserError
		if !errors.As(err, &unknown) {
			return nil, fmt.Errorf("pgtest: looking up OS user %s: %w", name, err)
		}
		args := []string{"--system", "--no-create-home", "--shell", "/usr/sbin/nologin"}
		if _, err := user.LookupGroup(name); err == nil {
			args = append(args, "--gid", name)
		} else {
			args = append(args, "--user-group")
		}
		out, err := exec.Command("useradd", append(args, name)...).CombinedOutput()
		if err == nil {
			continue
		}
		if errors.Is(err, exec.ErrNotFound) {
			return nil, fmt.Errorf("pgtest: OS user %s does not exist and useradd is missing: "+
				"create an unprivileged user for the server and name it with WithOSUser", name)
		}
		// Someone else's useradd or passwd may hold the shadow-utils lock.
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("pgtest: creating OS user %s: %w: %s", name, err, strings.TrimSpace(string(out)))
		}
		time.Sleep(20*time.Millisecond + rand.N(80*time.Millisecond))
	}
}

// lockUserDB takes an exclusive flock on /etc/passwd and returns its
// release. Without the file there is nothing to order, and useradd will say
// what is wrong.
func lockUserDB() (unlock func()) {
	f, err := os.Open("/etc/passwd")
	if err != nil {
		return func() {}
	}
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX)
		if err != syscall.EINTR {
			break
		}
	}
	return func() { f.Close() } // closing the last descriptor releases the lock
}
