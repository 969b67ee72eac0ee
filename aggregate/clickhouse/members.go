package clickhouse

import (
	"context"
	"fmt"

	"tally/account"
)

const insertMember = `INSERT INTO memberships (site_id, user_id, role, deleted, version)`

func (s *Store) SetMember(ctx context.Context, m account.Member) error {
	if err := s.insert(ctx, insertMember, []any{m.Site, m.User, string(m.Role), uint8(0), s.nextVersion()}); err != nil {
		return fmt.Errorf("set member: %w", err)
	}
	return nil
}

// DeleteMember writes a deleted row, which replaces the live one.
func (s *Store) DeleteMember(ctx context.Context, site, user int64) error {
	if err := s.insert(ctx, insertMember, []any{site, user, "", uint8(1), s.nextVersion()}); err != nil {
		return fmt.Errorf("delete member: %w", err)
	}
	return nil
}

func (s *Store) Members(ctx context.Context, site int64) ([]account.Member, error) {
	return s.members(ctx, `site_id = ? ORDER BY user_id`, site)
}

func (s *Store) MembershipsOf(ctx context.Context, user int64) ([]account.Member, error) {
	return s.members(ctx, `user_id = ? ORDER BY site_id`, user)
}

func (s *Store) members(ctx context.Context, where string, arg int64) ([]account.Member, error) {
	rows, err := s.conn.Query(ctx, `SELECT site_id, user_id, role FROM memberships FINAL WHERE deleted = 0 AND `+where, arg)
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
