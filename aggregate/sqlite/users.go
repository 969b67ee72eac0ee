package sqlite

import (
	"context"
	"fmt"
	"time"

	"tally/account"
)

// AddFirstUser inserts u in one statement that finds the table empty or
// inserts nothing, inside an immediate transaction: it holds the write
// lock from the start (waiting for it up to the busy timeout), so two
// callers cannot both find the table empty, and neither fails for having
// read an older snapshot.
func (s *Store) AddFirstUser(ctx context.Context, u account.User) (account.User, error) {
	if u.Created.IsZero() {
		u.Created = time.Now()
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return u, fmt.Errorf("add first user: %w", err)
	}
	defer tx.Rollback()
	res, err := tx.ExecContext(ctx, `INSERT INTO users (email, password_hash, admin, created_at)
		SELECT ?, ?, ?, ? WHERE NOT EXISTS (SELECT 1 FROM users)`, u.Email, u.PasswordHash, u.Admin, u.Created.Unix())
	if err != nil {
		return u, fmt.Errorf("add first user: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		return u, fmt.Errorf("first user: %w", account.ErrExists)
	}
	if u.ID, err = res.LastInsertId(); err != nil {
		return u, fmt.Errorf("add first user: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return u, fmt.Errorf("add first user: %w", err)
	}
	u.Created = time.Unix(u.Created.Unix(), 0).UTC()
	return u, nil
}

func (s *Store) Users(ctx context.Context) ([]account.User, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id, email, password_hash, admin, created_at FROM users ORDER BY email`)
	if err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	defer rows.Close()
	var out []account.User
	for rows.Next() {
		var u account.User
		var created int64
		if err := rows.Scan(&u.ID, &u.Email, &u.PasswordHash, &u.Admin, &created); err != nil {
			return nil, fmt.Errorf("list users: %w", err)
		}
		u.Created = time.Unix(created, 0).UTC()
		out = append(out, u)
	}
	return out, rows.Err()
}

func (s *Store) UpdateUser(ctx context.Context, u account.User) error {
	res, err := s.db.ExecContext(ctx, `UPDATE users SET password_hash = ?, admin = ? WHERE id = ?`, u.PasswordHash, u.Admin, u.ID)
	if err != nil {
		return fmt.Errorf("update user %d: %w", u.ID, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("user %d: %w", u.ID, account.ErrNotFound)
	}
	return nil
}

func (s *Store) DeleteUser(ctx context.Context, id int64) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("delete user %d: %w", id, err)
	}
	defer tx.Rollback()
	for _, q := range []string{
		`DELETE FROM logins WHERE user_id = ?`,
		`DELETE FROM memberships WHERE user_id = ?`,
		`DELETE FROM api_keys WHERE user_id = ?`,
		`UPDATE sites SET owner = 0 WHERE owner = ?`,
		`DELETE FROM users WHERE id = ?`,
	} {
		if _, err := tx.ExecContext(ctx, q, id); err != nil {
			return fmt.Errorf("delete user %d: %w", id, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("delete user %d: %w", id, err)
	}
	return nil
}

func (s *Store) DeleteLogins(ctx context.Context, user int64) error {
	if _, err := s.db.ExecContext(ctx, `DELETE FROM logins WHERE user_id = ?`, user); err != nil {
		return fmt.Errorf("sign out user %d: %w", user, err)
	}
	return nil
}
