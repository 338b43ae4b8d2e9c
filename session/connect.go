package session

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"time"

	"github.com/pgactor/pgactor/actor"
	"github.com/pgactor/pgactor/wire"
)

// connectAny tries the configured hosts in order (shuffled with
// load_balance_hosts=random) and returns the first connection that
// authenticates and matches target_session_attrs.
func connectAny(ctx context.Context, cfg *Config, opts *Options, onNotify func(*wire.NotificationResponse), stmts *actor.StatementMode) (*actor.Actor, error) {
	hosts := append([]HostConfig(nil), cfg.Hosts...)
	if cfg.LoadBalanceHosts == "random" {
		rand.Shuffle(len(hosts), func(i, j int) { hosts[i], hosts[j] = hosts[j], hosts[i] })
	}
	attrs := cfg.TargetSessionAttrs
	var errs []error
	try := func(want TargetSessionAttrs) (*actor.Actor, error) {
		for _, h := range hosts {
			a, err := connectHost(ctx, cfg, h, opts, onNotify, stmts)
			if err == nil {
				if ok, cerr := matchesTarget(ctx, a, want); cerr != nil || !ok {
					a.Close(ctx)
					if cerr == nil {
						cerr = fmt.Errorf("server is not %s", want)
					}
					err = cerr
				} else {
					return a, nil
				}
			}
			errs = append(errs, fmt.Errorf("%s: %w", hostLabel(h), err))
			if ctx.Err() != nil {
				break
			}
			// A wrong password is wrong everywhere; libpq moves on anyway
			// for multi-host strings, and so do we.
		}
		return nil, nil
	}
	if attrs == TargetSessionAttrsPreferStandby {
		if a, _ := try(TargetSessionAttrsStandby); a != nil {
			return a, nil
		}
		attrs = TargetSessionAttrsAny
	}
	if a, _ := try(attrs); a != nil {
		return a, nil
	}
	if len(errs) == 1 {
		return nil, fmt.Errorf("pgactor: connect to %w", errs[0])
	}
	return nil, fmt.Errorf("pgactor: no host could be used: %w", errors.Join(errs...))
}

func hostLabel(h HostConfig) string {
	if h.Network == "unix" {
		return h.Addr
	}
	return h.Addr
}

// connectHost makes one connection to h, with libpq's sslmode fallbacks.
func connectHost(ctx context.Context, cfg *Config, h HostConfig, opts *Options, onNotify func(*wire.NotificationResponse), stmts *actor.StatementMode) (*actor.Actor, error) {
	if cfg.ConnectTimeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, cfg.ConnectTimeout)
		defer cancel()
	}
	var ct ConnectTracer
	if opts != nil {
		ct, _ = opts.Tracer.(ConnectTracer)
	}
	tctx := ctx
	if ct != nil {
		tctx = ct.TraceConnectStart(ctx, ConnectStartData{Host: h.Host, Port: h.Port, Network: h.Network, Addr: h.Addr})
	}
	start := time.Now()
	a, err := dialHost(ctx, cfg, h, opts, onNotify, stmts)
	if ct != nil {
		d := ConnectEndData{Host: h.Host, Port: h.Port, Err: err, Duration: time.Since(start)}
		if err == nil {
			d.PID = a.BackendPID()
		}
		ct.TraceConnectEnd(tctx, d)
	}
	if opts != nil && opts.Logger != nil {
		if err != nil {
			if ok, suppressed := connectWarn.allow(time.Second); ok {
				opts.Logger.WarnContext(ctx, "pgactor: connect failed", "host", h.Addr, "err", err, "suppressed", suppressed)
			}
		} else {
			opts.Logger.DebugContext(ctx, "pgactor: connected", "host", h.Addr, "pid", a.BackendPID())
		}
	}
	return a, err
}

// connectWarn lets through one connect failure warning a second for the
// whole process, so a server that is down does not flood the log while
// pools keep trying.
var connectWarn logLimiter

