package storetest

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"testing"
)

// ClickHouseServer is a throwaway clickhouse-server of one test's own, which
// the test may stop and start again to play a store outage. The package's
// shared server is never stopped: other tests use it.
type ClickHouseServer struct {
	s   *server
	bin string
}

// NewClickHouseServer starts a server for this test alone, stopped and
// removed when the test ends. It skips loudly when clickhouse-server is not
// installed (fails under TALLY_REQUIRE_CLICKHOUSE=1).
func NewClickHouseServer(t testing.TB) *ClickHouseServer {
	t.Helper()
	bin := clickHouseBinary(t)
	s, err := startServer(bin)
	if err != nil {
		t.Fatalf("start clickhouse-server: %v", err)
	}
	t.Cleanup(s.stop)
	return &ClickHouseServer{s: s, bin: bin}
}

// DSN returns the DSN of a fresh database name on the server.
func (c *ClickHouseServer) DSN() string {
	b := make([]byte, 6)
	rand.Read(b)
	return fmt.Sprintf("clickhouse://default@127.0.0.1:%d/tally_test_%s", c.s.tcp, hex.EncodeToString(b))
}

// Stop stops the server process, keeping its data.
func (c *ClickHouseServer) Stop(t testing.TB) {
	t.Helper()
	c.s.halt()
}

// Start starts the stopped server again on the same ports and data, and
// waits until it answers.
func (c *ClickHouseServer) Start(t testing.TB) {
	t.Helper()
	if err := c.s.start(c.bin); err != nil {
		t.Fatalf("restart clickhouse-server: %v", err)
	}
}
