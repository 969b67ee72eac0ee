package public

import (
	"embed"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"strconv"
	"strings"
)

//go:embed templates/*.tmpl
var templateFS embed.FS

var templates = template.Must(template.New("").Funcs(template.FuncMap{
	"detailsLimit": func() int { return DetailsLimit },
}).ParseFS(templateFS, "templates/*.tmpl"))

// Formats a report can be rendered in.
var Formats = []string{"html", "json", "csv"}

// MethodText states, in one paragraph, how every number of r was protected.
// It is the footer of every format.
func MethodText(r *Report) string {
	m := r.Method
	var b strings.Builder
	fmt.Fprintf(&b, "Period %s (%s to %s, by %s); it has ended: public reports cover closed days only, and no number in them changes later. ", r.Period.Name, r.Period.From, r.Period.To, r.Period.Grain)
	fmt.Fprintf(&b, "Every number is decided once, per calendar day or calendar month, and a longer period shows the sum of what its days and months published, so two periods differ only by numbers that were published themselves. ")
	fmt.Fprintf(&b, "A day is shown when it had at least %d visitors. A month's total is shown when the days not shown held none or at least %d visitors together; otherwise the totals add up the days shown%s. ",
		m.MinVisitors, m.MinVisitors, partialClause(m.PartialTotals))
	if len(m.BreakdownMonths) == 0 {
		b.WriteString("Tables are published for whole closed months only, and this period holds none. ")
	} else {
		fmt.Fprintf(&b, "Tables add up the whole months %s. In each month, only groups of at least %d visitors are shown; smaller groups are combined into %q, and further groups are combined when needed so that %q itself holds at least %d visitors; where it would hold fewer, it is left out, and a table left with a single group names it without numbers. ",
			strings.Join(m.BreakdownMonths, ", "), m.MinVisitors, Other, Other, m.MinVisitors)
		b.WriteString("Over several months a group is shown only if every month showed it or had none of it; otherwise it is part of \"(other)\". ")
	}
	if m.TotalsWithheld {
		b.WriteString("Nothing of this period could be published. ")
	}
	if m.Epsilon > 0 {
		fmt.Fprintf(&b, "Each number a day or month publishes has random noise added once (two-sided geometric mechanism, ε = %s per number, drawn from a key stored for the site, so asking again shows the same noise), is then kept at zero or above, and ", strconv.FormatFloat(m.Epsilon, 'f', -1, 64))
	} else {
		b.WriteString("No random noise is added; each number a day or month publishes ")
	}
	fmt.Fprintf(&b, "is rounded to the nearest multiple of %d. ", m.Round)
	b.WriteString("Visitors are counted per day without cookies (a visitor on two days counts twice). There are no hour-level times, no URL query strings and no per-visitor data in this report.")
	return b.String()
}

func partialClause(partial bool) string {
	if partial {
		return " (as they do in this report, so its totals leave out days with fewer visitors)"
	}
	return ""
}

// WriteJSON writes the report as the JSON document docs/report-schema.json describes.
func WriteJSON(w io.Writer, r *Report) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(struct {
		*Report
		MethodText string `json:"method_text"`
	}{r, MethodText(r)})
}

