package main

import (
	"context"
	"errors"

	"tally/aggregate"
)

// openClickHouse is replaced when the ClickHouse store lands.
func openClickHouse(ctx context.Context, dsn string) (aggregate.Store, error) {
	return nil, errors.New("the ClickHouse store is not built into this version yet")
}
