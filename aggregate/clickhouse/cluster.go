package clickhouse

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sort"
	"strconv"
	"strings"
	"sync"

	ch "github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
)

// cluster is what the store knows of a ClickHouse cluster (--clickhouse-cluster):
// its nodes as the servers' remote_servers list them, and which tables are
// sharded. Tables come in two kinds (docs/clickhouse.md, "Cluster"):
//
//   - sharded: a table of batches of counters (it has instance and seq
//     columns: cells, rollups and the like) is a replicated table
//     <name>_local on every node, its rows spread over the shards by site
//     and UTC day, and <name> is a Distributed table over them, which every
//     query and insert uses;
//   - everywhere: every other table (sites, users, keys, shares …) is one
//     replicated table with one copy on every node, so any node answers
//     for all of it and a write anywhere reaches all.
//
// The rule is read from the migrations (schema.go), so a new table needs no
// Go code to live on a cluster.
type cluster struct {
	name    string
	nodes   []*node // by shard, then replica
	shards  int
	sharded map[string]bool // table name → sharded
}

// node is one server of the cluster, with its own small connection pool for
// what must run on each server (DDL, mutations, partition drops, the batch
// lookup, health).
type node struct {
	shard, replica int
	addr           string
	conn           driver.Conn
}

func (n *node) String() string {
	return fmt.Sprintf("shard %d replica %d (%s)", n.shard, n.replica, n.addr)
}

// openCluster reads the cluster's nodes from the server conn is connected
// to and opens a connection pool to each (connecting lazily).
func openCluster(ctx context.Context, conn driver.Conn, name string, opts *ch.Options) (*cluster, error) {
	rows, err := conn.Query(ctx, `SELECT shard_num, replica_num, host_name, port FROM system.clusters WHERE cluster = ?`, name)
	if err != nil {
		return nil, fmt.Errorf("read cluster %s: %w", name, err)
	}
	defer rows.Close()
	c := &cluster{name: name}
	for rows.Next() {
		var shard, replica uint32
		var host string
		var port uint16
		if err := rows.Scan(&shard, &replica, &host, &port); err != nil {
			return nil, fmt.Errorf("read cluster %s: %w", name, err)
		}
		c.nodes = append(c.nodes, &node{shard: int(shard), replica: int(replica),
			addr: net.JoinHostPort(host, strconv.Itoa(int(port)))})
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read cluster %s: %w", name, err)
	}
	if len(c.nodes) == 0 {
		return nil, fmt.Errorf("cluster %s: the server has no such cluster in its remote_servers", name)
	}
	sort.Slice(c.nodes, func(i, j int) bool {
		a, b := c.nodes[i], c.nodes[j]
		return a.shard < b.shard || a.shard == b.shard && a.replica < b.replica
	})
	for _, n := range c.nodes {
		o := *opts
		o.Addr = []string{n.addr}
		o.MaxOpenConns, o.MaxIdleConns = 4, 2
		if n.conn, err = ch.Open(&o); err != nil {
			c.close()
			return nil, fmt.Errorf("cluster %s: connect to %s: %w", name, n, err)
		}
		c.shards = max(c.shards, n.shard)
	}
	return c, nil
}

func (c *cluster) close() {
	for _, n := range c.nodes {
		if n.conn != nil {
			n.conn.Close()
		}
	}
}

// local is the name of the table that holds a table's rows on one node.
func (c *cluster) local(table string) string {
	if c != nil && c.sharded[table] {
		return table + "_local"
	}
	return table
}

// unreachable tells a node that does not answer from a server that answers
// with an error.
func unreachable(err error) bool {
	var ex *ch.Exception
	return err != nil && !errors.As(err, &ex) && !errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded)
}

// ShardDownError says that no replica of a shard answered: what the cluster
// holds there cannot be read, written or deleted until one is back.
type ShardDownError struct {
	Shard int
	Nodes []string // the shard's replicas, host:port
	Err   error    // the last replica's error
}

func (e *ShardDownError) Error() string {
	return fmt.Sprintf("shard %d unreachable (%s): %v", e.Shard, strings.Join(e.Nodes, ", "), e.Err)
}

func (e *ShardDownError) Unwrap() error { return e.Err }

