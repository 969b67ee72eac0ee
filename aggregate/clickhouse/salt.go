package clickhouse

import (
	"context"
	"encoding/hex"
	"fmt"
	"regexp"
	"time"
)

var dayPattern = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}$`)

// settle is how long after the oldest salt of a day was inserted its choice
// is final: a later insert carries a later server time and cannot win.
const settle = 2 * time.Second

// Salt returns the day's salt, shared by every instance. Other days' salts
// are dropped first, as whole partitions, so they are gone from disk when
// this returns, not at some later merge.
//
// ClickHouse cannot refuse a second salt for a day, so instances that start a
// day at the same moment may each insert one. Every instance then picks the
// same one: the oldest by server insertion time (then by bytes), once that
// choice can no longer change — settle after it was inserted. Only the first
// call of a day can wait, and at most settle.
func (s *Store) Salt(ctx context.Context, day string, fresh []byte) ([]byte, error) {
	if !dayPattern.MatchString(day) {
		return nil, fmt.Errorf("salt: bad day %q", day)
	}
	if err := s.dropOtherSalts(ctx, day); err != nil {
		return nil, err
	}
	inserted := false
	for {
		salt, age, found, err := s.oldestSalt(ctx, day)
		if err != nil {
			return nil, err
		}
		switch {
		case found && age >= settle:
			return salt, nil
		case !found && !inserted:
			if err := s.conn.Exec(ctx, `INSERT INTO salts (day, salt, inserted_at) SELECT ?, unhex(?), now()`,
				day, hex.EncodeToString(fresh)); err != nil {
				return nil, fmt.Errorf("store salt for %s: %w", day, err)
			}
			inserted = true
			continue
		case !found:
			return nil, fmt.Errorf("salt for %s vanished while it was chosen", day)
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("salt for %s: %w", day, ctx.Err())
		case <-time.After(settle - age + 100*time.Millisecond):
		}
	}
}

// oldestSalt returns the day's winning salt so far and how long ago (by the
// server's clock, in whole seconds) it was inserted.
func (s *Store) oldestSalt(ctx context.Context, day string) (salt []byte, age time.Duration, found bool, err error) {
	rows, err := s.conn.Query(ctx, `SELECT hex(salt), toInt64(now()) - toInt64(inserted_at) FROM salts
		WHERE day = ? ORDER BY inserted_at, salt LIMIT 1`, day)
	if err != nil {
		return nil, 0, false, fmt.Errorf("load salt for %s: %w", day, err)
	}
	defer rows.Close()
	if !rows.Next() {
		return nil, 0, false, rows.Err()
	}
	var h string
	var secs int64
	if err := rows.Scan(&h, &secs); err != nil {
		return nil, 0, false, fmt.Errorf("load salt for %s: %w", day, err)
	}
	if salt, err = hex.DecodeString(h); err != nil {
		return nil, 0, false, fmt.Errorf("load salt for %s: %w", day, err)
	}
	return salt, time.Duration(secs) * time.Second, true, nil
}

// dropOtherSalts drops the partition of every day but day.
func (s *Store) dropOtherSalts(ctx context.Context, day string) error {
	rows, err := s.conn.Query(ctx, `SELECT DISTINCT partition FROM system.parts
		WHERE database = ? AND table = 'salts' AND active AND partition != ?`, s.db, day)
	if err != nil {
		return fmt.Errorf("destroy old salts: %w", err)
	}
	var days []string
	for rows.Next() {
		var p string
		if err := rows.Scan(&p); err != nil {
			rows.Close()
			return fmt.Errorf("destroy old salts: %w", err)
		}
		days = append(days, p)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("destroy old salts: %w", err)
	}
	for _, p := range days {
		if !dayPattern.MatchString(p) {
			return fmt.Errorf("destroy old salts: unexpected partition %q", p)
		}
		if err := s.conn.Exec(ctx, `ALTER TABLE salts DROP PARTITION '`+p+`'`); err != nil {
			return fmt.Errorf("destroy salt of %s: %w", p, err)
		}
	}
	return nil
}
