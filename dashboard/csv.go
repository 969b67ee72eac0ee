package dashboard

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"tally/account"
	"tally/aggregate"
)

// csvMetrics are the columns of every CSV row; events came last, so
// that the earlier columns kept their places. A row leaves empty the
// numbers its section does not count (properties have no visits).
var csvMetrics = []aggregate.Metric{
	aggregate.Visitors, aggregate.Visits, aggregate.Pageviews,
	aggregate.ViewsPerVisit, aggregate.BounceRate, aggregate.VisitDuration,
	aggregate.Events,
}

// SendCSV answers with the CSV of one panel (panelID, e.g. "src", with the
// tab the state has open) or, with panelID "", of the whole view: the
// totals, the time series and every tab of every panel, all rows. Like
// the page, it reads every number through r.
func SendCSV(c *fiber.Ctx, r Runner, site account.Site, s State, o Options, panelID string) error {
	if o.Now.IsZero() {
		o.Now = time.Now()
	}
	from, to, err := periodRange(s, o.Now, site)
	if err != nil {
		return fiber.NewError(fiber.StatusBadRequest, err.Error())
	}
	var buf bytes.Buffer
	name := site.Domain + "_" + from.Format(time.DateOnly) + "_" + to.Format(time.DateOnly)
	if err := WriteCSV(c.UserContext(), &buf, r, site, s, from, to, o, panelID); err != nil {
		return err
	}
	if panelID != "" {
		name += "_" + panelID
	}
	c.Set(fiber.HeaderContentType, "text/csv; charset=utf-8")
	c.Set(fiber.HeaderContentDisposition, fmt.Sprintf(`attachment; filename="%s.csv"`, strings.ReplaceAll(name, `"`, "")))
	return c.Send(buf.Bytes())
}

