package clickhouse

import (
	"context"
	"fmt"
	"time"

	"tally/account"
)

// AddFirstUser inserts u, then keeps it only if it is the oldest live
// user (firstWins): of racing callers exactly one sees its own row first.
func (s *Store) AddFirstUser(ctx context.Context, u account.User) (account.User, error) {
	s.first.Lock()
	defer s.first.Unlock()
	if n, err := s.CountUsers(ctx); err != nil {
		return u, fmt.Errorf("add first user: %w", err)
	} else if n > 0 {
		return u, fmt.Errorf("first user: %w", account.ErrExists)
	}
	if u.Created.IsZero() {
		u.Created = time.Now()
	}
	u.Created = unix(u.Created)
	u.ID = newID()
	if err := s.insert(ctx, insertUser, s.userRow(u, false)); err != nil {
		return u, fmt.Errorf("add first user: %w", err)
	}
	err := firstWins(ctx, u.ID,
		func(ctx context.Context) (int64, error) {
			var id int64
			err := s.conn.QueryRow(ctx, `SELECT id FROM users FINAL WHERE deleted = 0 ORDER BY version, id LIMIT 1`).Scan(&id)
			return id, err
		},
		func(ctx context.Context) error { return s.insert(ctx, insertUser, s.userRow(u, true)) })
	if err != nil {
		return u, fmt.Errorf("first user: %w", err)
	}
	return u, nil
}

func (s *Store) Users(ctx context.Context) ([]account.User, error) {
	rows, err := s.conn.Query(ctx, `SELECT id, email, password_hash, admin, created_at FROM users FINAL
		WHERE deleted = 0 ORDER BY email, version, id LIMIT 1 BY email`)
	if err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	defer rows.Close()
	var out []account.User
	for rows.Next() {
		var u account.User
		var hash string
		var admin uint8
		if err := rows.Scan(&u.ID, &u.Email, &hash, &admin, &u.Created); err != nil {
			return nil, fmt.Errorf("list users: %w", err)
		}
		u.PasswordHash, u.Admin, u.Created = []byte(hash), admin != 0, unix(u.Created)
		out = append(out, u)
	}
	return out, rows.Err()
}

func (s *Store) UpdateUser(ctx context.Context, u account.User) error {
	cur, err := s.UserByID(ctx, u.ID)
	if err != nil {
		return err
	}
	cur.PasswordHash, cur.Admin = u.PasswordHash, u.Admin
	if err := s.insert(ctx, insertUser, s.userRow(cur, false)); err != nil {
		return fmt.Errorf("update user %d: %w", u.ID, err)
	}
	return nil
}

// DeleteUser signs the user out, removes their memberships and keys, hands
// the sites they added to nobody (admins still see them), then deletes
// the user.
func (s *Store) DeleteUser(ctx context.Context, id int64) error {
	u, err := s.UserByID(ctx, id)
	if err != nil {
		return err
	}
	if err := s.DeleteLogins(ctx, id); err != nil {
		return err
	}
	ms, err := s.MembershipsOf(ctx, id)
	if err != nil {
		return err
	}
	for _, m := range ms {
		if err := s.DeleteMember(ctx, m.Site, m.User); err != nil {
			return err
		}
	}
	keys, err := s.APIKeys(ctx)
	if err != nil {
		return err
	}
	for _, k := range keys {
		if k.User == id {
			if err := s.DeleteAPIKey(ctx, k.ID); err != nil {
				return err
			}
		}
	}
	sites, err := s.Sites(ctx)
	if err != nil {
		return err
	}
	for _, site := range sites {
		if site.Owner == id {
			site.Owner = 0
			if err := s.UpdateSite(ctx, site); err != nil {
				return err
			}
		}
	}
	if err := s.insert(ctx, insertUser, s.userRow(u, true)); err != nil {
		return fmt.Errorf("delete user %d: %w", id, err)
	}
	return nil
}

// DeleteLogins writes a deleted copy of each of the user's logins.
func (s *Store) DeleteLogins(ctx context.Context, user int64) error {
	rows, err := s.conn.Query(ctx, `SELECT token_hash, expires_at FROM logins FINAL WHERE user_id = ? AND deleted = 0`, user)
	if err != nil {
		return fmt.Errorf("sign out user %d: %w", user, err)
	}
	var dead [][]any
	for rows.Next() {
		var tok string
		var exp time.Time
		if err := rows.Scan(&tok, &exp); err != nil {
			rows.Close()
			return fmt.Errorf("sign out user %d: %w", user, err)
		}
		dead = append(dead, []any{tok, user, unix(exp), uint8(1), s.nextVersion()})
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("sign out user %d: %w", user, err)
	}
	if len(dead) == 0 {
		return nil
	}
	if err := s.insert(ctx, insertLogin, dead...); err != nil {
		return fmt.Errorf("sign out user %d: %w", user, err)
	}
	return nil
}
