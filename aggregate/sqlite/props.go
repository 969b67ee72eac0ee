package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"tally/aggregate"
)

// Property cells (aggregate/props.go) go to the props table, never to cells.

var propColumns = []string{"site_id", "hour", "event", "prop_key", "prop_value", "pageviews", "events", "visitors", "v_event"}

var upsertProps = upsertPropsSQL(cellRowsPerInsert)

func upsertPropsSQL(rows int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "INSERT INTO props (%s) VALUES %s ON CONFLICT (site_id, prop_key, hour, event, prop_value) DO UPDATE SET ",
		strings.Join(propColumns, ", "), values(rows, len(propColumns)))
	for i, c := range propColumns[5:] {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%s = %s + excluded.%s", c, c, c)
	}
	return b.String()
}

// splitProps returns the batch's cells, property cells and engagement
// cells apart.
func splitProps(all []aggregate.Cell) (cells, props, eng []aggregate.Cell) {
	for i := range all {
		if _, _, _, ok := aggregate.PropOf(&all[i].Key); ok {
			props = append(props, all[i])
		} else if _, _, ok := aggregate.EngagementOf(&all[i].Key); ok {
			eng = append(eng, all[i])
		} else {
			cells = append(cells, all[i])
		}
	}
	return cells, props, eng
}

var engColumns = []string{"site_id", "hour", "hostname", "page", "views", "scroll_sum", "time_ms"}

var upsertEng = upsertEngSQL(cellRowsPerInsert)

func upsertEngSQL(rows int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "INSERT INTO engagement (%s) VALUES %s ON CONFLICT (site_id, hour, hostname, page) DO UPDATE SET ",
		strings.Join(engColumns, ", "), values(rows, len(engColumns)))
	for i, c := range engColumns[4:] {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%s = %s + excluded.%s", c, c, c)
	}
	return b.String()
}

func writeEngagement(ctx context.Context, tx *sql.Tx, eng []aggregate.Cell, live map[int64]*time.Location) error {
	args := make([]any, 0, len(eng)*len(engColumns))
	for i := range eng {
		c := &eng[i]
		if live[c.Site] == nil {
			continue
		}
		host, page, _ := aggregate.EngagementOf(&c.Key)
		args = append(args, c.Site, c.Hour.Unix(), host, page, c.Visits, c.Bounces, c.Duration)
	}
	return chunked(ctx, tx, upsertEng, upsertEngSQL, len(engColumns), args)
}

func writeProps(ctx context.Context, tx *sql.Tx, props []aggregate.Cell, live map[int64]*time.Location) error {
	args := make([]any, 0, len(props)*len(propColumns))
	for i := range props {
		c := &props[i]
		if live[c.Site] == nil {
			continue
		}
		event, key, value, _ := aggregate.PropOf(&c.Key)
		args = append(args, c.Site, c.Hour.Unix(), event, key, value, c.Pageviews, c.Events,
			c.Uniques[aggregate.UVisitor], c.Uniques[aggregate.UniqueOf(aggregate.Event)])
	}
	return chunked(ctx, tx, upsertProps, upsertPropsSQL, len(propColumns), args)
}