func dialHost(ctx context.Context, cfg *Config, h HostConfig, opts *Options, onNotify func(*wire.NotificationResponse), stmts *actor.StatementMode) (*actor.Actor, error) {
	acfg, err := actorConfig(cfg, h)
	if err != nil {
		return nil, err
	}
	acfg.OnNotification = onNotify
	acfg.Statements = stmts
	if opts != nil {
		acfg.Types = opts.Types
	}
	var dialer actor.Dialer
	if opts != nil && opts.Dialer != nil {
		dialer = opts.Dialer
	}
	mode := cfg.SSLMode
	if h.Network == "unix" {
		mode = SSLModeDisable // TLS over a unix socket adds nothing; libpq skips it too
	}
	switch mode {
	case SSLModeDisable:
		acfg.TLS = nil
		return actor.Connect(ctx, dialer, acfg)
	case SSLModeAllow:
		// Plaintext first; TLS only if the server insists.
		plain := acfg
		plain.TLS = nil
		a, err := actor.Connect(ctx, dialer, plain)
		if err == nil || !isAuthRejection(err) {
			return a, err
		}
		acfg.TLSRequired = true
		return actor.Connect(ctx, dialer, acfg)
	case SSLModePrefer:
		acfg.TLSRequired = false
		a, err := actor.Connect(ctx, dialer, acfg)
		if err != nil && isTLSFailure(err) && ctx.Err() == nil {
			plain := acfg
			plain.TLS = nil
			return actor.Connect(ctx, dialer, plain)
		}
		return a, err
	default:
		acfg.TLSRequired = true
		return actor.Connect(ctx, dialer, acfg)
	}
}

// isAuthRejection reports a pg_hba rejection (28000), which under
// sslmode=allow means "try again with TLS".
func isAuthRejection(err error) bool {
	var pe *PgError
	return errors.As(err, &pe) && pe.Code == "28000"
}

func isTLSFailure(err error) bool {
	var rec tls.RecordHeaderError
	var cv *tls.CertificateVerificationError
	return errors.As(err, &rec) || errors.As(err, &cv)
}

// actorConfig builds the per-host actor configuration.
func actorConfig(cfg *Config, h HostConfig) (actor.Config, error) {
	addr := h.Addr
	if h.HostAddr != "" && h.Network == "tcp" {
		addr = net.JoinHostPort(h.HostAddr, fmt.Sprint(h.Port))
	}
	params := map[string]string{}
	for k, v := range cfg.RuntimeParams {
		params[k] = v
	}
	if cfg.Options != "" {
		params["options"] = cfg.Options
	}
	password := h.Password
	if password == "" {
		password = cfg.Password
	}
	acfg := actor.Config{
		Network: h.Network,
		Address: addr,
		Wire: wire.Config{
			User:                  cfg.User,
			Database:              cfg.Database,
			Password:              password,
			ApplicationName:       cfg.ApplicationName,
			RuntimeParams:         params,
			RequireChannelBinding: cfg.ChannelBinding == "require",
			RequireAuth:           cfg.RequireAuth,
		},
		DisableChannelBinding: cfg.ChannelBinding == "disable",
		MaxInFlight:           cfg.MaxInFlight,
		StatementCacheSize:    cfg.StatementCacheSize,
		UnnamedStatements:     cfg.StatementCacheMode == StatementCacheModeUnnamed,
	}
	if cfg.StatementCacheSize == 0 {
		acfg.StatementCacheSize = -1 // 0 in the connection string means no cache
	}
	if cfg.SSLMode != SSLModeDisable && h.Network == "tcp" {
		t, err := tlsConfig(cfg, h)
		if err != nil {
			return acfg, err
		}
		acfg.TLS = t
	}
	return acfg, nil
}

