package aggregate

import (
	"encoding/binary"
	"strings"
)

// cellID identifies a cell in memory: its site and hour (Unix seconds of the
// UTC hour) as 8 bytes each, then its encoded key. One string hashes and
// compares much faster than a struct of 20 strings spread over the heap,
// and gives the garbage collector one pointer to follow instead of 20.
type cellID string

// openCell is a cell counting since the last checkpoint took the cells. It
// keeps its id, so that the journal can name it without a map lookup, and
// the journal tick in which it last joined the dirty list (dirty.go).
type openCell struct {
	Counters
	id   cellID
	tick uint64
}

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

// compareIDs is the order a checkpoint cuts its cells into batches in
// (cutBatches) and a journal replay cuts them again (epoch.sortByID): by
// site, hour, then the dimension values in Key order — the embedded
// store's primary key. Both must use it, or a replay would store other
// batches under the same names.
func compareIDs(x, y cellID) int { return strings.Compare(string(x), string(y)) }

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
