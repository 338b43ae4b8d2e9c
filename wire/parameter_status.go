package wire

// DecodeParameterStatus decodes a ParameterStatus body.
func DecodeParameterStatus(body []byte) (*ParameterStatus, error) {
	r := reader{b: body, msg: "ParameterStatus"}
	ev := &ParameterStatus{Name: r.cstring(), Value: r.cstring()}
	if err := r.done(); err != nil {
		return nil, err
	}
	return ev, nil
}
