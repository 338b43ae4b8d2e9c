package wire

// Internals exposed to the external test package for fuzzing decoders that
// the public API only reaches through NextEvent.

func DecodeAuthenticationForTest(body []byte) error {
	_, err := decodeAuthentication(body)
	if err != nil {
		return err
	}
	return nil
}

func DecodeCommandCompleteForTest(body []byte) (string, int64, error) {
	var ev CommandComplete
	if err := decodeCommandComplete(body, &ev); err != nil {
		return "", 0, err
	}
	return ev.Tag, ev.Rows, nil
}

func DecodeReadyForQueryForTest(body []byte) (byte, error) {
	var ev ReadyForQuery
	if err := decodeReadyForQuery(body, &ev); err != nil {
		return 0, err
	}
	return ev.TxStatus, nil
}

func DecodeCopyResponseForTest(body []byte) error {
	if _, _, err := decodeCopyResponse(body, "CopyInResponse"); err != nil {
		return err
	}
	return nil
}

func MD5PasswordForTest(user, password string, salt []byte) string {
	return md5Password(user, password, salt)
}

// SetMaxFrontendBodyForTest lowers the encoder limit so tests need not build
// a 1 GiB message; it returns a function restoring the old one.
func SetMaxFrontendBodyForTest(n int) func() {
	old := maxFrontendBody
	maxFrontendBody = n
	return func() { maxFrontendBody = old }
}
