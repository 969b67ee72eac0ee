package dashboard

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"tally/aggregate"
)

// panelDef is one breakdown box of the dashboard; its tabs pick the
// dimension. The first tab is the default.
type panelDef struct {
	id, title string
	tabs      []tabDef
}

type tabDef struct {
	id, label string
	dim       aggregate.Dim
	// second is the metric shown beside visitors, with its column title.
	second      aggregate.Metric
	secondTitle string
	// drill is the dimension shown instead once this one is filtered
	// ("versions on click": Chrome → Chrome 139, 138 …).
	drill      aggregate.Dim
	drillLabel string
	// custom keeps custom events only (every event name but pageview);
	// with one event picked, the panel shows that event's properties.
	custom bool
	// engagement adds scroll depth and time on page, where the view's
	// filters allow them (engagement is counted per page only).
	engagement bool
}

// engagementColumns are the columns an engagement tab adds.
var engagementColumns = []struct {
	m     aggregate.Metric
	title string
}{{aggregate.ScrollDepth, "Scroll depth"}, {aggregate.TimeOnPage, "Time on page"}}

// engagementFilters reports whether every filter is one engagement is
// counted by (the page, the hostname).
func engagementFilters(fs []aggregate.Filter) bool {
	for _, f := range fs {
		if f.Dim != aggregate.Page && f.Dim != aggregate.Hostname {
			return false
		}
	}
	return true
}

// filters are the tab's own filters, added to the view's.
func (t tabDef) filters() []aggregate.Filter {
	if !t.custom {
		return nil
	}
	f, _ := aggregate.NewFilter(aggregate.OpIsNot, aggregate.Event, []string{aggregate.PageviewEvent})
	return []aggregate.Filter{f}
}

var panels = []panelDef{
	{id: "src", title: "Top sources", tabs: []tabDef{
		{id: "source", label: "Sources", dim: aggregate.Source},
		{id: "referrer", label: "Referrers", dim: aggregate.Referrer},
		{id: "utm_medium", label: "Medium", dim: aggregate.UTMMedium},
		{id: "utm_source", label: "UTM source", dim: aggregate.UTMSource},
		{id: "utm_campaign", label: "Campaign", dim: aggregate.UTMCampaign},
	}},
	{id: "pg", title: "Top pages", tabs: []tabDef{
		{id: "page", label: "Pages", dim: aggregate.Page, second: aggregate.Pageviews, secondTitle: "Pageviews", engagement: true},
		{id: "entry_page", label: "Entry pages", dim: aggregate.EntryPage, second: aggregate.Visits, secondTitle: "Entrances"},
		{id: "exit_page", label: "Exit pages", dim: aggregate.ExitPage, second: aggregate.Visits, secondTitle: "Exits"},
	}},
	{id: "ev", title: "Custom events", tabs: []tabDef{
		{id: "event", label: "Events", dim: aggregate.Event, second: aggregate.Events, secondTitle: "Events", custom: true},
	}},
	{id: "loc", title: "Locations", tabs: []tabDef{
		{id: "country", label: "Countries", dim: aggregate.Country},
		{id: "region", label: "Regions", dim: aggregate.Region},
	}},
	{id: "dev", title: "Devices", tabs: []tabDef{
		{id: "browser", label: "Browsers", dim: aggregate.Browser, drill: aggregate.BrowserVersion, drillLabel: "Browser versions"},
		{id: "os", label: "Operating systems", dim: aggregate.OS, drill: aggregate.OSVersion, drillLabel: "OS versions"},
		{id: "device", label: "Devices", dim: aggregate.Device},
	}},
	{id: "lang", title: "Languages", tabs: []tabDef{
		{id: "language", label: "Languages", dim: aggregate.Language},
	}},
}

// dimLabels name the dimensions in filter chips and CSV files.
var dimLabels = map[aggregate.Dim]string{
	aggregate.Hostname: "Hostname", aggregate.Page: "Page", aggregate.Event: "Event name",
	aggregate.Source: "Source", aggregate.Referrer: "Referrer",
	aggregate.UTMSource: "UTM source", aggregate.UTMMedium: "UTM medium", aggregate.UTMCampaign: "UTM campaign",
	aggregate.UTMContent: "UTM content", aggregate.UTMTerm: "UTM term",
	aggregate.EntryPage: "Entry page", aggregate.ExitPage: "Exit page",
	aggregate.Country: "Country", aggregate.Region: "Region",
	aggregate.Browser: "Browser", aggregate.BrowserVersion: "Browser version",
	aggregate.OS: "OS", aggregate.OSVersion: "OS version", aggregate.Device: "Device",
	aggregate.Language: "Language", aggregate.GoalDim: "Goal",
}

// filterLabel names a filter's dimension in its chip.
func filterLabel(f StateFilter) string {
	if f.Dim == aggregate.PropValue {
		return "Property " + f.Prop
	}
	return dimLabels[f.Dim]
}

// propNote is what a panel says instead of numbers when a property filter
// leaves it nothing it can count.
func propNote(f StateFilter) string {
	return "Not counted per property: custom properties are counted per event name only, so this cannot be filtered by " + f.Prop + "."
}

