package dashboard

import (
	"context"
	"fmt"
	"net/url"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"

	"tally/account"
	"tally/aggregate"
)

// A panel shows its top rows; its Details page shows all of them, a page
// at a time, searchable and sortable by each column. It is a plain GET page
// (links and one form), so it works without JavaScript, and every number on
// it comes from the engine like the dashboard's.

const detailsPageSize = 100

// Details is one panel's whole list.
type Details struct {
	Site        account.Site
	Title, Dim  string
	Range       string
	Back, CSV   string
	Self        string // the page itself, where the search form goes
	Search      string
	Hidden      []KV // the state and sort, for the search form
	Columns     []DetailColumn
	Rows        []PanelRow
	Total       int
	First, Last int // the rows shown, counted from 1
	Prev, Next  string
	NameSort    DetailColumn
}

// DetailColumn is a column header: its label and the link that sorts by it
// (descending first, then ascending if it already is).
type DetailColumn struct {
	Label, URL string
	Sort       string // "ascending", "descending" or "" (aria-sort)
}

// detailsParams are the Details page's own parameters besides the state.
type detailsParams struct {
	panel, search, sort string
	asc                 bool
	page                int
}

func (p detailsParams) link(base string, s State) string {
	q := s.Values()
	q.Set("panel", p.panel)
	if p.search != "" {
		q.Set("q", p.search)
	}
	if p.sort != "" {
		q.Set("sort", p.sort)
		if p.asc {
			q.Set("dir", "asc")
		}
	}
	if p.page > 1 {
		q.Set("page", strconv.Itoa(p.page))
	}
	return base + "?" + q.Encode()
}

// DetailsPage answers GET /:domain/details?panel=ID&… with the whole list
// of the panel's open tab.
func (d *Dashboard) DetailsPage(c *fiber.Ctx) error {
	site, err := d.SiteFor(c.UserContext(), CurrentUser(c), c.Params("domain"))
	if err != nil {
		return err
	}
	s := stateOf(c)
	p := detailsParams{panel: c.Query("panel"), search: c.Query("q"), sort: c.Query("sort"), asc: c.Query("dir") == "asc", page: c.QueryInt("page", 1)}
	det, err := BuildDetails(c.UserContext(), d.cfg.Engine, site, s, p, "/"+url.PathEscape(site.Domain), d.cfg.Now())
	if err != nil {
		return err
	}
	return render(c, fiber.StatusOK, "details", d.page(c, det.Title+" · "+site.Domain, det))
}

// BuildDetails runs the query of one Details page.
func BuildDetails(ctx context.Context, r Runner, site account.Site, s State, p detailsParams, base string, now time.Time) (*Details, error) {
	var def *panelDef
	for i := range panels {
		if panels[i].id == p.panel {
			def = &panels[i]
		}
	}
	if def == nil {
		return nil, fiber.NewError(fiber.StatusNotFound, "no such panel")
	}
	if p.page < 1 || p.page > 100000 {
		return nil, fiber.NewError(fiber.StatusBadRequest, "page: must be 1 or more")
	}
	from, to, err := periodRange(s, now, site)
	if err != nil {
		return nil, fiber.NewError(fiber.StatusBadRequest, err.Error())
	}
	tab, dim, label := activeTab(*def, s)
	metrics := []aggregate.Metric{aggregate.Visitors}
	titles := []string{"Visitors"}
	if tab.second != "" {
		metrics, titles = append(metrics, tab.second), append(titles, tab.secondTitle)
	}
	metrics, titles = append(metrics, aggregate.Percentage), append(titles, "%")

	det := &Details{Site: site, Title: label, Dim: label, Range: rangeLabel(from, to), Search: p.search,
		Back: s.Link(base), CSV: panelLink(s.WithTab(def.id, tab.id), base+"/export.csv", def.id)}
	self := base + "/details"
	det.Self = self
	sortable := func(key, title string) DetailColumn {
		next := p
		next.sort, next.page, next.asc = key, 1, false
		col := DetailColumn{Label: title}
		if p.sort == key {
			col.Sort = "descending"
			if p.asc {
				col.Sort = "ascending"
			} else {
				next.asc = true
			}
		}
		col.URL = next.link(self, s)
		return col
	}
	det.NameSort = sortable("name", label)
	for i, m := range metrics {
		det.Columns = append(det.Columns, sortable(string(m), titles[i]))
	}
	det.Hidden = append(fields(s.Values()), KV{"panel", p.panel})
	if p.sort != "" {
		det.Hidden = append(det.Hidden, KV{"sort", p.sort})
		if p.asc {
			det.Hidden = append(det.Hidden, KV{"dir", "asc"})
		}
	}

	d := aggregate.Dimension{Name: dim.String(), Dim: dim}
	q := aggregate.Query{Site: site, From: from, To: to, Filters: append(s.queryFilters(), tab.filters()...), Metrics: metrics,
		Dimensions: []aggregate.Dimension{d}, Limit: detailsPageSize, Offset: (p.page - 1) * detailsPageSize}
	if p.search != "" {
		f, err := aggregate.NewFilter(aggregate.OpContains, dim, []string{p.search})
		if nm := aggregate.NamedDim(dim); nm != "" { // shown by name, so searched by name
			// unless the search is too broad for a filter of names (a
			// letter of thousands of region names): then by code.
			if nf, nerr := aggregate.NewNamedFilter(aggregate.OpContains, nm, []string{p.search}); nerr == nil {
				f, err = nf, nil
			}
		}
		if err != nil {
			return nil, fiber.NewError(fiber.StatusBadRequest, err.Error())
		}
		q.Filters = append(q.Filters, f)
	}
	switch {
	case p.sort == "name":
		q.OrderBy = []aggregate.Order{{By: d.Name, Desc: !p.asc}}
	case aggregate.Metric(p.sort).Valid():
		q.OrderBy = []aggregate.Order{{By: p.sort, Desc: !p.asc}}
	case p.sort != "":
		return nil, fiber.NewError(fiber.StatusBadRequest, fmt.Sprintf("sort: unknown column %q", p.sort))
	}
	q.CountRows = true // "1–50 of N"
	res, err := r.Run(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("details of %s: %w", label, err)
	}
	det.Total = res.TotalRows
	det.First, det.Last = q.Offset+1, q.Offset+len(res.Rows)
	for _, row := range res.Rows {
		pr := PanelRow{Label: showValue(dim, row.Dimensions[0]), Filter: s.WithFilter(dim, row.Dimensions[0]).Link(base)}
		for i, m := range row.Metrics {
			pr.Raw = append(pr.Raw, float64(m))
			pr.Values = append(pr.Values, formatMetric(metrics[i], float64(m)))
			if metrics[i] == aggregate.Percentage {
				pr.Bar = float64(m)
			}
		}
		det.Rows = append(det.Rows, pr)
	}
	if p.page > 1 {
		prev := p
		prev.page--
		det.Prev = prev.link(self, s)
	}
	if det.Last < det.Total {
		next := p
		next.page++
		det.Next = next.link(self, s)
	}
	return det, nil
}
