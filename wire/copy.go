package wire

// decodeCopyResponse decodes CopyInResponse / CopyOutResponse bodies.
func decodeCopyResponse(body []byte, name string) (int8, []int16, *ProtocolError) {
	r := reader{b: body, msg: name}
	format := int8(r.byte1())
	n := r.count(2)
	var cols []int16
	if r.err == nil {
		cols = make([]int16, n)
		for i := range cols {
			cols[i] = r.int16()
		}
	}
	return format, cols, r.done()
}
