package public

import (
	"context"
	"errors"
	"fmt"
	"time"

	"tally/account"
	"tally/aggregate"
)

// Report is everything a public view shows, already protected. Its JSON
// encoding is the published JSON report; docs/report-schema.json describes it.
type Report struct {
	Site      string       `json:"site"`
	Period    ReportPeriod `json:"period"`
	Generated string       `json:"generated"` // a date: no hour-level time leaves the layer
	Method    Method       `json:"method"`
	// Totals and Series are nil when withheld (Method.TotalsWithheld: the
	// period has fewer than MinVisitors visitors in all).
	Totals     *Counts     `json:"totals"`
	Series     []Point     `json:"series"`
	Breakdowns []Breakdown `json:"breakdowns"`
}

// ReportPeriod names the days covered.
type ReportPeriod struct {
	Name  string `json:"name"`
	From  string `json:"from"`
	To    string `json:"to"`
	Grain string `json:"grain"`
}

// Method states the protections applied, for the report's footer.
type Method struct {
	MinVisitors    int     `json:"min_visitors"`
	Round          int     `json:"round"`
	Epsilon        float64 `json:"epsilon"`
	TotalsWithheld bool    `json:"totals_withheld"`
}

// Point is one day or week of the series; nil counts were suppressed
// (fewer than MinVisitors visitors, or see Breakdown.Rows on bare groups).
type Point struct {
	Start     string `json:"start"`
	Visitors  *int64 `json:"visitors"`
	Pageviews *int64 `json:"pageviews"`
}

// Breakdown is one ranked table. Other is nil when nothing was folded or
// when it is withheld.
type Breakdown struct {
	Dimension string  `json:"dimension"`
	Title     string  `json:"title"`
	Rows      []Row   `json:"rows"`
	Other     *Counts `json:"other"`
}

// Row is one published group. Its counts are nil when it is shown bare:
// the only group shown in its table, with a remainder too small to publish.
type Row struct {
	Value     string `json:"value"`
	Visitors  *int64 `json:"visitors"`
	Pageviews *int64 `json:"pageviews"`
}

// section is one breakdown a report carries, in order.
type section struct {
	name, title string
	dim         aggregate.Dim
	hourOfDay   bool
}

var sections = []section{
	{name: "page", title: "Top pages", dim: aggregate.Page},
	{name: "source", title: "Sources", dim: aggregate.Source},
	{name: "country", title: "Countries", dim: aggregate.Country},
	{name: "browser", title: "Browsers", dim: aggregate.Browser},
	{name: "os", title: "Operating systems", dim: aggregate.OS},
	{name: "device", title: "Devices", dim: aggregate.Device},
	{name: "language", title: "Languages", dim: aggregate.Language},
	{name: "hour_of_day", title: "Usage by hour of day (summed over the period)", hourOfDay: true},
}

// rowLimit bounds each ranked table; lower groups fold into "(other)".
const rowLimit = 20

// ErrNotStarted is returned for a period that begins after today.
var ErrNotStarted = errors.New("the period has not started yet")

// Builder computes protected reports from the query engine every other
// view uses.
type Builder struct {
	engine *aggregate.Engine
	secret []byte // keys the noise; in memory only
}

// NewBuilder returns a builder whose noise is keyed by secret (NewSecret).
func NewBuilder(engine *aggregate.Engine, secret []byte) *Builder {
	return &Builder{engine: engine, secret: secret}
}

