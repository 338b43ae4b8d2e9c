package actor_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"net"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/pgactor/pgactor/actor"
	"github.com/pgactor/pgactor/internal/pgtest"
	"github.com/pgactor/pgactor/wire"
	"github.com/pgactor/pgactor/wire/codec"
)

// config returns an actor configuration for role r on the test cluster.
func config(t testing.TB, r pgtest.Role) actor.Config {
	t.Helper()
	cluster.RequireRole(t, r)
	p := cluster.Params(r)
	cfg := actor.Config{
		Network: "tcp",
		Address: net.JoinHostPort(p["host"], p["port"]),
		Wire:    wire.Config{User: p["user"], Database: p["dbname"], Password: p["password"]},
	}
	if p["sslmode"] == "require" || p["sslmode"] == "verify-full" || p["sslmode"] == "verify-ca" {
		cfg.TLS = tlsConfig(t, cluster.CACert)
		cfg.TLSRequired = true
	}
	return cfg
}

func tlsConfig(t testing.TB, caFile string) *tls.Config {
	t.Helper()
	pem, err := os.ReadFile(caFile)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pem)
	return &tls.Config{RootCAs: pool, ServerName: "localhost"}
}

func connect(t testing.TB, cfg actor.Config) *actor.Actor {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	a, err := actor.Connect(ctx, nil, cfg)
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		a.Close(ctx)
	})
	return a
}

// query runs sql with args and returns every row's first column as text,
// decoded in this goroutine as a consumer would.
func query(ctx context.Context, a *actor.Actor, sql string, args ...any) ([]string, actor.Completion, error) {
	cmd := &actor.Command{Kind: actor.CmdQuery, SQL: sql, Args: args, Rows: actor.NewRowStream(4)}
	if len(args) == 0 {
		cmd.Kind = actor.CmdSimple
	}
	a.Do(ctx, cmd)
	var out []string
	var vals [][]byte
	var derr error
	for {
		batch, ok := cmd.Rows.Next(ctx)
		if !ok {
			break
		}
		for _, r := range batch {
			var err error
			vals, err = wire.ParseDataRow(r.Data, vals)
			if err != nil {
				derr = err
				continue
			}
			f := r.Columns.Fields[0]
			var s any
			if err := codec.Default().Scan(f.TypeOID, f.Format, vals[0], &s, nil); err != nil {
				derr = err
				continue
			}
			out = append(out, toString(s))
		}
		cmd.Rows.Recycle(batch)
	}
	comp, err := cmd.Result.Await(ctx)
	if err == nil {
		err = derr
	}
	return out, comp, err
}

func toString(v any) string {
	switch x := v.(type) {
	case nil:
		return "NULL"
	case string:
		return x
	case int64:
		return strconv.FormatInt(x, 10)
	case int32:
		return strconv.FormatInt(int64(x), 10)
	case bool:
		return strconv.FormatBool(x)
	}
	return "?"
}

// exec runs sql and returns its completion, discarding rows.
func exec(ctx context.Context, a *actor.Actor, sql string, args ...any) (actor.Completion, error) {
	cmd := &actor.Command{Kind: actor.CmdQuery, SQL: sql, Args: args}
	if len(args) == 0 {
		cmd.Kind = actor.CmdSimple
	}
	a.Do(ctx, cmd)
	return cmd.Result.Await(ctx)
}
