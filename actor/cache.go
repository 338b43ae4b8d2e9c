package actor

import (
	"container/list"
	"encoding/hex"
	"hash/fnv"
	"sync"
	"sync/atomic"

	"github.com/pgactor/pgactor/wire"
)

// StatementMode says how the connections sharing it run queries with
// arguments: through their statement caches (named statements) or, once a
// pooler in transaction mode was seen, on the unnamed statement in one
// flight. The zero StatementMode uses the caches.
type StatementMode struct {
	unnamed atomic.Bool
	// OnSwitch, when set, is called once, by the connection that first saw
	// a pooler, with the server error that gave it away.
	OnSwitch func(evidence error)
}

// Unnamed reports whether the connections run queries on the unnamed
// statement.
func (m *StatementMode) Unnamed() bool { return m.unnamed.Load() }

// switchToUnnamed moves every connection sharing m to unnamed statements.
func (m *StatementMode) switchToUnnamed(evidence error) {
	if m.unnamed.CompareAndSwap(false, true) && m.OnSwitch != nil {
		m.OnSwitch(evidence)
	}
}

// stmtName derives a statement's name from its text, so that one name
// never means two statements: behind a pooler that hands server
// connections from client to client, a name prepared by another client
// then still means the same SQL. 128 bits of FNV-1a make an accidental
// collision between two texts of one connection's cache negligible.
func stmtName(sql string) string {
	h := fnv.New128a()
	h.Write([]byte(sql))
	var sum [16]byte
	return "pgactor_" + hex.EncodeToString(h.Sum(sum[:0]))
}

// stmtCache is the per-connection LRU of named prepared statements, keyed
// by SQL text. Owned by the loop.
type stmtCache struct {
	max       int
	published *sync.Map // the descriptions callers encode with: SQL → info
	byKey     map[string]*list.Element
	lru       *list.List // front: most recently used; values are *cachedStmt
}

// cachedStmt is one statement: prepared (info set) or being prepared
// (waiters queued behind the Prepare).
type cachedStmt struct {
	sql     string
	name    string
	info    *wire.PreparedStatementInfo
	waiters []*Command
	elem    *list.Element
	seq     uint64 // the encoding number of its Prepare
}

func newStmtCache(max int, published *sync.Map) *stmtCache {
	return &stmtCache{max: max, published: published, byKey: map[string]*list.Element{}, lru: list.New()}
}

// described records st's description and publishes it to callers.
func (c *stmtCache) described(st *cachedStmt, info *wire.PreparedStatementInfo) {
	st.info = info
	if st.elem != nil {
		c.published.Store(st.sql, info)
	}
}

func (c *stmtCache) get(sql string) *cachedStmt {
	e, ok := c.byKey[sql]
	if !ok {
		return nil
	}
	c.lru.MoveToFront(e)
	return e.Value.(*cachedStmt)
}

// add creates a statement for sql and returns it, with the least recently
// used prepared statement it pushed out, if any.
func (c *stmtCache) add(sql string) (st, evicted *cachedStmt) {
	st = &cachedStmt{sql: sql, name: stmtName(sql)}
	st.elem = c.lru.PushFront(st)
	c.byKey[sql] = st.elem
	if c.lru.Len() > c.max {
		// Evict the oldest prepared statement; one still being prepared
		// stays until its Prepare answers.
		for e := c.lru.Back(); e != nil; e = e.Prev() {
			old := e.Value.(*cachedStmt)
			if old.info != nil {
				c.remove(old)
				return st, old
			}
		}
	}
	return st, nil
}

func (c *stmtCache) remove(st *cachedStmt) {
	if st.elem == nil {
		return
	}
	c.lru.Remove(st.elem)
	if st.info != nil {
		c.published.CompareAndDelete(st.sql, st.info)
	}
	if cur, ok := c.byKey[st.sql]; ok && cur == st.elem {
		delete(c.byKey, st.sql)
	}
	st.elem = nil
}

// Len returns the number of cached statements.
func (c *stmtCache) Len() int { return c.lru.Len() }
