package dashboard

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"

	"tally/account"
	"tally/aggregate"
	"tally/aggregate/storetest"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// apiDay is the day the API tests ask about: storetest.Mixed on it, the
// standard scenario the day before (for comparisons and series).
var apiDay = time.Date(2026, 3, 10, 0, 0, 0, 0, time.UTC)

const apiKey = "test-key-0123456789"

// apiServer is the Stats API (v1 and v2) over st, holding the standard
// scenario and the mixed day, with the routes cmd/tally registers.
func apiServer(t *testing.T, st aggregate.Store) *fiber.App {
	t.Helper()
	ctx := context.Background()
	site, err := st.AddSite(ctx, account.Site{Domain: "example.com", Timezone: "UTC", Created: apiDay.AddDate(0, -2, 0)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.AddAPIKey(ctx, account.APIKey{Hash: account.HashToken(apiKey), Created: apiDay}); err != nil {
		t.Fatal(err)
	}
	for _, g := range []account.Goal{{Event: "Signup"}, {Page: "/docs/**"}, {Page: "/blog/*"}} {
		if _, err := account.NewService(st, nil).AddGoal(ctx, site, g); err != nil {
			t.Fatal(err)
		}
	}
	hits := storetest.Standard(site.ID, apiDay.AddDate(0, 0, -1).Add(9*time.Hour))
	hits = append(hits, storetest.Mixed(site.ID, apiDay)...)
	// Engagement reports (anonymous, so each is a page view of its own).
	for i, e := range []struct {
		page string
		sd   int
		ms   int64
	}{{"/", 30, 12000}, {"/", 90, 48000}, {"/pricing", 100, 7000}} {
		var k aggregate.Key
		k[aggregate.Hostname], k[aggregate.Page], k[aggregate.Event] = "example.com", e.page, aggregate.EngagementEvent
		hits = append(hits, aggregate.Hit{Site: site.ID, Time: apiDay.Add(21*time.Hour + time.Duration(i)*time.Minute), Key: k,
			ScrollDepth: e.sd, Engaged: e.ms})
	}
	storetest.FeedAll(t, st, hits)
	now := func() time.Time { return apiDay.Add(22 * time.Hour) }
	api := NewStatsAPI(st, aggregate.NewEngine(st, nil), now)
	api.Realtime = func(id int64, since time.Time) int {
		if id == site.ID && since.Equal(now().Add(-5*time.Minute)) {
			return 3
		}
		return -1
	}
	app := fiber.New(fiber.Config{Immutable: true, ErrorHandler: func(c *fiber.Ctx, err error) error {
		var fe *fiber.Error
		if errors.As(err, &fe) {
			return c.Status(fe.Code).JSON(fiber.Map{"error": fe.Message})
		}
		if errors.Is(err, aggregate.ErrInvalid) {
			return c.Status(400).JSON(fiber.Map{"error": err.Error()})
		}
		t.Errorf("%s %s: %v", c.Method(), c.OriginalURL(), err)
		return c.Status(500).JSON(fiber.Map{"error": "internal error"})
	}})
	app.Post("/api/v2/query", api.Query)
	app.Get("/api/v1/stats/realtime/visitors", api.V1Realtime)
	app.Get("/api/v1/stats/aggregate", api.V1Aggregate)
	app.Get("/api/v1/stats/timeseries", api.V1Timeseries)
	app.Get("/api/v1/stats/breakdown", api.V1Breakdown)
	return app
}

// call makes one API request; body "" is a GET.
func call(t *testing.T, app *fiber.App, target, body string) (int, []byte) {
	t.Helper()
	method, rd := http.MethodGet, io.Reader(nil)
	if body != "" {
		method, rd = http.MethodPost, strings.NewReader(body)
	}
	req := httptest.NewRequest(method, target, rd)
	req.Header.Set("Authorization", "Bearer "+apiKey)
	res, err := app.Test(req, -1)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, b
}

// apiCases are answered identically by both stores; each answer is
// testdata/api/NAME.json.
var apiCases = []struct{ name, target, body string }{
	{"v1_realtime", "/api/v1/stats/realtime/visitors?site_id=example.com", ""},
	{"v1_aggregate", "/api/v1/stats/aggregate?site_id=example.com&period=day&date=2026-03-10&metrics=visitors,visits,pageviews,events,views_per_visit,bounce_rate,visit_duration", ""},
	{"v1_aggregate_compare", "/api/v1/stats/aggregate?site_id=example.com&period=day&date=2026-03-10&metrics=visitors,pageviews,bounce_rate&compare=previous_period", ""},
	{"v1_aggregate_custom_filtered", "/api/v1/stats/aggregate?site_id=example.com&period=custom&date=2026-03-09,2026-03-10&filters=visit:browser%3D%3DChrome%7CFirefox;event:page%3D%3D/docs/**", ""},
	{"v1_timeseries_7d", "/api/v1/stats/timeseries?site_id=example.com&period=7d&date=2026-03-10&metrics=visitors,pageviews", ""},
	{"v1_timeseries_day", "/api/v1/stats/timeseries?site_id=example.com&period=day&date=2026-03-10", ""},
	{"v1_timeseries_month", "/api/v1/stats/timeseries?site_id=example.com&period=6mo&date=2026-03-10&metrics=visits", ""},
	{"v1_breakdown_browser", "/api/v1/stats/breakdown?site_id=example.com&period=day&date=2026-03-10&property=visit:browser&metrics=visitors,pageviews,bounce_rate", ""},
	{"v1_breakdown_pages_filtered", "/api/v1/stats/breakdown?site_id=example.com&period=7d&date=2026-03-10&property=event:page&filters=visit:browser!%3DChrome;event:page~docs", ""},
	{"v1_breakdown_paged", "/api/v1/stats/breakdown?site_id=example.com&period=day&date=2026-03-10&property=visit:source&limit=2&page=2", ""},
	{"v1_breakdown_country_name", "/api/v1/stats/breakdown?site_id=example.com&period=day&date=2026-03-10&property=visit:country_name", ""},
	{"v2_or_not", "/api/v2/query", `{"site_id":"example.com","metrics":["visitors","pageviews"],"date_range":["2026-03-10","2026-03-10"],"dimensions":["visit:browser"],
		"filters":[["or",[["is","visit:country",["DE"]],["is","visit:country",["FR"]]]],["not",["contains","event:page",["docs"]]]]}`},
	{"v2_contains_not_matches_not", "/api/v2/query", `{"site_id":"example.com","metrics":["visitors"],"date_range":["2026-03-10","2026-03-10"],"dimensions":["visit:os"],
		"filters":[["contains_not","visit:os",["win"]],["matches_not","event:page",["^/blog"]]]}`},
	{"v2_percentage_total_rows", "/api/v2/query", `{"site_id":"example.com","metrics":["visitors","percentage"],"date_range":["2026-03-10","2026-03-10"],"dimensions":["visit:device"],
		"order_by":[["percentage","desc"]],"pagination":{"limit":2},"include":{"total_rows":true}}`},
	{"v2_comparisons", "/api/v2/query", `{"site_id":"example.com","metrics":["visitors","bounce_rate"],"date_range":["2026-03-10","2026-03-10"],"dimensions":["visit:country_name"],
		"filters":[["is_not","visit:country",["JP"]]],"pagination":{"limit":4},"include":{"comparisons":{"mode":"previous_period"}}}`},
	{"v1_breakdown_props", "/api/v1/stats/breakdown?site_id=example.com&period=day&date=2026-03-10&property=event:props:plan&metrics=visitors,events", ""},
	{"v2_props_breakdown", "/api/v2/query", `{"site_id":"example.com","metrics":["visitors","events","percentage"],"date_range":["2026-03-10","2026-03-10"],"dimensions":["event:props:plan"],
		"filters":[["is","event:name",["Signup"]]]}`},
	{"v2_props_filter", "/api/v2/query", `{"site_id":"example.com","metrics":["visitors","events"],"date_range":["2026-03-10","2026-03-10"],"dimensions":["event:name"],
		"filters":[["is","event:props:plan",["pro","team"]]]}`},
	{"v2_props_url", "/api/v2/query", `{"site_id":"example.com","metrics":["visitors","events"],"date_range":["2026-03-10","2026-03-10"],"dimensions":["event:props:url","time:day"],
		"filters":[["contains","event:props:url",[".pdf"]]],"order_by":[["event:props:url","asc"]]}`},
	{"v2_props_by_hour", "/api/v2/query", `{"site_id":"example.com","metrics":["visitors","events"],"date_range":["2026-03-10","2026-03-10"],"dimensions":["time:hour"],
		"filters":[["is","event:props:plan",["pro"]]]}`},
	{"v2_props_is_not_with_name", "/api/v2/query", `{"site_id":"example.com","metrics":["visitors","events"],"date_range":["2026-03-09","2026-03-10"],"dimensions":["time:day"],
		"filters":[["is","event:name",["Signup"]],["is_not","event:props:plan",["pro"]]]}`},
	{"v2_goal_with_props", "/api/v2/query", `{"site_id":"example.com","metrics":["visitors","events","conversion_rate"],"date_range":["2026-03-09","2026-03-10"],"dimensions":["time:day"],
		"filters":[["is","event:goal",["Signup"]],["matches","event:props:plan",["^(pro|team)$"]]]}`},
	{"v2_goal_by_props", "/api/v2/query", `{"site_id":"example.com","metrics":["visitors","conversion_rate","group_conversion_rate"],"date_range":["2026-03-10","2026-03-10"],
		"dimensions":["event:props:plan"],"filters":[["is","event:goal",["Signup"]]]}`},
	{"v1_aggregate_goal_props", "/api/v1/stats/aggregate?site_id=example.com&period=day&date=2026-03-10&filters=event:goal%3D%3DSignup;event:props:plan%3D%3Dpro&metrics=visitors,events,conversion_rate", ""},
	{"v1_aggregate_goal", "/api/v1/stats/aggregate?site_id=example.com&period=day&date=2026-03-10&filters=event:goal%3D%3DSignup&metrics=visitors,events,conversion_rate", ""},
	{"v1_breakdown_goal", "/api/v1/stats/breakdown?site_id=example.com&period=day&date=2026-03-10&property=event:goal&metrics=visitors,events,conversion_rate", ""},
	{"v2_goals", "/api/v2/query", `{"site_id":"example.com","metrics":["visitors","events","conversion_rate"],"date_range":["2026-03-09","2026-03-10"],"dimensions":["event:goal"]}`},
	{"v2_goal_by_source", "/api/v2/query", `{"site_id":"example.com","metrics":["visitors","conversion_rate","group_conversion_rate"],"date_range":["2026-03-10","2026-03-10"],
		"dimensions":["visit:source"],"filters":[["is","event:goal",["Visit /docs/**"]]],"include":{"total_rows":true}}`},
	{"v2_goals_by_day", "/api/v2/query", `{"site_id":"example.com","metrics":["visitors"],"date_range":["2026-03-09","2026-03-10"],"dimensions":["time:day","event:goal"],
		"filters":[["contains","event:goal",["Visit"]]],"pagination":{"limit":3,"offset":1},"include":{"total_rows":true}}`},
	{"v2_engagement", "/api/v2/query", `{"site_id":"example.com","metrics":["visitors","pageviews","scroll_depth","time_on_page"],"date_range":["2026-03-10","2026-03-10"],
		"dimensions":["event:page"],"filters":[["is","event:page",["/","/pricing"]]]}`},
	{"v1_aggregate_engagement", "/api/v1/stats/aggregate?site_id=example.com&period=day&date=2026-03-10&metrics=scroll_depth,time_on_page&filters=event:page%3D%3D/", ""},
	{"v2_country_name", "/api/v2/query", `{"site_id":"example.com","metrics":["visitors","percentage"],"date_range":["2026-03-10","2026-03-10"],"dimensions":["visit:country_name"],
		"filters":[["contains","visit:country_name",["united","germ","not set"]]]}`},
	{"v2_region_name", "/api/v2/query", `{"site_id":"example.com","metrics":["visitors"],"date_range":["2026-03-10","2026-03-10"],"dimensions":["visit:region_name"],
		"filters":[["is_not","visit:region_name",["California"]]]}`},
}

func TestStatsAPIGolden(t *testing.T) {
	stores := []struct {
		name string
		open func(testing.TB) aggregate.Store
	}{{"sqlite", storetest.SQLite}, {"clickhouse", storetest.ClickHouse}}
	for _, s := range stores {
		t.Run(s.name, func(t *testing.T) {
			app := apiServer(t, s.open(t))
			for _, c := range apiCases {
				t.Run(c.name, func(t *testing.T) {
					code, body := call(t, app, c.target, c.body)
					if code != 200 {
						t.Fatalf("%d %s", code, body)
					}
					golden(t, filepath.Join("api", c.name), body, *update && s.name == "sqlite")
				})
			}
		})
	}
}

// golden compares got, indented, with testdata/NAME.json; write rewrites it.
func golden(t *testing.T, name string, got []byte, write bool) {
	t.Helper()
	var pretty bytes.Buffer
	if err := json.Indent(&pretty, got, "", "  "); err != nil {
		t.Fatalf("not JSON: %s", got)
	}
	pretty.WriteByte('\n')
	path := filepath.Join("testdata", name+".json")
	if write {
		os.MkdirAll(filepath.Dir(path), 0o755)
		if err := os.WriteFile(path, pretty.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(pretty.Bytes(), want) {
		t.Errorf("%s differs from %s:\n got: %s\nwant: %s", name, path, pretty.String(), want)
	}
}

func TestStatsAPIV1Errors(t *testing.T) {
	app := apiServer(t, storetest.SQLite(t))
	tests := []struct {
		name, target, body string
		code               int
		mention            string
	}{
		{"no site", "/api/v1/stats/aggregate", "", 400, "site_id"},
		{"unknown site", "/api/v1/stats/aggregate?site_id=nope.example", "", 404, "nope.example"},
		{"unknown period", "/api/v1/stats/aggregate?site_id=example.com&period=fortnight", "", 400, "fortnight"},
		{"custom without dates", "/api/v1/stats/aggregate?site_id=example.com&period=custom", "", 400, "date="},
		{"bad date", "/api/v1/stats/aggregate?site_id=example.com&date=2026-02-30", "", 400, "date"},
		{"bad metric", "/api/v1/stats/aggregate?site_id=example.com&metrics=visitors,hugs", "", 400, "hugs"},
		{"bad compare", "/api/v1/stats/aggregate?site_id=example.com&compare=last_decade", "", 400, "compare"},
		{"filter without operator", "/api/v1/stats/aggregate?site_id=example.com&filters=visit:browser", "", 400, "filters"},
		{"filter on unknown dimension", "/api/v1/stats/aggregate?site_id=example.com&filters=visit:shoe%3D%3D42", "", 400, "shoe"},
		{"bad interval", "/api/v1/stats/timeseries?site_id=example.com&interval=fortnight", "", 400, "interval"},
		{"no property", "/api/v1/stats/breakdown?site_id=example.com", "", 400, "property"},
		{"time property", "/api/v1/stats/breakdown?site_id=example.com&property=time:day", "", 400, "timeseries"},
		{"city", "/api/v1/stats/breakdown?site_id=example.com&property=visit:city", "", 400, "not available"},
		{"goal with percentage", "/api/v2/query", `{"site_id":"example.com","metrics":["percentage"],"date_range":"day","dimensions":["event:goal"]}`, 400, "conversion_rate"},
		{"conversion rate without a goal", "/api/v2/query", `{"site_id":"example.com","metrics":["conversion_rate"],"date_range":"day"}`, 400, "event:goal"},
		{"props with visits", "/api/v1/stats/breakdown?site_id=example.com&property=event:props:plan&metrics=visitors,bounce_rate", "", 400, "not visits"},
		{"v2 props with a visit dimension", "/api/v2/query", `{"site_id":"example.com","metrics":["visitors"],"date_range":"day","dimensions":["event:props:plan","visit:country"]}`, 400, "per event name"},
		{"v2 props of two keys", "/api/v2/query", `{"site_id":"example.com","metrics":["events"],"date_range":"day","dimensions":["event:props:plan"],"filters":[["is","event:props:url",["x"]]]}`, 400, "one property key"},
		{"v2 pageview goal with a property", "/api/v2/query", `{"site_id":"example.com","metrics":["visitors"],"date_range":"day","dimensions":["event:goal"],"filters":[["is","event:props:plan",["pro"]]]}`, 400, "pageview goal"},
		{"v2 props with bounce rate", "/api/v2/query", `{"site_id":"example.com","metrics":["bounce_rate"],"date_range":"day","filters":[["is","event:props:plan",["pro"]]]}`, 400, "not visits"},
		{"bad limit", "/api/v1/stats/breakdown?site_id=example.com&property=visit:source&limit=5000", "", 400, "limit"},
		{"v2 or across dimensions", "/api/v2/query", `{"site_id":"example.com","metrics":["visitors"],"date_range":"day","filters":[["or",[["is","visit:country",["DE"]],["is","visit:browser",["Chrome"]]]]]}`, 400, "one dimension"},
		{"v2 comparisons over time", "/api/v2/query", `{"site_id":"example.com","metrics":["visitors"],"date_range":"7d","dimensions":["time:day"],"include":{"comparisons":{"mode":"previous_period"}}}`, 400, "time dimensions"},
		{"v2 comparisons mode", "/api/v2/query", `{"site_id":"example.com","metrics":["visitors"],"date_range":"7d","include":{"comparisons":{"mode":"last_decade"}}}`, 400, "last_decade"},
		{"v2 region names too broad", "/api/v2/query", `{"site_id":"example.com","metrics":["visitors"],"date_range":"day","filters":[["contains","visit:region_name",["a"]]]}`, 400, "narrow it"},
		{"v2 scroll depth by browser", "/api/v2/query", `{"site_id":"example.com","metrics":["scroll_depth"],"date_range":"day","dimensions":["visit:browser"]}`, 400, "counted per page"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, body := call(t, app, tt.target, tt.body)
			if code != tt.code || !strings.Contains(string(body), tt.mention) {
				t.Errorf("%d %s, want %d mentioning %q", code, body, tt.code, tt.mention)
			}
		})
	}
	req := httptest.NewRequest(http.MethodGet, "/api/v1/stats/aggregate?site_id=example.com", nil)
	res, err := app.Test(req, -1)
	if err != nil || res.StatusCode != 401 {
		t.Errorf("no API key: %v %v, want 401", res.StatusCode, err)
	}
}
