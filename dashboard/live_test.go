package dashboard

import (
	"context"
	"strings"
	"testing"
	"time"

	"tally/aggregate"
)

func TestLivePage(t *testing.T) {
	f := newFixture(t)
	f.addUser("owner@example.com", pw, true)
	site := f.addSite("example.com", 0)
	b := f.browser()
	b.login("owner@example.com", pw)

	empty := b.get("/example.com/live")
	if empty.code != 200 || !strings.Contains(empty.body, "<strong>0</strong> current visitors") || !strings.Contains(empty.body, "Nobody right now.") {
		t.Fatalf("an idle site's realtime page: %d\n%s", empty.code, empty.body)
	}
	now := f.clock.Now()
	for i, h := range []struct {
		ago     time.Duration
		page    string
		country string
	}{{20 * time.Minute, "/old", "FR"}, {2 * time.Minute, "/pricing", "DE"}, {time.Minute, "/pricing", "DE"}, {30 * time.Second, "/", ""}} {
		var k aggregate.Key
		k[aggregate.Hostname], k[aggregate.Page], k[aggregate.Event] = site.Domain, h.page, aggregate.PageviewEvent
		k[aggregate.Country] = h.country
		f.agg.Add(aggregate.Hit{Site: site.ID, Time: now.Add(-h.ago), Visitor: uint64(900 + i), Key: k})
	}
	if err := f.agg.Sync(context.Background()); err != nil {
		t.Fatal(err)
	}
	res := b.get("/example.com/live")
	for _, s := range []string{
		"<strong>3</strong> current visitors",
		`>/pricing</a></th><td class="num">2</td>`,
		`>🇩🇪 Germany</a></th><td class="num">2</td>`,
		`>Direct / None</a></th><td class="num">3</td>`,
		`title="` + now.Add(-20*time.Minute).Format("15:04") + `: 1 visitors, 1 pageviews"`,
	} {
		if !strings.Contains(res.body, s) {
			t.Errorf("the realtime page lacks %s", s)
		}
	}
	if n := strings.Count(res.body, `class="mbar"`); n != aggregate.LiveMinutes {
		t.Errorf("%d minute bars, want %d", n, aggregate.LiveMinutes)
	}
	if strings.Contains(res.body, ">/old</a>") {
		t.Error("a visitor last seen 20 minutes ago is shown as current")
	}
	// The dashboard's live count links here.
	if !strings.Contains(b.get("/example.com?period=day").body, `<a href="/example.com/live"><span class="live-n">3</span>`) {
		t.Error("the dashboard's current visitors do not link to the realtime page")
	}
	if res := f.browser().get("/example.com/live"); res.code == 200 {
		t.Error("the realtime page is open without signing in")
	}
}
