package clickhouse

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"regexp"
	"sync"
	"time"

	ch "github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"tally/migrations"
)

// ClickHouse error codes the migrations tell apart.
const (
	codeSyntaxError  = 62
	codeTableExists  = 57
	codeUnknownTable = 60
	// A table being dropped at that moment: what 18.16 answers to a read
	// that races the DROP of the migration lock.
	codeTableIsDropped = 218
)

func isCode(err error, code int32) bool {
	var ex *ch.Exception
	return errors.As(err, &ex) && ex.Code == code
}

// migrate applies the migrations not yet recorded, then converts what
// migration 0004 left of the tables of sketches (legacy.go).
//
// Two instances may start at once. Until 0004 every statement was
// idempotent and a race only re-ran harmless ones; 0004 renames tables, and
// an instance that re-ran 0001 after another had renamed cells would create
// the old cells again where the new one belongs, and two instances
// converting the same legacy cells would write them twice. So the work runs
// under a lock (lockMigrations); an instance that finds nothing to do takes
// none. Each statement is still safe to re-run (a crash between a statement
// and the migration's record): see exec.
func (s *Store) migrate(ctx context.Context) error {
	if s.cluster != nil {
		return s.migrateCluster(ctx)
	}
	list, err := migrations.For("clickhouse")
	if err != nil {
		return err
	}
	if err := s.conn.Exec(ctx, createMigrationsTable); err != nil {
		return fmt.Errorf("create schema_migrations: %w", err)
	}
	pending, err := s.pendingMigrations(ctx, list)
	if err != nil {
		return err
	}
	legacy, err := s.legacyTables(ctx)
	if err != nil {
		return err
	}
	if len(pending) == 0 && len(legacy) == 0 {
		return nil
	}
	unlock, err := s.lockMigrations(ctx, s.conn)
	if err != nil {
		return err
	}
	defer unlock()
	// Another instance may have done it all while this one waited.
	if pending, err = s.pendingMigrations(ctx, list); err != nil {
		return err
	}
	for _, m := range pending {
		for _, st := range m.Statements() {
			if err := s.exec(ctx, st); err != nil {
				return fmt.Errorf("migration %s: %w", m.Name, err)
			}
		}
		if err := s.conn.Exec(ctx, `INSERT INTO schema_migrations (version, name, applied_at) SELECT ?, ?, now()`,
			uint32(m.Version), m.Name); err != nil {
			return fmt.Errorf("record migration %s: %w", m.Name, err)
		}
	}
	return s.convertLegacy(ctx)
}

// createMigrationsTable records the migrations applied. On a cluster each
// node has its own: it records what ran there.
const createMigrationsTable = `CREATE TABLE IF NOT EXISTS schema_migrations (
	version UInt32, name String, applied_at DateTime('UTC')
) ENGINE = MergeTree() ORDER BY version`

// pendingMigrations returns the migrations of list not recorded as applied.
func (s *Store) pendingMigrations(ctx context.Context, list []migrations.Migration) ([]migrations.Migration, error) {
	done, err := appliedOn(ctx, s.conn)
	if err != nil {
		return nil, err
	}
	var out []migrations.Migration
	for _, m := range list {
		if !done[uint32(m.Version)] {
			out = append(out, m)
		}
	}
	return out, nil
}

// appliedOn returns the versions recorded on the server of conn.
func appliedOn(ctx context.Context, conn driver.Conn) (map[uint32]bool, error) {
	done := map[uint32]bool{}
	rows, err := conn.Query(ctx, `SELECT DISTINCT version FROM schema_migrations`)
	if err != nil {
		return nil, fmt.Errorf("read schema_migrations: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var v uint32
		if err := rows.Scan(&v); err != nil {
			return nil, fmt.Errorf("read schema_migrations: %w", err)
		}
		done[v] = true
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read schema_migrations: %w", err)
	}
	return done, nil
}

var (
	addColumn    = regexp.MustCompile(`(?is)^\s*ALTER\s+TABLE\s+(\w+)\s+ADD\s+COLUMN\s+(\w+)\s`)
	renameLegacy = regexp.MustCompile(`(?is)^\s*RENAME\s+TABLE\s+(\w+)\s+TO\s+(legacy_\w+)\s*$`)
	dropTable    = regexp.MustCompile(`(?is)^\s*DROP\s+TABLE\s`)
)

// exec runs one migration statement so that running it again does no harm.
// 18.16 lacks RENAME … IF EXISTS and ADD COLUMN IF NOT EXISTS, so:
//
//   - RENAME TABLE t TO legacy_t runs only while t still has its sketch
//     column (the tables of sketches; the new cells has none) and legacy_t
//     does not exist: run again, it renames nothing, least of all the new
//     cells table;
//   - ALTER TABLE … ADD COLUMN that fails for a column that is there is done;
//   - DROP TABLE asks for SYNC, which current servers need to delete the
//     files now rather than minutes later (Atomic databases), and which
//     18.16, which deletes them at once, does not know.
func (s *Store) exec(ctx context.Context, st string) error { return s.execOn(ctx, s.conn, st) }

// execOn is exec on the server of conn.
func (s *Store) execOn(ctx context.Context, conn driver.Conn, st string) error {
	if m := renameLegacy.FindStringSubmatch(st); m != nil {
		old, err := s.hasColumn(ctx, conn, m[1], "sketch")
		if err != nil {
			return err
		}
		taken, err := s.tableExists(ctx, conn, m[2])
		if err != nil {
			return err
		}
		if !old || taken {
			return nil
		}
		return conn.Exec(ctx, st)
	}
	if dropTable.MatchString(st) {
		err := conn.Exec(ctx, st+" SYNC")
		if isCode(err, codeSyntaxError) {
			err = conn.Exec(ctx, st)
		}
		return err
	}
	err := conn.Exec(ctx, st)
	if err != nil {
		if m := addColumn.FindStringSubmatch(st); m != nil {
			if there, cerr := s.hasColumn(ctx, conn, m[1], m[2]); cerr == nil && there {
				return nil // another run added it before it was recorded
			}
		}
	}
	return err
}

// hasColumn reports whether table exists and has the column.
func (s *Store) hasColumn(ctx context.Context, conn driver.Conn, table, column string) (bool, error) {
	var n uint64
	err := conn.QueryRow(ctx, `SELECT count() FROM system.columns WHERE database = ? AND table = ? AND name = ?`,
		s.db, table, column).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("look up column %s.%s: %w", table, column, err)
	}
	return n > 0, nil
}

