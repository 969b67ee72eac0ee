package dashboard

import (
	"context"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"tally/aggregate"
)

// Chart is the main time series, laid out for an SVG drawn on the server.
// The plot's viewBox is chartW × chartH and stretches to its box; axis
// labels are HTML placed by percentage, so text never stretches with it.
type Chart struct {
	Metric    string // "visitors" or "pageviews"
	Label     string // the metric's title
	Interval  string
	Metrics   []Link
	Intervals []Link
	Points    []ChartPoint
	Line      string // SVG polyline points of the past buckets
	Area      string // the same, closed along the bottom
	// Dots mark the past points where a line alone would not show them: a
	// one-point line draws nothing, and a sparse series reads better with
	// each value marked. HTML placed by percentage, so they stay round
	// however the SVG stretches.
	Dots   []Dot
	YTicks []Tick
	XTicks []Tick
}

// ChartPoint is one bucket of the series.
type ChartPoint struct {
	Key       string // the engine's bucket value, e.g. "2025-01-02"
	Label     string // for people, e.g. "Thu 2 Jan"
	Visitors  float64
	Pageviews float64
	Value     float64 // of the chart's metric
	X, Y      float64
	Future    bool // the bucket has not started yet
}

// Dot is a point's marker, at percentages of the plot from its left and bottom.
type Dot struct{ Left, Bottom float64 }

// Tick is an axis label at Pct of the axis (from the left, or from the bottom).
type Tick struct {
	Label string
	Pct   float64
}

const chartW, chartH = 1000.0, 300.0

// maxDots is the most points that get a dot each (a month of days).
const maxDots = 31

func (v *View) buildChart(ctx context.Context, r Runner, base aggregate.Query, days int) error {
	s := v.State
	c := Chart{Metric: s.Metric, Label: "Visitors", Interval: pickInterval(s.Interval, days, v.Opts.NoHourly)}
	if c.Metric == "pageviews" {
		c.Label = "Pageviews"
	}
	for _, m := range []struct{ id, label string }{{"visitors", "Visitors"}, {"pageviews", "Pageviews"}} {
		c.Metrics = append(c.Metrics, Link{Label: m.label, URL: s.withMetric(m.id).Link(v.Opts.BasePath), Active: m.id == c.Metric})
	}
	for _, i := range intervals {
		if allowedInterval(i, days, v.Opts.NoHourly) {
			c.Intervals = append(c.Intervals, Link{Label: strings.ToUpper(i[:1]) + i[1:], URL: s.withInterval(i).Link(v.Opts.BasePath), Active: i == c.Interval})
		}
	}

	q := base
	q.Metrics = []aggregate.Metric{aggregate.Visitors, aggregate.Pageviews}
	q.Dimensions = []aggregate.Dimension{{Name: "time:" + c.Interval, Grain: grains[c.Interval]}}
	res, err := r.Run(ctx, q)
	if err != nil {
		return fmt.Errorf("chart: %w", err)
	}
	got := map[string][2]float64{}
	for _, row := range res.Rows {
		got[row.Dimensions[0]] = [2]float64{float64(row.Metrics[0]), float64(row.Metrics[1])}
	}
	// Fill the gaps: every bucket of the range is a point, with or without hits.
	for _, b := range buckets(c.Interval, v.From, v.To) {
		n := got[b.key]
		p := ChartPoint{Key: b.key, Label: b.label, Visitors: n[0], Pageviews: n[1], Future: b.start.After(v.Opts.Now)}
		p.Value = p.Visitors
		if c.Metric == "pageviews" {
			p.Value = p.Pageviews
		}
		c.Points = append(c.Points, p)
	}
	c.layout()
	v.Chart = c
	return nil
}

var grains = map[string]aggregate.Grain{"hour": aggregate.ByHour, "day": aggregate.ByDay, "week": aggregate.ByWeek, "month": aggregate.ByMonth}

// allowedInterval keeps the number of points sensible for the range.
func allowedInterval(i string, days int, noHourly bool) bool {
	switch i {
	case "hour":
		return days <= 7 && !noHourly
	case "day":
		return days <= 400
	case "week":
		return days >= 7
	case "month":
		return days >= 28
	}
	return false
}

func pickInterval(asked string, days int, noHourly bool) string {
	if asked != "" && allowedInterval(asked, days, noHourly) {
		return asked
	}
	switch {
	case days <= 1 && !noHourly:
		return "hour"
	case days <= 92:
		return "day"
	}
	return "month"
}

type bucket struct {
	key, label string
	start      time.Time
}

// buckets lists every bucket of the range with the key the engine gives it.
func buckets(interval string, from, to time.Time) []bucket {
	var out []bucket
	end := to.AddDate(0, 0, 1)
	switch interval {
	case "hour":
		for d := from; d.Before(end); d = d.AddDate(0, 0, 1) {
			for h := 0; h < 24; h++ {
				t := time.Date(d.Year(), d.Month(), d.Day(), h, 0, 0, 0, d.Location())
				if t.Hour() != h {
					continue // skipped by a daylight-saving change
				}
				label := t.Format("15:00")
				if !from.Equal(to) {
					label = t.Format("Mon 2 Jan 15:00")
				}
				out = append(out, bucket{t.Format(time.DateTime), label, t})
			}
		}
	case "day":
		for d := from; d.Before(end); d = d.AddDate(0, 0, 1) {
			out = append(out, bucket{d.Format(time.DateOnly), d.Format("Mon 2 Jan"), d})
		}
	case "week":
		d := from.AddDate(0, 0, -((int(from.Weekday()) + 6) % 7))
		for ; d.Before(end); d = d.AddDate(0, 0, 7) {
			out = append(out, bucket{d.Format(time.DateOnly), "Week of " + d.Format("2 Jan"), d})
		}
	default:
		d := time.Date(from.Year(), from.Month(), 1, 0, 0, 0, 0, from.Location())
		for ; d.Before(end); d = d.AddDate(0, 1, 0) {
			out = append(out, bucket{d.Format(time.DateOnly), d.Format("January 2006"), d})
		}
	}
	return out
}

