// Package clickhouse is tally's store for sites and fleets that outgrow one
// machine: every piece of state (hour cells of counters, sites, keys, users
// and shares) lives in one ClickHouse database that any number of tally
// instances share. It speaks the native protocol with LZ4, and its schema and
// queries run on Debian's ClickHouse 18.16 as well as on current releases.
//
// ClickHouse has no transactions, unique keys or in-place updates, so this
// store gets the embedded store's semantics in other ways; docs/clickhouse.md
// says how, and where they are only approximated. Like every store, it never
// receives an IP address, a user-agent string, a query string, a salt or a
// visitor key.
package clickhouse

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"regexp"
	"sync"
	"time"

	ch "github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"tally/aggregate"
)

var _ aggregate.Store = (*Store)(nil)

// Store is the ClickHouse store.
type Store struct {
	conn driver.Conn
	db   string

	mu      sync.Mutex
	version uint64 // last row version handed out; see nextVersion

	// rollupsFrom is the first day the rollups hold (rollups_start: 0 on
	// a database made with rollups, a day after the upgrade on one that
	// had cells before).
	rollupsFrom int64

	// first serialises AddFirstUser within this process, where the race
	// for the first account is run (one server's /setup); firstWins
	// settles the rarer race between processes.
	first sync.Mutex
}

var validName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// Open connects to the database named in dsn (clickhouse://user:pass@host:9000/db),
// creates it if missing and applies the migrations.
func Open(ctx context.Context, dsn string) (*Store, error) {
	opts, err := ch.ParseDSN(dsn)
	if err != nil {
		return nil, fmt.Errorf("parse ClickHouse DSN: %w", err)
	}
	if opts.Protocol != ch.Native {
		// ClickHouse 18.16 rejects the HTTP client's protocol parameter.
		return nil, fmt.Errorf("ClickHouse DSN: use the native protocol (clickhouse://host:9000/db), not HTTP")
	}
	db := opts.Auth.Database
	if db == "" {
		db = "tally"
	}
	if !validName.MatchString(db) {
		return nil, fmt.Errorf("ClickHouse DSN: database name %q: want letters, digits and underscores", db)
	}
	if opts.Compression == nil {
		opts.Compression = &ch.Compression{Method: ch.CompressionLZ4}
	}
	if opts.DialTimeout == 0 {
		opts.DialTimeout = 10 * time.Second
	}
	if opts.MaxOpenConns == 0 {
		opts.MaxOpenConns = 10
	}

	// The database may not exist yet, so the first connection names none.
	boot := *opts
	boot.Auth.Database = ""
	bootConn, err := ch.Open(&boot)
	if err != nil {
		return nil, fmt.Errorf("connect to ClickHouse: %w", err)
	}
	err = bootConn.Exec(ctx, "CREATE DATABASE IF NOT EXISTS "+db)
	bootConn.Close()
	if err != nil {
		return nil, fmt.Errorf("create database %s: %w", db, err)
	}

	opts.Auth.Database = db
	conn, err := ch.Open(opts)
	if err != nil {
		return nil, fmt.Errorf("connect to ClickHouse: %w", err)
	}
	s := &Store{conn: conn, db: db}
	if err := s.migrate(ctx); err != nil {
		conn.Close()
		return nil, err
	}
	if err := s.conn.QueryRow(ctx, `SELECT max(day) FROM rollups_start`).Scan(&s.rollupsFrom); err != nil {
		conn.Close()
		return nil, fmt.Errorf("read rollups_start: %w", err)
	}
	return s, nil
}

func (s *Store) dialect() dialect { return dialect{rollupsFrom: s.rollupsFrom} }

func (s *Store) Ping(ctx context.Context) error { return s.conn.Ping(ctx) }

func (s *Store) Close() error { return s.conn.Close() }

// nextVersion orders the rows this process writes for one key: the wall
// clock in nanoseconds, but never less than one more than the last, so a
// clock step backwards cannot make a newer row lose to an older one.
func (s *Store) nextVersion() uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	v := uint64(time.Now().UnixNano())
	if v <= s.version {
		v = s.version + 1
	}
	s.version = v
	return v
}

// newID returns a random positive id below 2^53 (exact in JavaScript).
// ClickHouse has no sequences; at that width two ids collide with negligible
// probability, and an id is never reused.
func newID() int64 {
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(fmt.Sprintf("random id: %v", err))
	}
	return int64(binary.LittleEndian.Uint64(b[:])>>11) | 1
}

// waitMutations blocks until ClickHouse has finished every mutation
// (ALTER … DELETE) of table: mutations return before the rows are gone.
func (s *Store) waitMutations(ctx context.Context, table string) error {
	for delay := 10 * time.Millisecond; ; delay = min(delay*2, 500*time.Millisecond) {
		var pending uint64
		if err := s.conn.QueryRow(ctx, `SELECT count() FROM system.mutations
			WHERE database = ? AND table = ? AND is_done = 0`, s.db, table).Scan(&pending); err != nil {
			return fmt.Errorf("wait for mutations of %s: %w", table, err)
		}
		if pending == 0 {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("wait for mutations of %s: %w", table, ctx.Err())
		case <-time.After(delay):
		}
	}
}

// unix turns a stored DateTime back into the UTC instant the embedded store
// would return (whole seconds).
func unix(t time.Time) time.Time { return time.Unix(t.Unix(), 0).UTC() }

func boolByte(b bool) uint8 {
	if b {
		return 1
	}
	return 0
}
