package actor_test

import (
	"context"
	"net"
	"testing"

	"github.com/pgactor/pgactor/actor"
	"github.com/pgactor/pgactor/internal/pgtest"
	"github.com/pgactor/pgactor/wire"
	"github.com/pgactor/pgactor/wire/codec"
)

// BenchmarkSequentialActor is one goroutine running SELECT $1::int8 through
// the actor, scanning the value: round trip plus the actor's hops.
func BenchmarkSequentialActor(b *testing.B) {
	a := connect(b, config(b, pgtest.Trust))
	ctx := context.Background()
	b.ReportAllocs()
	var vals [][]byte
	var i int64
	for b.Loop() {
		i++
		cmd := &actor.Command{Kind: actor.CmdQuery, SQL: "SELECT $1::int8", Args: []any{i}, Rows: actor.NewRowStream(1)}
		a.Do(ctx, cmd)
		for {
			batch, ok := cmd.Rows.Next(ctx)
			if !ok {
				break
			}
			vals, _ = wire.ParseDataRow(batch[0].Data, vals)
		}
		if _, err := cmd.Result.Await(ctx); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSequentialBareWire is the same query through wire on a plain
// net.Conn with no goroutines: the floor the actor is measured against.
func BenchmarkSequentialBareWire(b *testing.B) {
	cfg := config(b, pgtest.Trust)
	nc, err := net.Dial("tcp", cfg.Address)
	if err != nil {
		b.Fatal(err)
	}
	defer nc.Close()
	c := wire.NewClient(cfg.Wire)
	nc.Write(c.Startup())
	buf := make([]byte, 64<<10)
	readyLoop := func() *wire.PreparedStatementInfo {
		var info *wire.PreparedStatementInfo
		for {
			for {
				ev := c.NextEvent()
				if ev == wire.NeedData {
					break
				}
				switch e := ev.(type) {
				case *wire.PreparedStatementInfo:
					info = e
				case *wire.ReadyForQuery:
					return info
				}
			}
			if c.Dead() {
				b.Fatal(c.Err())
			}
			if len(buf) < 4096 {
				buf = make([]byte, 64<<10)
			}
			n, err := nc.Read(buf)
			if err != nil {
				b.Fatal(err)
			}
			c.Receive(buf[:n:n])
			buf = buf[n:]
		}
	}
	readyLoop()
	p, _ := c.Prepare("s", "SELECT $1::int8")
	nc.Write(p)
	info := readyLoop()
	out := make([]byte, 0, 128)
	args := make([]any, 1)
	reg := codec.Default()
	params := &wire.Params{OIDs: info.ParamOIDs}
	b.ReportAllocs()
	var i int64
	for b.Loop() {
		i++
		args[0] = i
		params.Data, _ = reg.AppendParams(params.Data[:0], info.ParamOIDs, args, nil)
		out, _ = c.AppendBindExecute(out[:0], info, params, 0)
		nc.Write(out)
		readyLoop()
	}
}

// BenchmarkPipelined64 is 64 goroutines sharing one actor.
func BenchmarkPipelined64(b *testing.B) {
	a := connect(b, config(b, pgtest.Trust))
	ctx := context.Background()
	b.ReportAllocs()
	b.SetParallelism(32) // 2 cores × 32 = 64 goroutines
	b.RunParallel(func(pb *testing.PB) {
		var i int64
		for pb.Next() {
			i++
			cmd := &actor.Command{Kind: actor.CmdQuery, SQL: "SELECT $1::int8", Args: []any{i}}
			a.Do(ctx, cmd)
			if _, err := cmd.Result.Await(ctx); err != nil {
				b.Error(err)
				return
			}
		}
	})
}
