package aggregate

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"sync/atomic"
	"time"
)

// SpillFile is the name of the spill file under Config.SpillDir.
const SpillFile = "spill.jsonl"

// spill is the local file that holds the cells and rollups of closed hours
// that the store could not take while too many waited in memory. It holds
// aggregates only — the same values a checkpoint sends to the store, never a
// visitor key, an IP address or a user agent — one JSON record a line, so a
// torn last line after a crash costs that line and nothing else. Records are
// final: a closed hour's cell (and an ended day's rollup) never changes again,
// so replaying a record twice is harmless (stores replace rows by key).
type spill struct {
	path string

	mu      sync.Mutex   // the file: appends, reads, removal
	records atomic.Int64 // records in the file
}

// spillRecord is one cell (Hour set) or one rollup (Day set).
type spillRecord struct {
	Instance string     `json:"i"`
	Site     int64      `json:"s"`
	Hour     *time.Time `json:"h,omitempty"`
	Key      *Key       `json:"k,omitempty"`
	Day      *time.Time `json:"d,omitempty"`
	Dim      Dim        `json:"m,omitempty"`
	Value    string     `json:"v,omitempty"`
	Counters Counters   `json:"c"`
	Sketch   []byte     `json:"x,omitempty"`
}

func newSpill(dir string) *spill {
	if dir == "" {
		return nil
	}
	s := &spill{path: filepath.Join(dir, SpillFile)}
	var recs int64 // a file left by an earlier run is replayed at the first checkpoint
	s.each(func(*spillRecord) error { recs++; return nil })
	s.records.Store(recs)
	return s
}

// append writes records at the end of the file and syncs it.
func (s *spill) append(recs []spillRecord) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := os.MkdirAll(filepath.Dir(s.path), 0o700); err != nil {
		return fmt.Errorf("spill: %w", err)
	}
	f, err := os.OpenFile(s.path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return fmt.Errorf("spill: %w", err)
	}
	w := bufio.NewWriter(f)
	enc := json.NewEncoder(w)
	for i := range recs {
		if err := enc.Encode(&recs[i]); err != nil {
			f.Close()
			return fmt.Errorf("spill: %w", err)
		}
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return fmt.Errorf("spill: %w", err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("spill: %w", err)
	}
	s.records.Add(int64(len(recs)))
	return f.Close()
}

// each calls fn for every readable record in the file, oldest first; a
// missing file has none. Callers hold s.mu.
func (s *spill) each(fn func(*spillRecord) error) (bad int, err error) {
	f, err := os.Open(s.path)
	if errors.Is(err, os.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("read spill: %w", err)
	}
	defer f.Close()
	r := bufio.NewReaderSize(f, 1<<16)
	for {
		line, err := r.ReadBytes('\n')
		if len(line) > 0 {
			var rec spillRecord
			if json.Unmarshal(line, &rec) != nil || rec.Site == 0 || (rec.Hour == nil) == (rec.Day == nil) {
				bad++ // a torn line from a crash mid-append
			} else if ferr := fn(&rec); ferr != nil {
				return bad, ferr
			}
		}
		if err == io.EOF {
			return bad, nil
		}
		if err != nil {
			return bad, fmt.Errorf("read spill: %w", err)
		}
	}
}

// count returns the records in the file.
func (s *spill) count() int { return int(s.records.Load()) }

func (r *spillRecord) cell() (Cell, error) {
	sk, err := UnmarshalSketch(r.Sketch)
	if err != nil {
		return Cell{}, err
	}
	return Cell{Instance: r.Instance, Site: r.Site, Hour: r.Hour.UTC(), Key: *r.Key, Counters: r.Counters, Sketch: sk}, nil
}

func (r *spillRecord) rollup() (Rollup, error) {
	sk, err := UnmarshalSketch(r.Sketch)
	if err != nil {
		return Rollup{}, err
	}
	return Rollup{Instance: r.Instance, Site: r.Site, Day: r.Day.UTC(), Dim: r.Dim, Value: r.Value, Counters: r.Counters, Sketch: sk}, nil
}

func sketchBytes(s *Sketch) []byte {
	if s == nil {
		return nil
	}
	b, err := s.MarshalBinary()
	if err != nil {
		panic(fmt.Sprintf("encode sketch: %v", err)) // the library never fails here
	}
	return b
}

