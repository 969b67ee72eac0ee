package clickhouse_test

import (
	"testing"

	"tally/aggregate"
	"tally/aggregate/storetest"
)

// TestClusterConformance runs the suite every store passes on a throwaway
// cluster of 2 shards × 2 replicas: the store's tables sharded and
// replicated, every query through the Distributed tables.
func TestClusterConformance(t *testing.T) {
	c := storetest.ClickHouseCluster(t)
	storetest.Run(t, func(t *testing.T) aggregate.Store { return c.Store(t, c.DSN(t)) })
}
