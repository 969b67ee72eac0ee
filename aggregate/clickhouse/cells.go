package clickhouse

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	ch "github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

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
	cells, props, eng, funnels := aggregate.Split(b.Cells)
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
	if wrote, err = s.writeBatch(ctx, b, funnels, funnelTable, zones); err != nil {
		return fmt.Errorf("write checkpoint %s/%d funnels: %w", b.Instance, b.Seq, err)
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
	have, err := s.storedCells(ctx, t, where, args)
	if err != nil {
		return nil, err
	}
	if len(have) > 0 {
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
			return nil, s.explain(ctx, err)
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
	batch, err := s.conn.PrepareBatch(s.insertContext(ctx), t.insert)
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

// insertContext is ctx with what an insert through a Distributed table
// needs: on a cluster the rows reach their shards before the insert
// returns (insert_distributed_sync), or it fails — otherwise the server
// that took them would queue them on its disk and send them later, where
// the batch lookup cannot see them, and a shard that is down would not be
// noticed; the aggregator keeps (spills) a batch that failed.
func (s *Store) insertContext(ctx context.Context) context.Context {
	if s.cluster == nil {
		return ctx
	}
	return ch.Context(ctx, ch.WithSettings(ch.Settings{"insert_distributed_sync": 1}))
}

// storedCells returns the identities of t's rows that where selects.
//
// On a cluster it reads every node's own rows (<t>_local), not the
// Distributed table: a Distributed read asks one replica per shard, and a
// replica that has not yet fetched a part that its twin took would report
// rows missing that are stored, and the retry would write them twice. A row
// on any replica that answers counts as stored; a shard of which no
// replica answers fails the write (it would fail the insert too).
func (s *Store) storedCells(ctx context.Context, t *table, where string, args []any) (map[cellID]bool, error) {
	var mu sync.Mutex
	have := map[cellID]bool{}
	err := s.onEveryCopy(ctx, t.name, func(ctx context.Context, conn driver.Conn, table string) error {
		var n uint64
		if err := conn.QueryRow(ctx, `SELECT count() FROM `+table+` WHERE `+where, args...).Scan(&n); err != nil || n == 0 {
			return err
		}
		rows, err := conn.Query(ctx, `SELECT site_id, toInt64(hour), `+strings.Join(t.keyColumns, ", ")+
			` FROM `+table+` WHERE `+where, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		var id cellID
		vals := make([]string, len(t.keyColumns))
		dest := []any{&id.site, &id.hour}
		for i := range vals {
			dest = append(dest, &vals[i])
		}
		for rows.Next() {
			if err := rows.Scan(dest...); err != nil {
				return err
			}
			id.key = t.key(vals)
			mu.Lock()
			have[id] = true
			mu.Unlock()
		}
		return rows.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("look for the batch: %w", err)
	}
	return have, nil
}

// Aggregate runs a compiled query.
func (s *Store) Aggregate(ctx context.Context, p *aggregate.Plan) ([]aggregate.Group, error) {
	query, args := p.SQL(s.dialect())
	rows, err := s.conn.Query(ctx, query, args...)
	if err != nil {
		return nil, s.explain(ctx, err)
	}
	defer rows.Close()
	var out []aggregate.Group
	for rows.Next() {
		var g aggregate.Group
		if err := rows.Scan(p.Dest(&g)...); err != nil {
			return nil, s.explain(ctx, err)
		}
		out = append(out, g)
	}
	return out, s.explain(ctx, rows.Err())
}

// CountGroups counts a compiled query's rows.
func (s *Store) CountGroups(ctx context.Context, p *aggregate.Plan) (int, error) {
	query, args := p.CountSQL(s.dialect())
	var n uint64
	if err := s.conn.QueryRow(ctx, query, args...).Scan(&n); err != nil {
		return 0, s.explain(ctx, err)
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
	for _, table := range []string{"cells", "rollups", "props", "engagement", "funnel_counts"} {
		if err := s.dropPartitionsBefore(ctx, table, t); err != nil {
			return err
		}
	}
	return nil
}

// dropPartitionsBefore drops table's monthly partitions that end at or
// before t. On a cluster every node drops its own (a replica that is down
// drops them when it is back: partition drops are replicated), and a shard
// that is down fails it.
func (s *Store) dropPartitionsBefore(ctx context.Context, table string, t time.Time) error {
	err := s.onEveryCopy(ctx, table, func(ctx context.Context, conn driver.Conn, local string) error {
		drop, err := s.partitionsBefore(ctx, conn, local, t)
		if err != nil {
			return err
		}
		for _, ym := range drop {
			if err := conn.Exec(ctx, fmt.Sprintf(`ALTER TABLE %s DROP PARTITION %d`, local, ym)); err != nil {
				return fmt.Errorf("drop %s of month %d: %w", table, ym, err)
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("drop %s before %s: %w", table, t.Format(time.RFC3339), err)
	}
	return nil
}

// partitionsBefore lists the months of table on the server of conn that
// end at or before t.
func (s *Store) partitionsBefore(ctx context.Context, conn driver.Conn, table string, t time.Time) ([]int, error) {
	rows, err := conn.Query(ctx, `SELECT DISTINCT partition FROM system.parts
		WHERE database = ? AND table = ? AND active`, s.db, table)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var drop []int
	for rows.Next() {
		var p string
		if err := rows.Scan(&p); err != nil {
			return nil, err
		}
		ym, err := strconv.Atoi(p)
		if err != nil {
			return nil, fmt.Errorf("unexpected partition %q", p)
		}
		end := time.Date(ym/100, time.Month(ym%100)+1, 1, 0, 0, 0, 0, time.UTC)
		if !end.After(t) {
			drop = append(drop, ym)
		}
	}
	return drop, rows.Err()
}
