package wire

// DecodeBackendKeyData decodes a BackendKeyData body.
func DecodeBackendKeyData(body []byte) (*BackendKeyData, error) {
	r := reader{b: body, msg: "BackendKeyData"}
	ev := &BackendKeyData{PID: r.uint32(), Secret: r.uint32()}
	if err := r.done(); err != nil {
		return nil, err
	}
	return ev, nil
}
