package clickhouse

import (
	"context"
	"fmt"
	"time"

	"tally/account"
)

const insertGoal = `INSERT INTO goals (id, site_id, event, page, created_at, deleted, version)`

func (s *Store) goalRow(g account.Goal, deleted bool) []any {
	return []any{g.ID, g.Site, g.Event, g.Page, unix(g.Created), boolByte(deleted), s.nextVersion()}
}

// AddGoal adds a goal under a fresh random id (ids are unique without a
// counter to share between instances).
func (s *Store) AddGoal(ctx context.Context, g account.Goal) (account.Goal, error) {
	if g.Created.IsZero() {
		g.Created = time.Now()
	}
	g.ID, g.Created = newID(), unix(g.Created)
	if err := s.insert(ctx, insertGoal, s.goalRow(g, false)); err != nil {
		return g, fmt.Errorf("add goal: %w", err)
	}
	return g, nil
}

func (s *Store) Goals(ctx context.Context, site int64) ([]account.Goal, error) {
	rows, err := s.conn.Query(ctx, `SELECT id, site_id, event, page, created_at FROM goals FINAL
		WHERE site_id = ? AND deleted = 0 ORDER BY version, id`, site)
	if err != nil {
		return nil, fmt.Errorf("goals: %w", err)
	}
	defer rows.Close()
	var out []account.Goal
	for rows.Next() {
		var g account.Goal
		if err := rows.Scan(&g.ID, &g.Site, &g.Event, &g.Page, &g.Created); err != nil {
			return nil, fmt.Errorf("goals: %w", err)
		}
		g.Created = unix(g.Created)
		out = append(out, g)
	}
	return out, rows.Err()
}

func (s *Store) DeleteGoal(ctx context.Context, site, id int64) error {
	goals, err := s.Goals(ctx, site)
	if err != nil {
		return fmt.Errorf("delete goal: %w", err)
	}
	for _, g := range goals {
		if g.ID == id {
			if err := s.insert(ctx, insertGoal, s.goalRow(g, true)); err != nil {
				return fmt.Errorf("delete goal: %w", err)
			}
			return nil
		}
	}
	return fmt.Errorf("goal %d: %w", id, account.ErrNotFound)
}
