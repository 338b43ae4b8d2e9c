package wire_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/pgactor/pgactor/internal/fakepg"
	"github.com/pgactor/pgactor/wire"
	"github.com/pgactor/pgactor/wire/codec"
)

func TestSimpleQuery(t *testing.T) {
	for _, sp := range splitters {
		t.Run(sp.name, func(t *testing.T) {
			c := started(t, wire.Config{})
			if _, err := c.SimpleQuery("SELECT a, b FROM t; UPDATE t SET a = 1; ;"); err != nil {
				t.Fatal(err)
			}
			if c.State() != wire.StateSimpleQuerySentQuery || c.Ready() {
				t.Fatalf("state %v", c.State())
			}
			stream := fakepg.Concat(
				fakepg.RowDescription(fakepg.Column{Name: "a", TypeOID: 25}, fakepg.Column{Name: "b", TypeOID: 25}),
				fakepg.TextRow("x", "y"),
				fakepg.DataRow([]byte("z"), nil),
				fakepg.SelectComplete(2),
				fakepg.CommandComplete("UPDATE 7"),
				fakepg.EmptyQueryResponse(),
				fakepg.ReadyForQuery('I'),
			)
			evs := feed(t, c, stream, sp)
			equalKinds(t, evs, "RowDesc", "Row:x:y", "Row:z:NULL", "Complete:SELECT 2", "Complete:UPDATE 7", "Empty", "ZI")
			if evs[4].(*wire.CommandComplete).Rows != 7 {
				t.Fatalf("rows %d", evs[4].(*wire.CommandComplete).Rows)
			}
			if !c.Ready() {
				t.Fatalf("state %v", c.State())
			}
		})
	}
}

func TestStatesAlongTheWay(t *testing.T) {
	c := started(t, wire.Config{})
	c.SimpleQuery("SELECT 1")
	step := func(msg []byte, want wire.State) {
		t.Helper()
		feed(t, c, msg, splitters[0])
		if c.State() != want {
			t.Fatalf("state %v, want %v", c.State(), want)
		}
	}
	step(fakepg.RowDescription(fakepg.Column{Name: "x", TypeOID: 23}), wire.StateSimpleQueryReceivedRowDescription)
	step(fakepg.TextRow("1"), wire.StateSimpleQueryReceivedRowDescription)
	step(fakepg.SelectComplete(1), wire.StateSimpleQueryReceivedCommandComplete)
	step(fakepg.ReadyForQuery('I'), wire.StateReadyForQuery)

	c.Prepare("", "SELECT $1")
	step(fakepg.ParseComplete(), wire.StateMultiQueryReceivedParseComplete)
	step(fakepg.ParameterDescription(25), wire.StateMultiQueryReceivedParameterDescription)
	step(fakepg.RowDescription(fakepg.Column{Name: "x", TypeOID: 25}), wire.StateMultiQueryDescribeSync)
	step(fakepg.ReadyForQuery('I'), wire.StateReadyForQuery)

	info := &wire.PreparedStatementInfo{ParamOIDs: []uint32{25}, Columns: &wire.RowDescription{Fields: []wire.FieldDescription{{Name: "x", TypeOID: 25}}}}
	c.BindExecute(info, encParams(t, info.ParamOIDs, "a"), 0)
	if c.State() != wire.StateMultiQuerySentBind {
		t.Fatalf("state %v", c.State())
	}
	step(fakepg.BindComplete(), wire.StateMultiQueryReadingDataRows)
	step(fakepg.TextRow("a"), wire.StateMultiQueryReadingDataRows)
	step(fakepg.SelectComplete(1), wire.StateMultiQueryReceivedCommandComplete)
	step(fakepg.ReadyForQuery('T'), wire.StateReadyForQuery)
	if c.TxStatus() != wire.TxInTransaction {
		t.Fatalf("tx status %q", c.TxStatus())
	}
}

