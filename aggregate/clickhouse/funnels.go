package clickhouse

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"tally/account"
	"tally/aggregate"
)

const insertFunnel = `INSERT INTO funnels (id, site_id, name, steps, created_at, deleted, version)`

func (s *Store) funnelRow(f account.Funnel, deleted bool) []any {
	return []any{f.ID, f.Site, f.Name, f.Steps, unix(f.Created), boolByte(deleted), s.nextVersion()}
}

// AddFunnel adds a funnel under a fresh random id, like AddGoal.
func (s *Store) AddFunnel(ctx context.Context, f account.Funnel) (account.Funnel, error) {
	if f.Created.IsZero() {
		f.Created = time.Now()
	}
	f.ID, f.Created = newID(), unix(f.Created)
	if err := s.insert(ctx, insertFunnel, s.funnelRow(f, false)); err != nil {
		return f, fmt.Errorf("add funnel: %w", err)
	}
	return f, nil
}

func (s *Store) Funnels(ctx context.Context, site int64) ([]account.Funnel, error) {
	rows, err := s.conn.Query(ctx, `SELECT id, site_id, name, steps, created_at FROM funnels FINAL
		WHERE site_id = ? AND deleted = 0 ORDER BY created_at, version, id`, site)
	if err != nil {
		return nil, fmt.Errorf("funnels: %w", err)
	}
	defer rows.Close()
	var out []account.Funnel
	for rows.Next() {
		var f account.Funnel
		if err := rows.Scan(&f.ID, &f.Site, &f.Name, &f.Steps, &f.Created); err != nil {
			return nil, fmt.Errorf("funnels: %w", err)
		}
		f.Created = unix(f.Created)
		out = append(out, f)
	}
	return out, rows.Err()
}

func (s *Store) DeleteFunnel(ctx context.Context, site, id int64) error {
	funnels, err := s.Funnels(ctx, site)
	if err != nil {
		return fmt.Errorf("delete funnel: %w", err)
	}
	for _, f := range funnels {
		if f.ID == id {
			if err := s.insert(ctx, insertFunnel, s.funnelRow(f, true)); err != nil {
				return fmt.Errorf("delete funnel: %w", err)
			}
			return nil
		}
	}
	return fmt.Errorf("funnel %d: %w", id, account.ErrNotFound)
}

// funnelTable keeps funnel cells (aggregate/funnels.go) in funnel_counts,
// written exactly once per batch like the other kinds. Its identity
// columns are numbers, read back as strings for the batch lookup.
var funnelTable = &table{
	name:       "funnel_counts",
	keyColumns: []string{"toString(funnel_id)", "toString(step)"},
	insert:     "INSERT INTO funnel_counts (site_id, hour, instance, seq, funnel_id, step, visits)",
	row: func(row []any, k *aggregate.Key, c *aggregate.Counters) []any {
		id, step, _ := aggregate.FunnelOf(k)
		return append(row, id, int64(step), c.Visits)
	},
	key: func(vals []string) aggregate.Key {
		id, _ := strconv.ParseInt(vals[0], 10, 64)
		step, _ := strconv.Atoi(vals[1])
		return aggregate.FunnelCellKey(id, step)
	},
}

// FunnelSteps sums a funnel's counts per step over [from, to), UTC hours.
func (s *Store) FunnelSteps(ctx context.Context, site, funnel int64, from, to time.Time) (map[int]int64, error) {
	rows, err := s.conn.Query(ctx, `SELECT step, sum(visits) FROM funnel_counts
		WHERE site_id = ? AND funnel_id = ? AND hour >= toDateTime(?) AND hour < toDateTime(?) GROUP BY step`,
		site, funnel, from.Unix(), to.Unix())
	if err != nil {
		return nil, s.explain(ctx, fmt.Errorf("funnel %d: %w", funnel, err))
	}
	defer rows.Close()
	out := map[int]int64{}
	for rows.Next() {
		var step, n int64
		if err := rows.Scan(&step, &n); err != nil {
			return nil, s.explain(ctx, fmt.Errorf("funnel %d: %w", funnel, err))
		}
		out[int(step)] = n
	}
	return out, s.explain(ctx, rows.Err())
}
