package clickhouse

import (
	"strings"

	"tally/aggregate"
)

// table is one kind of cell as ClickHouse keeps it: regular cells in
// cells, property cells (aggregate/props.go) in props. WriteBatch writes
// each kind to its table in the same exactly-once way.
type table struct {
	name       string
	keyColumns []string // the identity columns after site_id and hour
	insert     string
	// row appends a cell's key values and counters to row (which holds
	// site, hour, instance and seq); key makes a cell key of the values of
	// keyColumns.
	row func(row []any, k *aggregate.Key, c *aggregate.Counters) []any
	key func(vals []string) aggregate.Key
	// day says the table has a day column (the site's local day) after
	// the counters.
	day bool
}

var cellsTable = &table{
	name:       "cells",
	keyColumns: dimColumns,
	insert:     insertCells,
	day:        true,
	row: func(row []any, k *aggregate.Key, c *aggregate.Counters) []any {
		for _, v := range k {
			row = append(row, v)
		}
		row = append(row, c.Pageviews, c.Events, c.Visits, c.Bounces, c.Duration, c.Exits)
		for _, u := range c.Uniques {
			row = append(row, u)
		}
		return row
	},
	key: func(vals []string) (k aggregate.Key) {
		copy(k[:], vals)
		return k
	},
}

var propKeyColumns = []string{"event", "prop_key", "prop_value"}

var propsTable = &table{
	name:       "props",
	keyColumns: propKeyColumns,
	insert: "INSERT INTO props (site_id, hour, instance, seq, " + strings.Join(propKeyColumns, ", ") +
		", pageviews, events, visitors, v_event)",
	row: func(row []any, k *aggregate.Key, c *aggregate.Counters) []any {
		event, key, value, _ := aggregate.PropOf(k)
		return append(row, event, key, value, c.Pageviews, c.Events,
			c.Uniques[aggregate.UVisitor], c.Uniques[aggregate.UniqueOf(aggregate.Event)])
	},
	key: func(vals []string) aggregate.Key { return aggregate.PropCellKey(vals[0], vals[1], vals[2]) },
}

var engTable = &table{
	name:       "engagement",
	keyColumns: []string{"hostname", "page"},
	insert:     "INSERT INTO engagement (site_id, hour, instance, seq, hostname, page, views, scroll_sum, time_ms)",
	row: func(row []any, k *aggregate.Key, c *aggregate.Counters) []any {
		host, page, _ := aggregate.EngagementOf(k)
		return append(row, host, page, c.Visits, c.Bounces, c.Duration)
	},
	key: func(vals []string) aggregate.Key { return aggregate.EngagementCellKey(vals[0], vals[1]) },
}
