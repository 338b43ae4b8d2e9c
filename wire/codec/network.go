package codec

import (
	"net"
	"net/netip"
	"reflect"
)

// The address families of inet's binary form (PGSQL_AF_INET and _INET6).
const (
	pgAFInet  = 2
	pgAFInet6 = 3
)

// inetCodec is inet or cidr; both decode to netip.Prefix. An inet holding a
// host address keeps its full-length prefix (/32 or /128); scanning it into
// a *netip.Addr drops that.
func inetCodec(oid uint32, name string, cidr bool) Codec {
	var goType reflect.Type
	if !cidr {
		goType = reflect.TypeFor[netip.Prefix]()
	}
	return &builtin{
		oid: oid, name: name, goType: goType,
		decodeBinary: func(src []byte, _ *Options) (any, error) {
			if len(src) < 4 {
				return nil, invalid(name, "binary length %d", len(src))
			}
			fam, bits, nb := src[0], int(src[1]), int(src[3])
			var addr netip.Addr
			switch {
			case fam == pgAFInet && nb == 4 && len(src) == 8 && bits <= 32:
				addr = netip.AddrFrom4([4]byte(src[4:8]))
			case fam == pgAFInet6 && nb == 16 && len(src) == 20 && bits <= 128:
				addr = netip.AddrFrom16([16]byte(src[4:20]))
			default:
				return nil, invalid(name, "family %d, %d bits, %d bytes", fam, bits, len(src))
			}
			return netip.PrefixFrom(addr, bits), nil
		},
		decodeText: func(src []byte, _ *Options) (any, error) {
			p, ok := parseInet(string(src))
			if !ok {
				return nil, invalid(name, "text value %q", src)
			}
			return p, nil
		},
		encodeBinary: func(buf []byte, v any, _ *Options) ([]byte, bool, error) {
			p, ok := toPrefix(v)
			if !ok {
				return buf, false, nil
			}
			a := p.Addr()
			fam := byte(pgAFInet)
			if a.Is6() {
				fam = pgAFInet6
			}
			isCidr := byte(0)
			if cidr {
				isCidr = 1
			}
			b := a.AsSlice()
			buf = append(buf, fam, byte(p.Bits()), isCidr, byte(len(b)))
			return append(buf, b...), true, nil
		},
		appendText: func(buf []byte, v any, _ *Options) ([]byte, error) {
			p, ok := toPrefix(v)
			if !ok {
				return buf, cantEncode(v, name)
			}
			return appendInet(buf, p, cidr), nil
		},
	}
}

// parseInet reads "address" or "address/bits" without zones.
func parseInet(s string) (netip.Prefix, bool) {
	for i := 0; i < len(s); i++ {
		if s[i] == '/' {
			p, err := netip.ParsePrefix(s)
			if err != nil || p.Addr().Zone() != "" {
				return netip.Prefix{}, false
			}
			return p, true
		}
	}
	a, err := netip.ParseAddr(s)
	if err != nil || a.Zone() != "" {
		return netip.Prefix{}, false
	}
	return netip.PrefixFrom(a, a.BitLen()), true
}

// appendInet prints as PostgreSQL does: an inet with a full-length mask
// shows the address alone, a cidr always shows its mask.
func appendInet(buf []byte, p netip.Prefix, cidr bool) []byte {
	buf = p.Addr().AppendTo(buf)
	if cidr || p.Bits() != p.Addr().BitLen() {
		buf = append(buf, '/')
		buf = appendPadded(buf, p.Bits(), 1)
	}
	return buf
}

func toPrefix(v any) (netip.Prefix, bool) {
	switch x := v.(type) {
	case netip.Prefix:
		return x, x.IsValid()
	case netip.Addr:
		return netip.PrefixFrom(x, x.BitLen()), x.IsValid()
	case net.IPNet:
		return ipNetPrefix(&x)
	case *net.IPNet:
		if x == nil {
			return netip.Prefix{}, false
		}
		return ipNetPrefix(x)
	case net.IP:
		a, ok := netip.AddrFromSlice(x)
		if !ok {
			return netip.Prefix{}, false
		}
		a = a.Unmap()
		return netip.PrefixFrom(a, a.BitLen()), true
	}
	return netip.Prefix{}, false
}

func ipNetPrefix(n *net.IPNet) (netip.Prefix, bool) {
	a, ok := netip.AddrFromSlice(n.IP)
	if !ok {
		return netip.Prefix{}, false
	}
	ones, bits := n.Mask.Size()
	if bits == 32 {
		a = a.Unmap()
	}
	if bits != a.BitLen() {
		return netip.Prefix{}, false
	}
	return netip.PrefixFrom(a, ones), true
}

// macaddrCodec is macaddr (6 bytes) or macaddr8 (8); both decode to
// net.HardwareAddr.
func macaddrCodec(oid uint32, name string, size int) Codec {
	// No Go type: a net.HardwareAddr is macaddr or macaddr8 by its length.
	return &builtin{
		oid: oid, name: name,
		decodeBinary: func(src []byte, _ *Options) (any, error) {
			if len(src) != size {
				return nil, invalid(name, "binary length %d, want %d", len(src), size)
			}
			return net.HardwareAddr(append(make([]byte, 0, size), src...)), nil
		},
		decodeText: func(src []byte, _ *Options) (any, error) {
			hw, err := net.ParseMAC(string(src))
			if err != nil || len(hw) != size {
				return nil, invalid(name, "text value %q", src)
			}
			return hw, nil
		},
		encodeBinary: func(buf []byte, v any, _ *Options) ([]byte, bool, error) {
			hw, ok := v.(net.HardwareAddr)
			if !ok || len(hw) != size {
				return buf, false, nil
			}
			return append(buf, hw...), true, nil
		},
		appendText: func(buf []byte, v any, _ *Options) ([]byte, error) {
			hw, ok := v.(net.HardwareAddr)
			if !ok {
				return buf, cantEncode(v, name)
			}
			return append(buf, hw.String()...), nil
		},
	}
}
