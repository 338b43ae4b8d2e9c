package actor

import (
	"math/big"
	"reflect"
	"testing"
)

type snapInner struct {
	Tags []string
	n    []int // unexported: shared, the codec never reads it
}

type snapNode struct {
	Name string
	Next *snapNode
}

// TestSnapshotArgs changes everything the arguments reference after the
// snapshot: the copy keeps the old values.
func TestSnapshotArgs(t *testing.T) {
	b := []byte("abc")
	s := []int32{1, 2}
	m := map[string]any{"k": []int{1}}
	str := "x"
	p := &str
	in := snapInner{Tags: []string{"a"}, n: []int{1}}
	arr := [2][]byte{[]byte("q"), nil}
	bi := big.NewInt(5)
	cyc := &snapNode{Name: "a"}
	cyc.Next = cyc
	args := []any{b, s, m, p, in, &in, arr, bi, 7, "s", nil, cyc}
	snap := snapshotArgs(args)
	want := []any{[]byte("abc"), []int32{1, 2}, map[string]any{"k": []int{1}}, "x", []string{"a"}, []string{"a"}, []byte("q"), int64(5), 7, "s", nil}

	b[0], s[0], str = 'X', 9, "changed"
	m["k"].([]int)[0] = 9
	m["new"] = 1
	in.Tags[0] = "changed"
	arr[0][0] = 'X'
	bi.SetInt64(99)
	cyc.Name = "changed"

	got := []any{snap[0], snap[1], snap[2], *snap[3].(*string), snap[4].(snapInner).Tags, snap[5].(*snapInner).Tags,
		snap[6].([2][]byte)[0], snap[7].(*big.Int).Int64(), snap[8], snap[9], snap[10]}
	for i := range want {
		if !reflect.DeepEqual(got[i], want[i]) {
			t.Errorf("arg %d: snapshot %v, want %v", i, got[i], want[i])
		}
	}
	if n := snap[11].(*snapNode); n.Name != "a" || n == cyc {
		t.Errorf("cyclic value: %+v", n)
	}
	if snapshotArgs(nil) != nil {
		t.Error("no arguments should give nil")
	}
}
