package sqlite

import (
	"context"
	"fmt"
	"time"

	"tally/aggregate"
)

func (s *Store) WriteRollups(ctx context.Context, rollups []aggregate.Rollup) error {
	if len(rollups) == 0 {
		return nil
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("write rollups: %w", err)
	}
	defer tx.Rollback()
	live, err := liveSites(ctx, tx)
	if err != nil {
		return fmt.Errorf("write rollups: %w", err)
	}
	ins, err := tx.PrepareContext(ctx, `INSERT OR REPLACE INTO rollups
		(site_id, dim, day, value, instance, pageviews, events, visits, bounces, duration, exits, sketch, visitors)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
	if err != nil {
		return fmt.Errorf("write rollups: %w", err)
	}
	defer ins.Close()
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
		if _, err := ins.ExecContext(ctx, r.Site, int(r.Dim), r.Day.Unix(), r.Value, r.Instance,
			r.Pageviews, r.Events, r.Visits, r.Bounces, r.Duration, r.Exits, sketch, r.Sketch.Estimate()); err != nil {
			return fmt.Errorf("write rollups: %w", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("write rollups: %w", err)
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
	sketch := "NULL"
	if sketches {
		sketch = "sketch"
	}
	rows, err := s.db.QueryContext(ctx, `SELECT instance, day, value,
			pageviews, events, visits, bounces, duration, exits, visitors, `+sketch+`
		FROM rollups WHERE site_id = ? AND dim = ? AND day >= ? AND day <= ?`,
		site, int(dim), from.Unix(), to.Unix())
	if err != nil {
		return fmt.Errorf("read rollups: %w", err)
	}
	defer rows.Close()
	r := aggregate.Rollup{Site: site, Dim: dim}
	for rows.Next() {
		var day int64
		var sketch []byte
		if err := rows.Scan(&r.Instance, &day, &r.Value, &r.Pageviews, &r.Events, &r.Visits,
			&r.Bounces, &r.Duration, &r.Exits, &r.Visitors, &sketch); err != nil {
			return fmt.Errorf("read rollups: %w", err)
		}
		r.Day = time.Unix(day, 0).UTC()
		if r.Sketch, err = aggregate.UnmarshalSketch(sketch); err != nil {
			return err
		}
		if err := fn(&r); err != nil {
			return err
		}
	}
	return rows.Err()
}
