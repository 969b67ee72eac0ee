package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"tally/account"
	"time"
)

func (s *Store) AddUser(ctx context.Context, u account.User) (account.User, error) {
	if u.Created.IsZero() {
		u.Created = time.Now()
	}
	res, err := s.db.ExecContext(ctx, `INSERT INTO users (email, password_hash, admin, created_at) VALUES (?, ?, ?, ?)`,
		u.Email, u.PasswordHash, u.Admin, u.Created.Unix())
	if err != nil {
		if strings.Contains(err.Error(), "UNIQUE") {
			return u, fmt.Errorf("user %s: %w", u.Email, account.ErrExists)
		}
		return u, fmt.Errorf("add user: %w", err)
	}
	u.ID, err = res.LastInsertId()
	u.Created = time.Unix(u.Created.Unix(), 0).UTC()
	return u, err
}

func (s *Store) UserByEmail(ctx context.Context, email string) (account.User, error) {
	return s.oneUser(ctx, `WHERE email = ?`, email)
}

func (s *Store) UserByID(ctx context.Context, id int64) (account.User, error) {
	return s.oneUser(ctx, `WHERE id = ?`, id)
}

func (s *Store) oneUser(ctx context.Context, where string, arg any) (account.User, error) {
	var u account.User
	var created int64
	err := s.db.QueryRowContext(ctx, `SELECT id, email, password_hash, admin, created_at FROM users `+where, arg).
		Scan(&u.ID, &u.Email, &u.PasswordHash, &u.Admin, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return u, fmt.Errorf("user: %w", account.ErrNotFound)
	}
	u.Created = time.Unix(created, 0).UTC()
	return u, err
}

func (s *Store) CountUsers(ctx context.Context) (int, error) {
	var n int
	err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM users`).Scan(&n)
	return n, err
}

func (s *Store) AddLogin(ctx context.Context, l account.Login) error {
	// Expired logins are removed whenever a new one is made.
	if _, err := s.db.ExecContext(ctx, `DELETE FROM logins WHERE expires_at <= ?`, time.Now().Unix()); err != nil {
		return fmt.Errorf("add login: %w", err)
	}
	_, err := s.db.ExecContext(ctx, `INSERT INTO logins (token_hash, user_id, expires_at) VALUES (?, ?, ?)`,
		l.TokenHash, l.User, l.Expires.Unix())
	if err != nil {
		return fmt.Errorf("add login: %w", err)
	}
	return nil
}

func (s *Store) Login(ctx context.Context, tokenHash []byte) (account.Login, error) {
	var l account.Login
	var exp int64
	err := s.db.QueryRowContext(ctx, `SELECT token_hash, user_id, expires_at FROM logins WHERE token_hash = ? AND expires_at > ?`,
		tokenHash, time.Now().Unix()).Scan(&l.TokenHash, &l.User, &exp)
	if errors.Is(err, sql.ErrNoRows) {
		return l, fmt.Errorf("login: %w", account.ErrNotFound)
	}
	l.Expires = time.Unix(exp, 0).UTC()
	return l, err
}

func (s *Store) DeleteLogin(ctx context.Context, tokenHash []byte) error {
	if _, err := s.db.ExecContext(ctx, `DELETE FROM logins WHERE token_hash = ?`, tokenHash); err != nil {
		return fmt.Errorf("delete login: %w", err)
	}
	return nil
}

func (s *Store) SetShare(ctx context.Context, sh account.Share) error {
	if sh.Created.IsZero() {
		sh.Created = time.Now()
	}
	_, err := s.db.ExecContext(ctx, `INSERT OR REPLACE INTO shares (site_id, slug, min_visitors, round_to, epsilon, created_at)
		VALUES (?, ?, ?, ?, ?, ?)`, sh.Site, sh.Slug, sh.MinVisitors, sh.Round, sh.Epsilon, sh.Created.Unix())
	if err != nil {
		return fmt.Errorf("set share: %w", err)
	}
	return nil
}

func (s *Store) ShareBySlug(ctx context.Context, slug string) (account.Share, error) {
	return s.oneShare(ctx, `WHERE slug = ?`, slug)
}

func (s *Store) ShareBySite(ctx context.Context, site int64) (account.Share, error) {
	return s.oneShare(ctx, `WHERE site_id = ?`, site)
}

func (s *Store) oneShare(ctx context.Context, where string, arg any) (account.Share, error) {
	var sh account.Share
	var created int64
	err := s.db.QueryRowContext(ctx, `SELECT site_id, slug, min_visitors, round_to, epsilon, created_at FROM shares `+where, arg).
		Scan(&sh.Site, &sh.Slug, &sh.MinVisitors, &sh.Round, &sh.Epsilon, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return sh, fmt.Errorf("share: %w", account.ErrNotFound)
	}
	sh.Created = time.Unix(created, 0).UTC()
	return sh, err
}

func (s *Store) DeleteShare(ctx context.Context, site int64) error {
	if _, err := s.db.ExecContext(ctx, `DELETE FROM shares WHERE site_id = ?`, site); err != nil {
		return fmt.Errorf("delete share: %w", err)
	}
	return nil
}
