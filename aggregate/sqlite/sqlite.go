// Package sqlite is tally's embedded store: one SQLite file (pure Go, no cgo)
// under the data directory, in WAL mode so `tally serve` and an admin command
// can use it at once. It stores aggregates only.
package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" driver

	"tally/account"
	"tally/aggregate"
	"tally/migrations"
)

var _ aggregate.Store = (*Store)(nil)

// FileName is the database file inside the data directory.
const FileName = "tally.db"

// Store is the embedded store.
type Store struct {
	db    *sql.DB
	path  string        // the database file, for messages
	scans chan struct{} // a slot per aggregate query running (scanSlots)
	stmts statements    // the checkpoint's upserts, prepared once
}

// scanSlots aggregate queries run at once (one a core, leaving a
// connection for writes and account lookups); the others wait their turn.
// The dashboard asks a page's dozen queries at once, which ClickHouse
// answers in parallel; SQLite answered four at a time on two cores more
// slowly than one after the other (a filtered page 1.0–3.0 s against
// 0.7–1.2 s), and two at a time fastest (0.5–1.0 s) (docs/benchmarks.md,
// "One row past the page").
var scanSlots = min(max(runtime.GOMAXPROCS(0), 1), maxConns-1)

// maxConns is the connection pool's size.
const maxConns = 4

// Open opens (creating if needed) the store in dir and applies migrations.
func Open(ctx context.Context, dir string) (*Store, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create data directory: %w", err)
	}
	q := url.Values{}
	for _, p := range []string{
		"journal_mode(WAL)",
		"busy_timeout(10000)", // an admin command and serve may write at once
		"synchronous(NORMAL)",
		"foreign_keys(ON)",
		"secure_delete(ON)", // a deleted salt is overwritten, not left in free pages
		// A checkpoint upserts into B-trees much larger than SQLite's
		// default 2 MB page cache; 32 MB per connection keeps their inner
		// pages in memory. Checkpointing the WAL into the file every 10 000
		// pages instead of 1 000 writes a page touched by several
		// checkpoints once; the WAL is cut back to 64 MB after each.
		// Together about a third less time per stored cell
		// (docs/benchmarks.md, "Checkpoint writes").
		"cache_size(-32768)",
		"wal_autocheckpoint(10000)",
		"journal_size_limit(67108864)",
	} {
		q.Add("_pragma", p)
	}
	q.Set("_txlock", "immediate")
	path := filepath.Join(dir, FileName)
	dsn := "file:" + path + "?" + q.Encode()
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", dir, err)
	}
	db.SetMaxOpenConns(maxConns)
	s := &Store{db: db, path: path, scans: make(chan struct{}, scanSlots), stmts: statements{db: db}}
	if err := s.migrate(ctx); err != nil {
		db.Close()
		// The driver's own messages ("unable to open database file")
		// do not say which file.
		return nil, fmt.Errorf("open %s: %w", filepath.Join(dir, FileName), err)
	}
	return s, nil
}

// Check reads every page of the file and reports whether it is intact
// (SQLite's quick_check): a damaged page otherwise shows only when a query
// or a hit happens to need it. It takes about a second per few hundred MB.
func (s *Store) Check(ctx context.Context) error {
	rows, err := s.db.QueryContext(ctx, `PRAGMA quick_check`)
	if err != nil {
		return s.damaged(err.Error())
	}
	defer rows.Close()
	var problems []string
	for rows.Next() {
		var line string
		if err := rows.Scan(&line); err != nil {
			return s.damaged(err.Error())
		}
		if line != "ok" && len(problems) < 3 {
			problems = append(problems, line)
		}
	}
	if err := rows.Err(); err != nil {
		return s.damaged(err.Error())
	}
	if len(problems) > 0 {
		return s.damaged(strings.Join(problems, "; "))
	}
	return nil
}

// damaged says what is wrong with the file and what to do about it.
func (s *Store) damaged(what string) error {
	return fmt.Errorf("%s is damaged (%s): stop tally, keep a copy of the file, then restore a backup "+
		"or recover what can be read with `sqlite3 %s .recover | sqlite3 recovered.db` and move recovered.db in its place", s.path, what, s.path)
}

