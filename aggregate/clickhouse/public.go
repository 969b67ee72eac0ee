package clickhouse

import (
	"context"
	"errors"
	"fmt"
	"time"

	"tally/account"
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

var _ aggregate.Reports = (*Store)(nil)

// Report returns the stored report under key: the oldest row, should two
// instances have stored one at once.
func (s *Store) Report(ctx context.Context, site int64, key string) ([]byte, error) {
	rows, err := s.conn.Query(ctx, `SELECT body FROM reports WHERE site_id = ? AND report_key = ? ORDER BY created_at, body LIMIT 1`, site, key)
	if err != nil {
		return nil, fmt.Errorf("report of site %d: %w", site, err)
	}
	defer rows.Close()
	if !rows.Next() {
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("report of site %d: %w", site, err)
		}
		return nil, fmt.Errorf("report: %w", account.ErrNotFound)
	}
	var body string
	if err := rows.Scan(&body); err != nil {
		return nil, fmt.Errorf("report of site %d: %w", site, err)
	}
	return []byte(body), nil
}

// StoreReport stores body under key unless a report is there already,
// and returns what is stored.
func (s *Store) StoreReport(ctx context.Context, site int64, key string, body []byte) ([]byte, error) {
	if old, err := s.Report(ctx, site, key); err == nil || !errors.Is(err, account.ErrNotFound) {
		return old, err
	}
	if err := s.insert(ctx, `INSERT INTO reports (site_id, report_key, body, created_at)`,
		[]any{site, key, string(body), unix(time.Now())}); err != nil {
		return nil, fmt.Errorf("store report of site %d: %w", site, err)
	}
	return s.Report(ctx, site, key)
}

// DeleteReports deletes every stored report of site. The mutation is not
// waited for: report keys name the share's slug, which a new publication
// changes, so a deleted report is never asked for again.
func (s *Store) DeleteReports(ctx context.Context, site int64) error {
	if err := s.conn.Exec(ctx, fmt.Sprintf(`ALTER TABLE reports DELETE WHERE site_id = %d`, site)); err != nil {
		return fmt.Errorf("delete reports of site %d: %w", site, err)
	}
	return nil
}
