package wire_test

import (
	"bytes"
	"errors"
	"testing"

	"github.com/pgactor/pgactor/internal/fakepg"
	"github.com/pgactor/pgactor/wire"
	"github.com/pgactor/pgactor/wire/codec"
)

// Every decoder: an event or a protocol error, never a panic.

func checkDecoderErr(t *testing.T, err error) {
	if err == nil {
		return
	}
	var pe *wire.ProtocolError
	if !errors.As(err, &pe) {
		t.Fatalf("decoder returned %T, want *wire.ProtocolError", err)
	}
}

func FuzzDecodeRowDescription(f *testing.F) {
	f.Add(fakepg.RowDescription(fakepg.Column{Name: "a", TypeOID: 23})[5:])
	f.Add([]byte{0, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		rd, err := wire.DecodeRowDescription(b)
		checkDecoderErr(t, err)
		if err == nil && rd == nil {
			t.Fatal("nil description without error")
		}
	})
}

func FuzzParseDataRow(f *testing.F) {
	f.Add(fakepg.DataRow([]byte("x"), nil, []byte{})[5:])
	f.Add([]byte{0, 1, 0xff, 0xff, 0xff, 0xfe})
	f.Fuzz(func(t *testing.T, b []byte) {
		vals, err := wire.ParseDataRow(b, nil)
		checkDecoderErr(t, err)
		total := 0
		for _, v := range vals {
			total += len(v)
		}
		if total > len(b) {
			t.Fatalf("values (%d bytes) larger than the message (%d)", total, len(b))
		}
		// IndexDataRow accepts exactly what ParseDataRow accepts, and
		// DataRowValue gives back the same values.
		idx := make([]int32, max(wire.DataRowWidth(b), 0))
		n, ierr := wire.IndexDataRow(b, idx)
		checkDecoderErr(t, ierr)
		if (err == nil) != (ierr == nil) {
			t.Fatalf("ParseDataRow: %v, IndexDataRow: %v", err, ierr)
		}
		if err != nil {
			return
		}
		if n != len(vals) {
			t.Fatalf("IndexDataRow: %d columns, ParseDataRow: %d", n, len(vals))
		}
		for i, v := range vals {
			got := wire.DataRowValue(b, idx[i])
			if (got == nil) != (v == nil) || !bytes.Equal(got, v) || cap(got) != len(got) {
				t.Fatalf("column %d: %q (cap %d), want %q", i, got, cap(got), v)
			}
		}
	})
}

func FuzzDecodeErrorOrNotice(f *testing.F) {
	f.Add(fakepg.Error("ERROR", "42P01", "relation does not exist")[5:])
	f.Add([]byte{'P', 'x', 0, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		_, err := wire.DecodeErrorOrNotice(b, false)
		checkDecoderErr(t, err)
	})
}

func FuzzDecodeParameterDescription(f *testing.F) {
	f.Add(fakepg.ParameterDescription(23, 25)[5:])
	f.Add([]byte{0xff, 0xff})
	f.Fuzz(func(t *testing.T, b []byte) {
		_, err := wire.DecodeParameterDescription(b)
		checkDecoderErr(t, err)
	})
}

func FuzzDecodeParameterStatus(f *testing.F) {
	f.Add(fakepg.ParameterStatus("TimeZone", "UTC")[5:])
	f.Fuzz(func(t *testing.T, b []byte) {
		_, err := wire.DecodeParameterStatus(b)
		checkDecoderErr(t, err)
	})
}

func FuzzDecodeBackendKeyData(f *testing.F) {
	f.Add(fakepg.BackendKeyData(1, 2)[5:])
	f.Fuzz(func(t *testing.T, b []byte) {
		_, err := wire.DecodeBackendKeyData(b)
		checkDecoderErr(t, err)
	})
}

func FuzzDecodeNotificationResponse(f *testing.F) {
	f.Add(fakepg.Notification(1, "c", "p")[5:])
	f.Fuzz(func(t *testing.T, b []byte) {
		_, err := wire.DecodeNotificationResponse(b)
		checkDecoderErr(t, err)
	})
}

func FuzzDecodeAuthentication(f *testing.F) {
	f.Add(fakepg.AuthSASL("SCRAM-SHA-256")[5:])
	f.Add(fakepg.AuthMD5([4]byte{1, 2, 3, 4})[5:])
	f.Fuzz(func(t *testing.T, b []byte) {
		checkDecoderErr(t, wire.DecodeAuthenticationForTest(b))
	})
}

