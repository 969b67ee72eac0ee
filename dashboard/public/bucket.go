package public

import (
	"context"
	"fmt"
	"time"

	"tally/account"
	"tally/aggregate"
)

// A month bucket is one calendar month of one site in its zone: the unit
// in which every public number is decided, noised and rounded. A longer
// period publishes sums of what its buckets published, never a number
// computed over the period itself, so that two periods differ by whole
// published buckets and no difference of published numbers can isolate a
// group the buckets withheld (docs/reports.md, "Nested periods").
//
// Within a bucket:
//   - a day is shown when it has at least K visitors, decided from that
//     day alone (so a day shown while its month was running stays shown);
//   - the month's total is published only once the month has closed, and
//     only when the days not shown hold no visitors or at least K of them:
//     otherwise total − shown days would be their count;
//   - tables are built only once the month has closed, with the minimum
//     group size and remainder rule of fold; when the month's total is
//     withheld, so is every table's "(other)", which would give it back.
type monthBucket struct {
	start time.Time
	days  map[string]Counts // published values of the days shown
	whole bool              // the bucket covers its whole, closed month
	total *Counts           // published month total; nil: withheld (or not whole)
	// tables by section name, when whole.
	tables map[string]bucketTable
}

// bucketTable is one section's published rows in one month.
type bucketTable struct {
	rows  []pubGroup
	other *Counts // published "(other)"; nil: empty or withheld
	// otherWithheld: the month has a hidden remainder it cannot publish.
	otherWithheld bool
	bare          bool
	// present holds every value the month counted anything for, shown
	// or not. It never leaves the package: combine uses it to tell a
	// group that was hidden in a month from one the month did not have.
	present map[string]bool
}

// pubGroup is a group with published (noised, rounded) counts.
type pubGroup struct {
	value string
	Counts
}

// bucketBuilder builds the buckets of one site under one policy.
type bucketBuilder struct {
	engine *aggregate.Engine
	site   account.Site
	k      int64
	noise  *Noise
	unit   int64
	// limit is the most groups a month's table shows (0: rowLimit);
	// only, when set, names the one section built (a Details list).
	limit int
	only  string
}

// publisher for one bucket: its noise labels name the site and the bucket
// ("2026-10" or "2026-10-05"), never the view that asked.
func (bb *bucketBuilder) pub(bucket string) publisher {
	return publisher{noise: bb.noise, unit: bb.unit, label: fmt.Sprintf("%d\x00%s", bb.site.ID, bucket)}
}

// run answers one query over [from, to] with visitors and pageviews.
func (bb *bucketBuilder) run(ctx context.Context, from, to time.Time, dims []string, filters []aggregate.Filter) ([]group, error) {
	q := aggregate.Query{Site: bb.site, From: from, To: to,
		Metrics: []aggregate.Metric{aggregate.Visitors, aggregate.Pageviews}, Filters: filters}
	for _, name := range dims {
		d, err := aggregate.ParseDimension(name, from, to)
		if err != nil {
			return nil, err
		}
		q.Dimensions = append(q.Dimensions, d)
	}
	res, err := bb.engine.Run(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("public report of %s: %w", bb.site.Domain, err)
	}
	gs := make([]group, 0, len(res.Rows))
	for _, r := range res.Rows {
		g := group{Counts: Counts{Visitors: int64(r.Metrics[0]), Pageviews: int64(r.Metrics[1])}}
		if len(r.Dimensions) > 0 {
			g.value = r.Dimensions[0]
		}
		gs = append(gs, g)
	}
	return gs, nil
}

// month builds the bucket of the month starting at start, with the days
// from..to of it (whole: the whole month, which has closed).
func (bb *bucketBuilder) month(ctx context.Context, start, from, to time.Time, whole bool) (*monthBucket, error) {
	mb := &monthBucket{start: start, whole: whole, days: map[string]Counts{}}
	days, err := bb.run(ctx, from, to, []string{"time:day"}, nil)
	if err != nil {
		return nil, err
	}
	var shown Counts
	for _, d := range days {
		if d.Visitors < bb.k {
			continue
		}
		c, err := bb.pub(d.value).counts("total", d.Counts)
		if err != nil {
			return nil, err
		}
		mb.days[d.value] = c
		shown.Visitors += d.Visitors
		shown.Pageviews += d.Pageviews
	}
	if !whole {
		return mb, nil
	}
	totals, err := bb.run(ctx, from, to, nil, nil)
	if err != nil {
		return nil, err
	}
	total := totals[0].Counts
	hidden := Counts{Visitors: total.Visitors - shown.Visitors, Pageviews: total.Pageviews - shown.Pageviews}
	name := start.Format("2006-01")
	if total.Visitors >= bb.k && (hidden.empty() || hidden.Visitors >= bb.k) {
		c, err := bb.pub(name).counts("total", total)
		if err != nil {
			return nil, err
		}
		mb.total = &c
	}
	mb.tables = make(map[string]bucketTable, len(sections))
	for _, s := range sections {
		if bb.only != "" && s.name != bb.only {
			continue
		}
		t, err := bb.table(ctx, s, from, to, total)
		if err != nil {
			return nil, err
		}
		if mb.total == nil && !t.bare && (t.other != nil || t.otherWithheld) {
			t.other, t.otherWithheld = nil, true
		}
		if mb.total == nil && t.other == nil && !t.otherWithheld && len(t.rows) > 0 {
			// Nothing hidden, but the month's total is: the rows add up
			// to it, so their sum must not be published as complete.
			t.otherWithheld = true
		}
		mb.tables[s.name] = t
	}
	return mb, nil
}

