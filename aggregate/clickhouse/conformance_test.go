package clickhouse_test

import (
	"strings"
	"testing"
	"time"

	"tally/aggregate"
	"tally/aggregate/storetest"
)

func TestMain(m *testing.M) { storetest.Main(m) }

// TestConformance runs the suite both stores pass, on a throwaway
// clickhouse-server (skipped loudly when none is installed).
func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) aggregate.Store { return storetest.ClickHouse(t) })
}

// TestUnknownEstimates: rollups written before the store kept estimates.
func TestUnknownEstimates(t *testing.T) {
	dsn := storetest.ClickHouseDSN(t)
	db := storetest.DatabaseOf(dsn)
	storetest.UnknownEstimates(t, storetest.ClickHouseAt(t, dsn), func(t *testing.T) {
		storetest.ClickHouseQuery(t, "ALTER TABLE "+db+".rollups UPDATE visitors = -1 WHERE 1")
		for deadline := time.Now().Add(30 * time.Second); ; {
			left := storetest.ClickHouseQuery(t, "SELECT count() FROM system.mutations WHERE database = '"+db+"' AND table = 'rollups' AND is_done = 0")
			if strings.TrimSpace(string(left)) == "0" {
				return
			}
			if time.Now().After(deadline) {
				t.Fatal("the mutation did not finish within 30 s")
			}
			time.Sleep(50 * time.Millisecond)
		}
	})
}
