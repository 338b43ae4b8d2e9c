package wire

import (
	"bytes"
	"encoding/binary"
	"strconv"
)

// State is where the client's state machine stands. The numbers are the
// seed's (pg-purepy's ProtocolState) so that logs and tests from either side
// read the same. While commands are pipelined, State describes the command
// at the head of the queue.
type State int

// The states. Startup and authentication run once; the 1xx and 3xx states
// describe the command at the head of the in-flight queue.
const (
	StateStartup                           State = 0
	StateSentStartup                       State = 1
	StateAuthenticatedWaitingForCompletion State = 2

	StateSASLStartup       State = 10
	StateSASLFirstSent     State = 11
	StateSASLFirstReceived State = 12
	StateSASLFinalSent     State = 13

	StateMD5Startup State = 20
	StateMD5Sent    State = 21

	StateCleartextStartup State = 30
	StateCleartextSent    State = 31

	StateSimpleQuerySentQuery               State = 100
	StateSimpleQueryReceivedRowDescription  State = 101
	StateSimpleQueryReceivedCommandComplete State = 102

	StateMultiQuerySentParseDescribe            State = 300
	StateMultiQueryReceivedParseComplete        State = 301
	StateMultiQueryReceivedParameterDescription State = 302
	StateMultiQueryDescribeSync                 State = 303

	StateMultiQuerySentBind                State = 310
	StateMultiQueryReadingDataRows         State = 311
	StateMultiQueryReceivedPortalSuspended State = 312
	StateMultiQueryReceivedCommandComplete State = 313

	StateReadyForQuery      State = 999
	StateUnrecoverableError State = 1000
	StateRecoverableError   State = 1001
	StateTerminated         State = 9999
)

var stateNames = map[State]string{
	StateStartup:                                "Startup",
	StateSentStartup:                            "SentStartup",
	StateAuthenticatedWaitingForCompletion:      "AuthenticatedWaitingForCompletion",
	StateSASLStartup:                            "SASLStartup",
	StateSASLFirstSent:                          "SASLFirstSent",
	StateSASLFirstReceived:                      "SASLFirstReceived",
	StateSASLFinalSent:                          "SASLFinalSent",
	StateMD5Startup:                             "MD5Startup",
	StateMD5Sent:                                "MD5Sent",
	StateCleartextStartup:                       "CleartextStartup",
	StateCleartextSent:                          "CleartextSent",
	StateSimpleQuerySentQuery:                   "SimpleQuerySentQuery",
	StateSimpleQueryReceivedRowDescription:      "SimpleQueryReceivedRowDescription",
	StateSimpleQueryReceivedCommandComplete:     "SimpleQueryReceivedCommandComplete",
	StateMultiQuerySentParseDescribe:            "MultiQuerySentParseDescribe",
	StateMultiQueryReceivedParseComplete:        "MultiQueryReceivedParseComplete",
	StateMultiQueryReceivedParameterDescription: "MultiQueryReceivedParameterDescription",
	StateMultiQueryDescribeSync:                 "MultiQueryDescribeSync",
	StateMultiQuerySentBind:                     "MultiQuerySentBind",
	StateMultiQueryReadingDataRows:              "MultiQueryReadingDataRows",
	StateMultiQueryReceivedPortalSuspended:      "MultiQueryReceivedPortalSuspended",
	StateMultiQueryReceivedCommandComplete:      "MultiQueryReceivedCommandComplete",
	StateReadyForQuery:                          "ReadyForQuery",
	StateUnrecoverableError:                     "UnrecoverableError",
	StateRecoverableError:                       "RecoverableError",
	StateTerminated:                             "Terminated",
}

// String returns the state's name, e.g. "ReadyForQuery".
func (s State) String() string {
	if n, ok := stateNames[s]; ok {
		return n
	}
	return "State(" + strconv.Itoa(int(s)) + ")"
}

// This half of the file holds every transition: how each message moves the
// startup exchange or the command at the head of the queue.