// onEveryCopy runs f on every node that holds a copy of table's rows (on
// one server: that server), concurrently, with the name of the table there.
// Nodes that do not answer are skipped, since every statement the store
// runs this way (mutations, partition drops) is replicated through
// ZooKeeper and reaches a replica when it is back; but a shard of which no
// replica answered is an error, a ShardDownError.
func (s *Store) onEveryCopy(ctx context.Context, table string, f func(ctx context.Context, conn driver.Conn, local string) error) error {
	c := s.cluster
	if c == nil {
		return f(ctx, s.conn, table)
	}
	local := c.local(table)
	errs := make([]error, len(c.nodes))
	var wg sync.WaitGroup
	for i, n := range c.nodes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = f(ctx, n.conn, local)
		}()
	}
	wg.Wait()
	return c.settle(errs)
}

// settle turns the errors of one statement run on every node into the
// store's answer: the first server error; else a ShardDownError for the
// first shard of which no node answered; else nil.
func (c *cluster) settle(errs []error) error {
	answered := map[int]bool{}
	for i, err := range errs {
		if err != nil && !unreachable(err) {
			return fmt.Errorf("%s: %w", c.nodes[i], err)
		}
		if err == nil {
			answered[c.nodes[i].shard] = true
		}
	}
	for shard := 1; shard <= c.shards; shard++ {
		if !answered[shard] {
			return c.shardDown(shard, errs)
		}
	}
	return nil
}

func (c *cluster) shardDown(shard int, errs []error) *ShardDownError {
	e := &ShardDownError{Shard: shard}
	for i, n := range c.nodes {
		if n.shard == shard {
			e.Nodes = append(e.Nodes, n.addr)
			if errs != nil && errs[i] != nil {
				e.Err = errs[i]
			}
		}
	}
	if e.Err == nil {
		e.Err = errors.New("no replica answered")
	}
	return e
}

// NodeStatus is one node of a cluster and whether it answered.
type NodeStatus struct {
	Shard, Replica int
	Addr           string
	Err            error // nil: it answered
}

// Nodes pings every node of the cluster (none on one server). What it
// says is what /api/health and /metrics report.
func (s *Store) Nodes(ctx context.Context) []NodeStatus {
	if s.cluster == nil {
		return nil
	}
	out := make([]NodeStatus, len(s.cluster.nodes))
	var wg sync.WaitGroup
	for i, n := range s.cluster.nodes {
		out[i] = NodeStatus{Shard: n.shard, Replica: n.replica, Addr: n.addr}
		wg.Add(1)
		go func() {
			defer wg.Done()
			out[i].Err = n.conn.Ping(ctx)
		}()
	}
	wg.Wait()
	return out
}

// explain replaces an error of a query through a Distributed table with a
// ShardDownError when a whole shard is down, so that the caller (and the
// operator reading the log) learns which; other errors are returned as
// they are.
func (s *Store) explain(ctx context.Context, err error) error {
	if err == nil || s.cluster == nil {
		return err
	}
	errs := make([]error, len(s.cluster.nodes))
	for i, st := range s.Nodes(ctx) {
		errs[i] = st.Err
		if st.Err != nil && !unreachable(st.Err) {
			errs[i] = nil // it answered, if only with an error
		}
	}
	for shard := 1; shard <= s.cluster.shards; shard++ {
		down := true
		for i, n := range s.cluster.nodes {
			if n.shard == shard && errs[i] == nil {
				down = false
			}
		}
		if down {
			e := s.cluster.shardDown(shard, errs)
			e.Err = err
			return e
		}
	}
	return err
}

// checkLoadBalancing refuses a cluster whose servers would send the
// queries and inserts of tally's user to any replica of a shard. A read
// that follows a write must see it (a dashboard right after a checkpoint,
// the conformance suite after every write), and a replica may lag its twin
// by the parts it has not fetched yet: with load_balancing = in_order,
// every insert and every query go to the first replica of each shard that
// answers, and the second serves when the first is down. A string setting
// cannot be sent by the client to 18.16, so it belongs in the profile of
// tally's user in the servers' users.xml (docs/clickhouse.md).
func (s *Store) checkLoadBalancing(ctx context.Context) error {
	if s.cluster == nil {
		return nil
	}
	var v string
	if err := s.conn.QueryRow(ctx, `SELECT value FROM system.settings WHERE name = 'load_balancing'`).Scan(&v); err != nil {
		return fmt.Errorf("read load_balancing: %w", err)
	}
	if v != "in_order" {
		return fmt.Errorf("cluster %s: the profile of tally's user has load_balancing = %s; set <load_balancing>in_order</load_balancing> in the servers' users.xml (docs/clickhouse.md)", s.cluster.name, v)
	}
	return nil
}
