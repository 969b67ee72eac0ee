package clickhouse

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"tally/account"
)

// insert sends rows through a prepared batch. INSERT … VALUES with bound
// arguments hangs on ClickHouse 18.16, and a batch needs the column list.
func (s *Store) insert(ctx context.Context, query string, rows ...[]any) error {
	b, err := s.conn.PrepareBatch(ctx, query)
	if err != nil {
		return err
	}
	defer b.Close()
	for _, r := range rows {
		if err := b.Append(r...); err != nil {
			return err
		}
	}
	return b.Send()
}

// firstWins approximates a unique column. ClickHouse cannot refuse a
// duplicate, so a writer inserts its row, then asks which live row holding
// the value is oldest (lowest version, then id); if that is not its own, it
// deletes its row and reports account.ErrExists. Two writers that race
// agree on the winner unless their clocks disagree by more than the gap
// between their inserts. winner reads the id of the oldest live row.
func firstWins(ctx context.Context, mine int64, winner func(context.Context) (int64, error), undo func(context.Context) error) error {
	id, err := winner(ctx)
	if err != nil {
		return err
	}
	if id == mine {
		return nil
	}
	if err := undo(ctx); err != nil {
		return err
	}
	return account.ErrExists
}

const insertSite = `INSERT INTO sites (id, domain, timezone, count_dnt, owner, created_at, deleted, version)`

func (s *Store) siteRow(site account.Site, deleted bool) []any {
	return []any{site.ID, site.Domain, site.Timezone, boolByte(site.CountDNT), site.Owner, site.Created,
		boolByte(deleted), s.nextVersion()}
}

func (s *Store) AddSite(ctx context.Context, site account.Site) (account.Site, error) {
	if site.Created.IsZero() {
		site.Created = time.Now()
	}
	site.Created = unix(site.Created)
	if _, err := s.Site(ctx, site.Domain); err == nil {
		return site, fmt.Errorf("site %s: %w", site.Domain, account.ErrExists)
	} else if !errors.Is(err, account.ErrNotFound) {
		return site, err
	}
	site.ID = newID()
	if err := s.insert(ctx, insertSite, s.siteRow(site, false)); err != nil {
		return site, fmt.Errorf("add site %s: %w", site.Domain, err)
	}
	err := firstWins(ctx, site.ID,
		func(ctx context.Context) (int64, error) {
			var id int64
			err := s.conn.QueryRow(ctx, `SELECT id FROM sites FINAL WHERE domain = ? AND deleted = 0
				ORDER BY version, id LIMIT 1`, site.Domain).Scan(&id)
			return id, err
		},
		func(ctx context.Context) error { return s.insert(ctx, insertSite, s.siteRow(site, true)) })
	if err != nil {
		return site, fmt.Errorf("add site %s: %w", site.Domain, err)
	}
	return site, nil
}

const siteColumns = `id, domain, timezone, count_dnt, owner, created_at`

// liveSites selects the current row of every site not deleted; when a race
// left two live rows for one domain, the oldest comes first.
const liveSites = `SELECT ` + siteColumns + ` FROM sites FINAL WHERE deleted = 0`

func scanSite(row interface{ Scan(...any) error }) (account.Site, error) {
	var site account.Site
	var countDNT uint8
	err := row.Scan(&site.ID, &site.Domain, &site.Timezone, &countDNT, &site.Owner, &site.Created)
	site.CountDNT = countDNT != 0
	site.Created = unix(site.Created)
	return site, err
}

func (s *Store) Site(ctx context.Context, domain string) (account.Site, error) {
	return s.oneSite(ctx, liveSites+` AND domain = ? ORDER BY version, id LIMIT 1`, domain)
}

func (s *Store) SiteByID(ctx context.Context, id int64) (account.Site, error) {
	return s.oneSite(ctx, liveSites+` AND id = ?`, id)
}

func (s *Store) oneSite(ctx context.Context, query string, arg any) (account.Site, error) {
	rows, err := s.conn.Query(ctx, query, arg)
	if err != nil {
		return account.Site{}, fmt.Errorf("site %v: %w", arg, err)
	}
	defer rows.Close()
	if !rows.Next() {
		if err := rows.Err(); err != nil {
			return account.Site{}, fmt.Errorf("site %v: %w", arg, err)
		}
		return account.Site{}, fmt.Errorf("site %v: %w", arg, account.ErrNotFound)
	}
	site, err := scanSite(rows)
	if err != nil {
		return site, fmt.Errorf("site %v: %w", arg, err)
	}
	return site, nil
}

func (s *Store) Sites(ctx context.Context) ([]account.Site, error) {
	rows, err := s.conn.Query(ctx, liveSites+` ORDER BY domain, version, id LIMIT 1 BY domain`)
	if err != nil {
		return nil, fmt.Errorf("list sites: %w", err)
	}
	defer rows.Close()
	var out []account.Site
	for rows.Next() {
		site, err := scanSite(rows)
		if err != nil {
			return nil, fmt.Errorf("list sites: %w", err)
		}
		out = append(out, site)
	}
	return out, rows.Err()
}

func (s *Store) UpdateSite(ctx context.Context, site account.Site) error {
	cur, err := s.SiteByID(ctx, site.ID)
	if err != nil {
		return err
	}
	cur.Timezone, cur.CountDNT, cur.Owner = site.Timezone, site.CountDNT, site.Owner
	if err := s.insert(ctx, insertSite, s.siteRow(cur, false)); err != nil {
		return fmt.Errorf("update site %s: %w", cur.Domain, err)
	}
	return nil
}

// DeleteSite marks the site deleted, then deletes its cells and share and
// waits until ClickHouse has: ALTER … DELETE is an asynchronous mutation.
// A checkpoint of another instance that raced the deletion deletes what it
// wrote itself (see WriteBatch).
func (s *Store) DeleteSite(ctx context.Context, id int64) error {
	site, err := s.SiteByID(ctx, id)
	if errors.Is(err, account.ErrNotFound) {
		site = account.Site{ID: id} // cells may outlive a half-finished deletion
	} else if err != nil {
		return err
	}
	if err := s.insert(ctx, insertSite, s.siteRow(site, true)); err != nil {
		return fmt.Errorf("delete site %d: %w", id, err)
	}
	return s.purgeSite(ctx, id)
}

// purgeTables hold a site's rows besides its own, deleted with it.
var purgeTables = []string{"cells", "rollups", "props", "goals", "engagement", "funnels", "funnel_counts", "shares", "reports", "noise_keys"}

// purgeSite deletes every cell, rollup, property, engagement, goal, funnel, share, report and noise key row of a site
// and waits for it. On a cluster the deletion runs on every node that
// answers, each waiting for its own mutation (a replica learns of
// another's mutation through ZooKeeper, later; a replica that is down
// learns of them when it is back), and fails if a whole shard is down.
func (s *Store) purgeSite(ctx context.Context, id int64) error {
	for _, table := range purgeTables {
		err := s.onEveryCopy(ctx, table, func(ctx context.Context, conn driver.Conn, local string) error {
			if err := conn.Exec(ctx, fmt.Sprintf(`ALTER TABLE %s DELETE WHERE site_id = %d`, local, id)); err != nil {
				return err
			}
			return s.waitMutations(ctx, conn, local)
		})
		if err != nil {
			return fmt.Errorf("delete site %d: %s: %w", id, table, err)
		}
	}
	return nil
}
