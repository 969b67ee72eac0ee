package aggregate

import "encoding/binary"

// cellID identifies an open cell: its site and hour (Unix seconds of the
// UTC hour) as 8 bytes each, then its encoded key. One string hashes and
// compares much faster than a struct of 20 strings spread over the heap,
// and gives the garbage collector one pointer to follow instead of 20.
type cellID string

// appendCellID appends the id of (site, hour, key) to b.
func appendCellID(b []byte, site, hour int64, key *Key) []byte {
	b = binary.BigEndian.AppendUint64(b, uint64(site))
	b = binary.BigEndian.AppendUint64(b, uint64(hour))
	for i := range key {
		if i > 0 {
			b = append(b, keySep...)
		}
		b = append(b, key[i]...)
	}
	return b
}

func newCellID(site, hour int64, key *Key) cellID {
	return cellID(appendCellID(make([]byte, 0, 64), site, hour, key))
}

func (id cellID) site() int64 { return int64(beUint64(string(id))) }
func (id cellID) hour() int64 { return int64(beUint64(string(id[8:]))) }

// key decodes the cell's key; its values share the id's memory. No value
// holds keySep (Add strips it), so the id always decodes to the key it was
// made from.
func (id cellID) key() Key {
	var k Key
	decodeKeyInto(&k, string(id[16:]))
	return k
}

// beUint64 is binary.BigEndian.Uint64 on a string, without the []byte
// conversion (a copy) that would need.
func beUint64(s string) uint64 {
	_ = s[7]
	return uint64(s[0])<<56 | uint64(s[1])<<48 | uint64(s[2])<<40 | uint64(s[3])<<32 |
		uint64(s[4])<<24 | uint64(s[5])<<16 | uint64(s[6])<<8 | uint64(s[7])
}

// openCell is a cell or a rollup while it is open in memory.
type openCell struct {
	Counters
	few [2]uint64 // the first visitors (0: none), until sketch is made
	// sketch is held by value (made when sketch.hll is set): an insert into
	// a busy rollup then follows one pointer fewer, each a likely cache miss.
	sketch  Sketch
	version uint64 // bumped on every change
	written uint64 // version last stored
	slot    slot   // a rollup's place in the aggregator's slots; 0 for a cell
}

func (c *openCell) add(delta Counters, visitor uint64) {
	c.Counters.Add(delta)
	if visitor != 0 {
		c.insert(visitor)
	}
	c.version++
}

// insert adds a visitor key. Most cells see one or two visitors in their
// hour; they keep them inline and get a sketch — several allocations and a
// few hundred bytes that the garbage collector keeps scanning — only at the
// third.
func (c *openCell) insert(visitor uint64) {
	switch {
	case c.sketch.hll != nil:
		c.sketch.Insert(visitor)
	case c.few[0] == 0 || c.few[0] == visitor:
		c.few[0] = visitor
	case c.few[1] == 0 || c.few[1] == visitor:
		c.few[1] = visitor
	default:
		c.sketch = *NewSketch()
		c.sketch.Insert(c.few[0])
		c.sketch.Insert(c.few[1])
		c.sketch.Insert(visitor)
		c.few = [2]uint64{}
	}
}

// sketchCopy returns an independent sketch of the cell's visitors, nil
// when it has none.
func (c *openCell) sketchCopy() *Sketch {
	if c.sketch.hll != nil {
		return c.sketch.Clone()
	}
	if c.few[0] == 0 {
		return nil
	}
	s := NewSketch()
	for _, v := range c.few {
		if v != 0 {
			s.Insert(v)
		}
	}
	return s
}
