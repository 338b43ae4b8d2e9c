package wire

// Authentication request codes.
const (
	authOK                = 0
	authKerberosV5        = 2
	authCleartextPassword = 3
	authMD5Password       = 5
	authSCMCredential     = 6
	authGSS               = 7
	authGSSContinue       = 8
	authSSPI              = 9
	authSASL              = 10
	authSASLContinue      = 11
	authSASLFinal         = 12
)

// authMessage is a decoded Authentication* message.
type authMessage struct {
	code       int32
	salt       []byte   // MD5
	mechanisms []string // SASL
	data       []byte   // SASLContinue / SASLFinal
}

func decodeAuthentication(body []byte) (authMessage, *ProtocolError) {
	r := reader{b: body, msg: "Authentication"}
	m := authMessage{code: r.int32()}
	switch m.code {
	case authMD5Password:
		m.salt = r.bytes(4)
	case authSASL:
		for r.err == nil {
			s := r.cstring()
			if s == "" {
				break
			}
			m.mechanisms = append(m.mechanisms, s)
		}
	case authSASLContinue, authSASLFinal, authGSSContinue:
		m.data = r.rest()
	}
	return m, r.done()
}
