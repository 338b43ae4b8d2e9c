package wire

// DecodeParameterDescription decodes a ParameterDescription body.
func DecodeParameterDescription(body []byte) (*ParameterDescription, error) {
	ev, err := decodeParameterDescription(body)
	if err != nil {
		return nil, err
	}
	return ev, nil
}

func decodeParameterDescription(body []byte) (*ParameterDescription, *ProtocolError) {
	r := reader{b: body, msg: "ParameterDescription"}
	n := int(uint16(r.int16())) // up to 65535 parameters
	if r.err == nil && n*4 > len(r.b) {
		r.fail("count exceeds message")
	}
	ev := &ParameterDescription{}
	if r.err == nil {
		ev.OIDs = make([]uint32, n)
		for i := range ev.OIDs {
			ev.OIDs[i] = r.uint32()
		}
	}
	if err := r.done(); err != nil {
		return nil, err
	}
	return ev, nil
}
