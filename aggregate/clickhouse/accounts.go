package clickhouse

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"tally/account"
	"time"
)

const insertUser = `INSERT INTO users (id, email, password_hash, admin, created_at, deleted, version)`

func (s *Store) AddUser(ctx context.Context, u account.User) (account.User, error) {
	if u.Created.IsZero() {
		u.Created = time.Now()
	}
	u.Created = unix(u.Created)
	if _, err := s.UserByEmail(ctx, u.Email); err == nil {
		return u, fmt.Errorf("user %s: %w", u.Email, account.ErrExists)
	} else if !errors.Is(err, account.ErrNotFound) {
		return u, err
	}
	u.ID = newID()
	row := func(deleted bool) []any { return s.userRow(u, deleted) }
	if err := s.insert(ctx, insertUser, row(false)); err != nil {
		return u, fmt.Errorf("add user: %w", err)
	}
	err := firstWins(ctx, u.ID,
		func(ctx context.Context) (int64, error) {
			var id int64
			err := s.conn.QueryRow(ctx, `SELECT id FROM users FINAL WHERE email = ? AND deleted = 0
				ORDER BY version, id LIMIT 1`, u.Email).Scan(&id)
			return id, err
		},
		func(ctx context.Context) error { return s.insert(ctx, insertUser, row(true)) })
	if err != nil {
		return u, fmt.Errorf("user %s: %w", u.Email, err)
	}
	return u, nil
}

func (s *Store) userRow(u account.User, deleted bool) []any {
	return []any{u.ID, u.Email, string(u.PasswordHash), boolByte(u.Admin), u.Created, boolByte(deleted), s.nextVersion()}
}

func (s *Store) UserByEmail(ctx context.Context, email string) (account.User, error) {
	return s.oneUser(ctx, `email = ?`, email)
}

func (s *Store) UserByID(ctx context.Context, id int64) (account.User, error) {
	return s.oneUser(ctx, `id = ?`, id)
}

func (s *Store) oneUser(ctx context.Context, where string, arg any) (account.User, error) {
	var u account.User
	rows, err := s.conn.Query(ctx, `SELECT id, email, password_hash, admin, created_at FROM users FINAL
		WHERE deleted = 0 AND `+where+` ORDER BY version, id LIMIT 1`, arg)
	if err != nil {
		return u, fmt.Errorf("user: %w", err)
	}
	defer rows.Close()
	if !rows.Next() {
		if err := rows.Err(); err != nil {
			return u, fmt.Errorf("user: %w", err)
		}
		return u, fmt.Errorf("user: %w", account.ErrNotFound)
	}
	var hash string
	var admin uint8
	if err := rows.Scan(&u.ID, &u.Email, &hash, &admin, &u.Created); err != nil {
		return u, fmt.Errorf("user: %w", err)
	}
	u.PasswordHash, u.Admin, u.Created = []byte(hash), admin != 0, unix(u.Created)
	return u, nil
}

func (s *Store) CountUsers(ctx context.Context) (int, error) {
	var n uint64
	if err := s.conn.QueryRow(ctx, `SELECT uniqExact(email) FROM users FINAL WHERE deleted = 0`).Scan(&n); err != nil {
		return 0, fmt.Errorf("count users: %w", err)
	}
	return int(n), nil
}

const insertLogin = `INSERT INTO logins (token_hash, user_id, expires_at, deleted, version)`

// AddLogin stores a login. Logins are partitioned by expiry month, so the
// months that have fully expired are dropped here, as the embedded store
// deletes expired logins whenever it adds one.
func (s *Store) AddLogin(ctx context.Context, l account.Login) error {
	if err := s.dropExpiredLogins(ctx, time.Now()); err != nil {
		return fmt.Errorf("add login: %w", err)
	}
	if err := s.insert(ctx, insertLogin, []any{string(l.TokenHash), l.User, unix(l.Expires), uint8(0), s.nextVersion()}); err != nil {
		return fmt.Errorf("add login: %w", err)
	}
	return nil
}

