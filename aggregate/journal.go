package aggregate

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"slices"
	"time"
)

// The cell journal keeps what was counted since the last checkpoint on disk,
// so that a crash loses at most one journal interval (a second) instead of
// one checkpoint interval. It holds the same aggregates a checkpoint sends to
// the store — a cell's site, hour, dimension values and counters — never a
// visitor key, a hash of one, an IP address or a user agent: hits are not
// journalled, cells are.
//
// One segment file holds one epoch: the cells one checkpoint takes. It is a
// sequence of records, each framed as
//
//	uint32 payload length | uint32 CRC-32C of the payload | payload
//
// (little-endian), whose first payload byte is its type:
//
//   - header (first record): magic, the instance, the epoch's first batch seq;
//   - cell: a cell id and its counters since the epoch began (cumulative, so
//     a later record of a cell replaces an earlier one);
//   - seal: written when the checkpoint took the epoch, before any of its
//     batches is sent: the first seq, the number of batches, the cells a
//     batch holds and the number of cells.
//
// A record that is short or fails its checksum ends the segment: it is the
// torn tail of a write a crash interrupted, and nothing after it was synced.

// JournalDir is the folder of journal segments under Config.SpillDir.
const JournalDir = "journal"

const (
	segmentExt    = ".seg"
	journalMagic  = "tally-cell-journal-1"
	maxRecordSize = 1 << 20 // far above any cell record; larger is corruption
)

// Record types (stored: never renumber).
const (
	recHeader byte = 'H'
	recCell   byte = 'C'
	recSeal   byte = 'S'
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// numCounterFields is the number of int64s in Counters, in the order
// counterFields lists them.
const numCounterFields = 6 + NumUniques

// A cell record's field mask is one uint64.
var _ [64 - numCounterFields]struct{}

func counterFields(c *Counters) (f [numCounterFields]int64) {
	f[0], f[1], f[2], f[3], f[4], f[5] = c.Pageviews, c.Events, c.Visits, c.Bounces, c.Duration, c.Exits
	copy(f[6:], c.Uniques[:])
	return f
}

func countersOf(f *[numCounterFields]int64) (c Counters) {
	c.Pageviews, c.Events, c.Visits, c.Bounces, c.Duration, c.Exits = f[0], f[1], f[2], f[3], f[4], f[5]
	copy(c.Uniques[:], f[6:])
	return c
}

// beginRecord reserves the frame of a record; endRecord fills it in.
func beginRecord(buf []byte, typ byte) ([]byte, int) {
	start := len(buf)
	return append(buf, 0, 0, 0, 0, 0, 0, 0, 0, typ), start
}

func endRecord(buf []byte, start int) []byte {
	p := buf[start+8:]
	binary.LittleEndian.PutUint32(buf[start:], uint32(len(p)))
	binary.LittleEndian.PutUint32(buf[start+4:], crc32.Checksum(p, castagnoli))
	return buf
}

func appendHeaderRecord(buf []byte, instance string, first uint64) []byte {
	buf, start := beginRecord(buf, recHeader)
	buf = append(buf, journalMagic...)
	buf = binary.AppendUvarint(buf, uint64(len(instance)))
	buf = append(buf, instance...)
	buf = binary.AppendUvarint(buf, first)
	return endRecord(buf, start)
}

// appendCellRecord encodes only the counters that are set: most of a cell's
// 43 counters are zero, and the journal is written every second.
func appendCellRecord(buf []byte, id cellID, c *Counters) []byte {
	buf, start := beginRecord(buf, recCell)
	buf = binary.AppendUvarint(buf, uint64(len(id)))
	buf = append(buf, id...)
	f := counterFields(c)
	var mask uint64
	for i, v := range f {
		if v != 0 {
			mask |= 1 << i
		}
	}
	buf = binary.AppendUvarint(buf, mask)
	for _, v := range f {
		if v != 0 {
			buf = binary.AppendVarint(buf, v)
		}
	}
	return endRecord(buf, start)
}

// seal is what a checkpoint made of an epoch: enough to cut the epoch's
// cells into the very batches it sent.
type seal struct {
	first, batches, chunk, cells uint64
	// idOrder: the batches were cut from the cells sorted by id
	// (cutBatches); without it (a segment written before 2026-12-02), in
	// the order the cells first appear.
	idOrder bool
}

// sealInIDOrder is the seal's fifth field when its batches were cut in id
// order; a seal of four fields (older segments) means appearance order.
const sealInIDOrder = 1

func appendSealRecord(buf []byte, s seal) []byte {
	buf, start := beginRecord(buf, recSeal)
	for _, v := range []uint64{s.first, s.batches, s.chunk, s.cells} {
		buf = binary.AppendUvarint(buf, v)
	}
	if s.idOrder {
		buf = binary.AppendUvarint(buf, sealInIDOrder)
	}
	return endRecord(buf, start)
}

// segment is the file of the epoch being written.
type segment struct {
	path  string
	f     *os.File
	first uint64
}

func segmentPath(dir, instance string, first uint64) string {
	return filepath.Join(dir, fmt.Sprintf("%s-%020d%s", instance, first, segmentExt))
}

// createSegment creates an epoch's file with its header, and syncs the
// folder so that the file is still there after a crash.
func createSegment(dir, instance string, first uint64) (*segment, error) {
	path := segmentPath(dir, instance, first)
	f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, fmt.Errorf("create journal segment: %w", err)
	}
	s := &segment{path: path, f: f, first: first}
	if _, err := f.Write(appendHeaderRecord(nil, instance, first)); err != nil {
		s.remove(dir)
		return nil, fmt.Errorf("write journal header: %w", err)
	}
	if err := syncDir(dir); err != nil {
		s.remove(dir)
		return nil, err
	}
	return s, nil
}

