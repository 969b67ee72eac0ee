package dashboard

import (
	"testing"

	"tally/aggregate/storetest"
)

// TestMain stops the throwaway ClickHouse server the API tests start.
func TestMain(m *testing.M) { storetest.Main(m) }
