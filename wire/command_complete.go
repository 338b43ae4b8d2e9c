package wire

// decodeCommandComplete decodes into ev (reused).
func decodeCommandComplete(body []byte, ev *CommandComplete) *ProtocolError {
	r := reader{b: body, msg: "CommandComplete"}
	raw := r.b
	i := 0
	for i < len(raw) && raw[i] != 0 {
		i++
	}
	if i == len(raw) {
		r.fail("unterminated string")
		return r.err
	}
	// ev is reused: a tag like the last one (as in a run of one kind of
	// command) is kept as it is. Common tags are interned so steady-state
	// queries do not allocate.
	if string(raw[:i]) != ev.Tag || ev.Tag == "" {
		ev.Tag = internTag(raw[:i])
		ev.Rows = rowsFromTag(ev.Tag)
	}
	r.b = raw[i+1:]
	return r.done()
}

var commonTags = func() map[string]string {
	m := map[string]string{}
	for _, t := range []string{"SELECT 0", "SELECT 1", "INSERT 0 0", "INSERT 0 1", "UPDATE 0", "UPDATE 1",
		"DELETE 0", "DELETE 1", "BEGIN", "COMMIT", "ROLLBACK", "SET", "SAVEPOINT", "RELEASE",
		"CREATE TABLE", "DROP TABLE", "TRUNCATE TABLE", "LISTEN", "UNLISTEN", "NOTIFY", "DISCARD ALL", "DEALLOCATE", "DO"} {
		m[t] = t
	}
	return m
}()

func internTag(b []byte) string {
	if s, ok := commonTags[string(b)]; ok { // no allocation: the compiler folds string(b) in a map index
		return s
	}
	return string(b)
}