// replaySpill writes every record of the spill file to the store, in
// batches, and removes the file once all are stored. A failure leaves the
// file whole; the next checkpoint replays it from the start.
// Callers hold a.writeMu.
func (a *Aggregator) replaySpill(ctx context.Context) error {
	if a.spill == nil {
		return nil
	}
	s := a.spill
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, err := os.Stat(s.path); errors.Is(err, os.ErrNotExist) {
		s.records.Store(0)
		return nil
	}
	start := time.Now()
	const batch = 5000
	var cells []Cell
	var rollups []Rollup
	nc, nr := 0, 0
	flush := func() error {
		if err := a.store.WriteCells(ctx, cells); err != nil {
			return fmt.Errorf("replay %d spilled cells: %w", len(cells), err)
		}
		if err := a.store.WriteRollups(ctx, rollups); err != nil {
			return fmt.Errorf("replay %d spilled rollups: %w", len(rollups), err)
		}
		nc, nr = nc+len(cells), nr+len(rollups)
		cells, rollups = cells[:0], rollups[:0]
		return nil
	}
	bad, err := s.each(func(r *spillRecord) error {
		if r.Hour != nil {
			c, err := r.cell()
			if err != nil {
				return fmt.Errorf("replay spill: %w", err)
			}
			cells = append(cells, c)
		} else {
			ro, err := r.rollup()
			if err != nil {
				return fmt.Errorf("replay spill: %w", err)
			}
			rollups = append(rollups, ro)
		}
		if len(cells)+len(rollups) >= batch {
			return flush()
		}
		return nil
	})
	if err == nil {
		err = flush()
	}
	if err != nil {
		return err
	}
	if err := os.Remove(s.path); err != nil {
		return fmt.Errorf("remove replayed spill: %w", err)
	}
	s.records.Store(0)
	a.replays.Add(1)
	a.log.Info("replayed spilled aggregates to the store; spill file removed",
		"cells", nc, "rollups", nr, "unreadable_lines", bad, "took", time.Since(start).Round(time.Millisecond))
	return nil
}

// spillOver runs after a failed checkpoint. It forgets closed cells that are
// already stored, and if more than Config.SpillCells cells and rollups are
// still in memory, moves the oldest closed hours (and ended days' rollups)
// to the spill file until the rest fits. Open hours never spill: they still
// change. Callers hold a.writeMu.
func (a *Aggregator) spillOver() error {
	if a.spill == nil {
		return nil
	}
	a.mu.Lock()
	floor := a.floor(a.now())
	a.forgetWrittenLocked(floor)
	excess := len(a.cells) + len(a.rollups) - a.cfg.SpillCells
	if excess <= 0 {
		a.mu.Unlock()
		return nil
	}
	// Groups of final aggregates, by the instant they became final.
	type group struct {
		end     int64
		cells   []cellID
		rollups []rollupID
	}
	groups := map[int64]*group{}
	get := func(end int64) *group {
		g := groups[end]
		if g == nil {
			g = &group{end: end}
			groups[end] = g
		}
		return g
	}
	for id := range a.cells {
		if id.hour() < floor.Unix() {
			g := get(id.hour() + 3600)
			g.cells = append(g.cells, id)
		}
	}
	for id := range a.rollups {
		if end := dayEnd(id.day, a.zone(id.site)); !end.After(floor) {
			g := get(end.Unix())
			g.rollups = append(g.rollups, id)
		}
	}
	order := make([]*group, 0, len(groups))
	for _, g := range groups {
		order = append(order, g)
	}
	sort.Slice(order, func(i, j int) bool { return order[i].end < order[j].end })

	var recs []spillRecord
	var cids []cellID
	var rids []rollupID
	var versions []uint64
	hours := 0
	for _, g := range order {
		if excess <= 0 {
			break
		}
		hours++
		for _, id := range g.cells {
			c := a.cells[id]
			hour := time.Unix(id.hour(), 0).UTC()
			key := id.key()
			recs = append(recs, spillRecord{Instance: a.instance, Site: id.site(), Hour: &hour, Key: &key,
				Counters: c.Counters, Sketch: sketchBytes(c.sketchCopy())})
			cids = append(cids, id)
			versions = append(versions, c.version)
		}
		for _, id := range g.rollups {
			r := a.rollups[id]
			day := time.Unix(id.day, 0).UTC()
			recs = append(recs, spillRecord{Instance: a.instance, Site: id.site, Day: &day, Dim: id.dim, Value: id.value,
				Counters: r.Counters, Sketch: sketchBytes(r.sketchCopy())})
			rids = append(rids, id)
			versions = append(versions, r.version)
		}
		excess -= len(g.cells) + len(g.rollups)
	}
	a.mu.Unlock()
	if len(recs) == 0 {
		return nil // nothing closed yet: the open hours alone exceed the bound
	}

	if err := a.spill.append(recs); err != nil {
		return err // they stay in memory
	}
	a.mu.Lock()
	// A record that changed meanwhile (it cannot: closed hours are final)
	// would stay in memory; its newer version is written after the replay.
	a.epoch++
	for i, id := range cids {
		if c := a.cells[id]; c != nil && c.version == versions[i] {
			delete(a.cells, id)
		}
	}
	for i, id := range rids {
		if r := a.rollups[id]; r != nil && r.version == versions[len(cids)+i] {
			a.dropRollup(id, r)
		}
	}
	left := len(a.cells) + len(a.rollups)
	a.mu.Unlock()
	a.spills.Add(1)
	a.log.Warn("store unreachable: spilled the oldest closed hours to disk",
		"cells", len(cids), "rollups", len(rids), "periods", hours, "file", a.spill.path, "in_memory", left)
	return nil
}

