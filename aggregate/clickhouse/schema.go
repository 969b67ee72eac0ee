package clickhouse

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"sync"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"tally/migrations"
)

// On a cluster the migrations are the same files, applied to every node
// with each statement rewritten (clusterStatements), not ON CLUSTER: that
// needs the servers' distributed DDL queue configured, and per-node DDL
// works the same on 18.16 and on current servers. Each node records the
// migrations it has in its own schema_migrations, so a node that was down
// is brought up to date by the next start of any instance.

var (
	createTable  = regexp.MustCompile(`(?is)^\s*CREATE\s+TABLE\s+IF\s+NOT\s+EXISTS\s+(\w+)\s*\((.*)\)\s*ENGINE\s*=\s*(\w*MergeTree)\s*\(([^)]*)\)(.*)$`)
	batchColumns = regexp.MustCompile(`(?is)\binstance\s+String\b.*\bseq\s+UInt64\b|\bseq\s+UInt64\b.*\binstance\s+String\b`)
	siteColumn   = regexp.MustCompile(`(?is)(^|[\s,(])site_id\s+Int64\b`)
	partitionCol = regexp.MustCompile(`(?is)\bPARTITION\s+BY\s+\w+\(\s*(\w+)\s*\)`)
	alterTable   = regexp.MustCompile(`(?is)^\s*ALTER\s+TABLE\s+(\w+)\s+(.*)$`)
	renameTable  = regexp.MustCompile(`(?is)^\s*RENAME\s+TABLE\s+(\w+)\s+TO\s+(\w+)\s*$`)
	dropIfExists = regexp.MustCompile(`(?is)^\s*DROP\s+TABLE\s+IF\s+EXISTS\s+(\w+)\s*$`)
	createView   = regexp.MustCompile(`(?is)^(\s*CREATE\s+MATERIALIZED\s+VIEW\s+IF\s+NOT\s+EXISTS\s+\w+\s+TO\s+)(\w+)(\s+AS\s.*)$`)
	fromTable    = regexp.MustCompile(`(?is)\bFROM\s+(\w+)\b`)
	insertSelect = regexp.MustCompile(`(?is)^\s*INSERT\s+INTO\s+\w+\s*\([^)]*\)\s*SELECT\s`)
)

// isSharded is the cluster rule: a table of counters — one of batches,
// with instance and seq columns, or a SummingMergeTree, which a view fills
// from one (0008's rollups) — is sharded; every other table has a copy on
// every node. A view's table must live where its source rows do: a copy on
// every node would be read before replication brought it the other nodes'
// rows, and would answer while a shard is down.
func isSharded(columns, engine string) bool {
	return batchColumns.MatchString(columns) || strings.EqualFold(engine, "SummingMergeTree")
}

