package aggregate

// Split sorts a batch's cells by the table each store keeps them in:
// plain cells, property cells (props.go), engagement cells (engagement.go)
// and funnel cells (funnels.go). It is the one rule both stores apply.
//
// A checkpoint under load carries hundreds of thousands of cells of about
// 700 bytes, nearly all plain: when every cell is plain, all is returned
// as it is, and otherwise each kind is copied once into a slice of its
// exact size (appending one cell at a time copied the batch several
// times over, under the profile's growslice).
func Split(all []Cell) (cells, props, eng, funnels []Cell) {
	kinds := make([]uint8, len(all))
	var n [4]int
	for i := range all {
		k := cellKind(&all[i].Key)
		kinds[i] = k
		n[k]++
	}
	if n[plainCell] == len(all) {
		return all, nil, nil, nil
	}
	out := [4][]Cell{}
	for k := range out {
		if n[k] > 0 {
			out[k] = make([]Cell, 0, n[k])
		}
	}
	for i := range all {
		out[kinds[i]] = append(out[kinds[i]], all[i])
	}
	return out[plainCell], out[propCell], out[engCell], out[funnelCell]
}

const (
	plainCell uint8 = iota
	propCell
	engCell
	funnelCell
)

func cellKind(k *Key) uint8 {
	switch k[Hostname] {
	case propMark:
		return propCell
	case engMark:
		return engCell
	case funnelMark:
		return funnelCell
	}
	return plainCell
}
