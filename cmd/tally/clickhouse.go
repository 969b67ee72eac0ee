package main

import (
	"context"
	"fmt"

	"tally/aggregate"
	"tally/aggregate/clickhouse"
)

// openClickHouse opens the ClickHouse store named by dsn (on the cluster
// named cluster, if any), creating its database and applying migrations.
func openClickHouse(ctx context.Context, dsn, cluster string) (aggregate.Store, error) {
	st, err := clickhouse.OpenCluster(ctx, dsn, cluster)
	if err != nil {
		return nil, fmt.Errorf("open ClickHouse store: %w", err)
	}
	return st, nil
}