// layout places the points in the viewBox and picks the axis labels.
func (c *Chart) layout() {
	maxV := 0.0
	for _, p := range c.Points {
		maxV = math.Max(maxV, p.Value)
	}
	top, step := niceScale(maxV)
	n := len(c.Points)
	var line []string
	for i := range c.Points {
		p := &c.Points[i]
		p.X = chartW / 2
		if n > 1 {
			p.X = chartW * float64(i) / float64(n-1)
		}
		p.Y = chartH - chartH*p.Value/top
		if !p.Future {
			line = append(line, coord(p.X)+","+coord(p.Y))
		}
	}
	c.Line = strings.Join(line, " ")
	if len(line) <= maxDots {
		for _, p := range c.Points[:len(line)] {
			c.Dots = append(c.Dots, Dot{Left: 100 * p.X / chartW, Bottom: 100 * (chartH - p.Y) / chartH})
		}
	}
	if len(line) > 1 { // one point has no area: its dot shows it
		last := c.Points[len(line)-1]
		c.Area = "0," + coord(chartH) + " " + c.Line + " " + coord(last.X) + "," + coord(chartH)
	}
	for v := 0.0; v <= top+step/2; v += step {
		c.YTicks = append(c.YTicks, Tick{Label: formatCount(v), Pct: 100 * v / top})
	}
	labels := min(n, 6)
	for k := 0; k < labels; k++ {
		i := 0
		if labels > 1 {
			i = k * (n - 1) / (labels - 1)
		}
		c.XTicks = append(c.XTicks, Tick{Label: c.Points[i].Label, Pct: 100 * c.Points[i].X / chartW})
	}
}

// niceScale rounds the axis up to four steps of 1, 2 or 5 × 10ⁿ.
func niceScale(maxV float64) (top, step float64) {
	if maxV <= 4 {
		return 4, 1
	}
	raw := maxV / 4
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	for _, m := range []float64{1, 2, 2.5, 5, 10} {
		if step = m * mag; step >= raw {
			break
		}
	}
	if step < 1 {
		step = 1
	}
	return 4 * step, step
}

func coord(f float64) string { return strconv.FormatFloat(f, 'f', 1, 64) }

// Heatmap is visitors by weekday (rows, Monday first) and hour of day.
type Heatmap struct {
	Hours []int
	Days  []HeatDay
}

// HeatDay is one row of the heat map.
type HeatDay struct {
	Label string
	Cells []HeatCell
}

// HeatCell is one hour of one weekday; Level is 0–1 of the busiest cell.
type HeatCell struct {
	Hour  int
	Value float64
	Text  string
	Level float64
}

var weekdays = []string{"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"}

func buildHeatmap(ctx context.Context, r Runner, base aggregate.Query) (*Heatmap, error) {
	q := base
	q.Metrics = []aggregate.Metric{aggregate.Visitors}
	q.Dimensions = []aggregate.Dimension{
		{Name: "time:day_of_week", Grain: aggregate.ByDayOfWeek},
		{Name: "time:hour_of_day", Grain: aggregate.ByHourOfDay},
	}
	res, err := r.Run(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("heat map: %w", err)
	}
	var grid [7][24]float64
	maxV := 0.0
	for _, row := range res.Rows {
		d, err1 := strconv.Atoi(row.Dimensions[0])
		h, err2 := strconv.Atoi(row.Dimensions[1])
		if err1 != nil || err2 != nil || d < 1 || d > 7 || h < 0 || h > 23 {
			continue
		}
		grid[d-1][h] = float64(row.Metrics[0])
		maxV = math.Max(maxV, grid[d-1][h])
	}
	hm := &Heatmap{}
	for h := 0; h < 24; h++ {
		hm.Hours = append(hm.Hours, h)
	}
	for d, name := range weekdays {
		day := HeatDay{Label: name}
		for h := 0; h < 24; h++ {
			cell := HeatCell{Hour: h, Value: grid[d][h], Text: formatCount(grid[d][h])}
			if maxV > 0 {
				cell.Level = math.Round(100*grid[d][h]/maxV) / 100
			}
			day.Cells = append(day.Cells, cell)
		}
		hm.Days = append(hm.Days, day)
	}
	return hm, nil
}

// sparkline is an SVG polyline of values in a 100 × 24 viewBox.
func sparkline(values []float64) string {
	maxV := 0.0
	for _, v := range values {
		maxV = math.Max(maxV, v)
	}
	if maxV == 0 {
		maxV = 1
	}
	pts := make([]string, len(values))
	for i, v := range values {
		x := 50.0
		if len(values) > 1 {
			x = 100 * float64(i) / float64(len(values)-1)
		}
		pts[i] = coord(x) + "," + coord(23-22*v/maxV)
	}
	return strings.Join(pts, " ")
}
