package sqlite

import (
	"context"
	"fmt"
	"time"

	"tally/aggregate"
	"tally/internal/legacysketch"
)

// convertLegacy turns the tables that migration 0005 renamed — cells with
// a HyperLogLog sketch each, from before counters at rest — into counters,
// then drops them and vacuums the file so that no sketch byte remains.
//
// A legacy cell's counters carry over as they are (summed over the
// instances that wrote it). Its sketch cannot: a visitor's key is gone. So
// each site-day's sketches are merged per dimension value, and per day for
// the totals, as the old engine did, and each estimate is stored as a cell
// that holds only that value and its visitors counter, at the first hour of
// the day. A converted day thus answers visitors exactly as before for its
// totals and for breakdowns by one dimension; under filters, and per hour,
// its visitors show as they can: all at the day's first hour, and only
// under a filter on the value they belong to (docs/design.md).
func (s *Store) convertLegacy(ctx context.Context) error {
	var n int
	if err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_master WHERE name = 'legacy_cells'`).Scan(&n); err != nil {
		return fmt.Errorf("look for legacy cells: %w", err)
	}
	if n == 0 {
		return nil
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	zones, err := siteZones(ctx, tx)
	if err != nil {
		return fmt.Errorf("convert legacy cells: %w", err)
	}
	rows, err := tx.QueryContext(ctx, `SELECT c.site_id, c.hour, k.key, c.pageviews, c.events, c.visits, c.bounces,
		c.duration, c.exits, c.sketch FROM legacy_cells c JOIN legacy_cell_keys k ON k.id = c.key_id
		ORDER BY c.site_id, c.hour`)
	if err != nil {
		return fmt.Errorf("convert legacy cells: %w", err)
	}
	var day legacysketch.Day
	w := &writer{ctx: ctx, tx: tx, stmts: &s.stmts}
	flush := func() error {
		cells := day.Cells()
		if err := writeCells(w, cells, zones); err != nil {
			return err
		}
		return writeRollups(w, rollupsOf(cells, zones))
	}
	for rows.Next() {
		var c aggregate.Cell
		var hour int64
		var key string
		var sketch []byte
		if err := rows.Scan(&c.Site, &hour, &key, &c.Pageviews, &c.Events, &c.Visits, &c.Bounces, &c.Duration, &c.Exits, &sketch); err != nil {
			rows.Close()
			return fmt.Errorf("convert legacy cells: %w", err)
		}
		if c.Key, err = aggregate.DecodeKey(key); err != nil {
			continue // cannot have been written; nothing to count
		}
		c.Hour = time.Unix(hour, 0).UTC()
		loc := zones[c.Site]
		if loc == nil {
			continue // a deleted site's leftovers
		}
		if d := aggregate.CivilDay(c.Hour, loc); c.Site != day.Site || d != day.Day {
			if err := flush(); err != nil {
				rows.Close()
				return fmt.Errorf("convert legacy cells: %w", err)
			}
			day = legacysketch.Day{Site: c.Site, Day: d, First: c.Hour}
		}
		sk, err := legacysketch.UnmarshalSketch(sketch)
		if err != nil {
			sk = nil // an unreadable sketch counts no visitors
		}
		day.Add(&c, sk)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("convert legacy cells: %w", err)
	}
	if err := flush(); err != nil {
		return fmt.Errorf("convert legacy cells: %w", err)
	}
	for _, t := range []string{"legacy_cells", "legacy_cell_keys", "legacy_rollups"} {
		if _, err := tx.ExecContext(ctx, `DROP TABLE `+t); err != nil {
			return fmt.Errorf("drop %s: %w", t, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("convert legacy cells: %w", err)
	}
	// secure_delete zeroed the dropped pages; VACUUM rebuilds the file
	// without them and the checkpoint empties the log of their images.
	for _, q := range []string{`VACUUM`, `PRAGMA wal_checkpoint(TRUNCATE)`} {
		if _, err := s.db.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("after converting legacy cells: %s: %w", q, err)
		}
	}
	return nil
}
