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
	"slices"
	"sync"
	"time"

	ch "github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"tally/aggregate"
)

var _ aggregate.Store = (*Store)(nil)

// Store is the ClickHouse store.
type Store struct {
	// conn reaches the server of the DSN; on a cluster, the first that
	// answers of the DSN's hosts and then the cluster's nodes in order, so
	// every instance given the same DSN reads and writes the tables that
	// have a copy on every node at the same node while it is up.
	conn    driver.Conn
	db      string
	cluster *cluster // nil: one server

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
func Open(ctx context.Context, dsn string) (*Store, error) { return OpenCluster(ctx, dsn, "") }

// OpenCluster is Open on the ClickHouse cluster named clusterName in the
// servers' remote_servers (the DSN names one or more of its nodes), or on
// one server if clusterName is empty: the database is created on every
// node, and the migrations make its tables replicated and sharded
// (cluster.go, schema.go).
func OpenCluster(ctx context.Context, dsn, clusterName string) (*Store, error) {
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
	if clusterName != "" && !validName.MatchString(clusterName) {
		return nil, fmt.Errorf("ClickHouse cluster name %q: want letters, digits and underscores", clusterName)
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
	if err := createDatabase(ctx, &boot, db); err != nil {
		return nil, err
	}
	s := &Store{db: db}
	if clusterName != "" {
		bootConn, err := ch.Open(&boot)
		if err != nil {
			return nil, fmt.Errorf("connect to ClickHouse: %w", err)
		}
		withDB := *opts
		withDB.Auth.Database = db
		s.cluster, err = openCluster(ctx, bootConn, clusterName, &withDB)
		bootConn.Close()
		if err != nil {
			return nil, err
		}
		for _, n := range s.cluster.nodes {
			o := boot
			o.Addr = []string{n.addr}
			if err := createDatabase(ctx, &o, db); err != nil && !unreachable(err) {
				s.cluster.close()
				return nil, fmt.Errorf("%s: %w", n, err)
			}
			if !slices.Contains(opts.Addr, n.addr) {
				opts.Addr = append(opts.Addr, n.addr)
			}
		}
		opts.ConnOpenStrategy = ch.ConnOpenInOrder
	}

	opts.Auth.Database = db
	if s.conn, err = ch.Open(opts); err != nil {
		s.Close()
		return nil, fmt.Errorf("connect to ClickHouse: %w", err)
	}
	if err := s.checkLoadBalancing(ctx); err != nil {
		s.Close()
		return nil, err
	}
	if err := s.migrate(ctx); err != nil {
		s.Close()
		return nil, err
	}
	if err := s.checkCluster(ctx); err != nil {
		s.Close()
		return nil, err
	}
	if err := s.conn.QueryRow(ctx, `SELECT max(day) FROM rollups_start`).Scan(&s.rollupsFrom); err != nil {
		s.Close()
		return nil, fmt.Errorf("read rollups_start: %w", err)
	}
	return s, nil
}

func (s *Store) dialect() dialect { return dialect{rollupsFrom: s.rollupsFrom} }

// createDatabase creates db on the server opts reaches first.
func createDatabase(ctx context.Context, opts *ch.Options, db string) error {
	conn, err := ch.Open(opts)
	if err != nil {
		return fmt.Errorf("connect to ClickHouse: %w", err)
	}
	defer conn.Close()
	if err := conn.Exec(ctx, "CREATE DATABASE IF NOT EXISTS "+db); err != nil {
		return fmt.Errorf("create database %s: %w", db, err)
	}
	return nil
}

// Ping reports whether the store can be used: on a cluster, an error if a
// whole shard is down (a replica down is reported by Nodes only).
func (s *Store) Ping(ctx context.Context) error {
	if s.cluster == nil {
		return s.conn.Ping(ctx)
	}
	nodes := s.Nodes(ctx)
	errs := make([]error, len(nodes))
	for i, n := range nodes {
		errs[i] = n.Err
	}
	return s.cluster.settle(errs)
}

func (s *Store) Close() error {
	if s.cluster != nil {
		s.cluster.close()
	}
	if s.conn == nil {
		return nil
	}
	return s.conn.Close()
}

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

// waitMutations blocks until the server of conn has finished every
// mutation (ALTER … DELETE) of table: mutations return before the rows
// are gone.
func (s *Store) waitMutations(ctx context.Context, conn driver.Conn, table string) error {
	for delay := 10 * time.Millisecond; ; delay = min(delay*2, 500*time.Millisecond) {
		var pending uint64
		if err := conn.QueryRow(ctx, `SELECT count() FROM system.mutations
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
