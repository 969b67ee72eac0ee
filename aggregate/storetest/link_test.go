package storetest_test

import (
	"testing"
	"time"

	"tally/aggregate/storetest"
)

// The link test must catch what the store kept before counters at rest: a
// sketch per cell (binary registers), and what a fragment of a visitor key
// would be as a number or text.
func TestUnlinkedCatchesPerVisitorValues(t *testing.T) {
	day := time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC)
	hits := storetest.RealisticDay(1, day)
	key := hits[0].Visitor
	cols := []string{"site_id", "hour", "page", "pageviews", "visitors"}
	ok := storetest.StoredRow{Table: "cells", Cols: cols, Vals: []any{int64(1), int64(day.Unix()), "/pricing", int64(3), int64(1)}}
	if p := storetest.Unlinked([]storetest.StoredRow{ok}, hits); len(p) != 0 {
		t.Fatalf("a row of counters flagged: %v", p)
	}
	for name, row := range map[string]storetest.StoredRow{
		"sketch":       {Table: "cells", Cols: []string{"sketch"}, Vals: []any{[]byte{0x01, 0x0e, 0x13, 0x3c, 0x7b, 0xea}}},
		"key fragment": {Table: "cells", Cols: []string{"visitors"}, Vals: []any{int64(key >> 39)}},
		"key as text":  {Table: "rollups", Cols: []string{"value"}, Vals: []any{"013c7bea"}},
		"salt":         {Table: "salts", Cols: []string{"salt"}, Vals: []any{[]byte("0123456789abcdef0123456789abcdef")}},
	} {
		if p := storetest.Unlinked([]storetest.StoredRow{ok, row}, hits); len(p) == 0 {
			t.Errorf("%s: not flagged", name)
		}
	}
}
