package clickhouse_test

import (
	"testing"

	"tally/aggregate"
	"tally/aggregate/storetest"
)

func TestMain(m *testing.M) { storetest.Main(m) }

// TestConformance runs the suite both stores pass, on a throwaway
// clickhouse-server (skipped loudly when none is installed).
func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) aggregate.Store { return storetest.ClickHouse(t) })
}
