package wire

import (
	"strconv"
)

// decodeReadyForQuery decodes into ev (reused).
func decodeReadyForQuery(body []byte, ev *ReadyForQuery) *ProtocolError {
	r := reader{b: body, msg: "ReadyForQuery"}
	ev.TxStatus = r.byte1()
	if r.err == nil && ev.TxStatus != TxIdle && ev.TxStatus != TxInTransaction && ev.TxStatus != TxFailed {
		r.fail("unknown transaction status " + strconv.QuoteRune(rune(ev.TxStatus)))
	}
	return r.done()
}
