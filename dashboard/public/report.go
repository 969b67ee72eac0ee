package public

import (
	"context"
	"errors"
	"fmt"
	"sort"
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
	// PartialTotals: the totals leave out days with fewer than MinVisitors
	// visitors that no published month total covers.
	PartialTotals bool `json:"partial_totals"`
	// BreakdownMonths are the whole months the tables add up; the tables
	// of a period with none are empty.
	BreakdownMonths []string `json:"breakdown_months"`
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

// ErrNotStarted is returned for a period that begins after the last
// closed day.
var ErrNotStarted = errors.New("the period has not started yet")

// Builder computes protected reports from the query engine every other
// view uses, with noise keyed by each site's stored noise key.
type Builder struct {
	engine *aggregate.Engine
	keep   Keeper
	// Credits names the sources of the data shown (the location
	// database's attribution) at the foot of HTML reports.
	Credits string
}

// NewBuilder returns a builder whose noise is keyed by the sites' keys in
// keep (the store), so that any instance, restart or command-line run
// publishes the same numbers for the same period, and which keeps the
// reports it publishes there (Published).
func NewBuilder(engine *aggregate.Engine, keep Keeper) *Builder {
	return &Builder{engine: engine, keep: keep}
}

// Build runs the queries of a report for site over per and protects every
// number under pol. It is the only way this package reads the engine.
//
// The period must have closed (LastClosedDay); its numbers are sums of
// what its month buckets publish (bucket.go): whole months contribute
// their published total and tables, partial months (a range such as 30d)
// their published days only. So the same period gives the same report
// whenever it is asked for, and nested or overlapping periods differ by
// whole published buckets.
func (b *Builder) Build(ctx context.Context, site account.Site, pol Policy, per Period, now time.Time) (*Report, error) {
	return b.build(ctx, site, pol, per, now, 0, "")
}

// DetailsLimit is the most groups a month's table shows in a Details list:
// the remainder is measured with a filter excluding every shown group,
// and a filter takes at most aggregate.MaxFilterValues values.
const DetailsLimit = aggregate.MaxFilterValues

// Details is the report of per with one section only, name, whose month
// tables show up to DetailsLimit groups instead of rowLimit: the share
// page's "Details". Every rule of Build holds for it, by the same code:
// each month's groups pass the minimum group size, the remainder is
// measured and published only when it reaches K, rows are noised and
// rounded under the same labels (a group has the same published counts
// in both), and combine keeps only groups shown in every month.
func (b *Builder) Details(ctx context.Context, site account.Site, pol Policy, per Period, now time.Time, name string) (*Report, error) {
	if !DetailsSection(name) {
		return nil, fmt.Errorf("no table %q has details", name)
	}
	return b.build(ctx, site, pol, per, now, DetailsLimit, name)
}

// DetailsSection reports whether the table name has a Details list: every
// ranked table but the hours of the day (24 rows at most, all shown).
func DetailsSection(name string) bool {
	for _, s := range sections {
		if s.name == name && !s.hourOfDay {
			return true
		}
	}
	return false
}

func (b *Builder) build(ctx context.Context, site account.Site, pol Policy, per Period, now time.Time, limit int, only string) (*Report, error) {
	if err := pol.Validate(); err != nil {
		return nil, err
	}
	loc := site.Location()
	if per.From.After(LastClosedDay(now, loc)) {
		return nil, ErrNotStarted
	}
	if !per.closed(now, loc) {
		return nil, ErrNotClosed
	}
	key, err := b.noiseKey(ctx, site)
	if err != nil {
		return nil, err
	}
	bb := &bucketBuilder{engine: b.engine, site: site, k: int64(pol.MinVisitors),
		noise: NewNoise(pol.Epsilon, key), unit: int64(pol.Round), limit: limit, only: only}
	var buckets []*monthBucket
	for m := monthStart(per.From); !m.After(per.To); m = m.AddDate(0, 1, 0) {
		end := m.AddDate(0, 1, -1)
		from, to := maxTime(m, per.From), minTime(end, per.To)
		mb, err := bb.month(ctx, m, from, to, from.Equal(m) && to.Equal(end))
		if err != nil {
			return nil, err
		}
		buckets = append(buckets, mb)
	}

	rep := &Report{
		Site:       site.Domain,
		Period:     ReportPeriod{Name: per.Name, From: per.From.Format(time.DateOnly), To: per.To.Format(time.DateOnly), Grain: per.Grain},
		Generated:  per.To.AddDate(0, 0, 1).Format(time.DateOnly), // the day it closed: the same bytes whenever asked
		Method:     Method{MinVisitors: pol.MinVisitors, Round: pol.Round, Epsilon: pol.Epsilon, BreakdownMonths: []string{}},
		Breakdowns: []Breakdown{},
	}
	total, partial, any := sumTotals(buckets, per)
	rep.Method.TotalsWithheld = !any
	rep.Method.PartialTotals = any && partial
	if any {
		rep.Totals = &total
		rep.Series = series(buckets, per)
	}
	var whole []*monthBucket
	for _, mb := range buckets {
		if mb.whole {
			whole = append(whole, mb)
			rep.Method.BreakdownMonths = append(rep.Method.BreakdownMonths, mb.start.Format("2006-01"))
		}
	}
	for _, s := range sections {
		if only == "" || s.name == only {
			rep.Breakdowns = append(rep.Breakdowns, combine(s, whole))
		}
	}
	return rep, nil
}

// noiseKey reads (or, the first time, stores) the site's noise key.
func (b *Builder) noiseKey(ctx context.Context, site account.Site) ([]byte, error) {
	fresh, err := NewSecret()
	if err != nil {
		return nil, err
	}
	key, err := b.keep.NoiseKey(ctx, site.ID, fresh)
	if err != nil {
		return nil, fmt.Errorf("public report of %s: %w", site.Domain, err)
	}
	return key, nil
}

// sumTotals adds up what the buckets published for the period: a whole
// month's total where it was published, else the days shown. partial: some
// day of the period is in neither (it had fewer than K visitors, or its
// month's total is withheld), so the totals leave it out.
func sumTotals(buckets []*monthBucket, per Period) (total Counts, partial, any bool) {
	for _, mb := range buckets {
		if mb.total != nil {
			total.Visitors += mb.total.Visitors
			total.Pageviews += mb.total.Pageviews
			any = true
			continue
		}
		for d := maxTime(mb.start, per.From); !d.After(per.To) && d.Month() == mb.start.Month(); d = d.AddDate(0, 0, 1) {
			c, ok := mb.days[d.Format(time.DateOnly)]
			if !ok {
				partial = true
				continue
			}
			total.Visitors += c.Visitors
			total.Pageviews += c.Pageviews
			any = true
		}
	}
	return total, partial, any
}

// series lays out every day (or month) of the period: published values
// where a bucket published one, suppressed points elsewhere.
func series(buckets []*monthBucket, per Period) []Point {
	var out []Point
	point := func(start string, c *Counts) {
		p := Point{Start: start}
		if c != nil {
			v, pv := c.Visitors, c.Pageviews
			p.Visitors, p.Pageviews = &v, &pv
		}
		out = append(out, p)
	}
	for _, mb := range buckets {
		if per.Grain == "month" {
			point(mb.start.Format(time.DateOnly), mb.total)
			continue
		}
		for d := maxTime(mb.start, per.From); !d.After(per.To) && d.Month() == mb.start.Month(); d = d.AddDate(0, 0, 1) {
			var c *Counts
			if v, ok := mb.days[d.Format(time.DateOnly)]; ok {
				c = &v
			}
			point(d.Format(time.DateOnly), c)
		}
	}
	return out
}

// combine publishes one section over whole months: a group is shown only
// if every month showed it or had none of it (a group hidden in any month
// stays hidden, so no period differs from another by a hidden count —
// only by counts a month published, or by nothing), with the sum of its
// published counts; everything else the months published — their
// "(other)" and the groups not shown in every month — is the period's
// "(other)", published only if no month withheld its own remainder. A
// month that showed its table bare makes the period's table bare.
func combine(s section, months []*monthBucket) Breakdown {
	bd := Breakdown{Dimension: s.name, Title: s.title, Rows: []Row{}}
	if len(months) == 0 {
		return bd
	}
	in := map[string]int{} // months that showed the value or had none of it
	sums := map[string]Counts{}
	var order []string
	bare, withheld := false, false
	var other Counts
	hasOther := false
	for _, mb := range months {
		t := mb.tables[s.name]
		bare = bare || t.bare
		withheld = withheld || t.otherWithheld
		if t.other != nil {
			other.Visitors += t.other.Visitors
			other.Pageviews += t.other.Pageviews
			hasOther = true
		}
		for _, g := range t.rows {
			if in[g.value] == 0 {
				order = append(order, g.value)
			}
			in[g.value]++
			c := sums[g.value]
			c.Visitors += g.Visitors
			c.Pageviews += g.Pageviews
			sums[g.value] = c
		}
	}
	for _, v := range order {
		for _, mb := range months {
			t := mb.tables[s.name]
			if !t.present[v] && !shownIn(t, v) {
				in[v]++
			}
		}
	}
	var shown []pubGroup
	for _, v := range order {
		if in[v] == len(months) {
			shown = append(shown, pubGroup{value: v, Counts: sums[v]})
			continue
		}
		// Shown in some months only: its published counts join "(other)".
		other.Visitors += sums[v].Visitors
		other.Pageviews += sums[v].Pageviews
		hasOther = true
	}
	sort.SliceStable(shown, func(i, j int) bool { return shown[i].Visitors > shown[j].Visitors })
	for _, g := range shown {
		r := Row{Value: g.value}
		if !bare {
			v, pv := g.Visitors, g.Pageviews
			r.Visitors, r.Pageviews = &v, &pv
		}
		bd.Rows = append(bd.Rows, r)
	}
	if hasOther && !bare && !withheld {
		bd.Other = &other
	}
	return bd
}

func shownIn(t bucketTable, v string) bool {
	for _, g := range t.rows {
		if g.value == v {
			return true
		}
	}
	return false
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}
