package wire

import (
	"strconv"
)

// DecodeRowDescription decodes a RowDescription body.
func DecodeRowDescription(body []byte) (*RowDescription, error) {
	rd, err := decodeRowDescription(body)
	if err != nil {
		return nil, err
	}
	return rd, nil
}

func decodeRowDescription(body []byte) (*RowDescription, *ProtocolError) {
	r := reader{b: body, msg: "RowDescription"}
	n := r.count(19) // 1-byte name + 18 bytes of fixed fields
	rd := &RowDescription{Fields: make([]FieldDescription, n)}
	for i := range rd.Fields {
		f := &rd.Fields[i]
		f.Name = r.cstring()
		f.TableOID = r.uint32()
		f.AttNum = r.int16()
		f.TypeOID = r.uint32()
		f.TypeSize = r.int16()
		f.TypeModifier = r.int32()
		f.Format = r.int16()
		if r.err == nil && f.Format != 0 && f.Format != 1 {
			r.fail("unknown format code " + strconv.Itoa(int(f.Format)))
		}
	}
	if err := r.done(); err != nil {
		return nil, err
	}
	return rd, nil
}
