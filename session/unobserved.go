package session

import (
	"context"
	"log/slog"
	"strings"
	"unicode/utf8"

	"github.com/pgactor/pgactor/futures"
)

// A future is the only way a command's error reaches its caller, so a
// failed command whose future was dropped unawaited would fail in silence.
// When such a future is garbage-collected, the failure is reported to
// Options.Logger (warning level) and Options.OnUnobservedError. Only the
// futures of failed commands are armed (futures.ReportUnobserved), so
// awaited and successful commands cost nothing.
//
// Reported: Query, SimpleQuery and Exec of a Session, Pool or Conn, and
// SendBatch when neither the batch's future nor any of its commands'
// futures was observed. Not reported: QueryRow (a Row is read by Scan),
// the commands of a transaction (Commit reports the first failure and
// rolls back), a batch holding a QueryRow, and the library's own commands.

// unobserved is what a report needs, copied out of the command: the
// report must not reach the future, or the future is never collected.
type unobserved struct {
	ctx    context.Context
	sql    string // the statement's first words, never its arguments
	err    error
	logger *slog.Logger
	hook   func(ctx context.Context, sql string, err error)
	// peers are the futures of a batch's commands: a batch read through
	// any of them was observed.
	peers []interface{ Observed() bool }
}

// reportUnobserved runs on a runtime goroutine after a collection.
func reportUnobserved(u unobserved) {
	for _, p := range u.peers {
		if p.Observed() {
			return
		}
	}
	if u.logger != nil {
		u.logger.WarnContext(u.ctx, "pgactor: a command failed and its future was never awaited", "sql", u.sql, "err", u.err)
	}
	if u.hook != nil {
		u.hook(u.ctx, u.sql, u.err)
	}
}

// watched reports whether the failures of commands sent through t are
// reported when their futures are dropped.
func watched(t target) bool {
	switch t.(type) {
	case *Pool, *Session, *Conn:
		return true
	}
	return false
}

// watchFailure arms f, which failed with err, to be reported if nobody
// observes it. Call it after resolving f; sql is what the report names.
func watchFailure[T any](x *common, ctx context.Context, f *futures.Future[T], sql string, err error, peers []interface{ Observed() bool }) {
	if err == nil || (x.logger == nil && x.onUnobserved == nil) {
		return
	}
	u := unobserved{ctx: ctx, sql: sql, err: err, logger: x.logger, hook: x.onUnobserved, peers: peers}
	futures.ReportUnobserved(f, reportUnobserved, u)
}

// firstWords returns up to n words of sql, each cut at 32 bytes: enough to
// tell which statement failed, too little to carry its literals.
func firstWords(sql string, n int) string {
	words := strings.Fields(sql)
	if len(words) > n {
		words = words[:n]
	}
	for i, w := range words {
		if len(w) > 32 {
			cut := 32
			for cut > 0 && !utf8.RuneStart(w[cut]) {
				cut--
			}
			words[i] = w[:cut] + "…"
		}
	}
	return strings.Join(words, " ")
}

// batchHead names a batch in a report: "batch: " and the first words of
// its first command.
func batchHead(b *Batch) string {
	if len(b.cmds) == 0 {
		return "batch"
	}
	return "batch: " + firstWords(b.cmds[0].SQL, 3)
}

// batchPeers returns the futures through which b is read, or ok false
// when b holds a QueryRow, whose Row is read by Scan and whose memory is
// reused afterwards.
func batchPeers(b *Batch) (peers []interface{ Observed() bool }, ok bool) {
	if len(b.rows) > 0 {
		return nil, false
	}
	for _, q := range b.qs {
		peers = append(peers, q.fut)
	}
	for _, e := range b.es {
		peers = append(peers, e.fut)
	}
	return peers, true
}