// Build runs the queries of a report for site over per and protects every
// number under pol. It is the only way this package reads the engine.
func (b *Builder) Build(ctx context.Context, site account.Site, pol Policy, per Period, now time.Time) (*Report, error) {
	if err := pol.Validate(); err != nil {
		return nil, err
	}
	loc := site.Location()
	per = per.clip(now, loc)
	if per.To.Before(per.From) {
		return nil, ErrNotStarted
	}
	k := int64(pol.MinVisitors)
	run := func(dims []string, filters []aggregate.Filter) ([]group, error) {
		q := aggregate.Query{Site: site, From: per.From, To: per.To,
			Metrics: []aggregate.Metric{aggregate.Visitors, aggregate.Pageviews}, Filters: filters}
		for _, name := range dims {
			d, err := aggregate.ParseDimension(name, per.From, per.To)
			if err != nil {
				return nil, err
			}
			q.Dimensions = append(q.Dimensions, d)
		}
		res, err := b.engine.Run(ctx, q)
		if err != nil {
			return nil, fmt.Errorf("public report of %s: %w", site.Domain, err)
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

	totals, err := run(nil, nil)
	if err != nil {
		return nil, err
	}
	total := totals[0].Counts

	// Rule 3: the series. Days (weeks) below K are suppressed; what they
	// hold together is the total minus the shown ones, so it obeys rule 2.
	days, err := run([]string{"time:" + per.Grain}, nil)
	if err != nil {
		return nil, err
	}
	shownDays, _, bareDays, err := fold(days, k, 0, sumExcept(days))
	if err != nil {
		return nil, err
	}
	if bareDays {
		// A series of one day (week) bare has nothing to show — unless it
		// holds every visitor, and so only repeats the total.
		if rest, _ := sumExcept(days)(shownDays); !rest.empty() {
			shownDays = nil
		}
	}

	type table struct {
		s     section
		shown []group
		rest  Counts
		bare  bool
	}
	tables := make([]table, 0, len(sections))
	for _, s := range sections {
		t := table{s: s}
		if s.hourOfDay {
			hours, err := run([]string{"time:hour_of_day"}, nil)
			if err != nil {
				return nil, err
			}
			t.shown, t.rest, t.bare, err = fold(hours, k, 0, sumExcept(hours))
			if err != nil {
				return nil, err
			}
		} else {
			groups, err := run([]string{s.dim.String()}, nil)
			if err != nil {
				return nil, err
			}
			// The remainder is measured, not summed: a visitor of two
			// hidden pages is one visitor, not two.
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
				rest, err := run(nil, []aggregate.Filter{f})
				if err != nil {
					return Counts{}, err
				}
				return rest[0].Counts, nil
			}
			t.shown, t.rest, t.bare, err = fold(groups, k, rowLimit, measure)
			if err != nil {
				return nil, err
			}
		}
		tables = append(tables, t)
	}
	// Below K visitors in all, the total itself would single people out
	// (and no group can reach K, so the tables are empty too).
	withheld := total.Visitors < k
	rep := &Report{
		Site:      site.Domain,
		Period:    ReportPeriod{Name: per.Name, From: per.From.Format(time.DateOnly), To: per.To.Format(time.DateOnly), Grain: per.Grain},
		Generated: aggregate.Day(now, loc).Format(time.DateOnly),
		Method: Method{MinVisitors: pol.MinVisitors, Round: pol.Round, Epsilon: pol.Epsilon,
			TotalsWithheld: withheld},
		Breakdowns: []Breakdown{},
	}
	pub := publisher{noise: NewNoise(pol.Epsilon, b.secret), unit: int64(pol.Round),
		label: fmt.Sprintf("%d\x00%s\x00%s", site.ID, rep.Period.From, rep.Period.To)}

	if !withheld {
		c, err := pub.counts("total", total)
		if err != nil {
			return nil, err
		}
		rep.Totals = &c
		if rep.Series, err = series(pub, per, shownDays); err != nil {
			return nil, err
		}
	}
	for _, t := range tables {
		bd := Breakdown{Dimension: t.s.name, Title: t.s.title, Rows: []Row{}}
		for _, g := range t.shown {
			row := Row{Value: g.value}
			if !t.bare {
				c, err := pub.counts(t.s.name+"\x00"+g.value, g.Counts)
				if err != nil {
					return nil, err
				}
				row.Visitors, row.Pageviews = &c.Visitors, &c.Pageviews
			}
			bd.Rows = append(bd.Rows, row)
		}
		if !withheld && !t.rest.empty() {
			c, err := pub.counts(t.s.name+"\x00"+Other, t.rest)
			if err != nil {
				return nil, err
			}
			bd.Other = &c
		}
		rep.Breakdowns = append(rep.Breakdowns, bd)
	}
	return rep, nil
}

// series lays out every day (week) of the period, the shown ones with
// published counts and the rest as suppressed.
func series(pub publisher, per Period, shown []group) ([]Point, error) {
	in := map[string]Counts{}
	for _, g := range shown {
		in[g.value] = g.Counts
	}
	var starts []string
	if per.Grain == "week" {
		// Weeks start on Monday, as the engine's time:week groups do.
		d := per.From.AddDate(0, 0, -((int(per.From.Weekday()) + 6) % 7))
		for ; !d.After(per.To); d = d.AddDate(0, 0, 7) {
			starts = append(starts, d.Format(time.DateOnly))
		}
	} else {
		for d := per.From; !d.After(per.To); d = d.AddDate(0, 0, 1) {
			starts = append(starts, d.Format(time.DateOnly))
		}
	}
	out := make([]Point, 0, len(starts))
	for _, s := range starts {
		p := Point{Start: s}
		if c, ok := in[s]; ok {
			pc, err := pub.counts("series\x00"+s, c)
			if err != nil {
				return nil, err
			}
			p.Visitors, p.Pageviews = &pc.Visitors, &pc.Pageviews
		}
		out = append(out, p)
	}
	return out, nil
}
