package wire

// Clone returns a copy of the row that survives the client's reuse of the
// DataRow event: its own Values slice (the value bytes are still shared
// views, which the client never overwrites) and the same decoding context.
func (r *DataRow) Clone() *DataRow {
	c := *r
	c.Values = append([][]byte(nil), r.Values...)
	return &c
}
