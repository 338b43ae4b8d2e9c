package codec

import "slices"

// OIDs lists the registered OIDs in order, so fuzz targets can reach
// every decoder.
func (r *Registry) OIDs() []uint32 {
	var oids []uint32
	for oid := range r.tables.Load().byOID {
		oids = append(oids, oid)
	}
	slices.Sort(oids)
	return oids
}
