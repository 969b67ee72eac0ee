package sqlite_test

import (
	"testing"

	"tally/aggregate"
	"tally/aggregate/storetest"
)

// TestConformance runs the suite both stores pass.
func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) aggregate.Store { return storetest.SQLite(t) })
}
