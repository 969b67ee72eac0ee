package clickhouse

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"tally/account"
	"tally/aggregate"
)

var (
	dimColumns     = dimColumnList()
	counterColumns = append([]string{"pageviews", "events", "visits", "bounces", "duration", "exits"}, aggregate.UniqueColumns()...)
	insertCells    = "INSERT INTO cells (site_id, hour, instance, seq, " + strings.Join(dimColumns, ", ") + ", " +
		strings.Join(counterColumns, ", ") + ", day)"
)

func dimColumnList() []string {
	out := make([]string, aggregate.NumDims)
	for d := range out {
		out[d] = aggregate.Dim(d).Column()
	}
	return out
}

// siteZones returns every live site's time zone, by id.
func (s *Store) siteZones(ctx context.Context) (map[int64]*time.Location, error) {
	rows, err := s.conn.Query(ctx, `SELECT id, timezone FROM sites FINAL WHERE deleted = 0`)
	if err != nil {
		return nil, fmt.Errorf("list sites: %w", err)
	}
	defer rows.Close()
	out := map[int64]*time.Location{}
	for rows.Next() {
		var site account.Site
		if err := rows.Scan(&site.ID, &site.Timezone); err != nil {
			return nil, fmt.Errorf("list sites: %w", err)
		}
		out[site.ID] = site.Location()
	}
	return out, rows.Err()
}

// cellID is a cell's identity within a batch.
type cellID struct {
	site int64
	hour int64 // Unix seconds
	key  aggregate.Key
}

// WriteBatch adds a checkpoint's cells unless the batch is stored already.
//
// Each cell is a row tagged with the batch's instance and seq. Before
// inserting, WriteBatch asks which rows of the batch are there (reading only
// its own sites and hours): the cells stored are not written again, the
// others are. Usually that is all of them (a new batch, one INSERT) or none
// (a retry after an answer was lost, or a replay: nothing to do). Some only
// for a batch across a month's end: each month is its own INSERT, which
// lands whole or not at all, so one may have landed and the next not;
// writing exactly the missing cells completes it without counting any
// twice, in the cells and in the rollups their view adds. Writing a stored
// cell again would add a row that queries count until a merge removes it
// (ReplacingMergeTree keeps one row per sorting key, which includes
// instance and seq), and that the rollups would keep: that only happens
// when an INSERT that timed out lands after its retry looked.
//
// Cells of a deleted site are discarded. Without transactions a deletion
// can land between that check and the insert, so the sites are checked
// again afterwards: a site deleted meanwhile has its rows deleted again
// here. Either the deleter's mutation was created after this insert (and
// removes it), or the second check sees the deletion.
func (s *Store) WriteBatch(ctx context.Context, b aggregate.Batch) error {
	if len(b.Cells) == 0 {
		return nil
	}
	zones, err := s.siteZones(ctx)
	if err != nil {
		return fmt.Errorf("write checkpoint: %w", err)
	}
	cells, props, eng := splitProps(b.Cells)
	written, err := s.writeBatch(ctx, b, cells, cellsTable, zones)
	if err != nil {
		return fmt.Errorf("write checkpoint %s/%d: %w", b.Instance, b.Seq, err)
	}
	wrote, err := s.writeBatch(ctx, b, props, propsTable, zones)
	if err != nil {
		return fmt.Errorf("write checkpoint %s/%d properties: %w", b.Instance, b.Seq, err)
	}
	for id := range wrote {
		written[id] = true
	}
	if wrote, err = s.writeBatch(ctx, b, eng, engTable, zones); err != nil {
		return fmt.Errorf("write checkpoint %s/%d engagement: %w", b.Instance, b.Seq, err)
	}
	for id := range wrote {
		written[id] = true
	}
	if len(written) == 0 {
		return nil
	}
	after, err := s.siteZones(ctx)
	if err != nil {
		return fmt.Errorf("write checkpoint: recheck sites: %w", err)
	}
	for id := range written {
		if after[id] == nil {
			if err := s.purgeSite(ctx, id); err != nil {
				return fmt.Errorf("write checkpoint: %w", err)
			}
		}
	}
	return nil
}

