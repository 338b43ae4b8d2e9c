package wire

import (
	"crypto/md5"
	"encoding/hex"
	"slices"
	"strconv"
	"strings"

	"github.com/xdg-go/scram"
)

// authState is the authentication half of startup.
type authState struct {
	allowed  map[AuthMethod]bool // nil: any method
	conv     *scram.ClientConversation
	plus     bool // SCRAM-SHA-256-PLUS chosen
	verified bool // SASL exchange completed and the server proved itself
	method   AuthMethod
}

// knownMethods are the methods require_auth may name: the ones this client
// performs and the ones it only refuses.
var knownMethods = []AuthMethod{AuthNone, AuthPassword, AuthMD5, AuthSCRAMSHA256, AuthGSS, AuthSSPI}

// init reads RequireAuth the way libpq reads require_auth: a list of
// methods the server may use, or a list of negated methods it may not.
func (a *authState) init(cfg *Config) error {
	if len(cfg.RequireAuth) == 0 {
		return nil
	}
	negated := strings.HasPrefix(cfg.RequireAuth[0], "!")
	a.allowed = map[AuthMethod]bool{}
	if negated {
		for _, m := range knownMethods {
			a.allowed[m] = true
		}
	}
	for _, raw := range cfg.RequireAuth {
		name := strings.TrimSpace(raw)
		neg := strings.HasPrefix(name, "!")
		if neg != negated {
			return &UsageError{Op: "require_auth", Msg: "negated and non-negated methods cannot be mixed"}
		}
		m := AuthMethod(strings.TrimPrefix(name, "!"))
		if !slices.Contains(knownMethods, m) {
			return &UsageError{Op: "require_auth", Msg: "unknown method " + quote(string(m))}
		}
		a.allowed[m] = !negated
	}
	return nil
}

func quote(s string) string { return "\"" + s + "\"" }

// permit refuses method before a single byte of the password leaves.
func (c *Client) permit(m AuthMethod) *AuthError {
	if c.cfg.RequireChannelBinding && m != AuthSCRAMSHA256 {
		return &AuthError{Msg: "channel binding is required, but the server asked for " + authLabel(m)}
	}
	if c.auth.allowed != nil && !c.auth.allowed[m] {
		return &AuthError{Msg: "require_auth does not allow " + authLabel(m) + " authentication"}
	}
	if m != AuthNone && c.cfg.Password == "" {
		return &AuthError{Msg: "server asked for " + authLabel(m) + " authentication but no password was given"}
	}
	return nil
}

func authLabel(m AuthMethod) string {
	if m == AuthNone {
		return "no"
	}
	return string(m)
}

// authenticate handles one Authentication message.
func (c *Client) authenticate(m authMessage) Event {
	refuse := func(e *AuthError) Event {
		c.die(e)
		c.deathReported = true
		return &ProtocolError{Msg: e.Error()}
	}
	switch m.code {
	case authOK:
		switch c.state {
		case StateSentStartup:
			if e := c.permit(AuthNone); e != nil && (c.cfg.RequireChannelBinding || c.auth.allowed != nil) {
				return refuse(e)
			}
			c.auth.method = AuthNone
		case StateCleartextSent, StateMD5Sent:
		case StateSASLFinalSent:
			if !c.auth.verified {
				return refuse(&AuthError{Msg: "server ended SCRAM without proving it knows the password"})
			}
		default:
			return c.unexpected(TagAuthentication, "AuthenticationOk")
		}
		c.state = StateAuthenticatedWaitingForCompletion
		return &AuthenticationCompleted{}

	case authCleartextPassword, authMD5Password:
		if c.state != StateSentStartup {
			return c.unexpected(TagAuthentication, "a second authentication request")
		}
		method := AuthPassword
		if m.code == authMD5Password {
			method = AuthMD5
		}
		if e := c.permit(method); e != nil {
			return refuse(e)
		}
		pw := c.cfg.Password
		if method == AuthMD5 {
			pw = md5Password(c.cfg.User, c.cfg.Password, m.salt)
			c.state = StateMD5Startup
		} else {
			c.state = StateCleartextStartup
		}
		out, err := appendPassword(c.out, pw)
		if err != nil {
			return refuse(&AuthError{Msg: err.Error()})
		}
		c.out = out
		c.auth.method = method
		return &AuthenticationRequest{Method: method}

	case authSASL:
		if c.state != StateSentStartup {
			return c.unexpected(TagAuthentication, "a second authentication request")
		}
		if e := c.permit(AuthSCRAMSHA256); e != nil {
			return refuse(e)
		}
		return c.saslStart(m.mechanisms, refuse)

	case authSASLContinue:
		if c.state != StateSASLFirstSent {
			return c.unexpected(TagAuthentication, "SASLContinue")
		}
		resp, err := c.auth.conv.Step(string(m.data))
		if err != nil {
			return refuse(&AuthError{Msg: "SCRAM: " + err.Error()})
		}
		out, perr := appendSASLResponse(c.out, []byte(resp))
		if perr != nil {
			return refuse(&AuthError{Msg: perr.Error()})
		}
		c.out = out
		c.state = StateSASLFirstReceived
		return nil

	case authSASLFinal:
		if c.state != StateSASLFinalSent {
			return c.unexpected(TagAuthentication, "SASLFinal")
		}
		if _, err := c.auth.conv.Step(string(m.data)); err != nil || !c.auth.conv.Valid() {
			msg := "server signature does not verify"
			if err != nil {
				msg = err.Error()
			}
			return refuse(&AuthError{Msg: "SCRAM: " + msg})
		}
		c.auth.verified = true
		return nil
	}
	return refuse(&AuthError{Msg: "unsupported authentication method (code " + itoa(int(m.code)) + ")"})
}