// clusterStatements rewrites one migration statement for a cluster and
// returns what to run on every node, in order. kinds (table → sharded)
// is updated by CREATE TABLE, so that later statements of later
// migrations address the table as it was created. The ZooKeeper path of a
// replicated table names the database, the table and the migration that
// created it, so that a table created again under the same name (0004's
// cells) never meets its predecessor's replicas.
//
//   - CREATE TABLE … ENGINE = XMergeTree(args): sharded, <t>_local with
//     ReplicatedXMergeTree('…/{shard}', '{replica}', args) and <t> as
//     Distributed(cluster, db, <t>_local, site_id + day) — the sharding key
//     keeps a site's day on one shard and spreads its days over all of them;
//     everywhere, <t> with ReplicatedXMergeTree('…', '{shard}-{replica}',
//     args): one path for all nodes, a replica name unique in the cluster.
//   - ALTER TABLE t ADD COLUMN: on <t>_local and <t> (sharded) or <t>.
//   - DROP TABLE IF EXISTS t: <t> and <t>_local.
//   - RENAME TABLE: see renameOnCluster.
//   - CREATE MATERIALIZED VIEW … TO t AS SELECT … FROM u: on every node,
//     over the node's own rows (u_local where u is sharded) into t_local or
//     t: a view fires for the inserts its node takes, so each block of a
//     sharded table feeds it once (internal_replication: a Distributed
//     insert reaches one replica of a shard, which replicates the part, and
//     a replicated part does not fire views).
//   - INSERT INTO t (…) SELECT …: as it is, on every node (reading the
//     Distributed tables); a table it fills must tolerate the copies (0008's
//     rollups_start, of which the latest day counts).
//
// Anything else is refused: a migration that a cluster cannot run must
// say how it can, here, before it is released.
func clusterStatements(st, db, clusterName string, version int, kinds map[string]bool) ([]string, error) {
	if m := createTable.FindStringSubmatch(st); m != nil {
		table, columns, engine, args, rest := m[1], m[2], m[3], strings.TrimSpace(m[4]), m[5]
		sharded := isSharded(columns, engine)
		kinds[table] = sharded
		path := fmt.Sprintf("/clickhouse/tally/%s/%s/%d", db, table, version)
		replica := "{shard}-{replica}"
		name := table
		if sharded {
			if !siteColumn.MatchString(columns) {
				return nil, fmt.Errorf("table %s holds counters but no site_id Int64 to shard by", table)
			}
			path += "/{shard}"
			replica = "{replica}"
			name = table + "_local"
		}
		engineArgs := fmt.Sprintf("'%s', '%s'", path, replica)
		if args != "" {
			engineArgs += ", " + args
		}
		out := []string{fmt.Sprintf("CREATE TABLE IF NOT EXISTS %s (%s) ENGINE = Replicated%s(%s)%s",
			name, columns, engine, engineArgs, rest)}
		if sharded {
			key := "site_id"
			if p := partitionCol.FindStringSubmatch(rest); p != nil {
				key = fmt.Sprintf("site_id + toRelativeDayNum(%s)", p[1])
			}
			out = append(out, fmt.Sprintf("CREATE TABLE IF NOT EXISTS %s AS %s ENGINE = Distributed(%s, %s, %s, %s)",
				table, name, clusterName, db, name, key))
		}
		return out, nil
	}
	if m := addColumn.FindStringSubmatch(st); m != nil {
		if kinds[m[1]] {
			rest := alterTable.FindStringSubmatch(st)[2]
			return []string{"ALTER TABLE " + m[1] + "_local " + rest, st}, nil
		}
		return []string{st}, nil
	}
	if m := dropIfExists.FindStringSubmatch(st); m != nil {
		delete(kinds, m[1])
		return []string{st, "DROP TABLE IF EXISTS " + m[1] + "_local"}, nil
	}
	if renameTable.MatchString(st) {
		return []string{st}, nil // renameOnCluster
	}
	if m := createView.FindStringSubmatch(st); m != nil {
		local := func(t string) string {
			if kinds[t] {
				return t + "_local"
			}
			return t
		}
		body := fromTable.ReplaceAllStringFunc(m[3], func(from string) string {
			f := fromTable.FindStringSubmatch(from)
			return from[:len(from)-len(f[1])] + local(f[1])
		})
		return []string{m[1] + local(m[2]) + body}, nil
	}
	if insertSelect.MatchString(st) {
		return []string{st}, nil
	}
	return nil, fmt.Errorf("statement not supported on a cluster (aggregate/clickhouse/schema.go): %.80s", st)
}

// renameOnCluster runs 0004's RENAME TABLE cells TO legacy_cells on one
// node of a cluster. Tables can be renamed only with what refers to them
// (a Distributed table names its local table, a replicated one keeps its
// ZooKeeper path), and a cluster never held the tables of sketches that
// 0004 renames to convert them: cluster support came later. So the table,
// which the same run of the migrations created empty, is dropped — after
// checking that it is empty.
func (s *Store) renameOnCluster(ctx context.Context, conn driver.Conn, st string) error {
	m := renameTable.FindStringSubmatch(st)
	for _, t := range []string{m[1], m[1] + "_local"} {
		there, err := s.tableExists(ctx, conn, t)
		if err != nil || !there {
			if err != nil {
				return err
			}
			continue
		}
		var n uint64
		if err := conn.QueryRow(ctx, "SELECT count() FROM "+t).Scan(&n); err != nil {
			return fmt.Errorf("count rows of %s: %w", t, err)
		}
		if n > 0 {
			return fmt.Errorf("%s has %d rows to rename to %s: a cluster cannot convert the tables of versions before it", t, n, m[2])
		}
		if err := s.execOn(ctx, conn, "DROP TABLE IF EXISTS "+t); err != nil {
			return err
		}
	}
	return nil
}