func TestPrepareAndBindExecute(t *testing.T) {
	for _, sp := range splitters {
		t.Run(sp.name, func(t *testing.T) {
			c := started(t, wire.Config{ResultFormat: codec.Default().ResultFormat})
			c.Prepare("st", "SELECT $1::text, 2")
			evs := feed(t, c, fakepg.Concat(
				fakepg.ParseComplete(),
				fakepg.ParameterDescription(25),
				fakepg.RowDescription(fakepg.Column{Name: "text", TypeOID: 25}, fakepg.Column{Name: "n", TypeOID: 23}),
				fakepg.ReadyForQuery('I'),
			), sp)
			equalKinds(t, evs, "ParseComplete", "ParamDesc", "Info", "ZI")
			info := evs[2].(*wire.PreparedStatementInfo)
			if info.Name != "st" || len(info.ParamOIDs) != 1 || info.ParamOIDs[0] != 25 || len(info.Columns.Fields) != 2 {
				t.Fatalf("info %+v", info)
			}
			// int4 decodes in binary, so BindExecute asks for binary there.
			if info.Columns.Fields[1].Format != 1 {
				t.Fatalf("int4 result format %d", info.Columns.Fields[1].Format)
			}
			b, err := c.BindExecute(info, encParams(t, info.ParamOIDs, "hello"), 0)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Contains(b, []byte("hello")) {
				t.Fatalf("bind % x", b)
			}
			evs = feed(t, c, fakepg.Concat(
				fakepg.BindComplete(),
				fakepg.DataRow([]byte("hello"), []byte{0, 0, 0, 2}),
				fakepg.SelectComplete(1),
				fakepg.ReadyForQuery('I'),
			), sp)
			equalKinds(t, evs, "BindComplete", "Row:hello:\x00\x00\x00\x02", "Complete:SELECT 1", "ZI")
		})
	}
}

func TestResultFormatDefaultsToText(t *testing.T) {
	// Without a ResultFormat, BindExecute asks for text everywhere.
	c := started(t, wire.Config{})
	c.Prepare("st", "SELECT 2")
	evs := feed(t, c, fakepg.Concat(fakepg.ParseComplete(), fakepg.ParameterDescription(),
		fakepg.RowDescription(fakepg.Column{Name: "n", TypeOID: 23}), fakepg.ReadyForQuery('I')), splitters[0])
	equalKinds(t, evs, "ParseComplete", "ParamDesc", "Info", "ZI")
	if f := evs[2].(*wire.PreparedStatementInfo).Columns.Fields[0].Format; f != 0 {
		t.Fatalf("int4 result format %d without ResultFormat", f)
	}
}

func TestDataRowValue(t *testing.T) {
	c := started(t, wire.Config{})
	c.SimpleQuery("SELECT 1, 'a', NULL")
	c.Receive(fakepg.Concat(
		fakepg.RowDescription(fakepg.Column{Name: "i", TypeOID: 23}, fakepg.Column{Name: "t", TypeOID: 25}, fakepg.Column{Name: "n", TypeOID: 25}),
		fakepg.DataRow([]byte("1"), []byte("a"), nil),
	))
	c.NextEvent()
	row := c.NextEvent().(*wire.DataRow)
	// The row carries its three values and the description to decode them with.
	if len(row.Values) != 3 || row.Columns == nil || len(row.Columns.Fields) != 3 {
		t.Fatalf("row %q columns %+v", row.Values, row.Columns)
	}
	if v := value(t, row, 0); v != int32(1) {
		t.Fatalf("int4: %v %T", v, v)
	}
	if v := value(t, row, 1); v != "a" {
		t.Fatalf("text: %v", v)
	}
	if v := value(t, row, 2); v != nil {
		t.Fatalf("NULL: %v", v)
	}
}

func TestUnknownTypeValue(t *testing.T) {
	// A text value of a type without a codec is its text; a binary one is
	// readable only with IgnoreUnknownTypes, and the error names the OID.
	for _, ignore := range []bool{false, true} {
		opts := &codec.Options{IgnoreUnknownTypes: ignore}
		c := started(t, wire.Config{})
		c.SimpleQuery("SELECT x")
		c.Receive(fakepg.Concat(fakepg.RowDescription(fakepg.Column{Name: "x", TypeOID: 987654}), fakepg.TextRow("v")))
		c.NextEvent()
		v, err := decode(c.NextEvent().(*wire.DataRow), 0, opts)
		if err != nil || v != "v" {
			t.Fatalf("text, ignore=%v: %v %v", ignore, v, err)
		}
		info := &wire.PreparedStatementInfo{Columns: &wire.RowDescription{Fields: []wire.FieldDescription{{Name: "x", TypeOID: 987654, Format: 1}}}}
		c.BindExecute(info, noParams(), 0)
		c.Receive(fakepg.Concat(fakepg.CommandComplete("SELECT 1"), fakepg.ReadyForQuery('I'), fakepg.BindComplete(), fakepg.TextRow("v")))
		var row *wire.DataRow
		for row == nil {
			ev := c.NextEvent()
			if ev == wire.NeedData {
				t.Fatal("no DataRow")
			}
			row, _ = ev.(*wire.DataRow)
		}
		v, err = decode(row, 0, opts)
		if ignore && (err != nil || v != "v") {
			t.Fatalf("binary, ignore: %v %v", v, err)
		}
		if !ignore && (err == nil || !strings.Contains(err.Error(), "987654")) {
			t.Fatalf("binary: the unknown type error should name the OID: %v", err)
		}
	}
}