// handle interprets one message. It returns the event to report, or nil
// when the message produced none.
func (c *Client) handle(tag byte, body []byte) Event {
	switch tag {
	case TagNoticeResponse:
		ev, err := decodeErrorOrNotice(body, true)
		if err != nil {
			return c.fail(err)
		}
		return ev
	case TagParameterStatus:
		ev, err := DecodeParameterStatus(body)
		if err != nil {
			return c.fail(err.(*ProtocolError))
		}
		c.setParameter(ev.Name, ev.Value)
		return ev
	case TagNotificationResponse:
		if c.state != StateReadyForQuery {
			break
		}
		ev, err := DecodeNotificationResponse(body)
		if err != nil {
			return c.fail(err.(*ProtocolError))
		}
		return ev
	case TagErrorResponse:
		ev, err := decodeErrorOrNotice(body, false)
		if err != nil {
			return c.fail(err)
		}
		// Errors during startup end the session whatever their severity.
		if ev.Fatal() || c.state != StateReadyForQuery || len(c.queue) == 0 {
			c.die(ev)
			c.deathReported = true
			return ev
		}
		h := c.queue[0]
		h.failed = true
		h.copying = false // the server drops any copy data that still comes
		if !h.synced {
			// A paged command ends with Flush; the server now skips
			// everything up to a Sync, so we must send one.
			h.synced = true
			c.out = appendSync(c.out)
			if c.blocker == h {
				c.release()
			}
		}
		return ev
	}
	if c.state != StateReadyForQuery {
		return c.handleStartup(tag, body)
	}
	h := c.head()
	if h == nil {
		return c.unexpected(tag, "no command is in flight")
	}
	if h.failed {
		if tag == TagReadyForQuery {
			return c.readyForQuery(body)
		}
		return c.unexpected(tag, "the command already failed")
	}
	switch h.kind {
	case opSimpleQuery:
		return c.handleSimpleQuery(h, tag, body)
	case opPrepare:
		return c.handlePrepare(h, tag, body)
	case opBindExecute:
		return c.handleBindExecute(h, tag, body)
	case opExecuteUnnamed:
		return c.handleExecuteUnnamed(h, tag, body)
	case opBatch:
		return c.handleBatch(h, tag, body)
	case opCloseStatement:
		switch tag {
		case TagCloseComplete:
			if err := decodeEmpty(body, "CloseComplete"); err != nil {
				return c.fail(err)
			}
			return nil
		case TagReadyForQuery:
			return c.readyForQuery(body)
		}
	}
	return c.unexpected(tag, "")
}

// fail kills the client for a remote protocol error and reports it.
func (c *Client) fail(err *ProtocolError) Event {
	c.die(err)
	c.deathReported = true
	return err
}

func (c *Client) unexpected(tag byte, why string) Event {
	msg := "unexpected message " + strconv.QuoteRune(rune(tag)) + " in state " + c.State().String()
	if why != "" {
		msg += ": " + why
	}
	return c.fail(&ProtocolError{Msg: msg})
}

func (c *Client) readyForQuery(body []byte) Event {
	if err := decodeReadyForQuery(body, &c.rfq); err != nil {
		return c.fail(err)
	}
	c.txStatus = c.rfq.TxStatus
	c.rfq.Tag = nil
	if c.state != StateReadyForQuery {
		c.state = StateReadyForQuery
	} else {
		c.rfq.Tag = c.queue[0].tag
		c.pop()
	}
	return &c.rfq
}

func (c *Client) setParameter(name, value string) {
	c.server[name] = value
	switch name {
	case "client_encoding":
		c.encoding = value
	}
}

func (c *Client) handleStartup(tag byte, body []byte) Event {
	switch c.state {
	case StateStartup:
		return c.unexpected(tag, "startup has not been sent")
	case StateAuthenticatedWaitingForCompletion:
		switch tag {
		case TagBackendKeyData:
			ev, err := DecodeBackendKeyData(body)
			if err != nil {
				return c.fail(err.(*ProtocolError))
			}
			c.pid, c.secret = ev.PID, ev.Secret
			return ev
		case TagReadyForQuery:
			return c.readyForQuery(body)
		}
		return c.unexpected(tag, "")
	}
	switch tag {
	case TagAuthentication:
		m, err := decodeAuthentication(body)
		if err != nil {
			return c.fail(err)
		}
		return c.authenticate(m)
	case TagNegotiateProtocol:
		// We ask for no protocol extensions, so the server has nothing to
		// refuse; accept the message only if it is well formed.
		r := reader{b: body, msg: "NegotiateProtocolVersion"}
		r.int32()
		n := int(r.int32())
		for i := 0; i < n && r.err == nil; i++ {
			r.cstring()
		}
		if err := r.done(); err != nil {
			return c.fail(err)
		}
		return nil
	}
	return c.unexpected(tag, "")
}

