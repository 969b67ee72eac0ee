package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"tally/account"
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

var _ aggregate.Reports = (*Store)(nil)

// Report returns the stored report under key.
func (s *Store) Report(ctx context.Context, site int64, key string) ([]byte, error) {
	var body []byte
	err := s.db.QueryRowContext(ctx, `SELECT body FROM reports WHERE site_id = ? AND report_key = ?`, site, key).Scan(&body)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("report: %w", account.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("report of site %d: %w", site, err)
	}
	return body, nil
}

// StoreReport stores body under key unless a report is there already,
// and returns what is stored.
func (s *Store) StoreReport(ctx context.Context, site int64, key string, body []byte) ([]byte, error) {
	if _, err := s.db.ExecContext(ctx, `INSERT OR IGNORE INTO reports (site_id, report_key, body, created_at) VALUES (?, ?, ?, ?)`,
		site, key, body, time.Now().Unix()); err != nil {
		return nil, fmt.Errorf("store report of site %d: %w", site, err)
	}
	return s.Report(ctx, site, key)
}

// DeleteReports deletes every stored report of site.
func (s *Store) DeleteReports(ctx context.Context, site int64) error {
	if _, err := s.db.ExecContext(ctx, `DELETE FROM reports WHERE site_id = ?`, site); err != nil {
		return fmt.Errorf("delete reports of site %d: %w", site, err)
	}
	return nil
}
