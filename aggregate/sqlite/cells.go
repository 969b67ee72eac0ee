package sqlite

import (
	"context"
	"database/sql"
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

	ids, newKeys, err := s.keyIDs(ctx, tx, cells, live)
	if err != nil {
		return fmt.Errorf("write cells: %w", err)
	}
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
	for i := range cells {
		c := &cells[i]
		if !live[c.Site] {
			continue
		}
		var sketch []byte
		if c.Sketch != nil {
			if sketch, err = c.Sketch.MarshalBinary(); err != nil {
				return fmt.Errorf("write cells: %w", err)
			}
		}
		args = append(args, c.Site, c.Hour.Unix(), c.Instance, ids[i],
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
	// keysPerStatement is how many new keys are interned per statement.
	keysPerStatement = 200
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

// keyIDs returns the id of each live cell's interned key (by the cell's
// index), interning the keys this process has not seen in batches: one
// statement per key cost more than SQLite's work for it, and a busy
// checkpoint meets thousands of new keys. newKeys are the ids learnt here,
// to be cached once the transaction commits.
func (s *Store) keyIDs(ctx context.Context, tx *sql.Tx, cells []aggregate.Cell, live map[int64]bool) (ids []int64, newKeys map[keyRef]int64, err error) {
	ids = make([]int64, len(cells))
	newKeys = map[keyRef]int64{}
	var missing []keyRef // each once, in the order first met
	refs := make([]keyRef, len(cells))
	s.mu.Lock()
	for i := range cells {
		c := &cells[i]
		if !live[c.Site] {
			continue
		}
		ref := keyRef{c.Site, c.Key.Encode()}
		refs[i] = ref
		if id, ok := s.keys[ref]; ok {
			ids[i] = id
			continue
		}
		if _, ok := newKeys[ref]; !ok {
			newKeys[ref] = 0
			missing = append(missing, ref)
		}
	}
	s.mu.Unlock()

	for len(missing) > 0 {
		n := min(len(missing), keysPerStatement)
		if err := internKeys(ctx, tx, missing[:n], newKeys); err != nil {
			return nil, nil, err
		}
		missing = missing[n:]
	}
	for i := range cells {
		if ids[i] == 0 && live[cells[i].Site] {
			ids[i] = newKeys[refs[i]]
		}
	}
	return ids, newKeys, nil
}

// internKeys interns keys and reads their ids into ids. New keys get theirs
// from the insert; the few it skips, interned already by another process
// or before a restart (or dropped from the cache), are looked up.
func internKeys(ctx context.Context, tx *sql.Tx, refs []keyRef, ids map[keyRef]int64) error {
	args := make([]any, 0, 2*len(refs))
	for _, r := range refs {
		args = append(args, r.site, r.key)
	}
	values := strings.Repeat("(?,?),", len(refs))
	values = values[:len(values)-1]
	read := func(query string, args []any) (int, error) {
		rows, err := tx.QueryContext(ctx, query, args...)
		if err != nil {
			return 0, err
		}
		defer rows.Close()
		n := 0
		for rows.Next() {
			var id int64
			var r keyRef
			if err := rows.Scan(&id, &r.site, &r.key); err != nil {
				return 0, err
			}
			ids[r] = id
			n++
		}
		return n, rows.Err()
	}
	n, err := read(`INSERT OR IGNORE INTO cell_keys (site_id, key) VALUES `+values+` RETURNING id, site_id, key`, args)
	if err != nil {
		return fmt.Errorf("intern cell keys: %w", err)
	}
	if n == len(refs) {
		return nil
	}
	args = args[:0]
	for _, r := range refs {
		if ids[r] == 0 {
			args = append(args, r.site, r.key)
		}
	}
	values = strings.Repeat("(?,?),", len(args)/2)
	values = values[:len(values)-1]
	m, err := read(`SELECT id, site_id, key FROM cell_keys WHERE (site_id, key) IN (VALUES `+values+`)`, args)
	if err != nil {
		return fmt.Errorf("intern cell keys: %w", err)
	}
	if n+m != len(refs) {
		return fmt.Errorf("intern cell keys: %d of %d keys found after inserting them", n+m, len(refs))
	}
	return nil
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
