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
		{"f=browser,Chrome", []StateFilter{{Dim: aggregate.Browser, Op: aggregate.OpIs, Value: "Chrome"}}},
		{"f=browser!,Chrome", []StateFilter{{Dim: aggregate.Browser, Op: aggregate.OpIsNot, Value: "Chrome"}}},
		{"f=page~,blog,post", []StateFilter{{Dim: aggregate.Page, Op: aggregate.OpContains, Value: "blog,post"}}},
		{"f=name,Signup", []StateFilter{{Dim: aggregate.Event, Op: aggregate.OpIs, Value: "Signup"}}},
		{"fd=os&fo=!&fv=Windows", []StateFilter{{Dim: aggregate.OS, Op: aggregate.OpIsNot, Value: "Windows"}}},
		{"fd=page&fo=~&fv=pric", []StateFilter{{Dim: aggregate.Page, Op: aggregate.OpContains, Value: "pric"}}},
		{"fd=page&fo=&fv=/", []StateFilter{{Dim: aggregate.Page, Op: aggregate.OpIs, Value: "/"}}},
		// One filter per dimension: the later replaces the earlier.
		{"f=browser,Chrome&f=browser~,fox", []StateFilter{{Dim: aggregate.Browser, Op: aggregate.OpContains, Value: "fox"}}},
		// A custom property: its key escaped where it could end early.
		{"f=props:plan,pro", []StateFilter{{Dim: aggregate.PropValue, Op: aggregate.OpIs, Value: "pro", Prop: "plan"}}},
		{"f=props:a%252Cb%2521!,x,y", []StateFilter{{Dim: aggregate.PropValue, Op: aggregate.OpIsNot, Value: "x,y", Prop: "a,b!"}}},
		{"f=props:plan,pro&f=props:url~,pdf", []StateFilter{{Dim: aggregate.PropValue, Op: aggregate.OpContains, Value: "pdf", Prop: "url"}}},
		{"f=props:,pro", nil},
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