func TestPortalSuspendedPaging(t *testing.T) {
	c := started(t, wire.Config{})
	info := &wire.PreparedStatementInfo{Columns: &wire.RowDescription{Fields: []wire.FieldDescription{{Name: "x", TypeOID: 25}}}}
	b, err := c.BindExecute(info, noParams(), 2)
	if err != nil {
		t.Fatal(err)
	}
	// Bind, Execute(2), Flush: no Sync, or the portal would close.
	if !bytes.HasSuffix(b, cat(s("E"), fakepg.I32(9), s("\x00"), fakepg.I32(2), s("H"), fakepg.I32(4))) {
		t.Fatalf("paged bind/execute % x", b)
	}
	// A command issued meanwhile is held back.
	held, err := c.SimpleQuery("SELECT 'later'")
	if err != nil || len(held) != 0 {
		t.Fatalf("held command sent early: % x %v", held, err)
	}
	evs := feed(t, c, fakepg.Concat(fakepg.BindComplete(), fakepg.TextRow("1"), fakepg.TextRow("2"), fakepg.PortalSuspended()), splitters[0])
	equalKinds(t, evs, "BindComplete", "Row:1", "Row:2", "Suspended")
	if c.State() != wire.StateMultiQueryReceivedPortalSuspended {
		t.Fatalf("state %v", c.State())
	}
	next := c.NeededSync()
	if want := cat(s("E"), fakepg.I32(9), s("\x00"), fakepg.I32(2), s("H"), fakepg.I32(4)); !bytes.Equal(next, want) {
		t.Fatalf("next page % x", next)
	}
	if c.State() != wire.StateMultiQueryReadingDataRows {
		t.Fatalf("state %v", c.State())
	}
	evs = feed(t, c, fakepg.Concat(fakepg.TextRow("3"), fakepg.SelectComplete(3)), splitters[1])
	equalKinds(t, evs, "Row:3", "Complete:SELECT 3")
	// Now the Sync goes out, followed by the held query.
	tail := c.NeededSync()
	if want := cat(s("S"), fakepg.I32(4), s("Q"), fakepg.I32(19), s("SELECT 'later'\x00")); !bytes.Equal(tail, want) {
		t.Fatalf("sync + held % x", tail)
	}
	evs = feed(t, c, fakepg.Concat(fakepg.ReadyForQuery('I'), fakepg.RowDescription(fakepg.Column{Name: "x", TypeOID: 25}),
		fakepg.TextRow("later"), fakepg.SelectComplete(1), fakepg.ReadyForQuery('I')), splitters[0])
	equalKinds(t, evs, "ZI", "RowDesc", "Row:later", "Complete:SELECT 1", "ZI")
	if !c.Ready() {
		t.Fatal("not ready")
	}
}

func TestPagedCommandErrorSendsSync(t *testing.T) {
	c := started(t, wire.Config{})
	info := &wire.PreparedStatementInfo{Columns: &wire.RowDescription{Fields: []wire.FieldDescription{{Name: "x", TypeOID: 25}}}}
	c.BindExecute(info, noParams(), 10)
	c.SimpleQuery("SELECT 2")
	c.BindExecute(info, noParams(), 5) // a second paged command stays held behind the first
	evs := feed(t, c, fakepg.Concat(fakepg.BindComplete(), fakepg.Error("ERROR", "22012", "division by zero")), splitters[0])
	equalKinds(t, evs, "BindComplete", "Error:22012")
	if c.State() != wire.StateRecoverableError {
		t.Fatalf("state %v", c.State())
	}
	out := c.NeededSync()
	// Sync for the failed portal, the held query, then the second paged
	// command, which in turn holds nothing more.
	if !bytes.HasPrefix(out, cat(s("S"), fakepg.I32(4), s("Q"))) || !bytes.HasSuffix(out, cat(s("H"), fakepg.I32(4))) {
		t.Fatalf("after error % x", out)
	}
	feed(t, c, fakepg.ReadyForQuery('I'), splitters[0])
	if c.State() != wire.StateSimpleQuerySentQuery || c.InFlight() != 2 {
		t.Fatalf("state %v in flight %d", c.State(), c.InFlight())
	}
}