func (s *Store) migrate(ctx context.Context) error {
	list, err := migrations.For("sqlite")
	if err != nil {
		return err
	}
	if _, err := s.db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)`); err != nil {
		return fmt.Errorf("create schema_migrations: %w", err)
	}
	for _, m := range list {
		if err := s.apply(ctx, m); err != nil {
			return fmt.Errorf("migration %s: %w", m.Name, err)
		}
	}
	return s.convertLegacy(ctx)
}

// apply runs one migration in its own transaction unless it is recorded
// already; the immediate transaction serialises two processes starting at once.
func (s *Store) apply(ctx context.Context, m migrations.Migration) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM schema_migrations WHERE version = ?`, m.Version).Scan(&n); err != nil {
		return err
	}
	if n > 0 {
		return nil
	}
	for _, st := range m.Statements() {
		if _, err := tx.ExecContext(ctx, st); err != nil {
			return err
		}
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)`,
		m.Version, m.Name, time.Now().Unix()); err != nil {
		return err
	}
	return tx.Commit()
}

func (s *Store) Ping(ctx context.Context) error { return s.db.PingContext(ctx) }

func (s *Store) Close() error {
	s.stmts.close()
	return s.db.Close()
}

func (s *Store) AddSite(ctx context.Context, site account.Site) (account.Site, error) {
	if site.Created.IsZero() {
		site.Created = time.Now()
	}
	res, err := s.db.ExecContext(ctx, `INSERT INTO sites (domain, timezone, count_dnt, owner, created_at) VALUES (?, ?, ?, ?, ?)`,
		site.Domain, site.Timezone, site.CountDNT, site.Owner, site.Created.Unix())
	if err != nil {
		if strings.Contains(err.Error(), "UNIQUE") {
			return site, fmt.Errorf("site %s: %w", site.Domain, account.ErrExists)
		}
		return site, fmt.Errorf("add site %s: %w", site.Domain, err)
	}
	site.ID, err = res.LastInsertId()
	site.Created = time.Unix(site.Created.Unix(), 0).UTC()
	return site, err
}

const siteColumns = `id, domain, timezone, count_dnt, owner, created_at`

func scanSite(row interface{ Scan(...any) error }) (account.Site, error) {
	var site account.Site
	var created int64
	err := row.Scan(&site.ID, &site.Domain, &site.Timezone, &site.CountDNT, &site.Owner, &created)
	site.Created = time.Unix(created, 0).UTC()
	return site, err
}

func (s *Store) Site(ctx context.Context, domain string) (account.Site, error) {
	return s.oneSite(ctx, `SELECT `+siteColumns+` FROM sites WHERE domain = ?`, domain)
}

func (s *Store) SiteByID(ctx context.Context, id int64) (account.Site, error) {
	return s.oneSite(ctx, `SELECT `+siteColumns+` FROM sites WHERE id = ?`, id)
}

func (s *Store) oneSite(ctx context.Context, query string, arg any) (account.Site, error) {
	site, err := scanSite(s.db.QueryRowContext(ctx, query, arg))
	if errors.Is(err, sql.ErrNoRows) {
		return site, fmt.Errorf("site %v: %w", arg, account.ErrNotFound)
	}
	return site, err
}

func (s *Store) Sites(ctx context.Context) ([]account.Site, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+siteColumns+` FROM sites ORDER BY domain`)
	if err != nil {
		return nil, fmt.Errorf("list sites: %w", err)
	}
	defer rows.Close()
	var out []account.Site
	for rows.Next() {
		site, err := scanSite(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, site)
	}
	return out, rows.Err()
}

func (s *Store) UpdateSite(ctx context.Context, site account.Site) error {
	res, err := s.db.ExecContext(ctx, `UPDATE sites SET timezone = ?, count_dnt = ?, owner = ? WHERE id = ?`,
		site.Timezone, site.CountDNT, site.Owner, site.ID)
	if err != nil {
		return fmt.Errorf("update site %s: %w", site.Domain, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("site %d: %w", site.ID, account.ErrNotFound)
	}
	return nil
}

func (s *Store) DeleteSite(ctx context.Context, id int64) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	for _, q := range []string{
		`DELETE FROM cells WHERE site_id = ?`,
		`DELETE FROM rollups WHERE site_id = ?`,
		`DELETE FROM props WHERE site_id = ?`,
		`DELETE FROM goals WHERE site_id = ?`,
		`DELETE FROM engagement WHERE site_id = ?`,
		`DELETE FROM funnels WHERE site_id = ?`,
		`DELETE FROM funnel_counts WHERE site_id = ?`,
		`DELETE FROM shares WHERE site_id = ?`,
		`DELETE FROM memberships WHERE site_id = ?`,
		`DELETE FROM reports WHERE site_id = ?`,
		`DELETE FROM noise_keys WHERE site_id = ?`,
		`DELETE FROM sites WHERE id = ?`,
	} {
		if _, err := tx.ExecContext(ctx, q, id); err != nil {
			return fmt.Errorf("delete site %d: %w", id, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("delete site %d: %w", id, err)
	}
	return nil
}
