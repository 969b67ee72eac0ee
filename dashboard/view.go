package dashboard

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"sort"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"

	"tally/account"
	"tally/aggregate"
	"tally/dashboard/worldmap"
	"tally/internal/locale"
)

// Runner answers engine queries. *aggregate.Engine is one; a public view
// wraps it to fold small groups and round counts before the view sees them.
// The view adds presentation only: every number it shows comes from Run.
type Runner interface {
	Run(ctx context.Context, q aggregate.Query) (aggregate.Result, error)
}

// Options say where a view is shown and what it may offer.
type Options struct {
	// BasePath is where the view lives; every link and form of the view
	// points at it plus a query: "/example.com" or "/share/SLUG".
	// CSV exports are at BasePath+"/export.csv".
	BasePath string
	// ReadOnly hides everything that needs a signed-in owner: the site
	// switcher, settings, sign-out.
	ReadOnly bool
	// NoSettings hides the settings link: the reader is a viewer of the
	// site, who may not change it.
	NoSettings bool
	// Realtime returns the visitors of the last five minutes; nil hides it.
	Realtime func() int
	// NoHourly keeps the chart at a day or coarser and hides the
	// hour-of-day heat map (public views must not show hour resolution).
	NoHourly bool
	// PanelRows is how many rows each panel shows; 0 means 10.
	PanelRows int
	// Now is the time the periods are relative to.
	Now time.Time
}

// View is one rendered dashboard: plain data, built by BuildView from
// engine results, rendered by RenderView.
type View struct {
	Site      account.Site
	Opts      Options
	State     State
	Self      string // the view's own URL
	CSV       string // the whole view as CSV
	From, To  time.Time
	Prev      [2]time.Time // the compared range, when Compare
	Compare   bool
	Range     string // "1 Jan – 30 Jan 2025"
	Periods   []Link
	Compares  []Link   // the comparison picker
	Notices   []string // what of the URL was not understood, for people
	Custom    bool
	Hidden    []KV // the state besides the period, for the custom period form
	Fields    []KV // the whole state, for the filter picker form
	Filters   []Chip
	Pickable  []KV // dimension short name → label, for the filter picker
	FilterOps []KV // operator suffix → label, for the filter picker
	Live      bool // the live count is shown
	Realtime  int  // visitors in the last five minutes
	KPIs      []KPI
	Chart     Chart
	Panels    []Panel
	Heatmap   *Heatmap
	Funnels   *FunnelPanel // signed-in dashboards of sites with funnels only
}

// Link is one choice in a picker or tab bar.
type Link struct {
	Label, URL string
	Active     bool
}

// KV is a name and a value.
type KV struct{ Key, Value string }

// Chip is an active filter with the link that removes it.
type Chip struct {
	Label, Op, Value, Remove string
}

// KPI is one headline number with its change against the previous period.
type KPI struct {
	Metric       aggregate.Metric
	Label        string
	Value, Prev  string
	Raw, PrevRaw float64
	Change       string // "+12%", "−3%", "—"
	Class        string // "good", "bad" or ""
	Note         string // why there is no number (Value "—")
}

// Panel is one breakdown box, showing its open tab.
type Panel struct {
	ID, Title string
	Tabs      []Link
	Dim       string // the dimension's column title
	Columns   []string
	Rows      []PanelRow
	More      bool   // rows not shown exist
	Details   string // the whole list's page; "" where there is none
	CSV       string
	Map       *worldmap.Map // the countries on a world map (Countries tab)
	Credit    string        // the source of the names shown, where a licence asks
	Note      string        // a line shown instead of rows, or below them
}

// PanelRow is one value of a breakdown; Filter adds it as a filter.
type PanelRow struct {
	Label  string
	Values []string
	Raw    []float64
	Bar    float64 // share of the period's visitors, 0–100
	Filter string
}

var kpiMetrics = []struct {
	m         aggregate.Metric
	label     string
	lowerGood bool
}{
	{aggregate.Visitors, "Unique visitors", false},
	{aggregate.Visits, "Visits", false},
	{aggregate.Pageviews, "Pageviews", false},
	{aggregate.ViewsPerVisit, "Views per visit", false},
	{aggregate.BounceRate, "Bounce rate", true},
	{aggregate.VisitDuration, "Visit duration", false},
}