func TestPipelineSecondFails(t *testing.T) {
	for _, sp := range splitters {
		t.Run(sp.name, func(t *testing.T) {
			c := started(t, wire.Config{})
			for _, q := range []string{"SELECT 1", "SELECT 1/0", "SELECT 3"} {
				if _, err := c.SimpleQuery(q); err != nil {
					t.Fatal(err)
				}
			}
			if c.InFlight() != 3 {
				t.Fatalf("in flight %d", c.InFlight())
			}
			col := fakepg.Column{Name: "x", TypeOID: 23}
			evs := feed(t, c, fakepg.Concat(
				fakepg.RowDescription(col), fakepg.TextRow("1"), fakepg.SelectComplete(1), fakepg.ReadyForQuery('I'),
				fakepg.Notice("NOTICE", "00000", "between"),
				fakepg.Error("ERROR", "22012", "division by zero"), fakepg.ReadyForQuery('I'),
				fakepg.Notification(9, "chan", "payload"),
				fakepg.RowDescription(col), fakepg.TextRow("3"), fakepg.ParameterStatus("TimeZone", "Europe/Paris"),
				fakepg.SelectComplete(1), fakepg.ReadyForQuery('I'),
			), sp)
			equalKinds(t, evs, "RowDesc", "Row:1", "Complete:SELECT 1", "ZI",
				"Notice:00000", "Error:22012", "ZI",
				"Notify:chan", "RowDesc", "Row:3", "Param:TimeZone", "Complete:SELECT 1", "ZI")
			if !c.Ready() || c.Dead() {
				t.Fatalf("state %v err %v", c.State(), c.Err())
			}
			if tz := c.ServerParameter("TimeZone"); tz != "Europe/Paris" {
				t.Fatalf("timezone %q", tz)
			}
		})
	}
}

func TestErrorFields(t *testing.T) {
	c := started(t, wire.Config{})
	c.SimpleQuery("INSERT")
	evs := feed(t, c, fakepg.Concat(fakepg.ErrorResponse(
		fakepg.Field{Code: 'S', Value: "ERREUR"}, fakepg.Field{Code: 'V', Value: "ERROR"}, fakepg.Field{Code: 'C', Value: "23505"},
		fakepg.Field{Code: 'M', Value: "duplicate key"}, fakepg.Field{Code: 'D', Value: "Key (id)=(1) exists."},
		fakepg.Field{Code: 'H', Value: "hint"}, fakepg.Field{Code: 'P', Value: "12"}, fakepg.Field{Code: 'p', Value: "3"},
		fakepg.Field{Code: 'q', Value: "iq"}, fakepg.Field{Code: 'W', Value: "where"}, fakepg.Field{Code: 's', Value: "public"},
		fakepg.Field{Code: 't', Value: "users"}, fakepg.Field{Code: 'c', Value: "id"}, fakepg.Field{Code: 'd', Value: "int4"},
		fakepg.Field{Code: 'n', Value: "users_pkey"}, fakepg.Field{Code: 'F', Value: "nbtinsert.c"}, fakepg.Field{Code: 'L', Value: "664"},
		fakepg.Field{Code: 'R', Value: "_bt_check_unique"}, fakepg.Field{Code: 'Z', Value: "future"},
	), fakepg.ReadyForQuery('I')), splitters[0])
	e := evs[0].(*wire.ErrorOrNoticeResponse)
	want := wire.ErrorOrNoticeResponse{Severity: "ERREUR", SeverityNonLocal: "ERROR", Code: "23505", Message: "duplicate key",
		Detail: "Key (id)=(1) exists.", Hint: "hint", Position: 12, InternalPosition: 3, InternalQuery: "iq", Where: "where",
		SchemaName: "public", TableName: "users", ColumnName: "id", DataTypeName: "int4", ConstraintName: "users_pkey",
		File: "nbtinsert.c", Line: 664, Routine: "_bt_check_unique", UnknownFields: map[byte]string{'Z': "future"}}
	if e.Code != want.Code || e.Detail != want.Detail || e.Position != 12 || e.InternalPosition != 3 || e.Line != 664 ||
		e.Routine != want.Routine || e.ConstraintName != want.ConstraintName || e.DataTypeName != "int4" || e.UnknownFields['Z'] != "future" ||
		e.SchemaName != "public" || e.TableName != "users" || e.ColumnName != "id" || e.Where != "where" || e.InternalQuery != "iq" || e.Hint != "hint" || e.File != want.File {
		t.Fatalf("fields %+v", e)
	}
	if e.Error() != "ERROR: duplicate key (SQLSTATE 23505)" || e.SQLState() != "23505" || e.Fatal() {
		t.Fatalf("Error() %q", e.Error())
	}
}