// WriteCSV writes the rows SendCSV sends. Columns: section, dimension,
// value, then the metrics by their API names. With one custom event
// picked, the events' section is followed by its properties ("Properties
// of EVENT", dimension event:props:KEY). Under a property filter, the
// sections that are not counted per property are left out, and the
// numbers counted per visit are empty.
func WriteCSV(ctx context.Context, buf *bytes.Buffer, r Runner, site account.Site, s State, from, to time.Time, o Options, panelID string) error {
	w := csv.NewWriter(buf)
	if panelID == "goals" {
		return writeGoalsCSV(ctx, w, r, aggregate.Query{Site: site, From: from, To: to, Filters: s.queryFilters()})
	}
	head := []string{"section", "dimension", "value"}
	for _, m := range csvMetrics {
		head = append(head, string(m))
	}
	_ = w.Write(head)
	_, byProp := s.PropFilter()
	base := aggregate.Query{Site: site, From: from, To: to, Filters: s.queryFilters(), Metrics: csvMetrics}
	if byProp {
		base.Metrics = propMetrics(csvMetrics)
	}
	// record writes a row of q's answer in the file's columns.
	record := func(section, dim, value string, q aggregate.Query, row aggregate.Row) {
		rec := []string{cell(section), cell(dim), cell(value)}
		for _, m := range csvMetrics {
			v := ""
			if i := slices.Index(q.Metrics, m); i >= 0 {
				v = strconv.FormatFloat(float64(row.Metrics[i]), 'f', -1, 64)
			}
			rec = append(rec, v)
		}
		_ = w.Write(rec)
	}
	write := func(section, dim string, d aggregate.Dimension, extra ...aggregate.Filter) error {
		q := base
		q.Filters = append(q.Filters[:len(q.Filters):len(q.Filters)], extra...)
		if d.Name != "" {
			q.Dimensions = []aggregate.Dimension{d}
		}
		res, err := r.Run(ctx, q)
		if byProp && errors.Is(err, aggregate.ErrInvalid) {
			return nil // not counted per property (aggregate/props.go)
		}
		if err != nil {
			return fmt.Errorf("csv %s: %w", section, err)
		}
		for _, row := range res.Rows {
			value := ""
			if len(row.Dimensions) > 0 {
				value = row.Dimensions[0]
			}
			record(section, dim, value, q, row)
		}
		return nil
	}
	// props writes the properties of the custom event picked, as the
	// events panel shows them.
	props := func() error {
		event, ok := s.Filter(aggregate.Event)
		if !ok || event == aggregate.PageviewEvent {
			return nil
		}
		if !propsCountable(s) {
			return nil // counted per event name only: no honest numbers
		}
		q := propsQuery(base, s)
		q.Metrics = propMetrics(csvMetrics)
		res, err := r.Run(ctx, q)
		if err != nil {
			return fmt.Errorf("csv properties of %s: %w", event, err)
		}
		for _, row := range res.Rows {
			key, value := propKV(s, row)
			record("Properties of "+event, aggregate.PropPrefix+key, value, q, row)
		}
		return nil
	}
	if panelID == "" {
		if err := write("Totals", "", aggregate.Dimension{}); err != nil {
			return err
		}
		days := int(to.Sub(from).Hours()/24+0.5) + 1
		iv := pickInterval(s.Interval, days, o.NoHourly)
		if err := write("Time series", "time:"+iv, aggregate.Dimension{Name: "time:" + iv, Grain: grains[iv]}); err != nil {
			return err
		}
	}
	found := false
	for _, p := range panels {
		if panelID != "" && panelID != p.id {
			continue
		}
		found = true
		tabs := p.tabs
		if panelID != "" {
			t, _, _ := activeTab(p, s)
			tabs = []tabDef{t}
		}
		for _, t := range tabs {
			_, dim, label := activeTab(p, s.WithTab(p.id, t.id))
			if err := write(label, dim.String(), aggregate.Dimension{Name: dim.String(), Dim: dim}, t.filters()...); err != nil {
				return err
			}
			if t.custom {
				if err := props(); err != nil {
					return err
				}
			}
		}
	}
	if panelID != "" && !found {
		return fiber.NewError(fiber.StatusNotFound, "no such panel: "+panelID)
	}
	w.Flush()
	return w.Error()
}

// cell defuses values that a spreadsheet would run as a formula: visitors
// choose page paths and UTM values, so "=HYPERLINK(…)" must stay text.
func cell(v string) string {
	if v != "" && strings.ContainsRune("=+-@\t\r", rune(v[0])) {
		return "'" + v
	}
	return v
}

// propMetrics are those of ms counted per property.
func propMetrics(ms []aggregate.Metric) []aggregate.Metric {
	var out []aggregate.Metric
	for _, m := range ms {
		if aggregate.PropMetric(m) {
			out = append(out, m)
		}
	}
	return out
}

// writeGoalsCSV writes the Goal conversions panel: its metrics are not the
// other sections' (a goal has no visits of its own), so it is a file of
// its own: section, dimension, value, visitors, events, conversion_rate.
func writeGoalsCSV(ctx context.Context, w *csv.Writer, r Runner, q aggregate.Query) error {
	q.Metrics = []aggregate.Metric{aggregate.Visitors, aggregate.Events, aggregate.ConversionRate}
	q.Dimensions = []aggregate.Dimension{{Name: aggregate.GoalDimName, Dim: aggregate.GoalDim}}
	res, err := r.Run(ctx, q)
	if err != nil {
		return fmt.Errorf("csv goal conversions: %w", err)
	}
	_ = w.Write([]string{"section", "dimension", "value", "visitors", "events", "conversion_rate"})
	for _, row := range res.Rows {
		rec := []string{"Goal conversions", aggregate.GoalDimName, cell(row.Dimensions[0])}
		for _, m := range row.Metrics {
			rec = append(rec, strconv.FormatFloat(float64(m), 'f', -1, 64))
		}
		_ = w.Write(rec)
	}
	w.Flush()
	return w.Error()
}
