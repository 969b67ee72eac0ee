package dashboard

import (
	"context"
	"encoding/csv"
	"html"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"tally/aggregate"
)

// TestPropertyFilter: a property row of the events panel filters the view
// by that property (f=props:KEY,VALUE), shown as a removable chip; what is
// counted per property follows the filter, and every panel that is not
// says so instead of showing numbers. Hostile keys and values stay text in
// the page, the links and the CSV.
func TestPropertyFilter(t *testing.T) {
	f, b := eventsFixture(t)
	site, err := f.st.Site(context.Background(), "example.com")
	if err != nil {
		t.Fatal(err)
	}
	var k aggregate.Key
	k[aggregate.Hostname], k[aggregate.Page], k[aggregate.Event] = site.Domain, "/files", "Download"
	f.agg.Add(aggregate.Hit{Site: site.ID, Time: f.clock.Now().Add(-80 * 60e9), Visitor: 1003, Key: k, Props: []aggregate.Prop{
		{Key: "x,y!", Value: `=HYPERLINK("http://evil.example")`}, {Key: `q"'<i>`, Value: "a\nb</td>"}}})
	if err := f.agg.Sync(context.Background()); err != nil {
		t.Fatal(err)
	}
	follow := func(body, title string) string {
		t.Helper()
		m := regexp.MustCompile(`<a href="([^"]*)" title="Filter by ` + regexp.QuoteMeta(html.EscapeString(title)) + `">`).FindStringSubmatch(body)
		if m == nil {
			t.Fatalf("no filter link %q in:\n%s", title, body)
		}
		return html.UnescapeString(m[1])
	}

	// Signup's plan=pro row → the view filtered by it.
	link := follow(panelOf(t, b.get("/example.com?period=day&f=name,Signup").body, "ev"), "plan: pro")
	u, _ := url.Parse(link)
	if got := u.Query()["f"]; strings.Join(got, " ") != "name,Signup props:plan,pro" {
		t.Errorf("the row's link filters by %q", got)
	}
	page := b.get(link)
	if page.code != 200 || !strings.Contains(page.body, "Property plan is <strong>pro</strong>") {
		t.Fatalf("%d, no property chip:\n%s", page.code, page.body)
	}
	remove := regexp.MustCompile(`<a class="chip" href="([^"]*)" title="Remove this filter">Property plan`).FindStringSubmatch(page.body)
	if remove == nil || strings.Contains(remove[1], "props") || !strings.Contains(remove[1], "name%2CSignup") {
		t.Errorf("the chip's remove link: %v", remove)
	}
	// Visitors 1000 and 1001 signed up on pro, 1001 twice.
	if kp := kpis(page.body); kp["visitors"] != "2" || kp["pageviews"] != "0" || kp["visits"] != "" {
		t.Errorf("KPIs under plan=pro: %v; want 2 visitors, 0 pageviews, no visits", kp)
	}
	if !strings.Contains(page.body, "Not counted per property") {
		t.Error("the visits' KPIs do not say why they have no number")
	}
	for _, id := range []string{"src", "pg", "loc", "dev", "lang"} {
		if p := panelOf(t, page.body, id); !strings.Contains(p, "counted per event name only, so this cannot be filtered by plan") || strings.Contains(p, `class="breakdown"`) {
			t.Errorf("panel %s under a property filter:\n%s", id, p)
		}
	}
	ev := panelOf(t, page.body, "ev")
	if !strings.Contains(ev, "plan: pro</a></th>\n      <td class=\"num\">2</td><td class=\"num\">3</td>") || strings.Contains(ev, "plan: free") {
		t.Errorf("Signup's properties under plan=pro:\n%s", ev)
	}
	// Custom-event goals follow the filter: 2 of the 3 visitors the other
	// filter (Signup) keeps, as Plausible divides; a pageview goal cannot,
	// and the panel says why.
	if res := b.post("/example.com/settings", "/example.com/goals", url.Values{"kind": {"event"}, "value": {"Signup"}}); res.code != 303 {
		t.Fatalf("add goal: %d", res.code)
	}
	goals := panelOf(t, b.get(link).body, "goals")
	if !strings.Contains(goals, `Signup</a></th>`+"\n      "+`<td class="num">2</td><td class="num">3</td><td class="num">66.67%</td>`) {
		t.Errorf("the Signup goal under plan=pro:\n%s", goals)
	}
	if res := b.post("/example.com/settings", "/example.com/goals", url.Values{"kind": {"page"}, "value": {"/pricing"}}); res.code != 303 {
		t.Fatalf("add goal: %d", res.code)
	}
	if goals := panelOf(t, b.get(link).body, "goals"); !strings.Contains(goals, "pageview goal") {
		t.Errorf("a pageview goal under a property filter:\n%s", goals)
	}

	// The whole view as CSV: the properties of the event picked, an events
	// column, no visits under the property filter, no sections it cannot count.
	rows := readCSV(t, b.get("/example.com/export.csv?"+u.RawQuery).body)
	want := map[string]bool{"Totals,,,2,,0,,,,3": false, "Properties of Signup,event:props:plan,pro,2,,0,,,,3": false}
	for _, r := range rows {
		line := strings.Join(r, ",")
		if _, ok := want[line]; ok {
			want[line] = true
		}
		if r[0] == "Sources" || r[0] == "Pages" || r[0] == "Countries" {
			t.Errorf("a section not counted per property: %v", r)
		}
	}
	for line, seen := range want {
		if !seen {
			t.Errorf("the CSV under plan=pro lacks %s:\n%v", line, rows)
		}
	}
	if all := readCSV(t, b.get("/example.com/export.csv?period=day&f=name,Signup").body); !hasRow(all, "Properties of Signup,event:props:plan,free,1,,0,,,,1") || !hasRow(all, "Events,event:name,Signup,3,0,0,0,0,0,4") {
		t.Errorf("the CSV with Signup picked lacks its properties or its events column:\n%v", all)
	}

	// Hostile keys and values: escaped on the page, in the chip and the
	// link's round trip; text, not formulas, in the CSV.
	ev = panelOf(t, b.get("/example.com?period=day&f=name,Download").body, "ev")
	if strings.Contains(ev, "<i>") || strings.Contains(ev, "b</td>") || !strings.Contains(ev, "q&#34;&#39;&lt;i&gt;: a\nb&lt;/td&gt;") {
		t.Errorf("a hostile property is not escaped:\n%s", ev)
	}
	link = follow(ev, `x,y!: =HYPERLINK("http://evil.example")`)
	page = b.get(link)
	if !strings.Contains(page.body, "Property x,y! is <strong>=HYPERLINK(&#34;http://evil.example&#34;)</strong>") {
		t.Errorf("the hostile property's chip:\n%s", page.body)
	}
	if ev := panelOf(t, page.body, "ev"); !strings.Contains(ev, `x,y!: =HYPERLINK(&#34;http://evil.example&#34;)</a></th>`+"\n      "+`<td class="num">1</td><td class="num">1</td>`) {
		t.Errorf("filtered by the hostile property, its row:\n%s", ev)
	}
	u, _ = url.Parse(link)
	rows = readCSV(t, b.get("/example.com/export.csv?period=day&f=name,Download").body)
	if !hasRow(rows, `Properties of Download,event:props:x,y!,'=HYPERLINK("http://evil.example"),1,,0,,,,1`) ||
		!hasRow(rows, "Properties of Download,event:props:q\"'<i>,a\nb</td>,1,,0,,,,1") {
		t.Errorf("the hostile properties in the CSV:\n%q", rows)
	}
}

func readCSV(t *testing.T, body string) [][]string {
	t.Helper()
	rows, err := csv.NewReader(strings.NewReader(body)).ReadAll()
	if err != nil {
		t.Fatalf("%v:\n%s", err, body)
	}
	return rows
}

func hasRow(rows [][]string, line string) bool {
	for _, r := range rows {
		if strings.Join(r, ",") == line {
			return true
		}
	}
	return false
}