// WriteCSV writes one row per published number group:
// section,label,visitors,pageviews — suppressed cells stay empty — and the
// method as rows of section "method".
func WriteCSV(w io.Writer, r *Report) error {
	cw := csv.NewWriter(w)
	num := func(p *int64) string {
		if p == nil {
			return ""
		}
		return strconv.FormatInt(*p, 10)
	}
	rows := [][]string{{"section", "label", "visitors", "pageviews"}}
	if r.Totals != nil {
		rows = append(rows, []string{"total", r.Period.Name, num(&r.Totals.Visitors), num(&r.Totals.Pageviews)})
	}
	for _, p := range r.Series {
		rows = append(rows, []string{r.Period.Grain, p.Start, num(p.Visitors), num(p.Pageviews)})
	}
	for _, b := range r.Breakdowns {
		for _, row := range b.Rows {
			rows = append(rows, []string{b.Dimension, row.Value, num(row.Visitors), num(row.Pageviews)})
		}
		if b.Other != nil {
			rows = append(rows, []string{b.Dimension, Other, num(&b.Other.Visitors), num(&b.Other.Pageviews)})
		}
	}
	m := r.Method
	rows = append(rows,
		[]string{"method", "min_visitors=" + strconv.Itoa(m.MinVisitors), "", ""},
		[]string{"method", "round=" + strconv.Itoa(m.Round), "", ""},
		[]string{"method", "epsilon=" + strconv.FormatFloat(m.Epsilon, 'f', -1, 64), "", ""},
		[]string{"method", "totals_withheld=" + strconv.FormatBool(m.TotalsWithheld), "", ""},
		[]string{"method", "partial_totals=" + strconv.FormatBool(m.PartialTotals), "", ""},
		[]string{"method", "breakdown_months=" + strings.Join(m.BreakdownMonths, " "), "", ""},
		[]string{"method", MethodText(r), "", ""},
	)
	for _, row := range rows {
		// A spreadsheet runs a cell starting with = + - @ as a formula;
		// page paths and sources are visitor-supplied text.
		for i, c := range row {
			if c != "" && strings.ContainsRune("=+-@\t\r", rune(c[0])) {
				row[i] = "'" + c
			}
		}
		if err := cw.Write(row); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// Link is an anchor of the page.
type Link struct {
	Label, Href string
	On          bool
	Formats     []Link
}

// Page is what the HTML template shows besides the report: the share
// page's navigation, none for a stand-alone report file.
type Page struct {
	Title       string
	Ranges      []Link // the shared dashboard's range switcher
	Reports     []Link // links to published reports
	PrivacyHref string
	Credits     string // sources of the data shown, e.g. the location database's attribution
	// DetailsBase ("/share/SLUG/details/") and DetailsRange link a
	// table to its whole list; none in a stand-alone report.
	DetailsBase, DetailsRange string
}

type htmlView struct {
	Page
	Report *Report
	Method string
	Chart  *chart
	Tables []htmlTable
}

type htmlTable struct {
	Title, Head string
	Rows        []htmlRow
	Bare        bool
	Details     string // the whole list's page; "" where there is none
}

type htmlRow struct {
	Value     string
	Visitors  string // "" when the group is shown bare
	Pageviews string
	Pct       int
	Other     bool
}

type chart struct {
	Width, Height int
	Bars          []bar
	// The axis under the bars: the first and last bucket, and the tallest
	// bar's visitors, so the chart reads without hovering.
	First, Last, Top string
}

type bar struct {
	X, Y, W, H int
	Label      string
	Suppressed bool
}

// WriteHTML renders the report as a self-contained page: inline styles, a
// server-drawn SVG chart, no script, nothing loaded from elsewhere.
func WriteHTML(w io.Writer, r *Report, pg Page) error {
	v := htmlView{Page: pg, Report: r, Method: MethodText(r), Chart: newChart(r)}
	if v.PrivacyHref == "" {
		v.PrivacyHref = "/privacy"
	}
	v.Tables = tablesOf(r, pg)
	return templates.ExecuteTemplate(w, "report.html.tmpl", v)
}

// tablesOf lays out r's breakdowns for HTML: "n/a" for bare rows, bars
// relative to the largest row, "(other)" last.
func tablesOf(r *Report, pg Page) []htmlTable {
	var out []htmlTable
	for _, b := range r.Breakdowns {
		t := htmlTable{Title: b.Title, Head: columnName(b.Dimension), Details: detailsHref(pg, b)}
		top := int64(1)
		for _, row := range b.Rows {
			if row.Visitors != nil {
				top = max(top, *row.Visitors)
			}
		}
		if b.Other != nil {
			top = max(top, b.Other.Visitors)
		}
		for _, row := range b.Rows {
			hr := htmlRow{Value: row.Value, Visitors: "n/a", Pageviews: "n/a", Pct: 100}
			t.Bare = t.Bare || row.Visitors == nil
			if row.Visitors != nil {
				hr.Visitors, hr.Pageviews = strconv.FormatInt(*row.Visitors, 10), strconv.FormatInt(*row.Pageviews, 10)
				hr.Pct = int(100 * *row.Visitors / top)
			}
			t.Rows = append(t.Rows, hr)
		}
		if b.Other != nil {
			t.Rows = append(t.Rows, htmlRow{Value: Other, Visitors: strconv.FormatInt(b.Other.Visitors, 10),
				Pageviews: strconv.FormatInt(b.Other.Pageviews, 10), Pct: int(100 * b.Other.Visitors / top), Other: true})
		}
		if b.Dimension == "hour_of_day" {
			for i := range t.Rows {
				if !t.Rows[i].Other {
					t.Rows[i].Value += ":00–" + t.Rows[i].Value + ":59"
				}
			}
		}
		out = append(out, t)
	}
	return out
}

func newChart(r *Report) *chart {
	if len(r.Series) == 0 {
		return nil
	}
	const height, gap = 160, 2
	c := &chart{Height: height}
	barW := max(4, 900/len(r.Series)-gap)
	top := int64(1)
	for _, p := range r.Series {
		if p.Visitors != nil {
			top = max(top, *p.Visitors)
		}
	}
	for i, p := range r.Series {
		b := bar{X: i * (barW + gap), W: barW, Label: p.Start + ": not shown", Suppressed: true, H: 3}
		if p.Visitors != nil {
			b.Suppressed = false
			b.H = max(1, int(int64(height-4)**p.Visitors/top))
			b.Label = fmt.Sprintf("%s: %d visitors, %d pageviews", p.Start, *p.Visitors, *p.Pageviews)
		}
		b.Y = height - b.H
		c.Bars = append(c.Bars, b)
	}
	c.Width = len(r.Series) * (barW + gap)
	c.First, c.Last = r.Series[0].Start, r.Series[len(r.Series)-1].Start
	for _, b := range c.Bars {
		if !b.Suppressed {
			c.Top = strconv.FormatInt(top, 10)
		}
	}
	return c
}

// columnName is a breakdown's column header: "os_version" → "OS version",
// "utm_source" → "UTM source", "entry_page" → "Entry page".
func columnName(dim string) string {
	words := strings.Split(dim, "_")
	for i, w := range words {
		switch {
		case w == "os" || w == "utm":
			words[i] = strings.ToUpper(w)
		case i == 0 && w != "":
			words[i] = strings.ToUpper(w[:1]) + w[1:]
		}
	}
	return strings.Join(words, " ")
}
