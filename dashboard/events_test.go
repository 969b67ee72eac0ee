package dashboard

import (
	"context"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"tally/aggregate"
)

// The custom events panel: event names with visitors and events, each a
// filter; once one is picked, its properties; hostile property keys and
// values escaped.
func TestEventsPanel(t *testing.T) {
	_, b := eventsFixture(t)
	panel := func(body string) string { return panelOf(t, body, "ev") }
	row := regexp.MustCompile(`<a href="([^"]*)" title="Filter by Signup">Signup</a></th>\s*<td class="num">(\d+)</td><td class="num">(\d+)</td>`)
	ev := panel(b.get("/example.com?period=day").body)
	m := row.FindStringSubmatch(ev)
	if m == nil {
		t.Fatalf("no Signup row with visitors and events:\n%s", ev)
	}
	if m[2] != "3" || m[3] != "4" {
		t.Errorf("Signup: %s visitors, %s events; want 3, 4", m[2], m[3])
	}
	if strings.Contains(ev, ">pageview<") {
		t.Error("the custom events panel lists pageviews")
	}

	props := panel(b.get(strings.ReplaceAll(m[1], "&amp;", "&")).body)
	for _, want := range []string{"Properties of Signup", "plan: pro</a></th>\n      <td class=\"num\">2</td><td class=\"num\">3</td>",
		"plan: free", "&lt;img src=x&gt;: &lt;script&gt;alert(2)&lt;/script&gt;"} {
		if !strings.Contains(props, want) {
			t.Errorf("the Signup properties lack %q:\n%s", want, props)
		}
	}
	if strings.Contains(props, "<script>alert(2)") || strings.Contains(props, "<img src=x>") {
		t.Fatal("a hostile property reached the page unescaped")
	}
	det := b.get("/example.com/details?panel=ev&period=day")
	if det.code != 200 || !strings.Contains(det.body, ">Signup</a>") || strings.Contains(det.body, ">pageview</a>") {
		t.Errorf("the custom events' details page: %d, Signup listed %v, pageview listed %v", det.code,
			strings.Contains(det.body, ">Signup</a>"), strings.Contains(det.body, ">pageview</a>"))
	}
	other := panel(b.get("/example.com?period=day&f=name,Signup&f=browser,Chrome").body)
	if !strings.Contains(other, "counted per event name") {
		t.Errorf("properties under another filter should say why they are not shown:\n%s", other)
	}
}

// The pages panel shows scroll depth and time on page where the filters
// allow them.
func TestPagesEngagementColumns(t *testing.T) {
	_, b := eventsFixture(t)
	pages := panelOf(t, b.get("/example.com?period=day").body, "pg")
	want := `title="Filter by /about">/about</a></th>` + "\n      " +
		`<td class="num">10</td><td class="num">10</td><td class="num">80%</td><td class="num">1m 05s</td>`
	if !strings.Contains(pages, ">Scroll depth</th>") || !strings.Contains(pages, want) {
		t.Errorf("the pages panel lacks engagement (%s):\n%s", want, pages)
	}
	if p := panelOf(t, b.get("/example.com?period=day&f=browser,Chrome").body, "pg"); strings.Contains(p, "Scroll depth") {
		t.Errorf("engagement columns under a browser filter, which engagement is not counted by")
	}
}

