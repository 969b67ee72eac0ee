package dashboard

import (
	"context"
	"encoding/json"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"tally/aggregate"
	"tally/aggregate/storetest"
)

// A funnel made in the site settings, counted as visits happen, shown in
// the dashboard's Funnels panel and as JSON; a goal it uses cannot be
// deleted until the funnel is.
func TestFunnelsPanel(t *testing.T) {
	f, b := funnelFixture(t)
	home := b.get("/example.com?period=day").body
	i := strings.Index(home, `id="funnels"`)
	if i < 0 {
		t.Fatalf("no Funnels panel:\n%s", home)
	}
	panel := home[i : i+strings.Index(home[i:], "</section>")]
	since := f.clock.Now().Format("2 Jan 2006")
	for _, want := range []string{
		"<strong>Signup flow</strong>",
		"Counts visits from when the funnel was defined (" + since + ")",
		`<span class="muted">1.</span> Visit /pricing`, "<strong>10</strong> visits · 100% of step 1",
		`<span class="muted">2.</span> Signup`, "<strong>6</strong> visits · 60% of step 1 · <span class=\"drop\">4 dropped off (40%)</span>",
		`<span class="muted">3.</span> Visit /welcome/**`, "<strong>3</strong> visits · 30% of step 1 · <span class=\"drop\">3 dropped off (50%)</span>",
		`style="width:60.0%"`,
	} {
		if !strings.Contains(panel, want) {
			t.Errorf("the Funnels panel lacks %q:\n%s", want, panel)
		}
	}
	// A second funnel becomes a tab, selected with fn=ID in the URL.
	if res := b.post("/example.com/settings", "/example.com/funnels", url.Values{"name": {"Short"}, "step": {f.goal("Signup"), f.goal("Visit /welcome/**"), ""}}); res.code != 303 {
		t.Fatalf("add a second funnel: %d %s", res.code, res.body)
	}
	home = b.get("/example.com?period=day").body
	tab := regexp.MustCompile(`href="([^"]*fn=\d+[^"]*)">Short</a>`).FindStringSubmatch(home)
	if tab == nil {
		t.Fatalf("no tab of the second funnel")
	}
	short := b.get(strings.ReplaceAll(tab[1], "&amp;", "&")).body
	if !strings.Contains(short, "<strong>Short</strong>") || !strings.Contains(short, "<strong>0</strong> visits") {
		t.Errorf("the second funnel (defined after the visits) shows other counts")
	}

	res := b.get("/example.com/funnel.json?period=day")
	var got funnelJSON
	if err := json.Unmarshal([]byte(res.body), &got); err != nil || res.code != 200 {
		t.Fatalf("funnel.json: %d %s", res.code, res.body)
	}
	if got.Funnel.Name != "Signup flow" || len(got.Steps) != 3 || got.Steps[0].Visits != 10 || got.Steps[1].DropOff != 4 || got.Steps[2].Conversion != 30 {
		t.Errorf("funnel.json = %+v", got)
	}
	if res := b.get("/example.com/funnel.json?fn=42"); res.code != 404 {
		t.Errorf("funnel.json of an unknown funnel: %d", res.code)
	}

	res = b.post("/example.com/settings", "/example.com/goals/delete", url.Values{"id": {f.goal("Signup")}})
	if res.code != 403 || !strings.Contains(res.body, `funnel &#34;Signup flow&#34;`) {
		t.Errorf("deleting a goal a funnel uses: %d %s", res.code, res.body)
	}
	settings := b.get("/example.com/settings").body
	if !strings.Contains(settings, "<th scope=\"row\">Signup flow</th><td>Visit /pricing → Signup → Visit /welcome/**</td>") {
		t.Fatalf("the settings do not list the funnel:\n%s", settings)
	}
	if res := b.post("/example.com/settings", "/example.com/funnels", url.Values{"name": {"One"}, "step": {f.goal("Signup")}}); res.code != 400 || !strings.Contains(res.body, "A funnel has 2 to 8 steps") {
		t.Errorf("a funnel of one step: %d", res.code)
	}
	for _, id := range regexp.MustCompile(`action="/example.com/funnels/delete" class="inline">\s*<input type="hidden" name="csrf" value="[^"]*"><input type="hidden" name="id" value="(\d+)"`).FindAllStringSubmatch(settings, -1) {
		if res := b.post("/example.com/settings", "/example.com/funnels/delete", url.Values{"id": {id[1]}}); res.code != 303 {
			t.Fatalf("delete funnel: %d", res.code)
		}
	}
	if strings.Contains(b.get("/example.com?period=day").body, `id="funnels"`) {
		t.Errorf("a site without funnels shows the Funnels panel")
	}
	if res := b.post("/example.com/settings", "/example.com/goals/delete", url.Values{"id": {f.goal("Signup")}}); res.code != 303 {
		t.Errorf("deleting the goal once no funnel uses it: %d", res.code)
	}
}

// funnelFix is a fixture whose site has three goals, a funnel of them
// made through the settings form, and FunnelHits counted after it.
type funnelFix struct {
	*fixture
	goals map[string]string // name → id
}

func (f *funnelFix) goal(name string) string { return f.goals[name] }

func funnelFixture(t *testing.T) (*funnelFix, *browser) {
	f := &funnelFix{fixture: newFixture(t), goals: map[string]string{}}
	f.addUser("owner@example.com", pw, true)
	site := f.addSite("example.com", 0)
	b := f.browser()
	b.login("owner@example.com", pw)
	for _, g := range []url.Values{{"kind": {"page"}, "value": {"/pricing"}}, {"kind": {"event"}, "value": {"Signup"}}, {"kind": {"page"}, "value": {"/welcome/**"}}} {
		if res := b.post("/example.com/settings", "/example.com/goals", g); res.code != 303 {
			t.Fatalf("add goal %v: %d", g, res.code)
		}
	}
	ctx := context.Background()
	goals, err := f.st.Goals(ctx, site.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, g := range goals {
		f.goals[g.Name()] = itoa(g.ID)
	}
	if !strings.Contains(b.get("/example.com/settings").body, `<option value="`+f.goal("Signup")+`">Signup</option>`) {
		t.Fatal("the funnel form does not offer the goals")
	}
	form := url.Values{"name": {"Signup flow"}, "step": {f.goal("Visit /pricing"), f.goal("Signup"), f.goal("Visit /welcome/**"), "", ""}}
	if res := b.post("/example.com/settings", "/example.com/funnels", form); res.code != 303 {
		t.Fatalf("add funnel: %d %s", res.code, res.body)
	}
	funnels, err := f.st.Funnels(ctx, site.ID)
	if err != nil || len(funnels) != 1 {
		t.Fatalf("funnels: %v %v", funnels, err)
	}
	// The collector attaches the site's compiled funnels to every hit.
	defs := aggregate.CompileFunnels(funnels, goals)
	for _, h := range storetest.FunnelHits(site.ID, f.clock.Now().Add(-3*time.Hour), defs) {
		f.agg.Add(h)
	}
	if err := f.agg.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	return f, b
}
