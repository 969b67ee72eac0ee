package dashboard

import (
	"context"
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
	if err := f.agg.Sync(context.Background()); err != nil {
		t.Fatal(err)
	}
	b := f.browser()
	b.login("owner@example.com", pw)

	panel := func(body string) string {
		i := strings.Index(body, `id="panel-ev"`)
		if i < 0 {
			t.Fatalf("no custom events panel:\n%s", body)
		}
		j := strings.Index(body[i:], "</section>")
		return body[i : i+j]
	}
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
	for _, want := range []string{"Properties of Signup", "plan: pro</th>\n      <td class=\"num\">2</td><td class=\"num\">3</td>",
		"plan: free", "&lt;img src=x&gt;: &lt;script&gt;alert(2)&lt;/script&gt;"} {
		if !strings.Contains(props, want) {
			t.Errorf("the Signup properties lack %q:\n%s", want, props)
		}
	}
	if strings.Contains(props, "<script>alert(2)") || strings.Contains(props, "<img src=x>") {
		t.Fatal("a hostile property reached the page unescaped")
	}
	other := panel(b.get("/example.com?period=day&f=name,Signup&f=browser,Chrome").body)
	if !strings.Contains(other, "counted per event name") {
		t.Errorf("properties under another filter should say why they are not shown:\n%s", other)
	}
}