func TestProtocolViolationsKill(t *testing.T) {
	col := fakepg.Column{Name: "x", TypeOID: 25}
	cases := []struct {
		name   string
		stream []byte
	}{
		{"length below 4", []byte{'Z', 0, 0, 0, 3, 'I'}},
		{"negative length", []byte{'Z', 0xff, 0xff, 0xff, 0xff}},
		{"over max size", []byte{'D', 0, 0x20, 0, 0}}, // 2 MiB against a 1 MiB limit
		{"unknown tag", fakepg.Msg('!', []byte("x"))},
		{"row before description", fakepg.TextRow("x")},
		{"column count mismatch", fakepg.Concat(fakepg.RowDescription(col), fakepg.TextRow("a", "b"))},
		{"value length beyond message", fakepg.Concat(fakepg.RowDescription(col), fakepg.Msg('D', fakepg.I16(1), fakepg.I32(50), []byte("ab")))},
		{"negative value length", fakepg.Concat(fakepg.RowDescription(col), fakepg.Msg('D', fakepg.I16(1), fakepg.I32(-2)))},
		{"trailing bytes in ReadyForQuery", fakepg.Msg('Z', []byte("II"))},
		{"bad transaction status", fakepg.Msg('Z', []byte("Q"))},
		{"bind complete in simple query", fakepg.BindComplete()},
		{"fatal error", fakepg.Error("FATAL", "57P01", "terminating connection due to administrator command")},
		{"unterminated string", fakepg.Msg('C', []byte("SELECT 1"))},
		{"row description count lies", fakepg.Msg('T', fakepg.I16(1000))},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := started(t, wire.Config{MaxMessageSize: 1 << 20})
			c.SimpleQuery("SELECT x")
			evs := feed(t, c, tc.stream, splitters[0])
			if !c.Dead() {
				t.Fatalf("still alive: %q", kinds(evs))
			}
			if len(evs) == 0 {
				t.Fatal("death was not reported as an event")
			}
			if c.State() != wire.StateUnrecoverableError {
				t.Fatalf("state %v", c.State())
			}
			if _, err := c.SimpleQuery("SELECT 1"); !errors.Is(err, wire.ErrDead) {
				t.Fatalf("later call: %v", err)
			}
			if _, err := c.Prepare("", "SELECT 1"); !errors.Is(err, wire.ErrDead) || !strings.Contains(err.Error(), "dead") {
				t.Fatalf("later call: %v", err)
			}
			// More bytes change nothing and produce nothing.
			c.Receive(fakepg.ReadyForQuery('I'))
			if ev := c.NextEvent(); ev != wire.NeedData {
				t.Fatalf("event after death: %T", ev)
			}
		})
	}
}

func TestCommandsBeforeStartupRefused(t *testing.T) {
	c := wire.NewClient(wire.Config{User: "u"})
	if _, err := c.SimpleQuery("SELECT 1"); err == nil {
		t.Fatal("query before startup accepted")
	}
	c.Startup()
	if c.Startup() != nil {
		t.Fatal("second startup accepted")
	}
}

