package clickhouse_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"tally/aggregate/clickhouse"
	"tally/aggregate/storetest"
)

// A migration that adds a column runs again when another instance applied
// it but had not recorded it yet (18.16 has no ADD COLUMN IF NOT EXISTS):
// the store must still open.
func TestMigrationAddColumnTwice(t *testing.T) {
	dsn := storetest.ClickHouseDSN(t)
	db := storetest.DatabaseOf(dsn)
	storetest.ClickHouseAt(t, dsn)
	storetest.ClickHouseQuery(t, "ALTER TABLE "+db+".schema_migrations DELETE WHERE name = '0003_rollup_visitors.sql'")
	for deadline := time.Now().Add(30 * time.Second); ; {
		left := storetest.ClickHouseQuery(t, "SELECT count() FROM "+db+".schema_migrations WHERE name = '0003_rollup_visitors.sql'")
		if strings.TrimSpace(string(left)) == "0" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the migration's record was not deleted within 30 s")
		}
		time.Sleep(50 * time.Millisecond)
	}
	st, err := clickhouse.Open(context.Background(), dsn)
	if err != nil {
		t.Fatalf("reopen with the column there but the migration unrecorded: %v", err)
	}
	st.Close()
	if n := strings.TrimSpace(string(storetest.ClickHouseQuery(t, "SELECT count() FROM "+db+".schema_migrations WHERE name = '0003_rollup_visitors.sql'"))); n != "1" {
		t.Fatalf("migration recorded %s times after the rerun, want 1", n)
	}
}
