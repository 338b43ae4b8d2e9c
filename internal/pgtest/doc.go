// Package pgtest starts a throwaway PostgreSQL cluster for tests, examples
// and benchmarks, from the server binaries installed on the machine.
//
// A package shares one cluster between all its tests through TestMain:
//
//	var cluster *pgtest.Cluster
//
//	func TestMain(m *testing.M) {
//		pgtest.Main(m, &cluster, pgtest.WithLeakCheck(func() error { return goleak.Find() }))
//	}
//
//	func TestSomething(t *testing.T) {
//		cluster.RequireRole(t, pgtest.SCRAM)
//		dsn := cluster.DSN(pgtest.SCRAM)
//		...
//	}
//
// # What a cluster is
//
// Start runs initdb into a fresh directory under /tmp (fsync off, C locale),
// generates a CA, a server certificate for localhost and 127.0.0.1, a client
// certificate for [Cert] and an unrelated CA for negative tests, and starts
// postgres listening on 127.0.0.1 at a free port and on a unix socket in the
// same directory. It then creates one login role per authentication method,
// each with the pg_hba.conf lines its name promises, and a database "pgactor"
// that every role may use:
//
//	role        over TCP (127.0.0.1)                over the socket
//	trust_user  trust, with or without TLS          trust
//	clear_user  password (cleartext)                password
//	md5_user    md5, stored as an MD5 hash          md5
//	scram_user  scram-sha-256                       scram-sha-256
//	ssl_user    scram-sha-256 over TLS only         rejected
//	cert_user   client certificate (CN=cert_user)   rejected
//	postgres    scram-sha-256 (superuser)           trust
//
// Every password is [Password]. The test roles are members of
// pg_signal_backend so tests can terminate each other's backends.
//
// When the test binary runs as root the server runs as an unprivileged OS
// user ("postgres" unless [WithOSUser] says otherwise; created when missing),
// because postgres refuses to run as root.
//
// # Leaving nothing behind
//
// Close stops the server with a fast shutdown and removes the directory.
// [Main] closes the shared cluster after the tests, and also when the test
// binary gets SIGINT or SIGTERM. For the deaths nobody can catch (a test
// panicking in its own goroutine, SIGKILL, a -timeout) two mechanisms remain:
// the postmaster is started with a parent-death signal of SIGKILL, and each
// cluster has a small reaper process (/bin/sh, in its own process group)
// holding the read end of a pipe whose write end only the test binary has.
// When the test binary dies the pipe reports end of file, and the reaper kills
// whatever process still works in the data directory and removes the
// directory. An orderly Close tells the reaper it has nothing to do.
//
// Linux delivers the parent-death signal when the thread that started the
// child exits, not the process. Go only ends a thread when a goroutine exits
// while locked to it with runtime.LockOSThread, so a test that does that right
// after starting a cluster may lose its server; nothing in the standard
// library does.
//
// # External servers
//
// When PGACTOR_TEST_DSN is set, Start starts nothing and returns a Cluster
// with External set: DSN returns that DSN whatever the role, Exec runs psql
// against it, Stop and Restart return [ErrExternal], and RequireRole skips
// tests that need a particular role, authentication method or TLS setup.
//
// # Binaries
//
// The server binaries come from [WithBinDir], else $PG_BINDIR, else the newest
// /usr/lib/postgresql/*/bin, else PATH. Without them Start fails with one
// message naming the Debian package to install.
package pgtest
