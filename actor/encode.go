package actor

import (
	"github.com/pgactor/pgactor/wire"
)

// Arguments are read before Send returns. Once the connection has
// described a statement (Actor.stmts, published by the loop), Send encodes
// them, in the caller's goroutine, for the parameter types the description
// gives: the loop only copies bytes. The first time a connection sees a
// statement nobody knows those types yet, and waiting for the server to
// describe it would make Send wait behind every command queued before it
// (a caller pipelining a big query and then a new statement would wait for
// itself). Send then takes a deep copy of the arguments (snapshot.go) and
// the loop encodes the copy once the Prepare has answered. Either way, what
// the caller does with the arguments after Send returns changes nothing
// sent.
//
// The loop checks, as it writes a command, that the statement it has
// cached still takes the parameter types the arguments were encoded for
// (wire.Params.Fits); when the statement was evicted meanwhile it prepares
// it again with those types, and when it now takes others (a schema change
// made the server describe it anew) the command runs once on the unnamed
// statement, parsed with the types it was encoded for.

// encodeArgs encodes the arguments of cmd (and of a batch's commands), or
// copies them for the loop to encode, unless they were encoded already (a
// command sent again keeps its first encoding).
func (a *Actor) encodeArgs(cmd *Command) error {
	switch cmd.Kind {
	case CmdQuery:
		return a.encodeQuery(cmd)
	case CmdExecute:
		if cmd.Params != nil || cmd.Stmt == nil {
			return nil
		}
		return a.encode(cmd, cmd.Stmt)
	case CmdBatch:
		for i, it := range cmd.Batch {
			var err error
			switch it.Kind {
			case CmdQuery:
				err = a.encodeQuery(it)
			case CmdExecute:
				err = a.encodeArgs(it)
			}
			if err != nil {
				return &wire.BatchItemError{Index: i, Err: err}
			}
		}
	}
	return nil
}

// EncodeArgs does to cmd's arguments what Send does (encodes them, or
// copies them when the connection has not described the statement yet),
// for a caller that holds the command back before sending it: its
// arguments are then read now, not when it is sent.
func (a *Actor) EncodeArgs(cmd *Command) error { return a.encodeArgs(cmd) }

// encodeQuery encodes a CmdQuery's arguments for the cached description of
// its statement (or for unnamed statements), or copies them.
func (a *Actor) encodeQuery(cmd *Command) error {
	if cmd.Params != nil {
		return nil
	}
	var info *wire.PreparedStatementInfo
	if !a.cfg.Statements.Unnamed() && !cmd.Unnamed {
		if info = a.Statement(cmd.SQL); info == nil {
			cmd.Args = snapshotArgs(cmd.Args)
			return nil
		}
	}
	return a.encode(cmd, info)
}

// encode encodes c's arguments for info's parameter types, or for the
// types the values imply when info is nil, into the command's own
// parameter buffer (kept across Reset), and points c.Params at it.
func (a *Actor) encode(c *Command, info *wire.PreparedStatementInfo) error {
	p := &c.params
	if info != nil {
		p.OIDs = info.ParamOIDs
	} else {
		p.OIDs = a.reg.ParamOIDs(make([]uint32, 0, len(c.Args)), c.Args)
	}
	dst := p.Data[:0]
	if dst == nil {
		dst = make([]byte, 0, paramsSizeHint(c.Args))
	}
	var err error
	if p.Data, err = a.reg.AppendParams(dst, p.OIDs, c.Args, nil); err != nil {
		return err
	}
	c.Params = p
	return nil
}

// paramsSizeHint guesses the encoded size of args, so that the common case
// allocates once.
func paramsSizeHint(args []any) int {
	n := 4 + 2*len(args)
	for _, v := range args {
		switch v := v.(type) {
		case string:
			n += 4 + len(v)
		case []byte:
			n += 4 + len(v)
		default:
			n += 4 + 16
		}
	}
	return n
}

// Statement returns the description of sql the connection has cached, or
// nil. It is safe for concurrent use; the answer may be stale by the time
// a command is written, which the loop checks.
func (a *Actor) Statement(sql string) *wire.PreparedStatementInfo {
	if v, ok := a.stmts.Load(sql); ok {
		return v.(*wire.PreparedStatementInfo)
	}
	return nil
}