// forgetWrittenLocked drops closed cells and ended rollups that are stored.
// Callers hold a.mu.
func (a *Aggregator) forgetWrittenLocked(floor time.Time) {
	n := len(a.cells) + len(a.rollups)
	for id, c := range a.cells {
		if id.hour() < floor.Unix() && c.version == c.written {
			delete(a.cells, id)
		}
	}
	// A rollup stays open while any hour of its day can still be touched.
	for id, r := range a.rollups {
		if r.version == r.written && !dayEnd(id.day, a.zone(id.site)).After(floor) {
			a.dropRollup(id, r)
		}
	}
	if len(a.cells)+len(a.rollups) < n {
		a.epoch++ // sessions may point at what left
	}
}

// spilledCells feeds fn the spilled cells of this instance for the site in
// [from, to), and returns their ids, so queries see spilled counts while
// they wait for the store. Records of an earlier run (left by a crash) are
// not shown until replayed: the store may hold older rows of theirs.
func (a *Aggregator) spilledCells(site int64, from, to time.Time, open map[cellID]bool, fn func(*Cell) error) error {
	if a.spill == nil {
		return nil
	}
	a.spill.mu.Lock()
	defer a.spill.mu.Unlock()
	_, err := a.spill.each(func(r *spillRecord) error {
		if r.Hour == nil || r.Site != site || r.Instance != a.instance || r.Hour.Before(from) || !r.Hour.Before(to) {
			return nil
		}
		id := newCellID(r.Site, r.Hour.Unix(), r.Key)
		if open[id] {
			return nil // still in memory: being spilled right now
		}
		c, err := r.cell()
		if err != nil {
			return nil
		}
		open[id] = true
		return fn(&c)
	})
	return err
}

// spilledRollups is spilledCells for the rollups of one dimension and the
// days from through to.
func (a *Aggregator) spilledRollups(site int64, dim Dim, from, to time.Time, open map[rollupID]bool, fn func(*Rollup) error) error {
	if a.spill == nil {
		return nil
	}
	a.spill.mu.Lock()
	defer a.spill.mu.Unlock()
	_, err := a.spill.each(func(r *spillRecord) error {
		if r.Day == nil || r.Site != site || r.Dim != dim || r.Instance != a.instance || r.Day.Before(from) || r.Day.After(to) {
			return nil
		}
		id := rollupID{r.Site, r.Day.Unix(), r.Dim, r.Value}
		if open[id] {
			return nil
		}
		ro, err := r.rollup()
		if err != nil {
			return nil
		}
		open[id] = true
		return fn(&ro)
	})
	return err
}