func (c *Client) saslStart(mechs []string, refuse func(*AuthError) Event) Event {
	client, err := scram.SHA256.NewClient("", c.cfg.Password, "")
	if err != nil {
		// PostgreSQL uses the raw password when SASLprep fails; so do we.
		client, err = scram.SHA256.NewClientUnprepped("", c.cfg.Password, "")
		if err != nil {
			return refuse(&AuthError{Msg: "SCRAM: " + err.Error()})
		}
	}
	var mech string
	switch {
	case len(c.cfg.ChannelBinding) > 0 && slices.Contains(mechs, "SCRAM-SHA-256-PLUS"):
		mech = "SCRAM-SHA-256-PLUS"
		c.auth.conv = client.NewConversationWithChannelBinding(scram.ChannelBinding{
			Type: scram.ChannelBindingTLSServerEndpoint, Data: c.cfg.ChannelBinding})
		c.auth.plus = true
	case c.cfg.RequireChannelBinding:
		return refuse(&AuthError{Msg: "channel binding is required, but the server did not offer SCRAM-SHA-256-PLUS"})
	case slices.Contains(mechs, "SCRAM-SHA-256"):
		mech = "SCRAM-SHA-256"
		if len(c.cfg.ChannelBinding) > 0 {
			// We could bind but the server did not offer to: say so, so a
			// server that did offer PLUS detects a stripped list.
			c.auth.conv = client.NewConversationAdvertisingChannelBinding()
		} else {
			c.auth.conv = client.NewConversation()
		}
	default:
		return refuse(&AuthError{Msg: "server offered no supported SASL mechanism: " + strings.Join(mechs, ", ")})
	}
	first, err := c.auth.conv.Step("")
	if err != nil {
		return refuse(&AuthError{Msg: "SCRAM: " + err.Error()})
	}
	out, perr := appendSASLInitialResponse(c.out, mech, []byte(first))
	if perr != nil {
		return refuse(&AuthError{Msg: perr.Error()})
	}
	c.out = out
	c.state = StateSASLStartup
	c.auth.method = AuthSCRAMSHA256
	return &AuthenticationRequest{Method: AuthSCRAMSHA256, Mechanisms: mechs, Mechanism: mech}
}

// md5Password computes "md5" + md5hex(md5hex(password + user) + salt).
func md5Password(user, password string, salt []byte) string {
	inner := md5.Sum([]byte(password + user))
	h := md5.New()
	h.Write([]byte(hex.EncodeToString(inner[:])))
	h.Write(salt)
	return "md5" + hex.EncodeToString(h.Sum(nil))
}

func itoa(n int) string { return strconv.Itoa(n) }