func (s *Store) tableExists(ctx context.Context, conn driver.Conn, table string) (bool, error) {
	var n uint64
	err := conn.QueryRow(ctx, `SELECT count() FROM system.tables WHERE database = ? AND name = ?`, s.db, table).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("look up table %s: %w", table, err)
	}
	return n > 0, nil
}

// dropSync drops a table, its files at once on every release (see exec).
func (s *Store) dropSync(ctx context.Context, table string) error {
	return s.exec(ctx, "DROP TABLE IF EXISTS "+table)
}

// The migration lock is a table: CREATE TABLE without IF NOT EXISTS
// succeeds for exactly one of the instances that race to create it. The
// holder adds a row to it every lockBeat; the others poll it, and take it
// over when no row has been added for lockStale (its holder died: killed in
// the middle of a long conversion, say). Dropping the table releases it.
const lockTable = "migration_lock"

var (
	lockBeat  = 5 * time.Second
	lockStale = time.Minute
	lockPoll  = 250 * time.Millisecond
)

// lockMigrations waits until this instance holds the migration lock and
// returns the function that releases it.
func (s *Store) lockMigrations(ctx context.Context, conn driver.Conn) (unlock func(), err error) {
	me := randomHex()
	seen, since := int64(-1), time.Now()
	for {
		err := conn.Exec(ctx, `CREATE TABLE `+lockTable+` (holder String, beat DateTime('UTC')) ENGINE = Log`)
		if err == nil {
			break
		}
		if !isCode(err, codeTableExists) {
			return nil, fmt.Errorf("take the migration lock: %w", err)
		}
		var n uint64
		err = conn.QueryRow(ctx, `SELECT count() FROM `+lockTable).Scan(&n)
		switch {
		case isCode(err, codeUnknownTable), isCode(err, codeTableIsDropped):
			continue // released meanwhile
		case err != nil:
			return nil, fmt.Errorf("read the migration lock: %w", err)
		case int64(n) != seen:
			seen, since = int64(n), time.Now()
		case time.Since(since) >= lockStale:
			if err := s.breakLock(ctx, conn, n); err != nil {
				return nil, err
			}
			seen, since = -1, time.Now()
			continue
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("wait for the migration lock (another instance is migrating): %w", ctx.Err())
		case <-time.After(lockPoll):
		}
	}
	beat := func(ctx context.Context) error {
		return conn.Exec(ctx, `INSERT INTO `+lockTable+` (holder, beat) SELECT ?, now()`, me)
	}
	if err := beat(ctx); err != nil {
		conn.Exec(context.Background(), `DROP TABLE IF EXISTS `+lockTable)
		return nil, fmt.Errorf("take the migration lock: %w", err)
	}
	stop, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		for {
			select {
			case <-stop:
				return
			case <-time.After(lockBeat):
				bctx, cancel := context.WithTimeout(context.Background(), lockStale/2)
				beat(bctx) // a missed beat is retried at the next
				cancel()
			}
		}
	}()
	var once sync.Once
	return func() {
		once.Do(func() {
			close(stop)
			<-done
			// Drop it only if it is still this instance's.
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			var others uint64
			if err := conn.QueryRow(ctx, `SELECT count() FROM `+lockTable+` WHERE holder != ?`, me).Scan(&others); err == nil && others == 0 {
				conn.Exec(ctx, `DROP TABLE IF EXISTS `+lockTable)
			}
		})
	}, nil
}

// breakLock removes a lock whose holder stopped beating (it held rows
// rows). Renaming is atomic: of the instances that break the lock at once
// one gets it; if what it got has more rows than it saw, the lock came back
// to life (or was retaken) meanwhile, and it is put back.
func (s *Store) breakLock(ctx context.Context, conn driver.Conn, rows uint64) error {
	stale := lockTable + "_stale_" + randomHex()
	if err := conn.Exec(ctx, `RENAME TABLE `+lockTable+` TO `+stale); err != nil {
		if isCode(err, codeUnknownTable) {
			return nil // released or broken by another meanwhile
		}
		return fmt.Errorf("break a stale migration lock: %w", err)
	}
	var n uint64
	if err := conn.QueryRow(ctx, `SELECT count() FROM `+stale).Scan(&n); err != nil {
		return fmt.Errorf("break a stale migration lock: %w", err)
	}
	if n != rows {
		if err := conn.Exec(ctx, `RENAME TABLE `+stale+` TO `+lockTable); err == nil || !isCode(err, codeTableExists) {
			return err
		}
	}
	return conn.Exec(ctx, `DROP TABLE IF EXISTS `+stale)
}

func randomHex() string {
	b := make([]byte, 8)
	if _, err := rand.Read(b); err != nil {
		panic(fmt.Sprintf("random: %v", err))
	}
	return hex.EncodeToString(b)
}
