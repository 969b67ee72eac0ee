package dashboard

import (
	"net/url"
	"strings"
	"testing"

	"tally/aggregate"
)

func TestParseStateFilters(t *testing.T) {
	tests := []struct {
		query string
		want  []StateFilter
	}{
		{"f=browser,Chrome", []StateFilter{{aggregate.Browser, aggregate.OpIs, "Chrome"}}},
		{"f=browser!,Chrome", []StateFilter{{aggregate.Browser, aggregate.OpIsNot, "Chrome"}}},
		{"f=page~,blog,post", []StateFilter{{aggregate.Page, aggregate.OpContains, "blog,post"}}},
		{"f=name,Signup", []StateFilter{{aggregate.Event, aggregate.OpIs, "Signup"}}},
		{"fd=os&fo=!&fv=Windows", []StateFilter{{aggregate.OS, aggregate.OpIsNot, "Windows"}}},
		{"fd=page&fo=~&fv=pric", []StateFilter{{aggregate.Page, aggregate.OpContains, "pric"}}},
		{"fd=page&fo=&fv=/", []StateFilter{{aggregate.Page, aggregate.OpIs, "/"}}},
		// One filter per dimension: the later replaces the earlier.
		{"f=browser,Chrome&f=browser~,fox", []StateFilter{{aggregate.Browser, aggregate.OpContains, "fox"}}},
		{"f=browser?,Chrome", nil},
		{"fd=os&fo=%3F&fv=Windows", nil},
		{"f=shoe!,42", nil},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			q, _ := url.ParseQuery(tt.query)
			s := ParseState(q)
			if len(s.Filters) != len(tt.want) {
				t.Fatalf("filters %+v, want %+v", s.Filters, tt.want)
			}
			for i := range tt.want {
				if s.Filters[i] != tt.want[i] {
					t.Errorf("filter %d: %+v, want %+v", i, s.Filters[i], tt.want[i])
				}
			}
			if back := ParseState(s.Values()); len(back.Filters) != len(s.Filters) || (len(s.Filters) > 0 && back.Filters[0] != s.Filters[0]) {
				t.Errorf("round trip: %+v", back.Filters)
			}
		})
	}
}

func TestViewFilterOperators(t *testing.T) {
	f := newFixture(t)
	f.addUser("owner@example.com", pw, true)
	site := f.addSite("example.com", 0)
	f.scenario(site)
	b := f.browser()
	b.login("owner@example.com", pw)

	tests := []struct {
		query, chip         string
		visitors, pageviews string
	}{
		{"f=browser!,Firefox", "Browser is not <strong>Firefox</strong>", "8", "22"},
		{"f=page~,PRIC", "Page contains <strong>PRIC</strong>", "10", "10"},
		{"fd=os&fo=!&fv=Windows", "OS is not <strong>Windows</strong>", "6", "18"},
		{"f=name,pageview", "Event name is <strong>pageview</strong>", "11", "31"},
	}
	for _, tt := range tests {
		res := b.get("/example.com?period=day&" + tt.query)
		k := kpis(res.body)
		if res.code != 200 || k["visitors"] != tt.visitors || k["pageviews"] != tt.pageviews {
			t.Errorf("%s: %d, %v; want %s visitors, %s pageviews", tt.query, res.code, k, tt.visitors, tt.pageviews)
		}
		if !strings.Contains(res.body, tt.chip) {
			t.Errorf("%s: no chip %q", tt.query, tt.chip)
		}
	}
	// The picker offers the operators and event names.
	res := b.get("/example.com?period=day")
	for _, s := range []string{`<select name="fo"><option value="">is</option><option value="!">is not</option><option value="~">contains</option></select>`, `<option value="name">Event name</option>`} {
		if !strings.Contains(res.body, s) {
			t.Errorf("the filter picker lacks %s", s)
		}
	}
}
