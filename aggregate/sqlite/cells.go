package sqlite

import (
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"tally/account"
	"tally/aggregate"
)

var (
	cellColumns = cellColumnList()
	// A cell's key is its site, hour and dimension values; the rest are counts.
	cellKey     = 2 + aggregate.NumDims
	upsertCells = newUpsert("cells", strings.Join(cellColumns[:cellKey], ", "), cellColumns, cellKey, [2]int{2, cellKey})
	// upsertCounts writes a cell without unique counts (an exit moved, a
	// visit's duration, a page seen again by the same visitors): its key
	// and the six counters, less than half the values to bind; a new row's
	// unique counters default to 0.
	upsertCounts  = newUpsert("cells", strings.Join(cellColumns[:cellKey], ", "), cellColumns[:cellKey+len(counterColumns)], cellKey, [2]int{2, cellKey})
	rollupColumns = []string{"site_id", "day", "dim", "value", "pageviews", "events", "visits", "bounces", "duration", "exits", "visitors"}
	upsertRollups = newUpsert("rollups", "site_id, dim, day, value", rollupColumns, 4, [2]int{})
)

func cellColumnList() []string {
	cols := []string{"site_id", "hour"}
	for d := aggregate.Dim(0); int(d) < aggregate.NumDims; d++ {
		cols = append(cols, d.Column())
	}
	cols = append(cols, counterColumns...)
	return append(cols, aggregate.UniqueColumns()...)
}

var counterColumns = []string{"pageviews", "events", "visits", "bounces", "duration", "exits"}