func TestCopyEvents(t *testing.T) {
	c := started(t, wire.Config{})
	c.SimpleQuery("COPY t TO STDOUT")
	evs := feed(t, c, fakepg.Concat(fakepg.CopyOutResponse(2), fakepg.CopyData([]byte("1\ta\n")), fakepg.CopyDone(),
		fakepg.CommandComplete("COPY 1"), fakepg.ReadyForQuery('I')), splitters[1])
	equalKinds(t, evs, "CopyOut", "CopyData:1\ta\n", "CopyDone", "Complete:COPY 1", "ZI")

	c.SimpleQuery("COPY t FROM STDIN")
	evs = feed(t, c, fakepg.CopyInResponse(1), splitters[0])
	equalKinds(t, evs, "CopyIn")
	b, _ := wire.AppendCopyData(nil, []byte("x\n"))
	b = wire.AppendCopyDone(b)
	if want := cat(s("d"), fakepg.I32(6), s("x\n"), s("c"), fakepg.I32(4)); !bytes.Equal(b, want) {
		t.Fatalf("copy data % x", b)
	}
	evs = feed(t, c, fakepg.Concat(fakepg.CommandComplete("COPY 1"), fakepg.ReadyForQuery('I')), splitters[0])
	equalKinds(t, evs, "Complete:COPY 1", "ZI")
}

func TestCloseStatement(t *testing.T) {
	c := started(t, wire.Config{})
	b, err := c.CloseStatement("s1")
	if err != nil {
		t.Fatal(err)
	}
	if want := cat(s("C"), fakepg.I32(8), s("Ss1\x00"), s("S"), fakepg.I32(4)); !bytes.Equal(b, want) {
		t.Fatalf("close % x", b)
	}
	equalKinds(t, feed(t, c, fakepg.Concat(fakepg.CloseComplete(), fakepg.ReadyForQuery('I')), splitters[0]), "ZI")
}

func TestBindParamCountChecked(t *testing.T) {
	c := started(t, wire.Config{})
	info := &wire.PreparedStatementInfo{ParamOIDs: []uint32{23}}
	// A wrong parameter count or a bad value fails the encoding...
	var pce *codec.ParamCountError
	if _, err := codec.Default().AppendParams(nil, info.ParamOIDs, nil, nil); !errors.As(err, &pce) || pce.Want != 1 || pce.Got != 0 {
		t.Fatalf("missing parameter: %v", err)
	}
	var pe *codec.ParamError
	if _, err := codec.Default().AppendParams(nil, info.ParamOIDs, []any{int64(1) << 40}, nil); !errors.As(err, &pe) || pe.Index != 0 {
		t.Fatalf("int4 overflow: %v", err)
	}
	// ...and BindExecute refuses parameters that are missing or encoded
	// for other types than the statement's.
	if _, err := c.BindExecute(info, nil, 0); err == nil {
		t.Fatal("missing parameters accepted")
	}
	if _, err := c.BindExecute(info, noParams(), 0); err == nil {
		t.Fatal("missing parameter accepted")
	}
	if _, err := c.BindExecute(info, encParams(t, []uint32{23, 23}, int32(1), int32(2)), 0); err == nil {
		t.Fatal("extra parameter accepted")
	}
	if _, err := c.BindExecute(info, encParams(t, []uint32{25}, "1"), 0); err == nil {
		t.Fatal("parameter encoded for another type accepted")
	}
	if _, err := c.BindExecute(info, encParams(t, info.ParamOIDs, int32(1)), -1); err == nil {
		t.Fatal("negative maxRows accepted")
	}
	if c.InFlight() != 0 {
		t.Fatal("refused command left in flight")
	}
	// An OID of 0 (a value encoded without a known type) fits any type.
	if _, err := c.BindExecute(info, encParams(t, []uint32{0}, "1"), 0); err != nil {
		t.Fatalf("untyped parameter refused: %v", err)
	}
	if _, err := c.BindExecute(info, encParams(t, info.ParamOIDs, int32(1)), 0); err != nil {
		t.Fatalf("parameter of the statement's type refused: %v", err)
	}
}

func TestStateNames(t *testing.T) {
	if wire.StateSASLFinalSent.String() != "SASLFinalSent" || wire.State(12345).String() != "State(12345)" {
		t.Fatal(wire.StateSASLFinalSent.String())
	}
	if int(wire.StateMultiQueryReceivedCommandComplete) != 313 || int(wire.StateTerminated) != 9999 {
		t.Fatal("state numbers must be the seed's")
	}
}