func (c *Client) handleSimpleQuery(h *op, tag byte, body []byte) Event {
	switch tag {
	case TagRowDescription:
		rd, err := c.sharedRowDescription(body)
		if err != nil {
			return c.fail(err)
		}
		h.rows = rd
		h.state = StateSimpleQueryReceivedRowDescription
		return rd
	case TagDataRow:
		if h.state != StateSimpleQueryReceivedRowDescription {
			return c.unexpected(tag, "no RowDescription")
		}
		return c.dataRowEvent(h.rows, body)
	case TagCommandComplete:
		if err := decodeCommandComplete(body, &c.cc); err != nil {
			return c.fail(err)
		}
		h.rows = nil
		h.state = StateSimpleQueryReceivedCommandComplete
		return &c.cc
	case TagEmptyQueryResponse:
		if err := decodeEmpty(body, "EmptyQueryResponse"); err != nil {
			return c.fail(err)
		}
		h.state = StateSimpleQueryReceivedCommandComplete
		return &EmptyQueryResponse{}
	case TagCopyInResponse, TagCopyOutResponse:
		name := "CopyInResponse"
		if tag == TagCopyOutResponse {
			name = "CopyOutResponse"
		}
		format, cols, err := decodeCopyResponse(body, name)
		if err != nil {
			return c.fail(err)
		}
		if tag == TagCopyInResponse {
			// Whatever we asked for, the server now waits for copy data
			// (or CopyFail): EndCopy must be able to end it.
			h.copying = true
			return &CopyInResponse{Format: format, ColumnFormats: cols}
		}
		return &CopyOutResponse{Format: format, ColumnFormats: cols}
	case TagCopyData:
		return &CopyData{Data: body}
	case TagCopyDone:
		if err := decodeEmpty(body, "CopyDone"); err != nil {
			return c.fail(err)
		}
		return &CopyDone{}
	case TagReadyForQuery:
		return c.readyForQuery(body)
	}
	return c.unexpected(tag, "")
}

func (c *Client) handlePrepare(h *op, tag byte, body []byte) Event {
	switch {
	case tag == TagParseComplete && h.state == StateMultiQuerySentParseDescribe:
		return c.parseComplete(h, body)
	case tag == TagParameterDescription && h.state == StateMultiQueryReceivedParseComplete:
		ev, err := decodeParameterDescription(body)
		if err != nil {
			return c.fail(err)
		}
		h.info.ParamOIDs = ev.OIDs
		h.state = StateMultiQueryReceivedParameterDescription
		return ev
	case (tag == TagRowDescription || tag == TagNoData) && h.state == StateMultiQueryReceivedParameterDescription:
		if tag == TagNoData {
			if err := decodeEmpty(body, "NoData"); err != nil {
				return c.fail(err)
			}
		} else {
			rd, err := decodeRowDescription(body)
			if err != nil {
				return c.fail(err)
			}
			// Describe(statement) cannot know formats; fill in the ones
			// BindExecute will ask for.
			for i := range rd.Fields {
				rd.Fields[i].Format = c.resultFormat(rd.Fields[i].TypeOID)
			}
			h.info.Columns = rd
		}
		h.state = StateMultiQueryDescribeSync
		return h.info
	case tag == TagReadyForQuery && h.state == StateMultiQueryDescribeSync:
		return c.readyForQuery(body)
	}
	return c.unexpected(tag, "")
}

func (c *Client) handleBindExecute(h *op, tag byte, body []byte) Event {
	switch {
	case tag == TagBindComplete && h.state == StateMultiQuerySentBind:
		if err := decodeEmpty(body, "BindComplete"); err != nil {
			return c.fail(err)
		}
		h.state = StateMultiQueryReadingDataRows
		return &c.bc
	case tag == TagDataRow && h.state == StateMultiQueryReadingDataRows:
		if h.info.Columns == nil {
			return c.unexpected(tag, "the statement returns no rows")
		}
		return c.dataRowEvent(h.info.Columns, body)
	case tag == TagPortalSuspended && h.state == StateMultiQueryReadingDataRows && h.paged:
		if err := decodeEmpty(body, "PortalSuspended"); err != nil {
			return c.fail(err)
		}
		h.state = StateMultiQueryReceivedPortalSuspended
		c.out = appendExecute(c.out, "", h.maxRows)
		c.out = appendFlush(c.out)
		return &PortalSuspended{}
	case (tag == TagCommandComplete || tag == TagEmptyQueryResponse) && h.state == StateMultiQueryReadingDataRows:
		ev := c.commandComplete(h, tag, body)
		if c.dead != nil {
			return ev
		}
		if !h.synced {
			h.synced = true
			c.out = appendSync(c.out)
			if c.blocker == h {
				c.release()
			}
		}
		return ev
	case tag == TagReadyForQuery && h.state == StateMultiQueryReceivedCommandComplete:
		return c.readyForQuery(body)
	}
	return c.unexpected(tag, "")
}