// BuildView runs the queries of one dashboard view of site through r.
// A malformed custom period is a 400.
func BuildView(ctx context.Context, r Runner, site account.Site, s State, o Options) (*View, error) {
	if o.PanelRows <= 0 {
		o.PanelRows = 10
	}
	if o.Now.IsZero() {
		o.Now = time.Now()
	}
	v := &View{Site: site, Opts: o, State: s, Self: s.Link(o.BasePath), CSV: s.Link(o.BasePath + "/export.csv")}
	var err error
	if v.From, v.To, err = periodRange(s, o.Now, site); err != nil {
		return nil, fiber.NewError(fiber.StatusBadRequest, err.Error())
	}
	days := int(v.To.Sub(v.From).Hours()/24+0.5) + 1
	if v.Prev[0], v.Prev[1], v.Compare, err = aggregate.Compared(s.Compare, v.From, v.To); err != nil {
		return nil, fiber.NewError(fiber.StatusBadRequest, err.Error())
	}
	v.Notices = s.Ignored
	for _, c := range Comparisons {
		v.Compares = append(v.Compares, Link{Label: c.Label, URL: s.WithCompare(c.ID).Link(o.BasePath), Active: s.Compare == c.ID})
	}
	v.Range = rangeLabel(v.From, v.To)
	v.Custom = s.Period == "custom"
	for _, p := range Periods {
		if p.ID == "custom" {
			continue
		}
		v.Periods = append(v.Periods, Link{Label: p.Label, URL: s.WithPeriod(p.ID).Link(o.BasePath), Active: s.Period == p.ID})
	}
	v.Hidden = fields(s.WithPeriod("").Values())
	v.Fields = fields(s.Values())
	for _, f := range s.Filters {
		v.Filters = append(v.Filters, Chip{Label: filterLabel(f), Op: opLabel(f.Op), Value: chipValue(f), Remove: s.WithoutFilter(f.Dim).Link(o.BasePath)})
	}
	for d := aggregate.Dim(0); int(d) < aggregate.NumDims; d++ {
		if d != aggregate.Hostname {
			v.Pickable = append(v.Pickable, KV{shortName(d), dimLabels[d]})
		}
	}
	v.Pickable = append(v.Pickable, KV{shortName(aggregate.GoalDim), dimLabels[aggregate.GoalDim]})
	for _, op := range filterOps {
		v.FilterOps = append(v.FilterOps, KV{op.suffix, op.label})
	}
	if o.Realtime != nil {
		v.Live, v.Realtime = true, o.Realtime()
	}

	base := aggregate.Query{Site: site, From: v.From, To: v.To, Filters: s.queryFilters()}
	if err := v.buildKPIs(ctx, r, base); err != nil {
		return nil, err
	}
	total := 0.0
	if len(v.KPIs) > 0 {
		total = v.KPIs[0].Raw
	}
	// The chart, the panels and the heat map are independent queries: run
	// them at once, so a page costs about its slowest query, not their sum
	// (ClickHouse answers them in parallel; SQLite reads on its pool).
	v.Panels = make([]Panel, len(panels)+1)
	errs := make([]error, len(panels)+3)
	var wg sync.WaitGroup
	run := func(i int, f func() error) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = f()
		}()
	}
	for i, p := range panels {
		run(i, func() (err error) {
			v.Panels[i], err = v.buildPanel(ctx, r, base, p, o.PanelRows, total)
			return err
		})
	}
	run(len(panels), func() error { return v.buildChart(ctx, r, base, days) })
	run(len(panels)+2, func() (err error) {
		v.Panels[len(panels)], err = v.buildGoalsPanel(ctx, r, base, o.PanelRows)
		return err
	})
	if !o.NoHourly {
		run(len(panels)+1, func() (err error) {
			v.Heatmap, err = buildHeatmap(ctx, r, base)
			return err
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return v, nil
}

// periodRange resolves the state's period to its first and last day.
func periodRange(s State, now time.Time, site account.Site) (from, to time.Time, err error) {
	loc := site.Location()
	if s.Period != "custom" {
		return aggregate.Range(s.Period, now, loc, site.Created)
	}
	if from, err = aggregate.ParseDay(s.From, loc); err != nil {
		return from, to, fmt.Errorf("custom period: %w", err)
	}
	if to, err = aggregate.ParseDay(s.To, loc); err != nil {
		return from, to, fmt.Errorf("custom period: %w", err)
	}
	if to.Before(from) {
		return from, to, fmt.Errorf("custom period ends before it starts")
	}
	if to.Sub(from) > 5*366*24*time.Hour {
		return from, to, fmt.Errorf("custom period is longer than five years")
	}
	return from, to, nil
}

func (v *View) buildKPIs(ctx context.Context, r Runner, base aggregate.Query) error {
	q := base
	// Under a property filter, the numbers counted per visit have none.
	_, byProp := v.State.PropFilter()
	at := make([]int, len(kpiMetrics)) // each KPI's column of q, -1 for none
	for i, k := range kpiMetrics {
		at[i] = -1
		if !byProp || aggregate.PropMetric(k.m) {
			at[i] = len(q.Metrics)
			q.Metrics = append(q.Metrics, k.m)
		}
	}
	cur, err := r.Run(ctx, q)
	if err != nil {
		return fmt.Errorf("headline numbers: %w", err)
	}
	var prev aggregate.Result
	if v.Compare {
		q.From, q.To = v.Prev[0], v.Prev[1]
		if prev, err = r.Run(ctx, q); err != nil {
			return fmt.Errorf("compared period's numbers: %w", err)
		}
	}
	for i, k := range kpiMetrics {
		if at[i] < 0 {
			v.KPIs = append(v.KPIs, KPI{Metric: k.m, Label: k.label, Value: "—", Note: "Not counted per property"})
			continue
		}
		c := metricAt(cur, at[i])
		kpi := KPI{Metric: k.m, Label: k.label, Raw: c, Value: formatMetric(k.m, c)}
		if v.Compare {
			p := metricAt(prev, at[i])
			kpi.PrevRaw, kpi.Prev = p, formatMetric(k.m, p)
			kpi.Change, kpi.Class = change(c, p, k.lowerGood)
		}
		v.KPIs = append(v.KPIs, kpi)
	}
	return nil
}

// metricAt is metric i of a query without dimensions (one row, or none).
func metricAt(res aggregate.Result, i int) float64 {
	if len(res.Rows) == 0 || i >= len(res.Rows[0].Metrics) {
		return 0
	}
	return float64(res.Rows[0].Metrics[i])
}

func (v *View) buildPanel(ctx context.Context, r Runner, base aggregate.Query, p panelDef, limit int, total float64) (Panel, error) {
	tab, dim, label := activeTab(p, v.State)
	out := Panel{ID: p.id, Title: p.title, Dim: label, Columns: []string{"Visitors"},
		CSV: panelLink(v.State.WithTab(p.id, tab.id), v.Opts.BasePath+"/export.csv", p.id)}
	if len(p.tabs) > 1 {
		for _, t := range p.tabs {
			out.Tabs = append(out.Tabs, Link{Label: t.label, URL: v.State.WithTab(p.id, t.id).Link(v.Opts.BasePath), Active: t.id == tab.id})
		}
	}
	if event, ok := v.State.Filter(aggregate.Event); ok && tab.custom && event != aggregate.PageviewEvent {
		return v.buildPropsPanel(ctx, r, base, out, event, limit, total)
	}
	q := base
	q.Filters = append(q.Filters[:len(q.Filters):len(q.Filters)], tab.filters()...)
	q.Metrics = []aggregate.Metric{aggregate.Visitors}
	if tab.second != "" {
		q.Metrics = append(q.Metrics, tab.second)
		out.Columns = append(out.Columns, tab.secondTitle)
	}
	if tab.engagement && dim == tab.dim && engagementFilters(q.Filters) {
		for _, c := range engagementColumns {
			q.Metrics, out.Columns = append(q.Metrics, c.m), append(out.Columns, c.title)
		}
	}
	q.Dimensions = []aggregate.Dimension{{Name: dim.String(), Dim: dim}}
	q.Limit = limit
	if dim == aggregate.Country {
		// The map shades every country: one query for all of them (a
		// few hundred codes at most), of which the table shows the top.
		q.Limit = 0
	}
	res, err := r.Run(ctx, q)
	if pf, ok := v.State.PropFilter(); ok && errors.Is(err, aggregate.ErrInvalid) {
		// The engine refuses what property counts cannot answer
		// (aggregate/props.go): say so rather than show numbers.
		out.Note = propNote(pf)
		return out, nil
	}
	if err != nil {
		return out, fmt.Errorf("%s: %w", label, err)
	}
	if dim == aggregate.Region {
		out.Credit = locale.RegionAttribution
	}
	if dim == aggregate.Country {
		out.Map = v.countryMap(res)
		res.Rows = res.Rows[:min(limit, len(res.Rows))]
	}
	out.More = res.More || res.TotalRows > len(res.Rows)
	if out.More && !v.Opts.ReadOnly {
		out.Details = panelLink(v.State.WithTab(p.id, tab.id), v.Opts.BasePath+"/details", p.id)
	}
	for _, row := range res.Rows {
		pr := PanelRow{Label: showValue(dim, row.Dimensions[0]), Filter: v.State.WithFilter(dim, row.Dimensions[0]).Link(v.Opts.BasePath)}
		for i, m := range row.Metrics {
			pr.Raw = append(pr.Raw, float64(m))
			pr.Values = append(pr.Values, formatMetric(q.Metrics[i], float64(m)))
		}
		if total > 0 {
			pr.Bar = min(100, 100*float64(row.Metrics[0])/total)
		}
		out.Rows = append(out.Rows, pr)
	}
	return out, nil
}

// countryMap shades the world map by the visitors of each country in res
// (a breakdown by country, visitors first); each shaded country links to
// the view filtered by it.
func (v *View) countryMap(res aggregate.Result) *worldmap.Map {
	visitors := make(map[string]int64, len(res.Rows))
	for _, row := range res.Rows {
		visitors[row.Dimensions[0]] = int64(row.Metrics[0])
	}
	m := worldmap.Build(visitors,
		func(code string) string { return v.State.WithFilter(aggregate.Country, code).Link(v.Opts.BasePath) },
		func(code string) string {
			if n := locale.CountryName(code); n != "" {
				return n
			}
			return code
		},
		func(n int64) string {
			if n == 1 {
				return "1 visitor"
			}
			return formatMetric(aggregate.Visitors, float64(n)) + " visitors"
		})
	return &m
}

// panelLink is s's link on base with panel=id added (a panel's CSV, its
// Details page).
func panelLink(s State, base, id string) string {
	q := s.Values()
	q.Set("panel", id)
	return base + "?" + q.Encode()
}

func rangeLabel(from, to time.Time) string {
	if from.Equal(to) {
		return from.Format("Mon 2 Jan 2006")
	}
	if from.Year() == to.Year() {
		return from.Format("2 Jan") + " – " + to.Format("2 Jan 2006")
	}
	return from.Format("2 Jan 2006") + " – " + to.Format("2 Jan 2006")
}

// fields lists a query's values as hidden form fields, in a stable order.
func fields(q url.Values) []KV {
	keys := make([]string, 0, len(q))
	for k := range q {
		if k != "period" || q.Get(k) != "" {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	var out []KV
	for _, k := range keys {
		for _, v := range q[k] {
			out = append(out, KV{k, v})
		}
	}
	return out
}

// chipValue shows a filter's value: by name where "is" names one stored
// value, as typed otherwise ("contains ger" is about the codes).
func chipValue(f StateFilter) string {
	if f.Op == aggregate.OpIs || f.Op == aggregate.OpIsNot {
		return showValue(f.Dim, f.Value)
	}
	return f.Value
}
