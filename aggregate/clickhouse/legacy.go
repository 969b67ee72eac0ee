package clickhouse

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"time"

	"tally/aggregate"
	"tally/internal/legacysketch"
)

// legacyTables lists the tables migration 0004 renamed (legacy_*), sorted.
func (s *Store) legacyTables(ctx context.Context) ([]string, error) {
	rows, err := s.conn.Query(ctx, `SELECT name FROM system.tables
		WHERE database = ? AND substring(name, 1, 7) = 'legacy_' ORDER BY name`, s.db)
	if err != nil {
		return nil, fmt.Errorf("look for legacy tables: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			return nil, fmt.Errorf("look for legacy tables: %w", err)
		}
		out = append(out, name)
	}
	return out, rows.Err()
}

// convertLegacy turns the tables that migration 0004 renamed — cells with
// a HyperLogLog sketch each, from before counters at rest — into counters,
// then drops them so that no sketch byte remains. It runs under the
// migration lock.
//
// As the embedded store does (sqlite/legacy.go): a legacy cell's counters
// carry over as they are — the newest version of each row (the old table
// kept versions of a row, per instance, until merges removed the older),
// summed over the instances that wrote it. Its sketch cannot: a visitor's
// key is gone. So each site-day's sketches (the day in the site's zone) are
// merged per dimension value, and per day for the totals, as the old engine
// did, and each estimate is stored as a cell that holds only that value and
// its visitors counter, at the first hour of the day. A converted day thus
// answers visitors exactly as before for its totals and for breakdowns by
// one dimension; under filters, and per hour, its visitors show as they
// can: all at the day's first hour, and only under a filter on the value
// they belong to (docs/design.md). Rollups are sums of cells: they are
// dropped, not converted.
//
// Each site-day is written as one batch, instance "legacy-<site id>" and seq
// the day (days since 1970-01-01): a conversion cut short (a crash, a lost
// connection) leaves the legacy tables in place, and the next start converts
// again, skipping the days stored already.
func (s *Store) convertLegacy(ctx context.Context) error {
	tables, err := s.legacyTables(ctx)
	if err != nil || len(tables) == 0 {
		return err
	}
	if slices.Contains(tables, "legacy_cells") {
		zones, err := s.siteZones(ctx)
		if err != nil {
			return fmt.Errorf("convert legacy cells: %w", err)
		}
		ids := make([]int64, 0, len(zones))
		for id := range zones {
			ids = append(ids, id)
		}
		slices.Sort(ids)
		for _, id := range ids {
			if err := s.convertLegacySite(ctx, id, zones); err != nil {
				return fmt.Errorf("convert legacy cells of site %d: %w", id, err)
			}
		}
	}
	// legacy_cells last: while it is there, the next start converts again.
	slices.SortFunc(tables, func(a, b string) int {
		return boolInt(a == "legacy_cells") - boolInt(b == "legacy_cells")
	})
	for _, t := range tables {
		if err := s.dropSync(ctx, t); err != nil {
			return fmt.Errorf("drop %s: %w", t, err)
		}
	}
	return nil
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// convertLegacySite converts one site's legacy cells, a day at a time.
func (s *Store) convertLegacySite(ctx context.Context, site int64, zones map[int64]*time.Location) error {
	loc := zones[site]
	// The hours the site has cells in, grouped into its days.
	rows, err := s.conn.Query(ctx, `SELECT DISTINCT toInt64(hour) AS h FROM legacy_cells WHERE site_id = ? ORDER BY h`, site)
	if err != nil {
		return err
	}
	type span struct{ day, first, last int64 }
	var days []span
	for rows.Next() {
		var h int64
		if err := rows.Scan(&h); err != nil {
			rows.Close()
			return err
		}
		d := aggregate.CivilDay(time.Unix(h, 0), loc)
		if n := len(days); n > 0 && days[n-1].day == d {
			days[n-1].last = h
		} else {
			days = append(days, span{d, h, h})
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	instance := "legacy-" + strconv.FormatInt(site, 10)
	for _, sp := range days {
		day := legacysketch.Day{Site: site, Day: sp.day, First: time.Unix(sp.first, 0).UTC()}
		if err := s.readLegacyDay(ctx, &day, sp.first, sp.last); err != nil {
			return err
		}
		b := aggregate.Batch{Instance: instance, Seq: uint64(sp.day), Cells: day.Cells()}
		if _, err := s.writeBatch(ctx, b, b.Cells, cellsTable, zones); err != nil {
			return fmt.Errorf("write day %d: %w", sp.day, err)
		}
	}
	return nil
}

// readLegacyDay adds the legacy cells of d's site in the hours [first,
// last] to d: per (hour, key, instance) the newest version.
func (s *Store) readLegacyDay(ctx context.Context, d *legacysketch.Day, first, last int64) error {
	rows, err := s.conn.Query(ctx, `SELECT toInt64(hour), key,
			argMax(pageviews, version), argMax(events, version), argMax(visits, version),
			argMax(bounces, version), argMax(duration, version), argMax(exits, version),
			argMax(sketch, version)
		FROM legacy_cells
		WHERE site_id = ? AND hour >= toDateTime(?) AND hour <= toDateTime(?)
		GROUP BY hour, key, instance`, d.Site, first, last)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		c := aggregate.Cell{Site: d.Site}
		var hour int64
		var key, sketch string
		if err := rows.Scan(&hour, &key, &c.Pageviews, &c.Events, &c.Visits, &c.Bounces, &c.Duration, &c.Exits, &sketch); err != nil {
			return err
		}
		if c.Key, err = aggregate.DecodeKey(key); err != nil {
			continue // cannot have been written; nothing to count
		}
		c.Hour = time.Unix(hour, 0).UTC()
		sk, err := legacysketch.UnmarshalSketch([]byte(sketch))
		if err != nil {
			sk = nil // an unreadable sketch counts no visitors
		}
		d.Add(&c, sk)
	}
	return rows.Err()
}