// The Goal conversions panel: goals added in the site settings count the
// hits stored before them; a row filters the view by its goal.
func TestGoalsPanel(t *testing.T) {
	_, b := eventsFixture(t)
	if p := panelOf(t, b.get("/example.com?period=day").body, "goals"); !strings.Contains(p, "Goals are set in the site settings") {
		t.Errorf("a site without goals: %s", p)
	}
	for _, g := range []url.Values{{"kind": {"event"}, "value": {"Signup"}}, {"kind": {"page"}, "value": {"/pricing"}}} {
		if res := b.post("/example.com/settings", "/example.com/goals", g); res.code != 303 {
			t.Fatalf("add goal %v: %d %s", g, res.code, res.body)
		}
	}
	if res := b.post("/example.com/settings", "/example.com/goals", url.Values{"kind": {"page"}, "value": {"pricing"}}); res.code != 400 || !strings.Contains(res.body, "starts with /") {
		t.Errorf("a bad page pattern: %d", res.code)
	}
	settings := b.get("/example.com/settings").body
	if !strings.Contains(settings, "<th scope=\"row\">Signup</th>") || !strings.Contains(settings, "Visit /pricing") {
		t.Fatalf("the settings do not list the goals")
	}
	goals := panelOf(t, b.get("/example.com?period=day").body, "goals")
	// 11 visitors; 3 signed up (4 events); 10 saw /pricing (10 pageviews).
	for _, want := range []string{
		`title="Filter by Signup">Signup</a></th>` + "\n      " + `<td class="num">3</td><td class="num">4</td><td class="num">27.27%</td>`,
		`title="Filter by Visit /pricing">Visit /pricing</a></th>` + "\n      " + `<td class="num">10</td><td class="num">10</td><td class="num">90.91%</td>`,
	} {
		if !strings.Contains(goals, want) {
			t.Errorf("the goals panel lacks %s:\n%s", want, goals)
		}
	}
	link := regexp.MustCompile(`href="([^"]*)" title="Filter by Signup"`).FindStringSubmatch(goals)
	if link == nil {
		t.Fatal("no filter link on the Signup goal")
	}
	filtered := b.get(strings.ReplaceAll(link[1], "&amp;", "&")).body
	if k := kpis(filtered); k["visitors"] != "3" || !strings.Contains(filtered, "Goal is <strong>Signup</strong>") {
		t.Errorf("filtered by the Signup goal: %v", k)
	}
	id := regexp.MustCompile(`name="id" value="(\d+)"`).FindStringSubmatch(settings)
	if res := b.post("/example.com/settings", "/example.com/goals/delete", url.Values{"id": {id[1]}}); res.code != 303 {
		t.Fatalf("delete goal: %d", res.code)
	}
	if p := panelOf(t, b.get("/example.com?period=day").body, "goals"); strings.Contains(p, ">Signup<") {
		t.Errorf("a deleted goal still shows")
	}
	csv := b.get("/example.com/export.csv?period=day&panel=goals").body
	if !strings.Contains(csv, "Goal conversions,event:goal,Visit /pricing,10,10,90.91") {
		t.Errorf("goals CSV:\n%s", csv)
	}
}

func panelOf(t *testing.T, body, id string) string {
	t.Helper()
	i := strings.Index(body, `id="panel-`+id+`"`)
	if i < 0 {
		t.Fatalf("no panel %s:\n%s", id, body)
	}
	j := strings.Index(body[i:], "</section>")
	return body[i : i+j]
}

func eventsFixture(t *testing.T) (*fixture, *browser) {
	f := newFixture(t)
	f.addUser("owner@example.com", pw, true)
	site := f.addSite("example.com", 0)
	f.scenario(site)
	at := f.clock.Now().Add(-90 * time.Minute)
	signup := func(visitor uint64, props ...aggregate.Prop) {
		var k aggregate.Key
		k[aggregate.Hostname], k[aggregate.Page], k[aggregate.Event] = site.Domain, "/pricing", "Signup"
		k[aggregate.Browser], k[aggregate.OS], k[aggregate.Device] = "Chrome", "Windows", "Desktop"
		f.agg.Add(aggregate.Hit{Site: site.ID, Time: at, Visitor: visitor, Key: k, Props: props})
	}
	signup(1000, aggregate.Prop{Key: "plan", Value: "pro"})
	signup(1001, aggregate.Prop{Key: "plan", Value: "pro"})
	signup(1001, aggregate.Prop{Key: "plan", Value: "pro"})
	signup(1002, aggregate.Prop{Key: "plan", Value: "free"}, aggregate.Prop{Key: "<img src=x>", Value: "<script>alert(2)</script>"})
	var k aggregate.Key
	k[aggregate.Hostname], k[aggregate.Page], k[aggregate.Event] = site.Domain, "/about", aggregate.EngagementEvent
	f.agg.Add(aggregate.Hit{Site: site.ID, Time: at, Visitor: 1000, Key: k, ScrollDepth: 80, Engaged: 65000})
	if err := f.agg.Sync(context.Background()); err != nil {
		t.Fatal(err)
	}
	b := f.browser()
	b.login("owner@example.com", pw)
	return f, b
}
