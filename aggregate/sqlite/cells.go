package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"tally/aggregate"
)

func (s *Store) WriteCells(ctx context.Context, cells []aggregate.Cell) error {
	if len(cells) == 0 {
		return nil
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("write cells: %w", err)
	}
	defer tx.Rollback()

	live, err := liveSites(ctx, tx)
	if err != nil {
		return fmt.Errorf("write cells: %w", err)
	}

	intern, err := tx.PrepareContext(ctx, `INSERT OR IGNORE INTO cell_keys (site_id, key) VALUES (?, ?) RETURNING id`)
	if err != nil {
		return fmt.Errorf("write cells: %w", err)
	}
	defer intern.Close()
	// Rows go in batches of cellsPerInsert per statement: one statement per
	// row cost more than SQLite's work for it.
	var full *sql.Stmt
	args := make([]any, 0, cellsPerInsert*cellColumns)
	flush := func() error {
		n := len(args) / cellColumns
		if n == 0 {
			return nil
		}
		var err error
		if n == cellsPerInsert {
			if full == nil {
				if full, err = tx.PrepareContext(ctx, insertCells(n)); err != nil {
					return err
				}
			}
			_, err = full.ExecContext(ctx, args...)
		} else {
			_, err = tx.ExecContext(ctx, insertCells(n), args...)
		}
		args = args[:0]
		return err
	}
	newKeys := map[keyRef]int64{}
	for i := range cells {
		c := &cells[i]
		if !live[c.Site] {
			continue
		}
		id, err := s.keyID(ctx, tx, intern, c.Site, c.Key.Encode(), newKeys)
		if err != nil {
			return err
		}
		var sketch []byte
		if c.Sketch != nil {
			if sketch, err = c.Sketch.MarshalBinary(); err != nil {
				return fmt.Errorf("write cells: %w", err)
			}
		}
		args = append(args, c.Site, c.Hour.Unix(), c.Instance, id,
			c.Pageviews, c.Events, c.Visits, c.Bounces, c.Duration, c.Exits, sketch)
		if len(args) == cap(args) {
			if err := flush(); err != nil {
				return fmt.Errorf("write cells: %w", err)
			}
		}
	}
	if err := flush(); err != nil {
		return fmt.Errorf("write cells: %w", err)
	}
	if full != nil {
		full.Close()
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("write cells: %w", err)
	}
	// Only now are the new ids durable; a rolled-back id must not be cached.
	s.mu.Lock()
	if len(s.keys)+len(newKeys) > maxCachedKeys {
		clear(s.keys) // keys of past hours, mostly; busy ones come back
	}
	for k, id := range newKeys {
		s.keys[k] = id
	}
	s.mu.Unlock()
	return nil
}

const (
	cellColumns    = 11
	cellsPerInsert = 100
	// maxCachedKeys bounds the interned-key cache (about 150 bytes an
	// entry); a miss costs one lookup in cell_keys.
	maxCachedKeys = 200_000
)

// insertCells returns an INSERT of n cell rows.
func insertCells(n int) string {
	var b strings.Builder
	b.WriteString(`INSERT OR REPLACE INTO cells
		(site_id, hour, instance, key_id, pageviews, events, visits, bounces, duration, exits, sketch) VALUES `)
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString("(?,?,?,?,?,?,?,?,?,?,?)")
	}
	return b.String()
}

// liveSites returns the ids of the sites that exist, inside tx, so that a
// checkpoint racing a deletion writes nothing for the deleted site.
func liveSites(ctx context.Context, tx *sql.Tx) (map[int64]bool, error) {
	live := map[int64]bool{}
	rows, err := tx.QueryContext(ctx, `SELECT id FROM sites`)
	if err != nil {
		return nil, fmt.Errorf("list sites: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		live[id] = true
	}
	return live, rows.Err()
}

// keyID returns the id of an interned cell key, interning it if new: one
// statement for a new key, none for one this process has seen.
func (s *Store) keyID(ctx context.Context, tx *sql.Tx, intern *sql.Stmt, site int64, key string, pending map[keyRef]int64) (int64, error) {
	ref := keyRef{site, key}
	s.mu.Lock()
	id, ok := s.keys[ref]
	s.mu.Unlock()
	if ok {
		return id, nil
	}
	if id, ok := pending[ref]; ok {
		return id, nil
	}
	err := intern.QueryRowContext(ctx, site, key).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		// Interned already, by another process or before a restart.
		err = tx.QueryRowContext(ctx, `SELECT id FROM cell_keys WHERE site_id = ? AND key = ?`, site, key).Scan(&id)
	}
	if err != nil {
		return 0, fmt.Errorf("intern cell key: %w", err)
	}
	pending[ref] = id
	return id, nil
}

func (s *Store) ReadCells(ctx context.Context, site int64, from, to time.Time, fn func(*aggregate.Cell) error) error {
	rows, err := s.db.QueryContext(ctx, `SELECT c.instance, c.hour, k.key,
			c.pageviews, c.events, c.visits, c.bounces, c.duration, c.exits, c.sketch
		FROM cells c JOIN cell_keys k ON k.id = c.key_id
		WHERE c.site_id = ? AND c.hour >= ? AND c.hour < ?`, site, from.Unix(), to.Unix())
	if err != nil {
		return fmt.Errorf("read cells: %w", err)
	}
	defer rows.Close()
	var c aggregate.Cell
	c.Site = site
	for rows.Next() {
		var hour int64
		var key string
		var sketch []byte
		if err := rows.Scan(&c.Instance, &hour, &key, &c.Pageviews, &c.Events, &c.Visits,
			&c.Bounces, &c.Duration, &c.Exits, &sketch); err != nil {
			return fmt.Errorf("read cells: %w", err)
		}
		c.Hour = time.Unix(hour, 0).UTC()
		if c.Key, err = aggregate.DecodeKey(key); err != nil {
			return err
		}
		if c.Sketch, err = aggregate.UnmarshalSketch(sketch); err != nil {
			return err
		}
		if err := fn(&c); err != nil {
			return err
		}
	}
	return rows.Err()
}

func (s *Store) DropBefore(ctx context.Context, t time.Time) error {
	for _, q := range []string{`DELETE FROM cells WHERE hour < ?`, `DELETE FROM rollups WHERE day < ?`} {
		if _, err := s.db.ExecContext(ctx, q, t.Unix()); err != nil {
			return fmt.Errorf("drop aggregates before %s: %w", t.Format(time.RFC3339), err)
		}
	}
	return nil
}