func TestExecuteUnnamed(t *testing.T) {
	for _, sp := range splitters {
		t.Run(sp.name, func(t *testing.T) {
			c := started(t, wire.Config{})
			if _, err := c.ExecuteUnnamed("SELECT 1", nil); err == nil || c.InFlight() != 0 {
				t.Fatalf("missing parameters accepted: %v", err)
			}
			b, err := c.ExecuteUnnamed("SELECT $1::text", unnamedParams(t, "hi"))
			if err != nil {
				t.Fatal(err)
			}
			// Parse, Bind, Describe(portal), Execute, Sync in one flight.
			var tags []byte
			for len(b) > 0 {
				tag, _, rest := frontendMsg(t, b)
				tags = append(tags, tag)
				b = rest
			}
			if string(tags) != "PBDES" {
				t.Fatalf("messages %q", tags)
			}
			evs := feed(t, c, fakepg.Concat(fakepg.ParseComplete(), fakepg.BindComplete(),
				fakepg.RowDescription(fakepg.Column{Name: "text", TypeOID: 25}), fakepg.TextRow("hi"),
				fakepg.SelectComplete(1), fakepg.ReadyForQuery('I')), sp)
			equalKinds(t, evs, "ParseComplete", "BindComplete", "RowDesc", "Row:hi", "Complete:SELECT 1", "ZI")
			c.ExecuteUnnamed("UPDATE t SET a = $1", unnamedParams(t, int64(1)))
			evs = feed(t, c, fakepg.Concat(fakepg.ParseComplete(), fakepg.BindComplete(), fakepg.NoData(),
				fakepg.CommandComplete("UPDATE 3"), fakepg.ReadyForQuery('I')), sp)
			equalKinds(t, evs, "ParseComplete", "BindComplete", "Complete:UPDATE 3", "ZI")
		})
	}
}

func TestCopyIn(t *testing.T) {
	c := started(t, wire.Config{})
	b, err := c.CopyIn("COPY t FROM STDIN")
	if err != nil || !bytes.HasPrefix(b, []byte("Q")) {
		t.Fatalf("% x %v", b, err)
	}
	// Held behind the copy: the server would take it for copy data.
	if held, _ := c.SimpleQuery("SELECT 1"); len(held) != 0 {
		t.Fatalf("query sent during COPY: % x", held)
	}
	if _, err := c.CopyData(nil, []byte("x")); err == nil {
		t.Fatal("copy data before CopyInResponse accepted")
	}
	equalKinds(t, feed(t, c, fakepg.CopyInResponse(1), splitters[0]), "CopyIn")
	if !c.Copying() {
		t.Fatal("not copying")
	}
	out, err := c.CopyData(nil, []byte("1\n2\n"))
	if err != nil {
		t.Fatal(err)
	}
	out, err = c.EndCopy(out, "")
	if err != nil {
		t.Fatal(err)
	}
	if want := cat(s("d"), fakepg.I32(8), s("1\n2\n"), s("c"), fakepg.I32(4)); !bytes.Equal(out, want) {
		t.Fatalf("copy bytes % x", out)
	}
	if held := c.NeededSync(); !bytes.Equal(held, cat(s("Q"), fakepg.I32(13), s("SELECT 1\x00"))) {
		t.Fatalf("held query after EndCopy: % x", held)
	}
	evs := feed(t, c, fakepg.Concat(fakepg.CommandComplete("COPY 2"), fakepg.ReadyForQuery('I')), splitters[1])
	equalKinds(t, evs, "Complete:COPY 2", "ZI")
	if _, err := c.EndCopy(nil, ""); err == nil {
		t.Fatal("EndCopy after the copy accepted")
	}
}

func TestCopyInRefusedReleasesHeld(t *testing.T) {
	c := started(t, wire.Config{})
	c.CopyIn("COPY missing FROM STDIN")
	c.SimpleQuery("SELECT 1")
	evs := feed(t, c, fakepg.Concat(fakepg.Error("ERROR", "42P01", "relation \"missing\" does not exist"), fakepg.ReadyForQuery('I')), splitters[0])
	equalKinds(t, evs, "Error:42P01", "ZI")
	if held := c.NeededSync(); !bytes.HasPrefix(held, []byte("Q")) {
		t.Fatalf("held query not released: % x", held)
	}
	if c.Copying() {
		t.Fatal("copying after refusal")
	}
}
