package sqlite

import (
	"context"
	"fmt"

	"tally/account"
)

func (s *Store) SetMember(ctx context.Context, m account.Member) error {
	if _, err := s.db.ExecContext(ctx, `INSERT OR REPLACE INTO memberships (site_id, user_id, role) VALUES (?, ?, ?)`,
		m.Site, m.User, string(m.Role)); err != nil {
		return fmt.Errorf("set member: %w", err)
	}
	return nil
}

func (s *Store) DeleteMember(ctx context.Context, site, user int64) error {
	if _, err := s.db.ExecContext(ctx, `DELETE FROM memberships WHERE site_id = ? AND user_id = ?`, site, user); err != nil {
		return fmt.Errorf("delete member: %w", err)
	}
	return nil
}

func (s *Store) Members(ctx context.Context, site int64) ([]account.Member, error) {
	return s.members(ctx, `WHERE site_id = ? ORDER BY user_id`, site)
}

func (s *Store) MembershipsOf(ctx context.Context, user int64) ([]account.Member, error) {
	return s.members(ctx, `WHERE user_id = ? ORDER BY site_id`, user)
}

func (s *Store) members(ctx context.Context, where string, arg int64) ([]account.Member, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT site_id, user_id, role FROM memberships `+where, arg)
	if err != nil {
		return nil, fmt.Errorf("list members: %w", err)
	}
	defer rows.Close()
	var out []account.Member
	for rows.Next() {
		var m account.Member
		var role string
		if err := rows.Scan(&m.Site, &m.User, &role); err != nil {
			return nil, fmt.Errorf("list members: %w", err)
		}
		m.Role = account.Role(role)
		out = append(out, m)
	}
	return out, rows.Err()
}
