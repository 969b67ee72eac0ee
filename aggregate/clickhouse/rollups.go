package clickhouse

import (
	"context"
	"fmt"
	"time"

	"tally/aggregate"
)

// WriteRollups inserts rollups as new versions of their rows, with the same
// deleted-site handling as WriteCells.
func (s *Store) WriteRollups(ctx context.Context, rollups []aggregate.Rollup) error {
	if len(rollups) == 0 {
		return nil
	}
	live, err := s.liveSiteIDs(ctx)
	if err != nil {
		return fmt.Errorf("write rollups: %w", err)
	}
	b, err := s.conn.PrepareBatch(ctx, `INSERT INTO rollups
		(site_id, dim, day, value, instance, pageviews, events, visits, bounces, duration, exits, sketch, visitors, version)`)
	if err != nil {
		return fmt.Errorf("write rollups: %w", err)
	}
	defer b.Close()
	version := s.nextVersion()
	written := map[int64]bool{}
	for i := range rollups {
		r := &rollups[i]
		if !live[r.Site] {
			continue
		}
		var sketch []byte
		if r.Sketch != nil {
			if sketch, err = r.Sketch.MarshalBinary(); err != nil {
				return fmt.Errorf("write rollups: %w", err)
			}
		}
		if err := b.Append(r.Site, uint8(r.Dim), r.Day.UTC(), r.Value, r.Instance, r.Pageviews, r.Events, r.Visits,
			r.Bounces, r.Duration, r.Exits, string(sketch), r.Sketch.Estimate(), version); err != nil {
			return fmt.Errorf("write rollups: %w", err)
		}
		written[r.Site] = true
	}
	if len(written) == 0 {
		return nil
	}
	if err := b.Send(); err != nil {
		return fmt.Errorf("write rollups: %w", err)
	}
	after, err := s.liveSiteIDs(ctx)
	if err != nil {
		return fmt.Errorf("write rollups: recheck sites: %w", err)
	}
	for id := range written {
		if !after[id] {
			if err := s.purgeSite(ctx, id); err != nil {
				return fmt.Errorf("write rollups: %w", err)
			}
		}
	}
	return nil
}

func (s *Store) ReadRollups(ctx context.Context, site int64, dim aggregate.Dim, from, to time.Time, fn func(*aggregate.Rollup) error) error {
	return s.readRollups(ctx, site, dim, from, to, true, fn)
}

func (s *Store) ReadRollupEstimates(ctx context.Context, site int64, dim aggregate.Dim, from, to time.Time, fn func(*aggregate.Rollup) error) error {
	return s.readRollups(ctx, site, dim, from, to, false, fn)
}

func (s *Store) readRollups(ctx context.Context, site int64, dim aggregate.Dim, from, to time.Time, sketches bool, fn func(*aggregate.Rollup) error) error {
	// Without sketches the query names no sketch column, so the server does
	// not read it at all: most of the table's bytes.
	sketch := "''"
	if sketches {
		sketch = "argMax(sketch, version)"
	}
	// The newest version of each row, picked with argMax rather than FINAL:
	// FINAL merges on one thread on 18.16 and was most of a dashboard's time.
	rows, err := s.conn.Query(ctx, `SELECT instance, toString(day), value,
			argMax(pageviews, version), argMax(events, version), argMax(visits, version),
			argMax(bounces, version), argMax(duration, version), argMax(exits, version),
			argMax(visitors, version), `+sketch+`
		FROM rollups
		WHERE site_id = ? AND dim = ? AND day >= toDate(?) AND day <= toDate(?)
		GROUP BY instance, day, value`,
		site, uint8(dim), from.Format(time.DateOnly), to.Format(time.DateOnly))
	if err != nil {
		return fmt.Errorf("read rollups: %w", err)
	}
	defer rows.Close()
	r := aggregate.Rollup{Site: site, Dim: dim}
	for rows.Next() {
		var day, sketch string
		if err := rows.Scan(&r.Instance, &day, &r.Value, &r.Pageviews, &r.Events, &r.Visits,
			&r.Bounces, &r.Duration, &r.Exits, &r.Visitors, &sketch); err != nil {
			return fmt.Errorf("read rollups: %w", err)
		}
		if r.Day, err = time.Parse(time.DateOnly, day); err != nil {
			return fmt.Errorf("read rollups: day %q: %w", day, err)
		}
		if r.Sketch, err = aggregate.UnmarshalSketch([]byte(sketch)); err != nil {
			return err
		}
		if err := fn(&r); err != nil {
			return err
		}
	}
	return rows.Err()
}
