package public

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/url"
	"sort"
	"strings"

	"github.com/gofiber/fiber/v2"
)

// ShareDetails is GET /share/:slug/details/:table[?range=…&q=…&sort=…]: the
// whole list behind one table of the share page ("Details"), from
// Builder.Details — up to DetailsLimit groups a month instead of rowLimit,
// under every rule of the share page. Search and sort only choose and order
// rows already published: they are not queries, and the numbers do not
// depend on them (nor on any other parameter but range).
func (h *Handler) ShareDetails(c *fiber.Ctx) error {
	sh, site, err := h.share(c)
	if err != nil {
		return err
	}
	table := c.Params("table")
	if !DetailsSection(table) {
		return errNotFound
	}
	loc := site.Location()
	rng := c.Query("range", "last_month")
	now := h.now()
	per, err := RangePeriod(rng, now, loc)
	if err != nil {
		return fiber.NewError(fiber.StatusBadRequest, "unknown range: want last_month, 30d, month or 12mo")
	}
	// The cache keeps the protected list as JSON; search and sort are
	// applied to a copy for each reader.
	key := fmt.Sprintf("%s\x00%s\x00%+v\x00%s\x00details\x00%s", sh.Slug, rng, PolicyOf(sh), now.In(loc).Format("2006-01-02"), table)
	doc, err := h.pages.get(c.UserContext(), key, func() ([]byte, error) {
		rep, err := h.builder.Details(c.UserContext(), site, PolicyOf(sh), per, now, table)
		if err != nil {
			return nil, err
		}
		return json.Marshal(rep)
	})
	if err != nil {
		return err
	}
	var rep Report
	if err := json.Unmarshal(doc, &rep); err != nil {
		return fmt.Errorf("details of %s: %w", table, err)
	}
	q := strings.TrimSpace(c.Query("q"))
	if len(q) > 200 {
		q = q[:200]
	}
	sortBy := c.Query("sort")
	if sortBy != "value" && sortBy != "pageviews" {
		sortBy = "visitors"
	}
	base := "/share/" + sh.Slug
	v := detailsView{Title: site.Domain + ": " + strings.ToLower(rep.Breakdowns[0].Title[:1]) + rep.Breakdowns[0].Title[1:],
		Report: &rep, Back: base + "?range=" + url.QueryEscape(rng), Action: base + "/details/" + table,
		Range: rng, Query: q, Sort: sortBy, PrivacyHref: "/privacy?site=" + site.Domain, Credits: h.inst.Credits,
		Method: MethodText(&rep)}
	for _, r := range shareRanges {
		v.Ranges = append(v.Ranges, Link{Label: r.label, Href: v.Action + "?" + detailsQuery(r.name, q, sortBy), On: r.name == rng})
	}
	for _, col := range []struct{ id, label string }{{"value", columnName(table)}, {"visitors", "Visitors"}, {"pageviews", "Pageviews"}} {
		v.Columns = append(v.Columns, Link{Label: col.label, Href: v.Action + "?" + detailsQuery(rng, q, col.id), On: col.id == sortBy})
	}
	v.Table, v.Shown, v.Total = detailsTable(rep.Breakdowns[0], q, sortBy)
	var buf bytes.Buffer
	if err := templates.ExecuteTemplate(&buf, "details.html.tmpl", v); err != nil {
		return err
	}
	publicHeaders(c)
	// The search box submits to this page; nothing else is allowed.
	c.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'self'")
	c.Type("html", "utf-8")
	return c.Send(buf.Bytes())
}

type detailsView struct {
	Title, Back, Action, Range, Query, Sort, PrivacyHref, Credits, Method string
	Report                                                                *Report
	Ranges, Columns                                                       []Link
	Table                                                                 htmlTable
	Shown, Total                                                          int
}

func detailsQuery(rng, q, sortBy string) string {
	v := url.Values{"range": {rng}}
	if q != "" {
		v.Set("q", q)
	}
	if sortBy != "visitors" {
		v.Set("sort", sortBy)
	}
	return v.Encode()
}

// detailsTable lists the published rows of b that contain q (any case),
// sorted by sortBy; "(other)" stays last and is left out while searching
// (it is no group to find). shown and total count the groups.
func detailsTable(b Breakdown, q, sortBy string) (t htmlTable, shown, total int) {
	rows := make([]Row, 0, len(b.Rows))
	for _, r := range b.Rows {
		if q == "" || strings.Contains(strings.ToLower(r.Value), strings.ToLower(q)) {
			rows = append(rows, r)
		}
	}
	num := func(p *int64) int64 {
		if p == nil {
			return -1
		}
		return *p
	}
	sort.SliceStable(rows, func(i, j int) bool {
		switch sortBy {
		case "value":
			return rows[i].Value < rows[j].Value
		case "pageviews":
			return num(rows[i].Pageviews) > num(rows[j].Pageviews)
		}
		return num(rows[i].Visitors) > num(rows[j].Visitors)
	})
	sub := b
	sub.Rows = rows
	if q != "" {
		sub.Other = nil
	}
	full := tablesOf(&Report{Breakdowns: []Breakdown{sub}}, Page{})[0]
	full.Bare = full.Bare || bareTable(b)
	return full, len(rows), len(b.Rows)
}

func bareTable(b Breakdown) bool {
	for _, r := range b.Rows {
		if r.Visitors == nil {
			return true
		}
	}
	return false
}

// detailsHref is the Details link under a share page's table: only where
// the table may hold back groups — it has a remainder, or as many rows as
// a table shows — and never for a bare table or the hours of the day.
func detailsHref(pg Page, b Breakdown) string {
	if pg.DetailsBase == "" || !DetailsSection(b.Dimension) || bareTable(b) {
		return ""
	}
	if b.Other == nil && len(b.Rows) < rowLimit {
		return ""
	}
	return pg.DetailsBase + b.Dimension + "?" + detailsQuery(pg.DetailsRange, "", "visitors")
}
