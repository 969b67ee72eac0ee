package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"tally/account"
)

func (s *Store) AddAPIKey(ctx context.Context, k account.APIKey) (account.APIKey, error) {
	if k.Created.IsZero() {
		k.Created = time.Now()
	}
	k.Created = time.Unix(k.Created.Unix(), 0).UTC()
	res, err := s.db.ExecContext(ctx, `INSERT INTO api_keys (name, hash, user_id, sites, created_at) VALUES (?, ?, ?, ?, ?)`,
		k.Name, k.Hash, k.User, joinIDs(k.Sites), k.Created.Unix())
	if err != nil {
		return k, fmt.Errorf("add API key: %w", err)
	}
	k.ID, err = res.LastInsertId()
	return k, err
}

const keyColumns = `id, name, hash, user_id, sites, created_at, last_used`

func scanKey(row interface{ Scan(...any) error }) (account.APIKey, error) {
	var k account.APIKey
	var sites string
	var created, used int64
	if err := row.Scan(&k.ID, &k.Name, &k.Hash, &k.User, &sites, &created, &used); err != nil {
		return k, err
	}
	k.Sites = splitIDs(sites)
	k.Created = time.Unix(created, 0).UTC()
	if used > 0 {
		k.LastUsed = time.Unix(used, 0).UTC()
	}
	return k, nil
}

func (s *Store) APIKey(ctx context.Context, hash []byte) (account.APIKey, error) {
	k, err := scanKey(s.db.QueryRowContext(ctx, `SELECT `+keyColumns+` FROM api_keys WHERE hash = ?`, hash))
	if errors.Is(err, sql.ErrNoRows) {
		return k, fmt.Errorf("API key: %w", account.ErrNotFound)
	}
	return k, err
}

func (s *Store) APIKeys(ctx context.Context) ([]account.APIKey, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+keyColumns+` FROM api_keys ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("list API keys: %w", err)
	}
	defer rows.Close()
	var out []account.APIKey
	for rows.Next() {
		k, err := scanKey(rows)
		if err != nil {
			return nil, fmt.Errorf("list API keys: %w", err)
		}
		out = append(out, k)
	}
	return out, rows.Err()
}

func (s *Store) DeleteAPIKey(ctx context.Context, id int64) error {
	res, err := s.db.ExecContext(ctx, `DELETE FROM api_keys WHERE id = ?`, id)
	if err != nil {
		return fmt.Errorf("delete API key %d: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("API key %d: %w", id, account.ErrNotFound)
	}
	return nil
}

func (s *Store) TouchAPIKey(ctx context.Context, id int64, day time.Time) error {
	if _, err := s.db.ExecContext(ctx, `UPDATE api_keys SET last_used = ? WHERE id = ? AND last_used < ?`,
		day.Unix(), id, day.Unix()); err != nil {
		return fmt.Errorf("record use of API key %d: %w", id, err)
	}
	return nil
}

func joinIDs(ids []int64) string {
	parts := make([]string, len(ids))
	for i, id := range ids {
		parts[i] = strconv.FormatInt(id, 10)
	}
	return strings.Join(parts, ",")
}

func splitIDs(s string) []int64 {
	var out []int64
	for _, f := range strings.Split(s, ",") {
		if id, err := strconv.ParseInt(f, 10, 64); err == nil {
			out = append(out, id)
		}
	}
	return out
}