// write appends whole records and syncs them: on return without error they
// survive a crash.
func (s *segment) write(b []byte) error {
	if _, err := s.f.Write(b); err != nil {
		return fmt.Errorf("write journal: %w", err)
	}
	if err := s.f.Sync(); err != nil {
		return fmt.Errorf("sync journal: %w", err)
	}
	return nil
}

func (s *segment) close() error { return s.f.Close() }

// remove deletes the segment, closed or not, and syncs the folder, so that a
// segment given up cannot come back after a crash and be replayed.
func (s *segment) remove(dir string) error {
	s.f.Close()
	return removeSegment(dir, s.path)
}

func removeSegment(dir, path string) error {
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("remove journal segment: %w", err)
	}
	return syncDir(dir)
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("sync journal folder: %w", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("sync journal folder: %w", err)
	}
	return nil
}

// epoch is a segment as read back: its cells with their last counters, in
// the order they first appear, and their ids (to cut them as the
// checkpoint did).
type epoch struct {
	instance string
	first    uint64
	cells    []Cell
	ids      []cellID // ids[i] is cells[i]'s
	seal     *seal
	torn     bool // reading stopped at an unreadable record
}

// readSegment reads a segment file. A file without a readable header gives
// an epoch with no instance (nothing in it can be replayed).
func readSegment(path string) (epoch, error) {
	var e epoch
	f, err := os.Open(path)
	if err != nil {
		return e, fmt.Errorf("read journal segment: %w", err)
	}
	defer f.Close()
	r := bufio.NewReaderSize(f, 1<<16)
	index := map[string]int{}
	var frame [8]byte
	var payload []byte
	for n := 0; ; n++ {
		if _, err := io.ReadFull(r, frame[:]); err != nil {
			e.torn = err != io.EOF
			return e, nil
		}
		size := binary.LittleEndian.Uint32(frame[:])
		if size == 0 || size > maxRecordSize {
			e.torn = true
			return e, nil
		}
		if cap(payload) < int(size) {
			payload = make([]byte, size)
		}
		payload = payload[:size]
		if _, err := io.ReadFull(r, payload); err != nil ||
			crc32.Checksum(payload, castagnoli) != binary.LittleEndian.Uint32(frame[4:]) {
			e.torn = true
			return e, nil
		}
		if n == 0 {
			if !e.readHeader(payload) {
				return epoch{torn: true}, nil
			}
			continue
		}
		if !e.readRecord(payload, index) {
			e.torn = true
			return e, nil
		}
		if e.seal != nil {
			return e, nil // nothing follows a seal
		}
	}
}

