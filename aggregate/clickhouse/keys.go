package clickhouse

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"tally/account"
)

const insertAPIKey = `INSERT INTO api_keys (id, name, hash, user_id, sites, created_at, deleted, version)`

func (s *Store) keyRow(k account.APIKey, deleted bool) []any {
	sites := k.Sites
	if sites == nil {
		sites = []int64{}
	}
	return []any{k.ID, k.Name, string(k.Hash), k.User, sites, k.Created, boolByte(deleted), s.nextVersion()}
}

func (s *Store) AddAPIKey(ctx context.Context, k account.APIKey) (account.APIKey, error) {
	if k.Created.IsZero() {
		k.Created = time.Now()
	}
	k.Created = unix(k.Created)
	if _, err := s.APIKey(ctx, k.Hash); err == nil {
		return k, fmt.Errorf("add API key: %w", account.ErrExists)
	} else if !errors.Is(err, account.ErrNotFound) {
		return k, err
	}
	k.ID = newID()
	if err := s.insert(ctx, insertAPIKey, s.keyRow(k, false)); err != nil {
		return k, fmt.Errorf("add API key: %w", err)
	}
	err := firstWins(ctx, k.ID,
		func(ctx context.Context) (int64, error) {
			var id int64
			err := s.conn.QueryRow(ctx, `SELECT id FROM api_keys FINAL WHERE hash = unhex(?) AND deleted = 0
				ORDER BY version, id LIMIT 1`, hex.EncodeToString(k.Hash)).Scan(&id)
			return id, err
		},
		func(ctx context.Context) error { return s.insert(ctx, insertAPIKey, s.keyRow(k, true)) })
	if err != nil {
		return k, fmt.Errorf("add API key: %w", err)
	}
	return k, nil
}

// liveKeys selects every key not revoked, with the day of its last use.
const liveKeys = `SELECT id, name, hash, user_id, sites, created_at, used FROM api_keys FINAL
	ANY LEFT JOIN (SELECT key_id AS id, max(day) AS used FROM api_key_uses GROUP BY key_id) USING id
	WHERE deleted = 0`

func (s *Store) keys(ctx context.Context, query string, args ...any) ([]account.APIKey, error) {
	rows, err := s.conn.Query(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []account.APIKey
	for rows.Next() {
		var k account.APIKey
		var h string
		var used int64
		if err := rows.Scan(&k.ID, &k.Name, &h, &k.User, &k.Sites, &k.Created, &used); err != nil {
			return nil, err
		}
		k.Hash, k.Created = []byte(h), unix(k.Created)
		if len(k.Sites) == 0 {
			k.Sites = nil
		}
		if used > 0 {
			k.LastUsed = time.Unix(used, 0).UTC()
		}
		out = append(out, k)
	}
	return out, rows.Err()
}

func (s *Store) APIKey(ctx context.Context, hash []byte) (account.APIKey, error) {
	ks, err := s.keys(ctx, liveKeys+` AND hash = unhex(?) ORDER BY version, id LIMIT 1`, hex.EncodeToString(hash))
	if err != nil {
		return account.APIKey{}, fmt.Errorf("API key: %w", err)
	}
	if len(ks) == 0 {
		return account.APIKey{}, fmt.Errorf("API key: %w", account.ErrNotFound)
	}
	return ks[0], nil
}

func (s *Store) APIKeys(ctx context.Context) ([]account.APIKey, error) {
	ks, err := s.keys(ctx, liveKeys+` ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("list API keys: %w", err)
	}
	return ks, nil
}

func (s *Store) apiKeyByID(ctx context.Context, id int64) (account.APIKey, error) {
	ks, err := s.keys(ctx, liveKeys+` AND id = ?`, id)
	if err != nil {
		return account.APIKey{}, fmt.Errorf("API key %d: %w", id, err)
	}
	if len(ks) == 0 {
		return account.APIKey{}, fmt.Errorf("API key %d: %w", id, account.ErrNotFound)
	}
	return ks[0], nil
}

func (s *Store) DeleteAPIKey(ctx context.Context, id int64) error {
	k, err := s.apiKeyByID(ctx, id)
	if err != nil {
		return err
	}
	if err := s.insert(ctx, insertAPIKey, s.keyRow(k, true)); err != nil {
		return fmt.Errorf("delete API key %d: %w", id, err)
	}
	return nil
}

// TouchAPIKey records a use in a table of its own: rewriting the key's row
// could race a revocation and bring the key back.
func (s *Store) TouchAPIKey(ctx context.Context, id int64, day time.Time) error {
	if err := s.insert(ctx, `INSERT INTO api_key_uses (key_id, day)`, []any{id, day.Unix()}); err != nil {
		return fmt.Errorf("record use of API key %d: %w", id, err)
	}
	return nil
}
