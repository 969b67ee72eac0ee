package sqlite

import (
	"context"
	"fmt"
	"time"

	"tally/account"
)

func (s *Store) AddGoal(ctx context.Context, g account.Goal) (account.Goal, error) {
	if g.Created.IsZero() {
		g.Created = time.Now()
	}
	res, err := s.db.ExecContext(ctx, `INSERT INTO goals (site_id, event, page, created_at) VALUES (?, ?, ?, ?)`,
		g.Site, g.Event, g.Page, g.Created.Unix())
	if err != nil {
		return g, fmt.Errorf("add goal: %w", err)
	}
	if g.ID, err = res.LastInsertId(); err != nil {
		return g, fmt.Errorf("add goal: %w", err)
	}
	g.Created = time.Unix(g.Created.Unix(), 0).UTC()
	return g, nil
}

func (s *Store) Goals(ctx context.Context, site int64) ([]account.Goal, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id, site_id, event, page, created_at FROM goals WHERE site_id = ? ORDER BY id`, site)
	if err != nil {
		return nil, fmt.Errorf("goals: %w", err)
	}
	defer rows.Close()
	var out []account.Goal
	for rows.Next() {
		var g account.Goal
		var created int64
		if err := rows.Scan(&g.ID, &g.Site, &g.Event, &g.Page, &created); err != nil {
			return nil, fmt.Errorf("goals: %w", err)
		}
		g.Created = time.Unix(created, 0).UTC()
		out = append(out, g)
	}
	return out, rows.Err()
}

func (s *Store) DeleteGoal(ctx context.Context, site, id int64) error {
	res, err := s.db.ExecContext(ctx, `DELETE FROM goals WHERE site_id = ? AND id = ?`, site, id)
	if err != nil {
		return fmt.Errorf("delete goal: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("goal %d: %w", id, account.ErrNotFound)
	}
	return nil
}
