package main

import (
	"fmt"
	"strings"
	"time"

	"tally/account"
	"tally/aggregate"
)

// named is one engine query of a view.
type named struct {
	name string
	q    aggregate.Query
}

// step is a group of queries the page runs at once (with -concurrent);
// the steps of a view run one after the other.
type step []named

// view is one thing a person clicks: a dashboard page, or a few Stats API
// calls.
type view struct {
	name  string
	steps []step
}

// viewNames are the views in the order they run and print.
var viewNames = []string{
	"page", "filter-page", "filter-source", "filter-country", "filter-browser",
	"filter-page-country", "filter-contains", "page-12mo", "heatmap", "api-90d",
}

// The filter values: the most common value of each dimension in bench/synth
// (Zipf, first value most common), except the source, whose most common
// value is direct traffic (""): Google, the second, is the one people click.
const (
	topPage      = "/"
	topSource    = "Google"
	topCountry   = "US"
	topBrowser   = "Chrome"
	pageContains = "post-1" // /blog/post-1, post-10…19, post-100…199: 111 pages
)

func mustFilter(op string, d aggregate.Dim, values ...string) aggregate.Filter {
	f, err := aggregate.NewFilter(op, d, values)
	if err != nil {
		panic(err)
	}
	return f
}

func is(d aggregate.Dim, v string) aggregate.Filter { return mustFilter(aggregate.OpIs, d, v) }

// buildViews returns the views named in list (comma-separated, "" or "all":
// every view). now is the dashboard's clock; end is the start of the UTC
// day the synthetic traffic ends at, which began days before it.
func buildViews(list string, site account.Site, now, end time.Time, days int) ([]view, error) {
	want := map[string]bool{}
	if list == "" || list == "all" {
		for _, n := range viewNames {
			want[n] = true
		}
	} else {
		for _, n := range strings.Split(list, ",") {
			n = strings.TrimSpace(n)
			known := false
			for _, k := range viewNames {
				known = known || k == n
			}
			if !known {
				return nil, fmt.Errorf("unknown view %q; known: %s", n, strings.Join(viewNames, ","))
			}
			want[n] = true
		}
	}
	var out []view
	for _, n := range viewNames {
		if !want[n] {
			continue
		}
		var steps []step
		switch n {
		case "page":
			steps = pageSteps(site, now, "30d")
		case "filter-page":
			steps = pageSteps(site, now, "30d", is(aggregate.Page, topPage))
		case "filter-source":
			steps = pageSteps(site, now, "30d", is(aggregate.Source, topSource))
		case "filter-country":
			steps = pageSteps(site, now, "30d", is(aggregate.Country, topCountry))
		case "filter-browser":
			steps = pageSteps(site, now, "30d", is(aggregate.Browser, topBrowser))
		case "filter-page-country":
			steps = pageSteps(site, now, "30d", is(aggregate.Page, topPage), is(aggregate.Country, topCountry))
		case "filter-contains":
			steps = pageSteps(site, now, "30d", mustFilter(aggregate.OpContains, aggregate.Page, pageContains))
		case "page-12mo":
			steps = pageSteps(site, now, "12mo")
		case "heatmap":
			from, to := mustRange("30d", now, site)
			steps = []step{{heatmapQuery(aggregate.Query{Site: site, From: from, To: to})}}
		case "api-90d":
			steps = apiSteps(site, end, days)
		}
		out = append(out, view{name: n, steps: steps})
	}
	return out, nil
}

func mustRange(period string, now time.Time, site account.Site) (time.Time, time.Time) {
	from, to, err := aggregate.Range(period, now, site.Location(), site.Created)
	if err != nil {
		panic(err)
	}
	return from, to
}

// The dashboard's default panels and tabs (dashboard/panels.go): each panel
// shows its first tab, with the second metric of that tab if it has one.
var pagePanels = []struct {
	dim, drill aggregate.Dim // drill: shown instead when dim is filtered
	hasDrill   bool
	second     aggregate.Metric
}{
	{dim: aggregate.Source},
	{dim: aggregate.Page, second: aggregate.Pageviews},
	{dim: aggregate.Country},
	{dim: aggregate.Browser, drill: aggregate.BrowserVersion, hasDrill: true},
	{dim: aggregate.Language},
}