// migrateCluster applies the migrations on every node of the cluster.
// With nothing to do it only learns which tables are sharded; with
// something to do every node must answer, and the work runs under the
// migration lock, held on the cluster's first node.
func (s *Store) migrateCluster(ctx context.Context) error {
	c := s.cluster
	list, err := migrations.For("clickhouse")
	if err != nil {
		return err
	}
	pending, err := s.clusterPending(ctx, list)
	if err != nil {
		return err
	}
	if pending != nil {
		unlock, err := s.lockMigrations(ctx, c.nodes[0].conn)
		if err != nil {
			return err
		}
		defer unlock()
		if pending, err = s.clusterPending(ctx, list); err != nil {
			return err
		}
	}
	kinds := map[string]bool{}
	for _, m := range list {
		var on []*node
		for i, n := range c.nodes {
			if pending != nil && pending[i][m.Version] {
				on = append(on, n)
			}
		}
		for _, st := range m.Statements() {
			sts, err := clusterStatements(st, s.db, c.name, m.Version, kinds)
			if err != nil {
				return fmt.Errorf("migration %s: %w", m.Name, err)
			}
			// Nodes in parallel (each creating a replicated table waits on
			// ZooKeeper), except ALTERs: replicas of one table alter it
			// together through ZooKeeper, one at a time is clearer.
			run := func(n *node) error {
				for _, st := range sts {
					var err error
					if renameTable.MatchString(st) {
						err = s.renameOnCluster(ctx, n.conn, st)
					} else {
						err = s.execOn(ctx, n.conn, st)
					}
					if err != nil {
						return fmt.Errorf("migration %s on %s: %w", m.Name, n, err)
					}
				}
				return nil
			}
			if alterTable.MatchString(st) {
				for _, n := range on {
					if err := run(n); err != nil {
						return err
					}
				}
			} else if err := eachNode(on, run); err != nil {
				return err
			}
		}
		err := eachNode(on, func(n *node) error {
			if err := n.conn.Exec(ctx, `INSERT INTO schema_migrations (version, name, applied_at) SELECT ?, ?, now()`,
				uint32(m.Version), m.Name); err != nil {
				return fmt.Errorf("record migration %s on %s: %w", m.Name, n, err)
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	c.sharded = kinds
	return nil
}

// eachNode runs f on nodes concurrently and returns the first error.
func eachNode(nodes []*node, f func(*node) error) error {
	errs := make([]error, len(nodes))
	var wg sync.WaitGroup
	for i, n := range nodes {
		wg.Add(1)
		go func() { defer wg.Done(); errs[i] = f(n) }()
	}
	wg.Wait()
	return errors.Join(errs...)
}

// clusterPending returns, per node, the versions it has not applied, or
// nil when every node has them all. Pending work needs every node: a node
// that does not answer then is an error naming it.
func (s *Store) clusterPending(ctx context.Context, list []migrations.Migration) ([]map[int]bool, error) {
	c := s.cluster
	out := make([]map[int]bool, len(c.nodes))
	errs := make([]error, len(c.nodes))
	var wg sync.WaitGroup
	for i, n := range c.nodes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := n.conn.Exec(ctx, createMigrationsTable); err != nil {
				errs[i] = err
				return
			}
			done, err := appliedOn(ctx, n.conn)
			if err != nil {
				errs[i] = err
				return
			}
			out[i] = map[int]bool{}
			for _, m := range list {
				if !done[uint32(m.Version)] {
					out[i][m.Version] = true
				}
			}
		}()
	}
	wg.Wait()
	any := false
	for i := range c.nodes {
		if errs[i] != nil && !unreachable(errs[i]) {
			return nil, fmt.Errorf("read schema_migrations on %s: %w", c.nodes[i], errs[i])
		}
		any = any || len(out[i]) > 0
	}
	if !any {
		return nil, nil
	}
	for i, n := range c.nodes {
		if errs[i] != nil {
			return nil, fmt.Errorf("migrations to apply, and %s does not answer (every node must be up to migrate): %w", n, errs[i])
		}
	}
	return out, nil
}

// checkCluster refuses a database whose tables are of the other kind: a
// cluster's database opened as one server (its cells are Distributed, and
// deletions would miss the shards), or one server's opened as a cluster
// (nothing would be replicated or sharded).
func (s *Store) checkCluster(ctx context.Context) error {
	var engine string
	err := s.conn.QueryRow(ctx, `SELECT engine FROM system.tables WHERE database = ? AND name = 'cells'`, s.db).Scan(&engine)
	if err != nil {
		return fmt.Errorf("look up cells: %w", err)
	}
	switch {
	case s.cluster == nil && engine == "Distributed":
		return fmt.Errorf("database %s is a cluster's (cells is Distributed): give its cluster (--clickhouse-cluster)", s.db)
	case s.cluster != nil && engine != "Distributed":
		return fmt.Errorf("database %s was made for one server (cells is %s): a cluster needs a new database (docs/clickhouse.md)", s.db, engine)
	}
	return nil
}
