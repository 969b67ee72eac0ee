package aggregate

// slot names an open rollup by its place in a slots table; 0 names none.
//
// Sessions remember the rollups their visit's last hit went to, twenty-one
// per target and two targets each. As pointers those were most of what the
// garbage collector had to follow in a busy server's heap (hundreds of
// thousands of sessions); as slots they are plain numbers.
type slot uint32

// slots holds the open rollups in fixed chunks, which never move, so a
// rollup's address stays valid for as long as its slot is taken. A
// released slot is reused: a slot kept past a rollup's release is stale,
// which the aggregator's epoch (moved whenever a rollup leaves) tells.
type slots struct {
	chunks [][]openCell
	used   int    // slots handed out of chunks so far
	free   []slot // released, to reuse first
}

const slotChunk = 1024

// take returns a zeroed rollup in a slot of its own.
func (s *slots) take() (slot, *openCell) {
	if n := len(s.free); n > 0 {
		sl := s.free[n-1]
		s.free = s.free[:n-1]
		return sl, s.at(sl)
	}
	if s.used == len(s.chunks)*slotChunk {
		s.chunks = append(s.chunks, make([]openCell, slotChunk))
	}
	s.used++
	sl := slot(s.used)
	return sl, s.at(sl)
}

// at returns the rollup in a taken slot.
func (s *slots) at(sl slot) *openCell {
	i := int(sl) - 1
	return &s.chunks[i/slotChunk][i%slotChunk]
}

// release empties a slot for reuse, dropping its sketch.
func (s *slots) release(sl slot) {
	*s.at(sl) = openCell{}
	s.free = append(s.free, sl)
}