var kpiMetrics = []aggregate.Metric{aggregate.Visitors, aggregate.Visits, aggregate.Pageviews,
	aggregate.ViewsPerVisit, aggregate.BounceRate, aggregate.VisitDuration}

// pageSteps are the queries of one dashboard page (dashboard/view.go,
// BuildView) for a named period with "is"/"contains" filters applied to
// every query: the KPIs, then the KPIs of the period before (one after the
// other, as buildKPIs runs them), then at once the five panels' top 10,
// the chart series and the hour-of-day heat map.
func pageSteps(site account.Site, now time.Time, period string, filters ...aggregate.Filter) []step {
	from, to := mustRange(period, now, site)
	days := int(to.Sub(from).Hours()/24+0.5) + 1
	base := aggregate.Query{Site: site, From: from, To: to, Filters: filters}

	kpis := base
	kpis.Metrics = kpiMetrics
	prev := kpis
	prev.From, prev.To = from.AddDate(0, 0, -days), to.AddDate(0, 0, -days)

	var rest step
	for _, p := range pagePanels {
		d := p.dim
		for _, f := range filters {
			if p.hasDrill && f.Dim == p.dim {
				d = p.drill
			}
		}
		q := base
		q.Metrics = []aggregate.Metric{aggregate.Visitors}
		if p.second != "" {
			q.Metrics = append(q.Metrics, p.second)
		}
		q.Dimensions = []aggregate.Dimension{{Name: d.String(), Dim: d}}
		q.Limit = 10
		rest = append(rest, named{"top 10 " + d.String(), q})
	}
	interval, grain := "day", aggregate.ByDay // dashboard/chart.go, pickInterval
	switch {
	case days <= 1:
		interval, grain = "hour", aggregate.ByHour
	case days > 92:
		interval, grain = "month", aggregate.ByMonth
	}
	chart := base
	chart.Metrics = []aggregate.Metric{aggregate.Visitors, aggregate.Pageviews}
	chart.Dimensions = []aggregate.Dimension{{Name: "time:" + interval, Grain: grain}}
	rest = append(rest, named{"chart by " + interval, chart}, heatmapQuery(base))
	return []step{{{"kpis", kpis}}, {{"kpis previous period", prev}}, rest}
}

// heatmapQuery is the heat map's query (dashboard/chart.go, buildHeatmap).
func heatmapQuery(base aggregate.Query) named {
	q := base
	q.Metrics = []aggregate.Metric{aggregate.Visitors}
	q.Dimensions = []aggregate.Dimension{
		{Name: "time:day_of_week", Grain: aggregate.ByDayOfWeek},
		{Name: "time:hour_of_day", Grain: aggregate.ByHourOfDay},
	}
	return named{"heat map", q}
}

// apiSteps are four independent Stats API calls over the whole generated
// range (the API's default limit is 10,000 rows).
func apiSteps(site account.Site, end time.Time, days int) []step {
	from, to := end.AddDate(0, 0, -days), end.AddDate(0, 0, -1)
	q := func(metrics []aggregate.Metric, dim aggregate.Dimension, limit int, filters ...aggregate.Filter) aggregate.Query {
		return aggregate.Query{Site: site, From: from, To: to, Metrics: metrics,
			Dimensions: []aggregate.Dimension{dim}, Filters: filters, Limit: limit}
	}
	vp := []aggregate.Metric{aggregate.Visitors, aggregate.Pageviews}
	byDay := q(vp, aggregate.Dimension{Name: "time:day", Grain: aggregate.ByDay}, 10000)
	pages := q([]aggregate.Metric{aggregate.Visitors}, aggregate.Dimension{Name: "event:page", Dim: aggregate.Page}, 10,
		is(aggregate.Country, topCountry))
	sources := q([]aggregate.Metric{aggregate.Visitors}, aggregate.Dimension{Name: "visit:source", Dim: aggregate.Source}, 10000,
		is(aggregate.Page, topPage))
	hours := q(vp, aggregate.Dimension{Name: "time:hour", Grain: aggregate.ByHour}, 10000)
	hours.From = to
	return []step{{
		{"visitors+pageviews by day", byDay},
		{"top 10 pages, country is " + topCountry, pages},
		{"visitors by source, page is " + topPage, sources},
		{"by hour, one day", hours},
	}}
}