// writeBatch writes those of b's cells (all of t's kind) that are of live
// sites and not stored in t yet, and returns the sites it wrote cells of.
// Cells of one identity add up first: the table keeps one row per cell of a
// batch. Each table is checked on its own, so a batch that landed in one
// and not the other is completed, not counted twice.
func (s *Store) writeBatch(ctx context.Context, b aggregate.Batch, of []aggregate.Cell, t *table, live map[int64]*time.Location) (map[int64]bool, error) {
	cells := map[cellID]*aggregate.Counters{}
	var order []cellID // the batch's order, for a stable insert
	var minSite, maxSite, minHour, maxHour int64
	for i := range of {
		c := &of[i]
		if live[c.Site] == nil {
			continue
		}
		id := cellID{c.Site, c.Hour.Unix(), c.Key}
		if have := cells[id]; have != nil {
			have.Add(&c.Counters)
			continue
		}
		cc := c.Counters
		cells[id] = &cc
		if len(order) == 0 {
			minSite, maxSite, minHour, maxHour = id.site, id.site, id.hour, id.hour
		}
		minSite, maxSite = min(minSite, id.site), max(maxSite, id.site)
		minHour, maxHour = min(minHour, id.hour), max(maxHour, id.hour)
		order = append(order, id)
	}
	written := map[int64]bool{}
	if len(order) == 0 {
		return written, nil
	}
	// The batch's rows are in its own sites and hours: the monthly
	// partitions and the primary key (site, exit page, hour; the hours
	// are ordered within each exit page) keep this read small.
	where := `site_id >= ? AND site_id <= ? AND hour >= toDateTime(?) AND hour <= toDateTime(?) AND instance = ? AND seq = ?`
	args := []any{minSite, maxSite, minHour, maxHour, b.Instance, b.Seq}
	var stored uint64
	if err := s.conn.QueryRow(ctx, `SELECT count() FROM `+t.name+` WHERE `+where, args...).Scan(&stored); err != nil {
		return nil, fmt.Errorf("look for the batch: %w", err)
	}
	if stored > 0 {
		have, err := s.storedCells(ctx, t, where, args)
		if err != nil {
			return nil, err
		}
		missing := order[:0:0]
		for _, id := range order {
			if !have[id] {
				missing = append(missing, id)
			}
		}
		order = missing
	}
	// One INSERT per month: ClickHouse writes a block's rows of one
	// partition as one part, so each INSERT lands whole or not at all,
	// and the rollups view, fed each block of cells after its part is
	// written, adds exactly the cells that landed. A batch is usually all
	// in one month.
	for len(order) > 0 {
		month := monthOf(order[0].hour)
		var this, rest []cellID
		for _, id := range order {
			if monthOf(id.hour) == month {
				this = append(this, id)
			} else {
				rest = append(rest, id)
			}
		}
		if err := s.insertRows(ctx, b, t, this, cells, live); err != nil {
			return nil, err
		}
		for _, id := range this {
			written[id.site] = true
		}
		order = rest
	}
	return written, nil
}

func monthOf(unix int64) int {
	t := time.Unix(unix, 0).UTC()
	return t.Year()*100 + int(t.Month())
}

// insertRows inserts the cells of order into t in one INSERT.
func (s *Store) insertRows(ctx context.Context, b aggregate.Batch, t *table, order []cellID, cells map[cellID]*aggregate.Counters,
	live map[int64]*time.Location) error {
	batch, err := s.conn.PrepareBatch(ctx, t.insert)
	if err != nil {
		return err
	}
	defer batch.Close()
	row := make([]any, 0, 5+len(dimColumns)+len(counterColumns))
	for _, id := range order {
		hour := time.Unix(id.hour, 0).UTC()
		row = t.row(append(row[:0], id.site, hour, b.Instance, b.Seq), &id.key, cells[id])
		if t.day {
			// The site's local day, which the rollups view sums by
			// (migrations/clickhouse/0008_rollups.sql).
			row = append(row, aggregate.CivilDay(hour, live[id.site]))
		}
		if err := batch.Append(row...); err != nil {
			return err
		}
	}
	return batch.Send()
}

