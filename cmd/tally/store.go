package main

import (
	"context"
	"fmt"

	"tally/aggregate"
	"tally/aggregate/sqlite"
)

// openStore opens the configured store: ClickHouse when a DSN is given,
// else the embedded store under the data directory.
func openStore(ctx context.Context, cfg Config) (aggregate.Store, error) {
	if cfg.ClickHouse != "" {
		return openClickHouse(ctx, cfg.ClickHouse, cfg.CHCluster)
	}
	st, err := sqlite.Open(ctx, cfg.Data)
	if err != nil {
		return nil, fmt.Errorf("open embedded store: %w", err)
	}
	return st, nil
}
