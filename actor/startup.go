package actor

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"time"

	"github.com/xdg-go/scram"

	"github.com/pgactor/pgactor/wire"
	"github.com/pgactor/pgactor/wire/codec"
)

// ErrTLSRefused is returned when TLS is required and the server refuses it.
var ErrTLSRefused = errors.New("actor: server does not support TLS")

// startup runs TLS negotiation and the startup exchange on conn before any
// goroutine exists, so the ready loop is a plain sequential one. It returns
// the connection to use (the TLS one, if any), the ready client, and bytes
// that arrived after the final ReadyForQuery (none from a sane server).
func startup(ctx context.Context, conn net.Conn, cfg *Config) (net.Conn, *wire.Client, []byte, error) {
	// The context bounds the whole exchange: its deadline becomes the
	// socket's, and cancelling it cuts blocked reads and writes short.
	if dl, ok := ctx.Deadline(); ok {
		conn.SetDeadline(dl)
	}
	stop := context.AfterFunc(ctx, func() { conn.SetDeadline(time.Unix(1, 0)) })
	defer func() { stop() }()
	fail := func(err error) (net.Conn, *wire.Client, []byte, error) {
		if ctx.Err() != nil {
			return conn, nil, nil, fmt.Errorf("actor: startup: %w (%w)", context.Cause(ctx), err)
		}
		return conn, nil, nil, err
	}

	wcfg := cfg.Wire
	reg := cfg.Types
	if reg == nil {
		reg = codec.Default()
	}
	if wcfg.ResultFormat == nil {
		wcfg.ResultFormat = reg.ResultFormat
	}
	wcfg.RawRows = true // rows are split once, by whoever reads them
	if cfg.TLS != nil {
		probe := wire.NewClient(wcfg)
		if _, err := conn.Write(probe.SSLRequest()); err != nil {
			return fail(fmt.Errorf("actor: send SSLRequest: %w", err))
		}
		// Read exactly one byte: anything the server sends after it and
		// before the handshake must never be taken as a protocol message
		// (CVE-2021-23222); crypto/tls reads the rest as TLS records.
		var b [1]byte
		if _, err := io.ReadFull(conn, b[:]); err != nil {
			return fail(fmt.Errorf("actor: read SSLRequest answer: %w", err))
		}
		ok, err := probe.ParseSSLResponse(b[0])
		if err != nil {
			return fail(err)
		}
		switch {
		case ok:
			tconn := tls.Client(conn, cfg.TLS)
			if err := tconn.HandshakeContext(ctx); err != nil {
				return fail(fmt.Errorf("actor: TLS handshake: %w", err))
			}
			conn = tconn
			stop()
			stop = context.AfterFunc(ctx, func() { conn.SetDeadline(time.Unix(1, 0)) })
			state := tconn.ConnectionState()
			if cb, err := scram.NewTLSServerEndpointBinding(&state); err == nil && !cfg.DisableChannelBinding {
				wcfg.ChannelBinding = cb.Data
			}
		case cfg.TLSRequired:
			return fail(ErrTLSRefused)
		}
	}

	client := wire.NewClient(wcfg)
	out := client.Startup()
	if out == nil {
		return fail(client.Err())
	}
	if _, err := conn.Write(out); err != nil {
		return fail(fmt.Errorf("actor: send startup: %w", err))
	}
	buf := make([]byte, 8192)
	for {
		for {
			ev := client.NextEvent()
			if ev == wire.NeedData {
				break
			}
			switch e := ev.(type) {
			case *wire.ErrorOrNoticeResponse:
				if !e.Notice {
					return fail(e)
				}
			case *wire.ProtocolError:
				return fail(client.Err())
			case *wire.ReadyForQuery:
				conn.SetDeadline(time.Time{})
				return conn, client, nil, nil
			}
		}
		if client.Dead() {
			return fail(client.Err())
		}
		if b := client.NeededSync(); len(b) > 0 {
			if _, err := conn.Write(b); err != nil {
				return fail(fmt.Errorf("actor: send authentication: %w", err))
			}
		}
		n, err := conn.Read(buf)
		if n > 0 {
			client.Receive(append([]byte(nil), buf[:n]...))
			continue
		}
		if err != nil {
			return fail(fmt.Errorf("actor: read during startup: %w", err))
		}
	}
}
