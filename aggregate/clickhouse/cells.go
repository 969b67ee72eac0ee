package clickhouse

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"tally/aggregate"
)

// liveSiteIDs returns the ids of the sites that exist now.
func (s *Store) liveSiteIDs(ctx context.Context) (map[int64]bool, error) {
	rows, err := s.conn.Query(ctx, `SELECT id FROM sites FINAL WHERE deleted = 0`)
	if err != nil {
		return nil, fmt.Errorf("list sites: %w", err)
	}
	defer rows.Close()
	live := map[int64]bool{}
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("list sites: %w", err)
		}
		live[id] = true
	}
	return live, rows.Err()
}

// WriteCells inserts the cells as new versions of their rows; ReplacingMergeTree
// keeps the newest per (site, hour, key, instance) and reads pick the newest
// version with argMax until merges have removed the others.
//
// Cells of deleted sites are discarded. Without transactions a deletion can
// land between that check and the insert, so the sites are checked again
// afterwards: a site deleted meanwhile has its rows deleted again here. Either
// the deleter's mutation was created after this insert (and removes it), or
// the second check sees the deletion.
func (s *Store) WriteCells(ctx context.Context, cells []aggregate.Cell) error {
	if len(cells) == 0 {
		return nil
	}
	live, err := s.liveSiteIDs(ctx)
	if err != nil {
		return fmt.Errorf("write cells: %w", err)
	}
	b, err := s.conn.PrepareBatch(ctx, `INSERT INTO cells
		(site_id, hour, key, instance, pageviews, events, visits, bounces, duration, exits, sketch, version)`)
	if err != nil {
		return fmt.Errorf("write cells: %w", err)
	}
	defer b.Close()
	version := s.nextVersion()
	written := map[int64]bool{}
	for i := range cells {
		c := &cells[i]
		if !live[c.Site] {
			continue
		}
		var sketch []byte
		if c.Sketch != nil {
			if sketch, err = c.Sketch.MarshalBinary(); err != nil {
				return fmt.Errorf("write cells: %w", err)
			}
		}
		if err := b.Append(c.Site, c.Hour.UTC(), c.Key.Encode(), c.Instance, c.Pageviews, c.Events, c.Visits,
			c.Bounces, c.Duration, c.Exits, string(sketch), version); err != nil {
			return fmt.Errorf("write cells: %w", err)
		}
		written[c.Site] = true
	}
	if len(written) == 0 {
		return nil
	}
	if err := b.Send(); err != nil {
		return fmt.Errorf("write cells: %w", err)
	}
	after, err := s.liveSiteIDs(ctx)
	if err != nil {
		return fmt.Errorf("write cells: recheck sites: %w", err)
	}
	for id := range written {
		if !after[id] {
			if err := s.purgeSite(ctx, id); err != nil {
				return fmt.Errorf("write cells: %w", err)
			}
		}
	}
	return nil
}

func (s *Store) ReadCells(ctx context.Context, site int64, from, to time.Time, fn func(*aggregate.Cell) error) error {
	// The newest version of each row (see ReadRollups for why not FINAL).
	rows, err := s.conn.Query(ctx, `SELECT instance, hour, key,
			argMax(pageviews, version), argMax(events, version), argMax(visits, version),
			argMax(bounces, version), argMax(duration, version), argMax(exits, version),
			argMax(sketch, version)
		FROM cells
		WHERE site_id = ? AND hour >= toDateTime(?) AND hour < toDateTime(?)
		GROUP BY instance, hour, key`, site, from.Unix(), to.Unix())
	if err != nil {
		return fmt.Errorf("read cells: %w", err)
	}
	defer rows.Close()
	var c aggregate.Cell
	c.Site = site
	for rows.Next() {
		var key, sketch string
		if err := rows.Scan(&c.Instance, &c.Hour, &key, &c.Pageviews, &c.Events, &c.Visits,
			&c.Bounces, &c.Duration, &c.Exits, &sketch); err != nil {
			return fmt.Errorf("read cells: %w", err)
		}
		c.Hour = c.Hour.UTC()
		if c.Key, err = aggregate.DecodeKey(key); err != nil {
			return err
		}
		if c.Sketch, err = aggregate.UnmarshalSketch([]byte(sketch)); err != nil {
			return err
		}
		if err := fn(&c); err != nil {
			return err
		}
	}
	return rows.Err()
}

// DropBefore drops every monthly partition of cells and rollups that ends at
// or before t. Retention is therefore month-grained here: rows of t's own
// month that are older than t stay until that whole month is past t.
// Dropping a partition is immediate; deleting single hours would be an
// asynchronous rewrite.
func (s *Store) DropBefore(ctx context.Context, t time.Time) error {
	for _, table := range []string{"cells", "rollups"} {
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
