package wire

// DecodeNotificationResponse decodes a NotificationResponse body.
func DecodeNotificationResponse(body []byte) (*NotificationResponse, error) {
	r := reader{b: body, msg: "NotificationResponse"}
	ev := &NotificationResponse{PID: r.uint32(), Channel: r.cstring(), Payload: r.cstring()}
	if err := r.done(); err != nil {
		return nil, err
	}
	return ev, nil
}
