package sqlite

import (
	"context"
	"fmt"
	"time"

	"tally/account"
	"tally/aggregate"
)

func (s *Store) AddFunnel(ctx context.Context, f account.Funnel) (account.Funnel, error) {
	if f.Created.IsZero() {
		f.Created = time.Now()
	}
	res, err := s.db.ExecContext(ctx, `INSERT INTO funnels (site_id, name, steps, created_at) VALUES (?, ?, ?, ?)`,
		f.Site, f.Name, joinIDs(f.Steps), f.Created.Unix())
	if err != nil {
		return f, fmt.Errorf("add funnel: %w", err)
	}
	if f.ID, err = res.LastInsertId(); err != nil {
		return f, fmt.Errorf("add funnel: %w", err)
	}
	f.Created = time.Unix(f.Created.Unix(), 0).UTC()
	return f, nil
}

func (s *Store) Funnels(ctx context.Context, site int64) ([]account.Funnel, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id, site_id, name, steps, created_at FROM funnels WHERE site_id = ? ORDER BY id`, site)
	if err != nil {
		return nil, fmt.Errorf("funnels: %w", err)
	}
	defer rows.Close()
	var out []account.Funnel
	for rows.Next() {
		var f account.Funnel
		var steps string
		var created int64
		if err := rows.Scan(&f.ID, &f.Site, &f.Name, &steps, &created); err != nil {
			return nil, fmt.Errorf("funnels: %w", err)
		}
		f.Steps = splitIDs(steps)
		f.Created = time.Unix(created, 0).UTC()
		out = append(out, f)
	}
	return out, rows.Err()
}

func (s *Store) DeleteFunnel(ctx context.Context, site, id int64) error {
	res, err := s.db.ExecContext(ctx, `DELETE FROM funnels WHERE site_id = ? AND id = ?`, site, id)
	if err != nil {
		return fmt.Errorf("delete funnel: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("funnel %d: %w", id, account.ErrNotFound)
	}
	return nil
}

// Funnel cells (aggregate/funnels.go) go to funnel_counts, never to cells.

var funnelColumns = []string{"site_id", "hour", "funnel_id", "step", "visits"}

var upsertFunnels = newUpsert("funnel_counts", "site_id, funnel_id, hour, step", funnelColumns, 4, [2]int{})

func writeFunnels(w *writer, funnels []aggregate.Cell, live map[int64]*time.Location) error {
	args := make([]any, 0, len(funnels)*len(funnelColumns))
	for i := range funnels {
		c := &funnels[i]
		if live[c.Site] == nil {
			continue
		}
		id, step, _ := aggregate.FunnelOf(&c.Key)
		args = append(args, c.Site, c.Hour.Unix(), id, step, c.Visits)
	}
	return w.upsert(upsertFunnels, args)
}

// FunnelSteps sums a funnel's counts per step over [from, to), UTC hours.
func (s *Store) FunnelSteps(ctx context.Context, site, funnel int64, from, to time.Time) (map[int]int64, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT step, sum(visits) FROM funnel_counts
		WHERE site_id = ? AND funnel_id = ? AND hour >= ? AND hour < ? GROUP BY step`, site, funnel, from.Unix(), to.Unix())
	if err != nil {
		return nil, fmt.Errorf("funnel %d: %w", funnel, err)
	}
	defer rows.Close()
	out := map[int]int64{}
	for rows.Next() {
		var step int
		var n int64
		if err := rows.Scan(&step, &n); err != nil {
			return nil, fmt.Errorf("funnel %d: %w", funnel, err)
		}
		out[step] = n
	}
	return out, rows.Err()
}
