package storetest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"tally/aggregate"
	"tally/aggregate/clickhouse"
)

// RequireClickHouse is the environment variable that turns a missing
// clickhouse-server from a skip into a failure (CI sets it).
const RequireClickHouse = "TALLY_REQUIRE_CLICKHOUSE"

// server is one throwaway clickhouse-server: a temporary directory with its
// config, data and logs, listening on free loopback ports.
type server struct {
	dir       string
	tcp, http int
	cmd       *exec.Cmd
}

var (
	srvOnce sync.Once
	srv     *server
	srvErr  error
)

// Main runs a test package and then stops the ClickHouse server and
// cluster its tests started, if any. Call it from TestMain: func TestMain(m *testing.M) { storetest.Main(m) }.
func Main(m *testing.M) {
	code := m.Run()
	if srv != nil {
		srv.stop()
	}
	if theCluster != nil {
		theCluster.stop()
	}
	os.Exit(code)
}

// ClickHouse returns a ClickHouse store on a fresh database of the package's
// throwaway server, dropped when the test ends.
func ClickHouse(t testing.TB) aggregate.Store {
	t.Helper()
	return ClickHouseAt(t, ClickHouseDSN(t))
}

// ClickHouseAt opens the ClickHouse store at dsn (from ClickHouseDSN), closed
// when the test ends.
func ClickHouseAt(t testing.TB, dsn string) aggregate.Store {
	t.Helper()
	st, err := clickhouse.Open(context.Background(), dsn)
	if err != nil {
		t.Fatalf("open ClickHouse store: %v", err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// ClickHouseDSN starts the package's server if needed and returns the DSN
// of a fresh database name on it (the store creates the database). The
// database is dropped when the test ends.
func ClickHouseDSN(t testing.TB) string {
	t.Helper()
	s := clickHouseServer(t)
	b := make([]byte, 6)
	rand.Read(b)
	db := "tally_test_" + hex.EncodeToString(b)
	t.Cleanup(func() {
		if _, err := s.query("DROP DATABASE IF EXISTS " + db); err != nil {
			t.Logf("drop test database %s: %v", db, err)
		}
	})
	return fmt.Sprintf("clickhouse://default@127.0.0.1:%d/%s", s.tcp, db)
}

// ClickHouseQuery runs a query on the package's server over HTTP and returns
// the raw answer, e.g. "SELECT * FROM db.cells FORMAT RowBinary".
func ClickHouseQuery(t testing.TB, query string) []byte {
	t.Helper()
	b, err := clickHouseServer(t).query(query)
	if err != nil {
		t.Fatalf("ClickHouse query %q: %v", query, err)
	}
	return b
}

// DatabaseOf returns the database named in a ClickHouse DSN.
func DatabaseOf(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil {
		return ""
	}
	return strings.TrimPrefix(u.Path, "/")
}

func clickHouseServer(t testing.TB) *server {
	t.Helper()
	bin := clickHouseBinary(t)
	srvOnce.Do(func() { srv, srvErr = startServer(bin) })
	if srvErr != nil {
		t.Fatalf("start clickhouse-server: %v", srvErr)
	}
	return srv
}

// clickHouseBinary finds clickhouse-server, or skips loudly (fails under
// TALLY_REQUIRE_CLICKHOUSE=1).
func clickHouseBinary(t testing.TB) string {
	t.Helper()
	bin, err := exec.LookPath("clickhouse-server")
	if err != nil {
		msg := "\n" + strings.Repeat("!", 72) + "\n" +
			"!! clickhouse-server is not installed: SKIPPING the ClickHouse store tests.\n" +
			"!! Install it (apt-get install -y clickhouse-server) to run them;\n" +
			"!! set " + RequireClickHouse + "=1 to make this a failure.\n" +
			strings.Repeat("!", 72)
		if os.Getenv(RequireClickHouse) == "1" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	return bin
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func startServer(bin string) (*server, error) {
	dir, err := os.MkdirTemp("", "tally-clickhouse-")
	if err != nil {
		return nil, err
	}
	s := &server{dir: dir}
	var other int
	for _, p := range []*int{&s.tcp, &s.http, &other} {
		if *p, err = freePort(); err != nil {
			return nil, err
		}
	}
	for _, d := range []string{"log", "data", "tmp", "files"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o700); err != nil {
			return nil, err
		}
	}
	config := fmt.Sprintf(configXML, dir, dir, s.http, s.tcp, other, dir, dir, dir, dir)
	if err := os.WriteFile(filepath.Join(dir, "config.xml"), []byte(config), 0o600); err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(dir, "users.xml"), []byte(usersXML), 0o600); err != nil {
		return nil, err
	}
	if err := s.start(bin); err != nil {
		s.stop()
		return nil, err
	}
	return s, nil
}

// start runs the server on its directory and waits until it answers.
func (s *server) start(bin string) error {
	dir := s.dir
	out, err := os.OpenFile(filepath.Join(dir, "log", "stdout.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	defer out.Close()
	s.cmd = exec.Command(bin, "--config-file="+filepath.Join(dir, "config.xml"))
	s.cmd.Dir = dir
	s.cmd.Stdout, s.cmd.Stderr = out, out
	// If the test binary dies without running Main's cleanup, so does the server.
	s.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM}
	if err := s.cmd.Start(); err != nil {
		return err
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		if b, err := s.query("SELECT 1"); err == nil && strings.TrimSpace(string(b)) == "1" {
			return nil
		}
		if time.Now().After(deadline) {
			log, _ := os.ReadFile(filepath.Join(dir, "log", "err.log"))
			return fmt.Errorf("no answer to SELECT 1 within 60s; error log:\n%s", log)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// query sends one query to the server's HTTP port.
func (s *server) query(q string) ([]byte, error) {
	resp, err := http.Post(fmt.Sprintf("http://127.0.0.1:%d/", s.http), "text/plain", strings.NewReader(q))
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("status %d: %s", resp.StatusCode, b)
	}
	return b, nil
}

func (s *server) stop() {
	s.halt()
	os.RemoveAll(s.dir)
}

// halt stops the server process (SIGTERM, then SIGKILL after 15 s) and keeps
// its directory, so start can bring it back with its data.
func (s *server) halt() {
	if s.cmd != nil && s.cmd.Process != nil && s.cmd.ProcessState == nil {
		s.cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { s.cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(15 * time.Second):
			s.cmd.Process.Kill()
			<-done
		}
	}
}

// kill stops the server process at once (SIGKILL, as a crash would) and
// keeps its directory.
func (s *server) kill() {
	if s.cmd != nil && s.cmd.Process != nil && s.cmd.ProcessState == nil {
		s.cmd.Process.Kill()
		s.cmd.Wait()
	}
}

// configXML is a minimal server configuration: loopback only, UTC, every
// path inside the temporary directory, and the query log on, as production
// servers have it, so privacy tests can read what it kept.
const configXML = `<?xml version="1.0"?>
<yandex>
  <logger><level>warning</level><log>%s/log/server.log</log><errorlog>%s/log/err.log</errorlog></logger>
  <listen_host>127.0.0.1</listen_host>
  <http_port>%d</http_port><tcp_port>%d</tcp_port><interserver_http_port>%d</interserver_http_port>
  <path>%s/data/</path><tmp_path>%s/tmp/</tmp_path><user_files_path>%s/files/</user_files_path>
  <mark_cache_size>268435456</mark_cache_size>
  <users_config>%s/users.xml</users_config>
  <default_profile>default</default_profile><default_database>default</default_database>
  <timezone>UTC</timezone>
  <query_log><database>system</database><table>query_log</table><flush_interval_milliseconds>1000</flush_interval_milliseconds></query_log>
</yandex>
`

const usersXML = `<?xml version="1.0"?>
<yandex>
  <profiles><default>
    <max_memory_usage>4000000000</max_memory_usage>
    <allow_experimental_low_cardinality_type>1</allow_experimental_low_cardinality_type>
    <log_queries>1</log_queries>
  </default></profiles>
  <users><default>
    <password></password>
    <networks><ip>127.0.0.1</ip><ip>::1</ip></networks>
    <profile>default</profile><quota>default</quota>
  </default></users>
  <quotas><default><interval><duration>3600</duration><queries>0</queries><errors>0</errors>
    <result_rows>0</result_rows><read_rows>0</read_rows><execution_time>0</execution_time></interval></default></quotas>
</yandex>
`