func (c *Client) handleExecuteUnnamed(h *op, tag byte, body []byte) Event {
	switch {
	case tag == TagParseComplete && h.state == StateMultiQuerySentParseDescribe:
		return c.parseComplete(h, body)
	case tag == TagBindComplete && h.state == StateMultiQueryReceivedParseComplete:
		if err := decodeEmpty(body, "BindComplete"); err != nil {
			return c.fail(err)
		}
		h.state = StateMultiQuerySentBind // waiting for the portal's description
		return &c.bc
	case tag == TagRowDescription && h.state == StateMultiQuerySentBind:
		rd, err := c.sharedRowDescription(body)
		if err != nil {
			return c.fail(err)
		}
		h.rows = rd
		h.state = StateMultiQueryReadingDataRows
		return rd
	case tag == TagNoData && h.state == StateMultiQuerySentBind:
		if err := decodeEmpty(body, "NoData"); err != nil {
			return c.fail(err)
		}
		h.state = StateMultiQueryReadingDataRows
		return nil
	case tag == TagDataRow && h.state == StateMultiQueryReadingDataRows && h.rows != nil:
		return c.dataRowEvent(h.rows, body)
	case (tag == TagCommandComplete || tag == TagEmptyQueryResponse) && h.state == StateMultiQueryReadingDataRows:
		return c.commandComplete(h, tag, body)
	case tag == TagReadyForQuery && h.state == StateMultiQueryReceivedCommandComplete:
		return c.readyForQuery(body)
	}
	return c.unexpected(tag, "")
}

// handleBatch follows a batch through its items' answers, each read as
// BindExecute or ExecuteUnnamed reads it; the end of one item's results
// starts the next, and only the last one may be followed by ReadyForQuery.
func (c *Client) handleBatch(h *op, tag byte, body []byte) Event {
	var ev Event
	if h.batch[h.pos].Info != nil {
		ev = c.handleBindExecute(h, tag, body)
	} else {
		ev = c.handleExecuteUnnamed(h, tag, body)
	}
	if c.dead == nil && h.state == StateMultiQueryReceivedCommandComplete && h.pos+1 < len(h.batch) {
		h.pos++
		h.startItem()
	}
	return ev
}

// sharedRowDescription decodes a RowDescription, or returns the previous
// one when the bytes are the same: a repeated query then costs no
// allocation for its description. Shared descriptions are read-only.
func (c *Client) sharedRowDescription(body []byte) (*RowDescription, *ProtocolError) {
	if c.lastRD != nil && bytes.Equal(body, c.lastRDBody) {
		return c.lastRD, nil
	}
	rd, err := decodeRowDescription(body)
	if err != nil {
		return nil, err
	}
	c.lastRD, c.lastRDBody = rd, body // body is never written over, so it may be kept
	return rd, nil
}

func (c *Client) parseComplete(h *op, body []byte) Event {
	if err := decodeEmpty(body, "ParseComplete"); err != nil {
		return c.fail(err)
	}
	h.state = StateMultiQueryReceivedParseComplete
	return &ParseComplete{}
}

// commandComplete ends an extended-protocol command's results with
// CommandComplete or EmptyQueryResponse.
func (c *Client) commandComplete(h *op, tag byte, body []byte) Event {
	h.state = StateMultiQueryReceivedCommandComplete
	if tag == TagEmptyQueryResponse {
		if err := decodeEmpty(body, "EmptyQueryResponse"); err != nil {
			return c.fail(err)
		}
		return &EmptyQueryResponse{}
	}
	if err := decodeCommandComplete(body, &c.cc); err != nil {
		return c.fail(err)
	}
	return &c.cc
}

// resultFormat is the format BindExecute asks for a column of type oid.
func (c *Client) resultFormat(oid uint32) int16 {
	if c.cfg.ResultFormat == nil {
		return 0
	}
	return c.cfg.ResultFormat(oid)
}

func (c *Client) dataRowEvent(rd *RowDescription, body []byte) Event {
	if c.cfg.RawRows {
		if len(body) < 2 || int(binary.BigEndian.Uint16(body)) != len(rd.Fields) {
			return c.fail(&ProtocolError{Msg: "DataRow does not have the " + strconv.Itoa(len(rd.Fields)) + " columns of its RowDescription"})
		}
		// Only what changed is stored: each pointer stored costs a write
		// barrier while the garbage collector marks, once per row here.
		if c.dataRow.Values != nil {
			c.dataRow.Values = nil
		}
		if c.dataRow.Columns != rd {
			c.dataRow.Columns = rd
		}
		c.dataRow.Raw = body
		return &c.dataRow
	}
	vals, err := parseDataRow(body, c.dataRow.Values)
	if err != nil {
		return c.fail(err)
	}
	if len(vals) != len(rd.Fields) {
		return c.fail(&ProtocolError{Msg: "DataRow has " + strconv.Itoa(len(vals)) + " columns, RowDescription " + strconv.Itoa(len(rd.Fields))})
	}
	c.dataRow.Values = vals
	c.dataRow.Raw = body
	c.dataRow.Columns = rd
	return &c.dataRow
}
