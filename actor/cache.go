package actor

import (
	"container/list"

	"github.com/pgactor/pgactor/wire"
)

// stmtCache is the per-connection LRU of named prepared statements, keyed
// by SQL text. Owned by the loop.
type stmtCache struct {
	max   int
	next  uint64
	byKey map[string]*list.Element
	lru   *list.List // front: most recently used; values are *cachedStmt
}

// cachedStmt is one statement: prepared (info set) or being prepared
// (waiters queued behind the Prepare).
type cachedStmt struct {
	sql      string
	name     string
	info     *wire.PreparedStatementInfo
	waiters  []*Command
	elem     *list.Element
	uncached bool // prepared for one use; closed after it
}

func newStmtCache(max int) *stmtCache {
	return &stmtCache{max: max, byKey: map[string]*list.Element{}, lru: list.New()}
}

func (c *stmtCache) get(sql string) *cachedStmt {
	if c.max < 0 {
		return nil
	}
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
	c.next++
	st = &cachedStmt{sql: sql, name: stmtName(c.next)}
	if c.max < 0 {
		st.uncached = true
		return st, nil
	}
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
	if cur, ok := c.byKey[st.sql]; ok && cur == st.elem {
		delete(c.byKey, st.sql)
	}
	st.elem = nil
}

// Len returns the number of cached statements.
func (c *stmtCache) Len() int { return c.lru.Len() }
