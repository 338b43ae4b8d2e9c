// Package wire is a PostgreSQL frontend/backend protocol (v3) client that
// does no I/O: bytes in, typed events out, bytes to send back. It owns no
// socket, starts no goroutine and reads no clock; whoever drives it (in
// pgactor, the connection actor) moves the bytes. It depends on the
// standard library and SCRAM only.
//
// The model is pg-purepy's SansIOClient, and its states keep that client's
// names and numbers (see State). Driving it is the seed's "ready loop":
//
//	c := wire.NewClient(wire.Config{User: "app", Password: pw})
//	send(c.Startup())
//	for !c.Ready() {
//		for ev := c.NextEvent(); ev != wire.NeedData; ev = c.NextEvent() {
//			handle(ev) // AuthenticationRequest, ParameterStatus, ..., ReadyForQuery
//		}
//		send(c.NeededSync()) // authentication answers, next Execute, Sync
//		c.Receive(read())
//	}
//
// Unlike the seed, commands may be issued while earlier ones are in flight:
// SimpleQuery, Prepare, BindExecute and ExecuteUnnamed each end with their
// own Sync, the client keeps a FIFO of what it expects back, and State
// describes the command at the head. An error in one command ends at its
// Sync and leaves the next untouched. A paged BindExecute (maxRows > 0) ends
// with Flush instead, because a Sync would close its portal; commands issued
// behind it are held inside the client and released, through NeededSync,
// once it completes.
//
// Errors come in three kinds: *ErrorOrNoticeResponse is the server's (a
// recoverable one is just an event; a FATAL one kills the client),
// *ProtocolError is the peer breaking the protocol (kills the client), and
// *UsageError is the caller's (changes nothing). *AuthError reports an
// authentication this client refused to take part in, before any password
// byte was sent. After death every call fails with an error wrapping ErrDead
// and the cause.
//
// Received bytes are never written over, so the value views in DataRow stay
// valid for as long as they are held; decoding a DataRow allocates nothing.
// Values are bytes here: parameters arrive encoded (Params) and values
// leave raw; encoding and decoding them is a type registry's work (package
// codec), in the caller's goroutine.
package wire