func (e *epoch) readHeader(p []byte) bool {
	if p[0] != recHeader || len(p) < 1+len(journalMagic) || string(p[1:1+len(journalMagic)]) != journalMagic {
		return false
	}
	p = p[1+len(journalMagic):]
	n, k := binary.Uvarint(p)
	if k <= 0 || uint64(len(p)-k) < n {
		return false
	}
	e.instance = string(p[k : k+int(n)])
	p = p[k+int(n):]
	first, k := binary.Uvarint(p)
	if k <= 0 || e.instance == "" || first == 0 {
		return false
	}
	e.first = first
	return true
}

func (e *epoch) readRecord(p []byte, index map[string]int) bool {
	typ, p := p[0], p[1:]
	switch typ {
	case recCell:
		n, k := binary.Uvarint(p)
		if k <= 0 || uint64(len(p)-k) < n || n < 16 {
			return false
		}
		id := cellID(p[k : k+int(n)]) // a copy: the payload buffer is reused
		p = p[k+int(n):]
		mask, k := binary.Uvarint(p)
		if k <= 0 {
			return false
		}
		p = p[k:]
		var f [numCounterFields]int64
		for i := range f {
			if mask&(1<<i) == 0 {
				continue
			}
			v, k := binary.Varint(p)
			if k <= 0 {
				return false
			}
			f[i], p = v, p[k:]
		}
		c := Cell{Site: id.site(), Hour: time.Unix(id.hour(), 0).UTC(), Key: id.key(), Counters: countersOf(&f)}
		if i, ok := index[string(id)]; ok {
			e.cells[i] = c
		} else {
			index[string(id)] = len(e.cells)
			e.cells = append(e.cells, c)
			e.ids = append(e.ids, id)
		}
		return true
	case recSeal:
		var v [4]uint64
		for i := range v {
			x, k := binary.Uvarint(p)
			if k <= 0 {
				return false
			}
			v[i], p = x, p[k:]
		}
		e.seal = &seal{first: v[0], batches: v[1], chunk: v[2], cells: v[3]}
		if x, k := binary.Uvarint(p); k > 0 {
			e.seal.idOrder = x == sealInIDOrder
		}
		return true
	}
	return false
}

// batches cuts the epoch into the batches its checkpoint sent (sealed), or
// would have sent (not sealed: its seqs were never used, since a seal is
// synced before any batch of the epoch goes to a store). ok is false when a
// sealed epoch does not read back as it was sealed.
func (e *epoch) batches() (bs []Batch, ok bool) {
	chunk := uint64(batchCells)
	if e.seal != nil && e.seal.chunk > 0 {
		chunk = e.seal.chunk
	}
	if e.seal == nil || e.seal.idOrder {
		e.sortByID()
	}
	for i := 0; i < len(e.cells); i += int(chunk) {
		end := min(i+int(chunk), len(e.cells))
		bs = append(bs, Batch{Instance: e.instance, Seq: e.first + uint64(len(bs)), Cells: e.cells[i:end]})
	}
	if e.seal == nil {
		return bs, true
	}
	return bs, e.seal.first == e.first && e.seal.batches == uint64(len(bs)) && e.seal.cells == uint64(len(e.cells))
}

// sortByID puts the epoch's cells in the order of their ids, the order
// cutBatches cuts a checkpoint's cells in.
func (e *epoch) sortByID() {
	idx := make([]int, len(e.cells))
	for i := range idx {
		idx[i] = i
	}
	slices.SortFunc(idx, func(i, j int) int { return compareIDs(e.ids[i], e.ids[j]) })
	cells, ids := make([]Cell, len(idx)), make([]cellID, len(idx))
	for n, i := range idx {
		cells[n], ids[n] = e.cells[i], e.ids[i]
	}
	e.cells, e.ids = cells, ids
}