func FuzzDecodeCommandComplete(f *testing.F) {
	f.Add(fakepg.CommandComplete("INSERT 0 12")[5:])
	f.Fuzz(func(t *testing.T, b []byte) {
		_, rows, err := wire.DecodeCommandCompleteForTest(b)
		checkDecoderErr(t, err)
		if rows < 0 {
			t.Fatalf("negative row count %d", rows)
		}
	})
}

func FuzzDecodeReadyForQuery(f *testing.F) {
	f.Add([]byte("I"))
	f.Fuzz(func(t *testing.T, b []byte) {
		_, err := wire.DecodeReadyForQueryForTest(b)
		checkDecoderErr(t, err)
	})
}

func FuzzDecodeCopyResponse(f *testing.F) {
	f.Add(fakepg.CopyInResponse(2)[5:])
	f.Fuzz(func(t *testing.T, b []byte) {
		checkDecoderErr(t, wire.DecodeCopyResponseForTest(b))
	})
}

// FuzzClient feeds arbitrary server bytes, in arbitrary splits, to a client
// with commands of every kind in flight. The client must produce events or
// die with a reported cause; it must never panic, and it must never keep
// more than the message limit waiting.
func FuzzClient(f *testing.F) {
	col := fakepg.Column{Name: "x", TypeOID: 25}
	f.Add(fakepg.Concat(fakepg.RowDescription(col), fakepg.TextRow("1"), fakepg.SelectComplete(1), fakepg.ReadyForQuery('I')), uint8(3), uint8(0))
	f.Add(fakepg.Concat(fakepg.ParseComplete(), fakepg.ParameterDescription(), fakepg.NoData(), fakepg.ReadyForQuery('I')), uint8(1), uint8(1))
	f.Add(fakepg.Concat(fakepg.BindComplete(), fakepg.TextRow("a"), fakepg.PortalSuspended(), fakepg.SelectComplete(1), fakepg.ReadyForQuery('I')), uint8(5), uint8(2))
	f.Add(fakepg.Concat(fakepg.Notice("NOTICE", "0", "n"), fakepg.Error("ERROR", "1", "e"), fakepg.ReadyForQuery('E')), uint8(0), uint8(0))
	f.Add(fakepg.Concat(fakepg.AuthSASL("SCRAM-SHA-256"), fakepg.AuthSASLContinue("r=abc,s=c2FsdA==,i=4096")), uint8(2), uint8(3))
	f.Add(fakepg.Concat(fakepg.BindComplete(), fakepg.TextRow("a"), fakepg.SelectComplete(1), fakepg.ParseComplete(), fakepg.BindComplete(),
		fakepg.RowDescription(col), fakepg.TextRow("b"), fakepg.SelectComplete(1), fakepg.ReadyForQuery('I')), uint8(4), uint8(4))
	f.Fuzz(func(t *testing.T, stream []byte, split uint8, mode uint8) {
		cfg := wire.Config{User: "u", Password: "p", MaxMessageSize: 1 << 16, ResultFormat: codec.Default().ResultFormat}
		var c *wire.Client
		if mode%5 == 3 {
			c = wire.NewClient(cfg) // fuzz the authentication exchange
			c.Startup()
		} else {
			c = started(t, cfg)
			info := &wire.PreparedStatementInfo{Columns: &wire.RowDescription{Fields: []wire.FieldDescription{{Name: "x", TypeOID: 25}}}}
			switch mode % 5 {
			case 0:
				c.SimpleQuery("SELECT 1")
			case 1:
				c.Prepare("", "SELECT 1")
			case 2:
				c.BindExecute(info, noParams(), 1)
			case 4:
				c.AppendBatch(nil, []wire.BatchItem{{Info: info, Params: noParams()}, {SQL: "SELECT 3", Params: noParams()}})
			}
			c.SimpleQuery("SELECT 2")
		}
		step := int(split%16) + 1
		for len(stream) > 0 {
			n := min(step, len(stream))
			c.Receive(append([]byte(nil), stream[:n]...))
			stream = stream[n:]
			for i := 0; ; i++ {
				if i > 1<<16 {
					t.Fatal("NextEvent does not make progress")
				}
				ev := c.NextEvent()
				if ev == wire.NeedData {
					break
				}
				if dr, ok := ev.(*wire.DataRow); ok {
					for j := range dr.Values {
						decode(dr, j, &codec.Options{}) // decoding must not panic either
						decode(dr, j, &codec.Options{IgnoreUnknownTypes: true})
					}
				}
			}
			c.NeededSync()
		}
		if c.Dead() && c.Err() == nil {
			t.Fatal("dead without a cause")
		}
	})
}
