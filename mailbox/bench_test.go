package mailbox_test

import (
	"context"
	"runtime"
	"testing"

	"github.com/pgactor/pgactor/mailbox"
)

type benchCommand struct {
	sql string
}

// startOwner receives everything until the mailbox is closed and its lanes
// are empty; the returned channel closes when it has stopped.
func startOwner(mb *mailbox.Mailbox[*benchCommand]) <-chan struct{} {
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		for range mb.Receive() {
		}
	}()
	return stopped
}

func BenchmarkTrySendReceiveSameGoroutine(b *testing.B) {
	mb := mailbox.New[*benchCommand](64)
	cmd := &benchCommand{sql: "select 1"}
	b.ReportAllocs()
	for b.Loop() {
		if err := mb.TrySend(cmd); err != nil {
			b.Fatal(err)
		}
		<-mb.Receive()
	}
	mb.Close()
}

func BenchmarkSendReceive(b *testing.B) {
	mb := mailbox.New[*benchCommand](64)
	stopped := startOwner(mb)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cmd := &benchCommand{sql: "select 1"}
	b.ReportAllocs()
	for b.Loop() {
		if err := mb.Send(ctx, cmd); err != nil {
			b.Fatal(err)
		}
	}
	mb.Close()
	<-stopped
}

// BenchmarkSendReceive64Producers has 64 goroutines sending to one owner, the
// shape of 64 callers sharing one connection.
func BenchmarkSendReceive64Producers(b *testing.B) {
	mb := mailbox.New[*benchCommand](64)
	stopped := startOwner(mb)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	procs := runtime.GOMAXPROCS(0)
	b.SetParallelism((64 + procs - 1) / procs)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		cmd := &benchCommand{sql: "select 1"}
		for pb.Next() {
			if err := mb.Send(ctx, cmd); err != nil {
				b.Error(err)
				return
			}
		}
	})
	mb.Close()
	<-stopped
}