// storedCells returns the identities of the rows that where selects.
func (s *Store) storedCells(ctx context.Context, t *table, where string, args []any) (map[cellID]bool, error) {
	rows, err := s.conn.Query(ctx, `SELECT site_id, toInt64(hour), `+strings.Join(t.keyColumns, ", ")+
		` FROM `+t.name+` WHERE `+where, args...)
	if err != nil {
		return nil, fmt.Errorf("read the batch: %w", err)
	}
	defer rows.Close()
	have := map[cellID]bool{}
	var id cellID
	vals := make([]string, len(t.keyColumns))
	dest := []any{&id.site, &id.hour}
	for i := range vals {
		dest = append(dest, &vals[i])
	}
	for rows.Next() {
		if err := rows.Scan(dest...); err != nil {
			return nil, fmt.Errorf("read the batch: %w", err)
		}
		id.key = t.key(vals)
		have[id] = true
	}
	return have, rows.Err()
}

// Aggregate runs a compiled query.
func (s *Store) Aggregate(ctx context.Context, p *aggregate.Plan) ([]aggregate.Group, error) {
	query, args := p.SQL(s.dialect())
	rows, err := s.conn.Query(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []aggregate.Group
	for rows.Next() {
		var g aggregate.Group
		if err := rows.Scan(p.Dest(&g)...); err != nil {
			return nil, err
		}
		out = append(out, g)
	}
	return out, rows.Err()
}

// CountGroups counts a compiled query's rows.
func (s *Store) CountGroups(ctx context.Context, p *aggregate.Plan) (int, error) {
	query, args := p.CountSQL(s.dialect())
	var n uint64
	if err := s.conn.QueryRow(ctx, query, args...).Scan(&n); err != nil {
		return 0, err
	}
	return int(n), nil
}

// DropBefore drops every monthly partition of cells that ends at or before
// t. Retention is therefore month-grained here: rows of t's own month that
// are older than t stay until that whole month is past t. Dropping a
// partition is immediate; deleting single hours would be an asynchronous
// rewrite.
//
// Rollups go by the same months, of their local days.
func (s *Store) DropBefore(ctx context.Context, t time.Time) error {
	for _, table := range []string{"cells", "rollups", "props", "engagement"} {
		if err := s.dropPartitionsBefore(ctx, table, t); err != nil {
			return err
		}
	}
	return nil
}

func (s *Store) dropPartitionsBefore(ctx context.Context, table string, t time.Time) error {
	rows, err := s.conn.Query(ctx, `SELECT DISTINCT partition FROM system.parts
		WHERE database = ? AND table = ? AND active`, s.db, table)
	if err != nil {
		return fmt.Errorf("drop %s before %s: %w", table, t.Format(time.RFC3339), err)
	}
	var drop []int
	for rows.Next() {
		var p string
		if err := rows.Scan(&p); err != nil {
			rows.Close()
			return fmt.Errorf("drop %s before %s: %w", table, t.Format(time.RFC3339), err)
		}
		ym, err := strconv.Atoi(p)
		if err != nil {
			rows.Close()
			return fmt.Errorf("drop %s: unexpected partition %q", table, p)
		}
		end := time.Date(ym/100, time.Month(ym%100)+1, 1, 0, 0, 0, 0, time.UTC)
		if !end.After(t) {
			drop = append(drop, ym)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("drop %s before %s: %w", table, t.Format(time.RFC3339), err)
	}
	for _, ym := range drop {
		if err := s.conn.Exec(ctx, fmt.Sprintf(`ALTER TABLE %s DROP PARTITION %d`, table, ym)); err != nil {
			return fmt.Errorf("drop %s of month %d: %w", table, ym, err)
		}
	}
	return nil
}
