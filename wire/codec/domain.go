package codec

// NewDomainCodec returns a codec for a domain over the type base handles,
// under the domain's own OID. A column of a domain type needs none:
// RowDescription reports the base type. But a value inside an array or a
// record names the domain itself: an array of a domain carries the
// domain's OID as its element type (binary), and a record field of a
// domain type carries it too. Register the domain codec, and
// NewArrayCodec over it for the domain's array type, to read those.
func NewDomainCodec(oid uint32, name string, base Codec) Codec {
	return &domainCodec{Codec: base, oid: oid, name: name}
}

// domainCodec is its base codec under another OID and name.
type domainCodec struct {
	Codec
	oid  uint32
	name string
}

func (d *domainCodec) OID() uint32  { return d.oid }
func (d *domainCodec) Name() string { return d.name }

func (d *domainCodec) scanFast(format int16, src []byte, dest any, opts *Options) (bool, error) {
	if fs, ok := d.Codec.(fastScanner); ok {
		return fs.scanFast(format, src, dest, opts)
	}
	return false, nil
}