// tlsConfig follows libpq's sslmode: require encrypts without checking
// (unless a root certificate is given, which makes it verify-ca),
// verify-ca checks the chain, verify-full the chain and the host name.
func tlsConfig(cfg *Config, h HostConfig) (*tls.Config, error) {
	t := &tls.Config{MinVersion: tlsVersionOf(cfg.SSLMinProtocolVersion, tls.VersionTLS12)}
	if v := tlsVersionOf(cfg.SSLMaxProtocolVersion, 0); v != 0 {
		t.MaxVersion = v
	}
	if cfg.SSLCert != "" || cfg.SSLKey != "" {
		cert, err := tls.LoadX509KeyPair(cfg.SSLCert, cfg.SSLKey)
		if err != nil {
			return nil, &ConfigError{Key: "sslcert", Msg: "cannot load client certificate: " + err.Error()}
		}
		t.Certificates = []tls.Certificate{cert}
	}
	var roots *x509.CertPool
	switch cfg.SSLRootCert {
	case "":
	case "system":
		pool, err := x509.SystemCertPool()
		if err != nil {
			return nil, &ConfigError{Key: "sslrootcert", Msg: "cannot load the system certificate pool: " + err.Error()}
		}
		roots = pool
	default:
		pem, err := os.ReadFile(cfg.SSLRootCert)
		if err != nil {
			if cfg.SSLMode == SSLModeVerifyCA || cfg.SSLMode == SSLModeVerifyFull {
				return nil, &ConfigError{Key: "sslrootcert", Msg: "cannot read root certificate: " + err.Error()}
			}
		} else {
			roots = x509.NewCertPool()
			if !roots.AppendCertsFromPEM(pem) {
				return nil, &ConfigError{Key: "sslrootcert", Msg: "no certificate found in " + cfg.SSLRootCert}
			}
		}
	}
	serverName := h.Host
	if cfg.SSLSNI && net.ParseIP(serverName) == nil {
		t.ServerName = serverName
	}
	mode := cfg.SSLMode
	if mode == SSLModeRequire && roots != nil {
		mode = SSLModeVerifyCA
	}
	switch mode {
	case SSLModeVerifyFull:
		// Verify ourselves so the name checked is the host even when SNI
		// is off or the host is an IP address.
		t.InsecureSkipVerify = true
		t.VerifyConnection = verifyChain(roots, serverName)
	case SSLModeVerifyCA:
		t.InsecureSkipVerify = true
		t.VerifyConnection = verifyChain(roots, "")
	default:
		t.InsecureSkipVerify = true // encryption without authentication, as libpq
	}
	return t, nil
}

func tlsVersionOf(v string, def uint16) uint16 {
	switch v {
	case "TLSv1":
		return tls.VersionTLS10
	case "TLSv1.1":
		return tls.VersionTLS11
	case "TLSv1.2":
		return tls.VersionTLS12
	case "TLSv1.3":
		return tls.VersionTLS13
	}
	return def
}

// verifyChain checks the server's chain against roots (nil: the system's)
// and, when name is set, that the certificate is for name.
func verifyChain(roots *x509.CertPool, name string) func(tls.ConnectionState) error {
	return func(cs tls.ConnectionState) error {
		if len(cs.PeerCertificates) == 0 {
			return errors.New("pgactor: server sent no certificate")
		}
		inter := x509.NewCertPool()
		for _, c := range cs.PeerCertificates[1:] {
			inter.AddCert(c)
		}
		_, err := cs.PeerCertificates[0].Verify(x509.VerifyOptions{Roots: roots, Intermediates: inter, DNSName: name})
		if err != nil {
			return &tls.CertificateVerificationError{UnverifiedCertificates: cs.PeerCertificates, Err: err}
		}
		return nil
	}
}

// matchesTarget checks target_session_attrs on a fresh connection, from
// the parameters PostgreSQL 14+ reports at startup, or by asking.
func matchesTarget(ctx context.Context, a *actor.Actor, want TargetSessionAttrs) (bool, error) {
	if want == "" || want == TargetSessionAttrsAny {
		return true, nil
	}
	standby, readOnly := a.ServerParameter("in_hot_standby"), a.ServerParameter("default_transaction_read_only")
	if standby == "" || readOnly == "" {
		cmd := &actor.Command{Kind: actor.CmdSimple, SQL: "SELECT CASE WHEN pg_is_in_recovery() THEN 'on' ELSE 'off' END, current_setting('transaction_read_only')",
			Rows: actor.NewRowStream(1)}
		a.Do(ctx, cmd)
		batch, ok := cmd.Rows.Next(ctx)
		if _, err := cmd.Result.Await(ctx); err != nil {
			return false, err
		}
		if !ok || len(batch) != 1 {
			return false, errors.New("pgactor: could not read the server's recovery state")
		}
		vals, err := wire.ParseDataRow(batch[0].Data, nil)
		if err != nil || len(vals) != 2 {
			return false, errors.New("pgactor: could not read the server's recovery state")
		}
		standby, readOnly = string(vals[0]), string(vals[1])
	}
	isStandby := standby == "on"
	isReadOnly := isStandby || readOnly == "on"
	switch want {
	case TargetSessionAttrsReadWrite:
		return !isReadOnly, nil
	case TargetSessionAttrsReadOnly:
		return isReadOnly, nil
	case TargetSessionAttrsPrimary:
		return !isStandby, nil
	case TargetSessionAttrsStandby:
		return isStandby, nil
	}
	return true, nil
}
