package sqlite

import (
	"time"

	"tally/aggregate"
)

// Property cells (aggregate/props.go) go to the props table, never to cells.

var propColumns = []string{"site_id", "hour", "event", "prop_key", "prop_value", "pageviews", "events", "visitors", "v_event"}

var upsertProps = newUpsert("props", "site_id, prop_key, hour, event, prop_value", propColumns, 5, [2]int{})

var engColumns = []string{"site_id", "hour", "hostname", "page", "views", "scroll_sum", "time_ms"}

var upsertEng = newUpsert("engagement", "site_id, hour, hostname, page", engColumns, 4, [2]int{})

func writeEngagement(w *writer, eng []aggregate.Cell, live map[int64]*time.Location) error {
	args := make([]any, 0, len(eng)*len(engColumns))
	for i := range eng {
		c := &eng[i]
		if live[c.Site] == nil {
			continue
		}
		host, page, _ := aggregate.EngagementOf(&c.Key)
		args = append(args, c.Site, c.Hour.Unix(), host, page, c.Visits, c.Bounces, c.Duration)
	}
	return w.upsert(upsertEng, args)
}

func writeProps(w *writer, props []aggregate.Cell, live map[int64]*time.Location) error {
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
	return w.upsert(upsertProps, args)
}
