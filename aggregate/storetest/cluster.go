package storetest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"tally/aggregate/clickhouse"
)

// ClusterName is the name of the throwaway cluster in its servers'
// remote_servers.
const ClusterName = "tally_test"

// Cluster is a throwaway ClickHouse cluster of 2 shards × 2 replicas: four
// clickhouse-server processes on free loopback ports and one ZooKeeper,
// started once per test package (stopped by Main).
type Cluster struct {
	// Nodes by shard, then replica: Nodes[0] and [1] are shard 1, [2]
	// and [3] shard 2.
	Nodes []*server
	zk    *exec.Cmd
	zkDir string
	bin   string
	drops sync.WaitGroup // test databases being dropped
}

var (
	clusterOnce sync.Once
	theCluster  *Cluster
	clusterErr  error
)

// ClickHouseCluster starts the package's cluster if needed (skipping
// loudly, or failing under TALLY_REQUIRE_CLICKHOUSE=1, without
// clickhouse-server or ZooKeeper).
func ClickHouseCluster(t testing.TB) *Cluster {
	t.Helper()
	bin := clickHouseBinary(t)
	jars := zooKeeperClasspath(t)
	clusterOnce.Do(func() { theCluster, clusterErr = startCluster(bin, jars) })
	if clusterErr != nil {
		t.Fatalf("start the ClickHouse cluster: %v", clusterErr)
	}
	return theCluster
}

// DSN returns the DSN of a fresh database on the cluster, naming its first
// node (the store finds the others in system.clusters). The database is
// dropped from every node when the test ends.
func (c *Cluster) DSN(t testing.TB) string {
	t.Helper()
	b := make([]byte, 6)
	rand.Read(b)
	db := "tally_cluster_" + hex.EncodeToString(b)
	// Dropping a database of replicated tables takes seconds: it is done
	// in the background (Main waits for it before stopping the cluster).
	t.Cleanup(func() {
		for _, n := range c.Nodes {
			c.drops.Add(1)
			go func() {
				defer c.drops.Done()
				n.query("DROP DATABASE IF EXISTS " + db)
			}()
		}
	})
	return fmt.Sprintf("clickhouse://default@127.0.0.1:%d/%s", c.Nodes[0].tcp, db)
}