// activeTab returns the tab a state opens in a panel and the dimension it
// shows, drilled down when its own dimension is filtered.
func activeTab(p panelDef, s State) (tabDef, aggregate.Dim, string) {
	t := p.tabs[0]
	for _, c := range p.tabs {
		if s.Tabs[p.id] == c.id {
			t = c
		}
	}
	if t.drillLabel != "" {
		if _, ok := s.Filter(t.dim); ok {
			return t, t.drill, t.drillLabel
		}
	}
	return t, t.dim, t.label
}

// buildPropsPanel shows the properties of the one custom event the view
// is filtered to, as "key: value" rows with visitors and events; a row
// filters the view by its property (f=props:KEY,VALUE). Properties are
// counted per event name only (aggregate/props.go): under any other
// filter than a property's the panel says so instead of showing numbers
// that would ignore it.
func (v *View) buildPropsPanel(ctx context.Context, r Runner, base aggregate.Query, out Panel, event string, limit int, total float64) (Panel, error) {
	out.Dim, out.Columns = "Properties of "+event, []string{"Visitors", "Events"}
	out.Details = ""
	if !propsCountable(v.State) {
		out.Note = "Properties are counted per event name: remove the other filters to see them."
		return out, nil
	}
	q := propsQuery(base, v.State)
	q.Limit = limit
	res, err := r.Run(ctx, q)
	if err != nil {
		return out, fmt.Errorf("properties of %s: %w", event, err)
	}
	out.More = res.More
	if len(res.Rows) == 0 {
		out.Note = "No properties recorded for " + event + " in this period."
	}
	for _, row := range res.Rows {
		key, value := propKV(v.State, row)
		pr := PanelRow{Label: key + ": " + value, Filter: v.State.WithPropFilter(key, value).Link(v.Opts.BasePath)}
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

// propsCountable reports whether s's filters leave the properties of its
// event countable: properties are counted per event name, so besides the
// event only a property may be filtered.
func propsCountable(s State) bool {
	for _, f := range s.Filters {
		if f.Dim != aggregate.Event && f.Dim != aggregate.PropValue {
			return false
		}
	}
	return true
}

// propsQuery asks base's visitors and events by property key and value;
// under a property filter, of that key only (a query names one key).
// propKV reads a row's key and value.
func propsQuery(base aggregate.Query, s State) aggregate.Query {
	q := base
	q.Metrics = []aggregate.Metric{aggregate.Visitors, aggregate.Events}
	q.Dimensions = []aggregate.Dimension{{Name: "event:props", Dim: aggregate.PropKey}, {Name: "event:props:*", Dim: aggregate.PropValue}}
	if pf, ok := s.PropFilter(); ok {
		q.Dimensions = []aggregate.Dimension{{Name: aggregate.PropPrefix + pf.Prop, Dim: aggregate.PropValue, Prop: pf.Prop}}
	}
	return q
}

// propKV returns the property key and value of a row of propsQuery(…, s).
func propKV(s State, row aggregate.Row) (key, value string) {
	if pf, ok := s.PropFilter(); ok {
		return pf.Prop, row.Dimensions[0]
	}
	return row.Dimensions[0], row.Dimensions[1]
}

// buildGoalsPanel is the "Goal conversions" panel: per goal, its unique
// conversions, total conversions and conversion rate; each row filters the
// view by its goal (f=goal,NAME).
func (v *View) buildGoalsPanel(ctx context.Context, r Runner, base aggregate.Query, limit int) (Panel, error) {
	out := Panel{ID: "goals", Title: "Goal conversions", Dim: "Goal", Columns: []string{"Uniques", "Total", "CR"},
		CSV: panelLink(v.State, v.Opts.BasePath+"/export.csv", "goals")}
	q := base
	q.Metrics = []aggregate.Metric{aggregate.Visitors, aggregate.Events, aggregate.ConversionRate}
	q.Dimensions = []aggregate.Dimension{{Name: aggregate.GoalDimName, Dim: aggregate.GoalDim}}
	q.Limit = limit
	res, err := r.Run(ctx, q)
	if errors.Is(err, aggregate.ErrInvalid) {
		out.Note = "Goals cannot be counted under these filters: " + strings.TrimPrefix(err.Error(), aggregate.ErrInvalid.Error()+": ")
		return out, nil
	} else if err != nil {
		return out, fmt.Errorf("goal conversions: %w", err)
	}
	out.More = res.More
	if len(res.Rows) == 0 {
		out.Note = "No goal conversions in this period."
		if !v.Opts.ReadOnly && !v.Opts.NoSettings {
			out.Note += " Goals are set in the site settings."
		}
	}
	for _, row := range res.Rows {
		pr := PanelRow{Label: row.Dimensions[0], Filter: v.State.WithFilter(aggregate.GoalDim, row.Dimensions[0]).Link(v.Opts.BasePath)}
		for i, m := range row.Metrics {
			pr.Raw = append(pr.Raw, float64(m))
			pr.Values = append(pr.Values, formatMetric(q.Metrics[i], float64(m)))
		}
		pr.Bar = min(100, float64(row.Metrics[2]))
		out.Rows = append(out.Rows, pr)
	}
	return out, nil
}