// table builds one section of a closed month: fold decides what is shown,
// then the shown groups and the remainder are published.
func (bb *bucketBuilder) table(ctx context.Context, s section, from, to time.Time, total Counts) (bucketTable, error) {
	var shown, all []group
	var rest Counts
	var bare bool
	otherName := Other
	if s.hourOfDay {
		hours, err := bb.run(ctx, from, to, []string{"time:hour_of_day"}, nil)
		if err != nil {
			return bucketTable{}, err
		}
		all = hours
		if shown, rest, bare, err = fold(hours, bb.k, 0, sumExcept(hours)); err != nil {
			return bucketTable{}, err
		}
	} else {
		groups, err := bb.run(ctx, from, to, []string{s.dim.String()}, nil)
		if err != nil {
			return bucketTable{}, err
		}
		all = groups
		// The remainder is measured, not summed: a visitor of two hidden
		// pages is one visitor, not two.
		measure := func(shown []group) (Counts, error) {
			if len(shown) == 0 {
				return total, nil
			}
			vals := make([]string, len(shown))
			for i, g := range shown {
				vals[i] = g.value
			}
			f, err := aggregate.NewFilter(aggregate.OpIsNot, s.dim, vals)
			if err != nil {
				return Counts{}, err
			}
			rest, err := bb.run(ctx, from, to, nil, []aggregate.Filter{f})
			if err != nil {
				return Counts{}, err
			}
			return rest[0].Counts, nil
		}
		limit := rowLimit
		if bb.limit > 0 {
			limit = bb.limit
		}
		if shown, rest, bare, err = fold(groups, bb.k, limit, measure); err != nil {
			return bucketTable{}, err
		}
		otherName = remainderName(groups, bb.k, limit)
	}
	pub := bb.pub(from.Format("2006-01"))
	t := bucketTable{bare: bare, present: make(map[string]bool, len(all))}
	for _, g := range all {
		if !g.empty() {
			t.present[g.value] = true
		}
	}
	for _, g := range shown {
		pg := pubGroup{value: g.value}
		if !bare {
			c, err := pub.counts(s.name+"\x00"+g.value, g.Counts)
			if err != nil {
				return bucketTable{}, err
			}
			pg.Counts = c
		}
		t.rows = append(t.rows, pg)
	}
	switch {
	case !rest.empty():
		c, err := pub.counts(s.name+"\x00"+otherName, rest)
		if err != nil {
			return bucketTable{}, err
		}
		t.other = &c
	case bare || (len(shown) == 0 && total.Visitors > 0):
		t.otherWithheld = true // a remainder exists but is too small
	default:
		// fold published no remainder: either nothing is hidden, or the
		// hidden part is below K.
		t.otherWithheld = hasHidden(shown, total)
	}
	return t, nil
}

// hasHidden reports whether the shown groups leave anything of total out.
// For pageviews the groups of one dimension add up to the total exactly.
func hasHidden(shown []group, total Counts) bool {
	var pv int64
	for _, g := range shown {
		pv += g.Pageviews
	}
	return pv < total.Pageviews
}

// remainderName labels the noise of a month's "(other)". A Details list
// (a limit above rowLimit) folds the same groups as the share page while
// no more than rowLimit of them are showable: then its remainder is the
// same number and draws the same noise. Past that it is another number
// (the share page's remainder less the groups only Details shows) and
// draws its own, so that the two published remainders differ by a noised
// amount, never by the exact count of those groups.
func remainderName(groups []group, k int64, limit int) string {
	if limit <= rowLimit {
		return Other
	}
	n := 0
	for _, g := range groups {
		if showable(g, k) {
			n++
		}
	}
	if n <= rowLimit {
		return Other
	}
	return Other + "\x00details"
}