// Store opens the cluster store at dsn (from DSN), closed when the test ends.
func (c *Cluster) Store(t testing.TB, dsn string) *clickhouse.Store {
	t.Helper()
	st, err := clickhouse.OpenCluster(context.Background(), dsn, ClusterName)
	if err != nil {
		t.Fatalf("open ClickHouse cluster store: %v", err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// Query runs a query on node i over HTTP and returns the raw answer.
func (c *Cluster) Query(t testing.TB, i int, query string) []byte {
	t.Helper()
	b, err := c.Nodes[i].query(query)
	if err != nil {
		t.Fatalf("ClickHouse node %d: query %q: %v", i, query, err)
	}
	return b
}

// Addr is node i's native address, host:port, as the cluster names it.
func (c *Cluster) Addr(i int) string { return fmt.Sprintf("127.0.0.1:%d", c.Nodes[i].tcp) }

// Stop kills node i (SIGKILL: a crash, and instant, where a clean
// shutdown of a server with replicated tables takes seconds), keeping its
// data; Start brings it back.
func (c *Cluster) Stop(t testing.TB, i int) {
	t.Helper()
	c.Nodes[i].kill()
}

// Start starts node i again (after Stop), waits until it answers, then
// until each of its replicated tables has fetched what its twins took
// while it was down (SYSTEM SYNC REPLICA). Without that wait a query in
// the first seconds can read the returning replica before it has loaded
// its replication queue and miss those rows (docs/clickhouse.md: nothing
// is lost, the answer is late).
func (c *Cluster) Start(t testing.TB, i int) {
	t.Helper()
	n := c.Nodes[i]
	if err := n.start(c.bin); err != nil {
		t.Fatalf("restart ClickHouse node %d: %v", i, err)
	}
	c.syncNode(t, i)
}

// Sync waits until every replica of every node has fetched what its twins
// took (SYSTEM SYNC REPLICA on each replicated table).
func (c *Cluster) Sync(t testing.TB) {
	t.Helper()
	for i := range c.Nodes {
		c.syncNode(t, i)
	}
}

func (c *Cluster) syncNode(t testing.TB, i int) {
	t.Helper()
	n := c.Nodes[i]
	b, err := n.query("SELECT database, table FROM system.replicas FORMAT TabSeparated")
	if err != nil {
		t.Fatalf("ClickHouse node %d: list replicas: %v", i, err)
	}
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		if f := strings.Fields(line); len(f) == 2 {
			// A loaded machine can expire a ZooKeeper session: the
			// server makes a new one; retry until then.
			for deadline := time.Now().Add(90 * time.Second); ; time.Sleep(500 * time.Millisecond) {
				_, err := n.query("SYSTEM SYNC REPLICA " + f[0] + "." + f[1])
				if err == nil {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("ClickHouse node %d: sync %s.%s: %v", i, f[0], f[1], err)
				}
			}
		}
	}
}

func (c *Cluster) stop() {
	c.drops.Wait()
	for _, n := range c.Nodes {
		n.kill() // its directory is removed: nothing to shut down cleanly
		os.RemoveAll(n.dir)
	}
	if c.zk != nil && c.zk.Process != nil {
		c.zk.Process.Kill()
		c.zk.Wait()
	}
	os.RemoveAll(c.zkDir)
}

// zooKeeperClasspath finds Debian's ZooKeeper jars (apt-get install
// zookeeper), or skips loudly like clickHouseBinary.
func zooKeeperClasspath(t testing.TB) string {
	t.Helper()
	var jars []string
	for _, j := range []string{"zookeeper", "zookeeper-jute", "slf4j-api", "slf4j-nop"} {
		jars = append(jars, "/usr/share/java/"+j+".jar")
	}
	_, javaErr := exec.LookPath("java")
	_, jarErr := os.Stat(jars[0])
	if javaErr != nil || jarErr != nil {
		msg := "\n" + strings.Repeat("!", 72) + "\n" +
			"!! ZooKeeper (or java) is not installed: SKIPPING the ClickHouse cluster tests.\n" +
			"!! Install it (apt-get install -y zookeeper) to run them;\n" +
			"!! set " + RequireClickHouse + "=1 to make this a failure.\n" +
			strings.Repeat("!", 72)
		if os.Getenv(RequireClickHouse) == "1" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	return strings.Join(jars, ":")
}

func startCluster(bin, classpath string) (c *Cluster, err error) {
	c = &Cluster{bin: bin}
	defer func() {
		if err != nil {
			c.stop()
		}
	}()
	zkPort, err := freePort()
	if err != nil {
		return nil, err
	}
	if err := c.startZooKeeper(classpath, zkPort); err != nil {
		return nil, err
	}
	type ports struct{ tcp, http, inter int }
	var ps [4]ports
	for i := range ps {
		for _, p := range []*int{&ps[i].tcp, &ps[i].http, &ps[i].inter} {
			if *p, err = freePort(); err != nil {
				return nil, err
			}
		}
	}
	var remote strings.Builder
	remote.WriteString("<remote_servers><" + ClusterName + ">")
	for shard := 0; shard < 2; shard++ {
		remote.WriteString("<shard><internal_replication>true</internal_replication>")
		for r := 0; r < 2; r++ {
			fmt.Fprintf(&remote, "<replica><host>127.0.0.1</host><port>%d</port></replica>", ps[shard*2+r].tcp)
		}
		remote.WriteString("</shard>")
	}
	remote.WriteString("</" + ClusterName + "></remote_servers>")
	for i, p := range ps {
		dir, err := os.MkdirTemp("", fmt.Sprintf("tally-clickhouse-node%d-", i))
		if err != nil {
			return nil, err
		}
		s := &server{dir: dir, tcp: p.tcp, http: p.http}
		c.Nodes = append(c.Nodes, s)
		for _, d := range []string{"log", "data", "tmp", "files"} {
			if err := os.MkdirAll(filepath.Join(dir, d), 0o700); err != nil {
				return nil, err
			}
		}
		extra := fmt.Sprintf(`  <interserver_http_host>127.0.0.1</interserver_http_host>
  <zookeeper><node><host>127.0.0.1</host><port>%d</port></node><session_timeout_ms>30000</session_timeout_ms></zookeeper>
  <macros><shard>%d</shard><replica>%d</replica></macros>
  %s
</yandex>
`, zkPort, i/2+1, i%2+1, remote.String())
		config := fmt.Sprintf(configXML, dir, dir, p.http, p.tcp, p.inter, dir, dir, dir, dir)
		config = strings.Replace(config, "</yandex>\n", extra, 1)
		if err := os.WriteFile(filepath.Join(dir, "config.xml"), []byte(config), 0o600); err != nil {
			return nil, err
		}
		// The profile of tally's user on a cluster reads and writes the
		// first replica of each shard that answers (docs/clickhouse.md).
		users := strings.Replace(usersXML, "<log_queries>1</log_queries>",
			"<log_queries>1</log_queries>\n    <load_balancing>in_order</load_balancing>", 1)
		if err := os.WriteFile(filepath.Join(dir, "users.xml"), []byte(users), 0o600); err != nil {
			return nil, err
		}
	}
	// Start the four at once: each takes a second or two.
	errs := make([]error, len(c.Nodes))
	var wg sync.WaitGroup
	for i, s := range c.Nodes {
		wg.Add(1)
		go func() { defer wg.Done(); errs[i] = s.start(bin) }()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			return nil, fmt.Errorf("node %d: %w", i, err)
		}
	}
	return c, nil
}

// startZooKeeper runs a standalone ZooKeeper from Debian's jars on port,
// its data in a temporary directory, and waits until it answers "imok".
func (c *Cluster) startZooKeeper(classpath string, port int) error {
	dir, err := os.MkdirTemp("", "tally-zookeeper-")
	if err != nil {
		return err
	}
	c.zkDir = dir
	cfg := fmt.Sprintf("tickTime=500\ndataDir=%s/data\nclientPort=%d\nclientPortAddress=127.0.0.1\nadmin.enableServer=false\nforceSync=no\nmaxClientCnxns=0\n4lw.commands.whitelist=ruok\n", dir, port)
	if err := os.WriteFile(filepath.Join(dir, "zoo.cfg"), []byte(cfg), 0o600); err != nil {
		return err
	}
	out, err := os.Create(filepath.Join(dir, "zookeeper.log"))
	if err != nil {
		return err
	}
	defer out.Close()
	c.zk = exec.Command("java", "-Xmx256m", "-cp", classpath, "org.apache.zookeeper.server.ZooKeeperServerMain", filepath.Join(dir, "zoo.cfg"))
	c.zk.Stdout, c.zk.Stderr = out, out
	c.zk.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := c.zk.Start(); err != nil {
		return err
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		if conn, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", port), time.Second); err == nil {
			conn.SetDeadline(time.Now().Add(2 * time.Second))
			conn.Write([]byte("ruok"))
			b := make([]byte, 4)
			n, _ := conn.Read(b)
			conn.Close()
			if string(b[:n]) == "imok" {
				return nil
			}
		}
		if time.Now().After(deadline) {
			log, _ := os.ReadFile(filepath.Join(dir, "zookeeper.log"))
			return fmt.Errorf("ZooKeeper did not answer within 60s:\n%s", log)
		}
		time.Sleep(200 * time.Millisecond)
	}
}
