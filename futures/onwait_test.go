package futures_test

import (
	"context"
	"testing"

	"github.com/pgactor/pgactor/futures"
)

type ctxKey struct{}

// TestOnWait: the hook runs once, on the first wait of a pending future,
// with the waiter's context (Background for Done), and never for a
// resolved one.
func TestOnWait(t *testing.T) {
	ctx := context.WithValue(context.Background(), ctxKey{}, "waiter")
	var got []any
	var f futures.Future[int]
	f.SetOnWait(func(c context.Context) {
		got = append(got, c.Value(ctxKey{}))
		f.Resolve(7, nil)
	})
	if v, err := f.Await(ctx); v != 7 || err != nil {
		t.Fatal(v, err)
	}
	f.Await(ctx)
	<-f.Done()
	if len(got) != 1 || got[0] != "waiter" {
		t.Fatalf("hook calls %v; want one with the waiter's context", got)
	}

	var g futures.Future[int]
	g.SetOnWait(func(c context.Context) {
		got = append(got, c.Value(ctxKey{}))
		g.Resolve(1, nil)
	})
	<-g.Done()
	if len(got) != 2 || got[1] != nil {
		t.Fatalf("hook calls %v; want Done's with no waiter context", got)
	}

	var h futures.Future[int]
	h.SetOnWait(func(context.Context) { t.Fatal("hook ran for a resolved future") })
	h.Resolve(2, nil)
	if err := futures.AwaitAll(ctx, &h); err != nil {
		t.Fatal(err)
	}

	var a futures.Future[int]
	a.SetOnWait(func(c context.Context) {
		got = append(got, c.Value(ctxKey{}))
		a.Resolve(3, nil)
	})
	if err := futures.AwaitAll(ctx, &a); err != nil || len(got) != 3 || got[2] != "waiter" {
		t.Fatalf("AwaitAll: %v, hook calls %v", err, got)
	}
}
