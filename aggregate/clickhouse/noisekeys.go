package clickhouse

import (
	"context"
	"fmt"
	"time"

	"tally/aggregate"
)

var _ aggregate.NoiseKeys = (*Store)(nil)

// NoiseKey returns the site's noise key, storing candidate on first use.
// ClickHouse cannot refuse a second row for the site, so the key is the
// oldest row's (then the smallest): instances that race each insert, and
// agree once both rows are visible.
func (s *Store) NoiseKey(ctx context.Context, site int64, candidate []byte) ([]byte, error) {
	key, ok, err := s.noiseKey(ctx, site)
	if err != nil || ok {
		return key, err
	}
	if err := s.insert(ctx, `INSERT INTO noise_keys (site_id, noise_key, created_at)`,
		[]any{site, string(candidate), unix(time.Now())}); err != nil {
		return nil, fmt.Errorf("store noise key of site %d: %w", site, err)
	}
	key, ok, err = s.noiseKey(ctx, site)
	if err == nil && !ok {
		err = fmt.Errorf("noise key of site %d: not found after it was stored", site)
	}
	return key, err
}

func (s *Store) noiseKey(ctx context.Context, site int64) ([]byte, bool, error) {
	rows, err := s.conn.Query(ctx, `SELECT noise_key FROM noise_keys WHERE site_id = ? ORDER BY created_at, noise_key LIMIT 1`, site)
	if err != nil {
		return nil, false, fmt.Errorf("noise key of site %d: %w", site, err)
	}
	defer rows.Close()
	if !rows.Next() {
		if err := rows.Err(); err != nil {
			return nil, false, fmt.Errorf("noise key of site %d: %w", site, err)
		}
		return nil, false, nil
	}
	var key string
	if err := rows.Scan(&key); err != nil {
		return nil, false, fmt.Errorf("noise key of site %d: %w", site, err)
	}
	return []byte(key), true, nil
}
