package pgtest_test

import (
	"testing"
	"time"

	"github.com/pgactor/pgactor/internal/pgtest"
)

// BenchmarkStartClose is the cost a test package pays for its cluster.
func BenchmarkStartClose(b *testing.B) {
	cluster.RequireLocal(b, "servers of its own")
	b.ReportAllocs()
	var startup time.Duration
	n := 0
	for b.Loop() {
		c, err := pgtest.Start()
		if err != nil {
			b.Fatal(err)
		}
		startup += c.StartupTime
		n++
		if err := c.Close(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(startup.Milliseconds())/float64(n), "ms-startup/op")
}

// BenchmarkExec is one admin statement through psql.
func BenchmarkExec(b *testing.B) {
	b.ReportAllocs()
	ctx := b.Context()
	for b.Loop() {
		if _, err := cluster.Exec(ctx, "SELECT 1"); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDSN(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		_ = cluster.DSN(pgtest.SCRAM)
	}
}

func BenchmarkExternalParams(b *testing.B) {
	dsn := cluster.DSN(pgtest.Cert)
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := pgtest.ExternalParams(dsn); err != nil {
			b.Fatal(err)
		}
	}
}
