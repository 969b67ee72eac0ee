package dashboard

import (
	"context"
	"strings"
	"testing"
	"time"

	"tally/aggregate"
)

func TestLocationAndLanguageNames(t *testing.T) {
	f := newFixture(t)
	f.addUser("owner@example.com", pw, true)
	site := f.addSite("example.com", 0)
	at := f.clock.Now().Add(-time.Hour)
	for i, c := range []struct{ country, region, lang string }{
		{"DE", "DE-BY", "de"}, {"DE", "DE-BE", "de"}, {"JP", "", "ja"}, {"ZZ", "", "xx"},
	} {
		var k aggregate.Key
		k[aggregate.Hostname], k[aggregate.Page], k[aggregate.Event] = site.Domain, "/", aggregate.PageviewEvent
		k[aggregate.Country], k[aggregate.Region], k[aggregate.Language] = c.country, c.region, c.lang
		f.agg.Add(aggregate.Hit{Site: site.ID, Time: at, Visitor: uint64(100 + i), Key: k})
	}
	if err := f.agg.Sync(context.Background()); err != nil {
		t.Fatal(err)
	}
	b := f.browser()
	b.login("owner@example.com", pw)

	body := b.get("/example.com?period=day").body
	for _, s := range []string{
		`title="Filter by 🇩🇪 Germany">🇩🇪 Germany</a>`, `href="/example.com?f=country%2CDE&amp;period=day"`,
		`>🇯🇵 Japan</a>`, `>ZZ</a>`, // an unknown code stays as it is
		`>German</a>`, `>Japanese</a>`, `>xx</a>`,
	} {
		if !strings.Contains(body, s) {
			t.Errorf("the dashboard lacks %s", s)
		}
	}
	// The world map: shaded countries link to the filtered view and say
	// their name and visitors; countries without visitors are no links;
	// ZZ has no shape and is only in the table.
	for _, s := range []string{
		`<a href="/example.com?f=country%2CDE&amp;period=day" aria-label="Germany: 2 visitors"><path d="M`,
		`<a href="/example.com?f=country%2CJP&amp;period=day" aria-label="Japan: 1 visitor"><path d="M`,
		`class="on" style="--l:1"><title>Germany: 2 visitors</title>`,
		`<g aria-hidden="true"><path d="M`, // the others: drawn, no link
		"Natural Earth",
	} {
		if !strings.Contains(body, s) {
			t.Errorf("the world map lacks %s", s)
		}
	}
	if strings.Contains(body, `aria-label="France`) || strings.Contains(body, "f=country%2CZZ&amp;period=day\" aria-label") {
		t.Error("the map links a country without visitors or a code without a shape")
	}
	regions := b.get("/example.com?period=day&loc=region").body
	if !strings.Contains(regions, `>🇩🇪 Bavaria</a>`) || !strings.Contains(regions, `>🇩🇪 Berlin</a>`) || !strings.Contains(regions, `f=region%2CDE-BY`) {
		t.Error("regions are not shown by name with their country's flag, or not linked by code")
	}
	if !strings.Contains(regions, "Unicode CLDR") {
		t.Error("the regions tab does not credit the source of the names")
	}
	// "contains" and Details' search find regions by name.
	if res := b.get("/example.com?period=day&f=region~,bavar"); kpis(res.body)["visitors"] != "1" || !strings.Contains(res.body, "Region contains <strong>bavar</strong>") {
		t.Errorf("region contains bavar: %v, want 1 visitor", kpis(res.body))
	}
	if res := b.get("/example.com/details?period=day&panel=loc&loc=region&q=berl"); len(rowLabels(res.body)) != 1 || rowLabels(res.body)[0] != "🇩🇪 Berlin" {
		t.Errorf("details search berl: %v", rowLabels(res.body))
	}
	// A search too broad for names (a letter of thousands) searches codes.
	if res := b.get("/example.com/details?period=day&panel=loc&loc=region&q=e"); res.code != 200 || len(rowLabels(res.body)) != 3 { // both regions and "(not set)"
		t.Errorf("details search e: %d %v", res.code, rowLabels(res.body))
	}
	// A filter chip names the country; "contains" searches names.
	if res := b.get("/example.com?period=day&f=country,DE"); !strings.Contains(res.body, "Country is <strong>🇩🇪 Germany</strong>") || kpis(res.body)["visitors"] != "2" {
		t.Errorf("filtered by DE: %v", kpis(res.body))
	}
	if res := b.get("/example.com?period=day&f=country~,jap"); kpis(res.body)["visitors"] != "1" {
		t.Errorf("country contains jap: %v, want 1 visitor", kpis(res.body))
	}
	if res := b.get("/example.com/details?period=day&panel=loc&q=germ"); len(rowLabels(res.body)) != 1 || rowLabels(res.body)[0] != "🇩🇪 Germany" {
		t.Errorf("details search germ: %v", rowLabels(res.body))
	}
}
