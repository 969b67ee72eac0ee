package public

import (
	"context"
	"fmt"
	"time"

	"tally/account"
	"tally/aggregate"
)

// UsageDays is how far back the privacy notice looks for a site's custom
// events and properties: it names them only when the site used them.
const UsageDays = 90

// maxUsageNames bounds the event names and property keys a notice lists.
const maxUsageNames = 20

// Usage is what a site counted beyond page views in the closed days of
// the last UsageDays: the names of its custom events and the keys of
// their properties (never a value), each only where at least minVisitors
// visitors sent it, so that a name one client made up is never published.
type Usage struct {
	Events, PropKeys []string
	More             bool // more names than maxUsageNames of either
}

// Querier answers engine queries (*aggregate.Engine).
type Querier interface {
	Run(ctx context.Context, q aggregate.Query) (aggregate.Result, error)
}

// SiteUsage asks the store, in two small queries, which custom events and
// property keys site used up to yesterday (now in the site's zone).
func SiteUsage(ctx context.Context, e Querier, site account.Site, now time.Time, minVisitors int) (Usage, error) {
	var u Usage
	yesterday := aggregate.Day(now, site.Location()).AddDate(0, 0, -1)
	q := aggregate.Query{Site: site, From: yesterday.AddDate(0, 0, 1-UsageDays), To: yesterday,
		Metrics: []aggregate.Metric{aggregate.Visitors}, Limit: maxUsageNames + 1}
	notPageviews, err := aggregate.NewFilter(aggregate.OpIsNot, aggregate.Event, []string{aggregate.PageviewEvent})
	if err != nil {
		return u, err
	}
	for _, ask := range []struct {
		dim    aggregate.Dimension
		filter []aggregate.Filter
		out    *[]string
	}{
		{aggregate.Dimension{Name: "event:name", Dim: aggregate.Event}, []aggregate.Filter{notPageviews}, &u.Events},
		{aggregate.Dimension{Name: "event:props", Dim: aggregate.PropKey}, nil, &u.PropKeys},
	} {
		q.Dimensions, q.Filters = []aggregate.Dimension{ask.dim}, ask.filter
		res, err := e.Run(ctx, q)
		if err != nil {
			return u, fmt.Errorf("custom events of %s for the privacy notice: %w", site.Domain, err)
		}
		for i, r := range res.Rows {
			if i == maxUsageNames {
				u.More = true
				break
			}
			if r.Metrics[0] >= aggregate.Number(minVisitors) && r.Dimensions[0] != aggregate.Other {
				*ask.out = append(*ask.out, r.Dimensions[0])
			}
		}
	}
	return u, nil
}