func (s *Store) dropExpiredLogins(ctx context.Context, now time.Time) error {
	rows, err := s.conn.Query(ctx, `SELECT DISTINCT partition FROM system.parts
		WHERE database = ? AND table = 'logins' AND active`, s.db)
	if err != nil {
		return err
	}
	var drop []int
	for rows.Next() {
		var p string
		if err := rows.Scan(&p); err != nil {
			rows.Close()
			return err
		}
		ym, err := strconv.Atoi(p)
		if err != nil {
			rows.Close()
			return fmt.Errorf("unexpected logins partition %q", p)
		}
		if end := time.Date(ym/100, time.Month(ym%100)+1, 1, 0, 0, 0, 0, time.UTC); !end.After(now) {
			drop = append(drop, ym)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, ym := range drop {
		if err := s.conn.Exec(ctx, fmt.Sprintf(`ALTER TABLE logins DROP PARTITION %d`, ym)); err != nil {
			return fmt.Errorf("drop logins of month %d: %w", ym, err)
		}
	}
	return nil
}

func (s *Store) Login(ctx context.Context, tokenHash []byte) (account.Login, error) {
	l, err := s.anyLogin(ctx, tokenHash)
	if err == nil && !l.Expires.After(time.Now()) {
		err = fmt.Errorf("login: %w", account.ErrNotFound)
	}
	return l, err
}

// anyLogin returns the live login of a token, expired or not.
func (s *Store) anyLogin(ctx context.Context, tokenHash []byte) (account.Login, error) {
	var l account.Login
	rows, err := s.conn.Query(ctx, `SELECT user_id, expires_at FROM logins FINAL
		WHERE token_hash = unhex(?) AND deleted = 0`, hex.EncodeToString(tokenHash))
	if err != nil {
		return l, fmt.Errorf("login: %w", err)
	}
	defer rows.Close()
	if !rows.Next() {
		if err := rows.Err(); err != nil {
			return l, fmt.Errorf("login: %w", err)
		}
		return l, fmt.Errorf("login: %w", account.ErrNotFound)
	}
	if err := rows.Scan(&l.User, &l.Expires); err != nil {
		return l, fmt.Errorf("login: %w", err)
	}
	l.TokenHash, l.Expires = tokenHash, unix(l.Expires)
	return l, nil
}

// DeleteLogin writes a deleted copy of the login (same expiry, so the same
// partition, where it replaces the live row).
func (s *Store) DeleteLogin(ctx context.Context, tokenHash []byte) error {
	l, err := s.anyLogin(ctx, tokenHash)
	if errors.Is(err, account.ErrNotFound) {
		return nil
	} else if err != nil {
		return fmt.Errorf("delete login: %w", err)
	}
	if err := s.insert(ctx, insertLogin, []any{string(l.TokenHash), l.User, l.Expires, uint8(1), s.nextVersion()}); err != nil {
		return fmt.Errorf("delete login: %w", err)
	}
	return nil
}

const insertShare = `INSERT INTO shares (site_id, slug, min_visitors, round_to, epsilon, created_at, deleted, version)`

func (s *Store) shareRow(sh account.Share, deleted bool) []any {
	return []any{sh.Site, sh.Slug, int64(sh.MinVisitors), int64(sh.Round), sh.Epsilon, unix(sh.Created),
		boolByte(deleted), s.nextVersion()}
}

// SetShare creates or replaces the site's share. Another site's share with
// the same slug is deleted, as the embedded store's INSERT OR REPLACE does.
func (s *Store) SetShare(ctx context.Context, sh account.Share) error {
	if sh.Created.IsZero() {
		sh.Created = time.Now()
	}
	if other, err := s.ShareBySlug(ctx, sh.Slug); err == nil && other.Site != sh.Site {
		if err := s.insert(ctx, insertShare, s.shareRow(other, true)); err != nil {
			return fmt.Errorf("set share: replace slug: %w", err)
		}
	} else if err != nil && !errors.Is(err, account.ErrNotFound) {
		return fmt.Errorf("set share: %w", err)
	}
	if err := s.insert(ctx, insertShare, s.shareRow(sh, false)); err != nil {
		return fmt.Errorf("set share: %w", err)
	}
	return nil
}

func (s *Store) ShareBySlug(ctx context.Context, slug string) (account.Share, error) {
	return s.oneShare(ctx, `slug = ?`, slug)
}

func (s *Store) ShareBySite(ctx context.Context, site int64) (account.Share, error) {
	return s.oneShare(ctx, `site_id = ?`, site)
}

func (s *Store) oneShare(ctx context.Context, where string, arg any) (account.Share, error) {
	var sh account.Share
	rows, err := s.conn.Query(ctx, `SELECT site_id, slug, min_visitors, round_to, epsilon, created_at FROM shares FINAL
		WHERE deleted = 0 AND `+where+` ORDER BY version LIMIT 1`, arg)
	if err != nil {
		return sh, fmt.Errorf("share: %w", err)
	}
	defer rows.Close()
	if !rows.Next() {
		if err := rows.Err(); err != nil {
			return sh, fmt.Errorf("share: %w", err)
		}
		return sh, fmt.Errorf("share: %w", account.ErrNotFound)
	}
	var minVisitors, round int64
	if err := rows.Scan(&sh.Site, &sh.Slug, &minVisitors, &round, &sh.Epsilon, &sh.Created); err != nil {
		return sh, fmt.Errorf("share: %w", err)
	}
	sh.MinVisitors, sh.Round, sh.Created = int(minVisitors), int(round), unix(sh.Created)
	return sh, nil
}

func (s *Store) DeleteShare(ctx context.Context, site int64) error {
	sh, err := s.ShareBySite(ctx, site)
	if errors.Is(err, account.ErrNotFound) {
		return nil
	} else if err != nil {
		return fmt.Errorf("delete share: %w", err)
	}
	if err := s.insert(ctx, insertShare, s.shareRow(sh, true)); err != nil {
		return fmt.Errorf("delete share: %w", err)
	}
	return nil
}
