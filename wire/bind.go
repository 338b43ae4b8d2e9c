package wire

// Params is the parameter part of a Bind message, encoded ahead of time
// (with a type registry: codec.Registry.AppendParams) for parameters of the types OIDs: the
// format codes and the values, laid out as the protocol wants them. A
// statement can run with it when its parameter types agree with OIDs (an
// OID of 0, a value encoded without a known type, agrees with any).
type Params struct {
	OIDs []uint32
	Data []byte
}

// Fits reports whether p was encoded for parameters of the types oids.
func (p *Params) Fits(oids []uint32) bool {
	if len(p.OIDs) != len(oids) {
		return false
	}
	for i, o := range p.OIDs {
		if o != 0 && o != oids[i] {
			return false
		}
	}
	return true
}

// appendBindParams encodes Bind for the unnamed portal with p, encoded for
// info's parameter types, asking for the result formats chosen when the
// statement was described.
func appendBindParams(dst []byte, info *PreparedStatementInfo, p *Params) ([]byte, error) {
	if p == nil {
		return dst, &UsageError{Op: "bind", Msg: "no parameters encoded"}
	}
	if !p.Fits(info.ParamOIDs) {
		return dst, &UsageError{Op: "bind", Msg: "parameters encoded for other types than the statement's"}
	}
	start := len(dst)
	dst, at := beginMessage(dst, TagBind)
	dst = append(dst, 0)
	dst = appendCString(dst, info.Name)
	dst = append(dst, p.Data...)
	return closeBind(dst, start, at, info)
}

func closeBind(dst []byte, start, at int, info *PreparedStatementInfo) ([]byte, error) {
	if err := checkCString("statement name", info.Name); err != nil {
		return dst[:start], err
	}
	dst = appendResultFormats(dst, info.Columns)
	out, err := finishMessage(dst, at)
	if err != nil {
		return dst[:start], err
	}
	return out, nil
}

func appendResultFormats(dst []byte, rd *RowDescription) []byte {
	if rd == nil || len(rd.Fields) == 0 {
		return appendInt16(dst, 0)
	}
	same := true
	for _, f := range rd.Fields[1:] {
		if f.Format != rd.Fields[0].Format {
			same = false
			break
		}
	}
	if same {
		if rd.Fields[0].Format == 0 {
			return appendInt16(dst, 0) // no codes: all text
		}
		dst = appendInt16(dst, 1)
		return appendInt16(dst, rd.Fields[0].Format)
	}
	dst = appendInt16(dst, int16(len(rd.Fields)))
	for _, f := range rd.Fields {
		dst = appendInt16(dst, f.Format)
	}
	return dst
}
