package main

import (
	"context"
	"fmt"

	"tally/aggregate"
	"tally/aggregate/clickhouse"
)

// openClickHouse opens the ClickHouse store named by dsn, creating its
// database and applying migrations.
func openClickHouse(ctx context.Context, dsn string) (aggregate.Store, error) {
	st, err := clickhouse.Open(ctx, dsn)
	if err != nil {
		return nil, fmt.Errorf("open ClickHouse store: %w", err)
	}
	return st, nil
}
