package sqlite

import (
	"context"
	"fmt"
	"time"

	"tally/aggregate"
)

var _ aggregate.NoiseKeys = (*Store)(nil)

// NoiseKey returns the site's noise key, storing candidate on first use.
func (s *Store) NoiseKey(ctx context.Context, site int64, candidate []byte) ([]byte, error) {
	if _, err := s.db.ExecContext(ctx, `INSERT OR IGNORE INTO noise_keys (site_id, noise_key, created_at) VALUES (?, ?, ?)`,
		site, candidate, time.Now().Unix()); err != nil {
		return nil, fmt.Errorf("store noise key of site %d: %w", site, err)
	}
	var key []byte
	if err := s.db.QueryRowContext(ctx, `SELECT noise_key FROM noise_keys WHERE site_id = ?`, site).Scan(&key); err != nil {
		return nil, fmt.Errorf("noise key of site %d: %w", site, err)
	}
	return key, nil
}