// WriteBatch adds a checkpoint's cells, and their day rollups, in one
// transaction that also records the batch: a batch recorded already is
// skipped. Cells of a site that no longer exists are dropped, so a
// checkpoint racing a deletion cannot resurrect it.
func (s *Store) WriteBatch(ctx context.Context, b aggregate.Batch) error {
	if len(b.Cells) == 0 {
		return nil
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("write checkpoint: %w", err)
	}
	defer tx.Rollback()
	res, err := tx.ExecContext(ctx, `INSERT INTO batches (instance, seq, at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING`,
		b.Instance, b.Seq, time.Now().Unix())
	if err != nil {
		return fmt.Errorf("write checkpoint: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return nil // stored already: a retry after a lost answer, or a replay
	}
	zones, err := siteZones(ctx, tx)
	if err != nil {
		return fmt.Errorf("write checkpoint: %w", err)
	}
	cells, props, eng, funnels := aggregate.Split(b.Cells)
	w := &writer{ctx: ctx, tx: tx, stmts: &s.stmts}
	if err := writeCells(w, cells, zones); err != nil {
		return fmt.Errorf("write checkpoint: %w", err)
	}
	if err := writeRollups(w, rollupsOf(cells, zones)); err != nil {
		return fmt.Errorf("write checkpoint rollups: %w", err)
	}
	if err := writeProps(w, props, zones); err != nil {
		return fmt.Errorf("write checkpoint properties: %w", err)
	}
	if err := writeEngagement(w, eng, zones); err != nil {
		return fmt.Errorf("write checkpoint engagement: %w", err)
	}
	if err := writeFunnels(w, funnels, zones); err != nil {
		return fmt.Errorf("write checkpoint funnels: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("write checkpoint: %w", err)
	}
	return nil
}

// siteZones returns every live site's time zone.
func siteZones(ctx context.Context, tx *sql.Tx) (map[int64]*time.Location, error) {
	rows, err := tx.QueryContext(ctx, `SELECT id, timezone FROM sites`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[int64]*time.Location{}
	for rows.Next() {
		var site account.Site
		if err := rows.Scan(&site.ID, &site.Timezone); err != nil {
			return nil, err
		}
		out[site.ID] = site.Location()
	}
	return out, rows.Err()
}

func writeCells(w *writer, cells []aggregate.Cell, live map[int64]*time.Location) error {
	plain := 0 // cells without unique counts
	for i := range cells {
		if cells[i].Uniques == ([aggregate.NumUniques]int64{}) {
			plain++
		}
	}
	// Sized at once: growing them copied every value again and again.
	full := make([]any, 0, (len(cells)-plain)*len(upsertCells.cols))
	counts := make([]any, 0, plain*len(upsertCounts.cols))
	for _, i := range inKeyOrder(cells) {
		c := &cells[i]
		if live[c.Site] == nil {
			continue
		}
		if c.Uniques == ([aggregate.NumUniques]int64{}) {
			counts = appendCellArgs(counts, c)
			continue
		}
		full = appendCellArgs(full, c)
		for _, u := range c.Uniques {
			full = append(full, u)
		}
	}
	if err := w.upsert(upsertCells, full); err != nil {
		return err
	}
	return w.upsert(upsertCounts, counts)
}

// appendCellArgs appends a cell's key and its six counters.
func appendCellArgs(args []any, c *aggregate.Cell) []any {
	args = append(args, c.Site, c.Hour.Unix())
	for _, v := range c.Key {
		args = append(args, text(v))
	}
	return append(args, c.Pageviews, c.Events, c.Visits, c.Bounces, c.Duration, c.Exits)
}

// inKeyOrder returns the indexes of cells in the order of the table's
// primary key (site, hour, then the dimensions in Key order). The tables
// are B-trees on that key: upserting in key order walks the tree from one
// leaf to the next instead of jumping to a random page per row, which
// took about a third of a checkpoint's time (docs/benchmarks.md,
// "Checkpoint writes").
func inKeyOrder(cells []aggregate.Cell) []int {
	idx := make([]int, len(cells))
	for i := range idx {
		idx[i] = i
	}
	slices.SortFunc(idx, func(i, j int) int {
		a, b := &cells[i], &cells[j]
		if c := cmp.Or(cmp.Compare(a.Site, b.Site), a.Hour.Compare(b.Hour)); c != 0 {
			return c
		}
		for d := range a.Key {
			if c := strings.Compare(a.Key[d], b.Key[d]); c != 0 {
				return c
			}
		}
		return 0
	})
	return idx
}

// rollupKey names one day rollup row.
type rollupKey struct {
	site  int64
	day   int64
	dim   string
	value string
}

// rollupsOf sums cells into the day rollups they add to: a regular cell
// into one row per dimension (its value, with that dimension's unique
// counter as visitors) and the day's totals; an exit cell into the
// exit-page row only. Days are the site's, from its zone now.
func rollupsOf(cells []aggregate.Cell, zones map[int64]*time.Location) map[rollupKey]*aggregate.Counters {
	out := map[rollupKey]*aggregate.Counters{}
	add := func(k rollupKey, c *aggregate.Cell, visitors int64) {
		r := out[k]
		if r == nil {
			r = &aggregate.Counters{}
			out[k] = r
		}
		r.Pageviews += c.Pageviews
		r.Events += c.Events
		r.Visits += c.Visits
		r.Bounces += c.Bounces
		r.Duration += c.Duration
		r.Exits += c.Exits
		r.Uniques[aggregate.UVisitor] += visitors
	}
	for i := range cells {
		c := &cells[i]
		loc := zones[c.Site]
		if loc == nil {
			continue
		}
		day := aggregate.CivilDay(c.Hour, loc)
		if c.Key[aggregate.ExitPage] != "" {
			add(rollupKey{c.Site, day, aggregate.ExitPage.Column(), c.Key[aggregate.ExitPage]}, c,
				c.Uniques[aggregate.UniqueOf(aggregate.ExitPage)])
			continue
		}
		add(rollupKey{c.Site, day, "", ""}, c, c.Uniques[aggregate.UVisitor])
		for d := aggregate.Dim(0); int(d) < aggregate.NumDims; d++ {
			if d != aggregate.ExitPage {
				add(rollupKey{c.Site, day, d.Column(), c.Key[d]}, c, c.Uniques[aggregate.UniqueOf(d)])
			}
		}
	}
	return out
}

func writeRollups(w *writer, rollups map[rollupKey]*aggregate.Counters) error {
	args := make([]any, 0, len(rollups)*len(rollupColumns))
	// In primary-key order, for the reason inKeyOrder gives.
	keys := slices.SortedFunc(maps.Keys(rollups), func(a, b rollupKey) int {
		return cmp.Or(cmp.Compare(a.site, b.site), strings.Compare(a.dim, b.dim), cmp.Compare(a.day, b.day), strings.Compare(a.value, b.value))
	})
	for _, k := range keys {
		r := rollups[k]
		args = append(args, k.site, k.day, k.dim, k.value, r.Pageviews, r.Events, r.Visits, r.Bounces, r.Duration, r.Exits,
			r.Uniques[aggregate.UVisitor])
	}
	return w.upsert(upsertRollups, args)
}

// scan waits for a slot to run an aggregate query; done gives it back.
func (s *Store) scan(ctx context.Context) (done func(), err error) {
	select {
	case s.scans <- struct{}{}:
		return func() { <-s.scans }, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// Aggregate runs a compiled query.
func (s *Store) Aggregate(ctx context.Context, p *aggregate.Plan) ([]aggregate.Group, error) {
	done, err := s.scan(ctx)
	if err != nil {
		return nil, err
	}
	defer done()
	query, args := p.SQL(dialect{})
	rows, err := s.db.QueryContext(ctx, query, args...)
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
	done, err := s.scan(ctx)
	if err != nil {
		return 0, err
	}
	defer done()
	query, args := p.CountSQL(dialect{})
	var n int
	err = s.db.QueryRowContext(ctx, query, args...).Scan(&n)
	return n, err
}

func (s *Store) DropBefore(ctx context.Context, t time.Time) error {
	day := aggregate.CivilDay(t, t.Location())
	for _, q := range []struct {
		sql string
		arg int64
	}{{`DELETE FROM cells WHERE hour < ?`, t.Unix()}, {`DELETE FROM rollups WHERE day < ?`, day},
		{`DELETE FROM props WHERE hour < ?`, t.Unix()}, {`DELETE FROM engagement WHERE hour < ?`, t.Unix()},
		{`DELETE FROM funnel_counts WHERE hour < ?`, t.Unix()},
		// Batches are remembered so a retry or replay is skipped; one older
		// than what is kept has nothing left to add to.
		{`DELETE FROM batches WHERE at < ?`, t.Unix()}} {
		if _, err := s.db.ExecContext(ctx, q.sql, q.arg); err != nil {
			return fmt.Errorf("drop aggregates before %s: %w", t.Format(time.RFC3339), err)
		}
	}
	return nil
}
