package dashboard

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"

	"tally/account"
	"tally/aggregate"
	"tally/aggregate/sqlite"
)

// FuzzStatsQuery feeds arbitrary bodies to the Stats API's query parser
// (parse, parseDateRange, parseFilter) over a real embedded store, and runs
// the engine on what parses when its range is modest. Whatever the input,
// the parser either returns a 4xx with a one-line reason or a query that
// keeps its invariants, and nothing panics.
func FuzzStatsQuery(f *testing.F) {
	for _, seed := range []string{
		`{"site_id":"example.com","metrics":["visitors"],"date_range":"day"}`,
		`{"site_id":"example.com","metrics":["visitors","pageviews","bounce_rate"],"date_range":"7d","dimensions":["visit:country","time:day"]}`,
		`{"site_id":"example.com","metrics":["visits"],"date_range":["2026-01-01","2026-01-31"],"filters":[["is","visit:browser",["Firefox"]]]}`,
		`{"site_id":"example.com","metrics":["events"],"date_range":"30d","filters":[["and",[["contains","event:page",["/blog"]],["matches","visit:source",["^G"]]]]]}`,
		`{"site_id":"example.com","metrics":["visitors"],"date_range":"month","order_by":[["visitors","desc"]],"pagination":{"limit":5,"offset":2}}`,
		`{"site_id":"example.com","metrics":["visitors"],"date_range":["2026-13-01","2026-12-01"]}`,
		`{"site_id":"EXAMPLE.com","metrics":["visitors"],"date_range":"all","dimensions":["time:hour_of_day"]}`,
		`{"site_id":"example.com","metrics":["visitors"],"date_range":"day","filters":[["matches","event:page",["("]]]}`,
		`{"site_id":`,
		`{"site_id":"example.com","metrics":["visitors","percentage"],"date_range":"day","dimensions":["visit:country_name"],"filters":[["or",[["is","visit:country_name",["Germany"]],["is","visit:country_name",["France"]]]],["not",["contains","event:page",["x"]]]]}`,
	} {
		f.Add([]byte(seed))
	}
	ctx := context.Background()
	st, err := sqlite.Open(ctx, f.TempDir())
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { st.Close() })
	created := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	if _, err := st.AddSite(ctx, account.Site{Domain: "example.com", Timezone: "Europe/Berlin", Created: created}); err != nil {
		f.Fatal(err)
	}
	now := func() time.Time { return time.Date(2026, 3, 15, 12, 0, 0, 0, time.UTC) }
	api := NewStatsAPI(st, aggregate.NewEngine(st, nil), now)

	f.Fuzz(func(t *testing.T, body []byte) {
		var req apiRequest
		dec := json.NewDecoder(bytes.NewReader(body))
		dec.DisallowUnknownFields()
		if dec.Decode(&req) != nil {
			return // the handler answers 400 "malformed JSON body"
		}
		q, echo, err := api.parse(ctx, account.APIKey{}, &req) // an instance-wide key
		if err != nil {
			var fe *fiber.Error
			if !errors.As(err, &fe) || fe.Code < 400 || fe.Code > 499 {
				t.Fatalf("error %v is not a 4xx", err)
			}
			if strings.ContainsAny(fe.Message, "\r\n") {
				t.Fatalf("reason is not one line: %q", fe.Message)
			}
			return
		}
		if len(q.Metrics) == 0 || q.To.Before(q.From) || q.Limit < 1 || q.Limit > 10000 || q.Offset < 0 || echo == nil {
			t.Fatalf("parsed query breaks an invariant: %+v", q)
		}
		for _, m := range q.Metrics {
			if !m.Valid() {
				t.Fatalf("unknown metric %q passed", m)
			}
		}
		if q.To.Sub(q.From) <= 400*24*time.Hour {
			if _, err := api.engine.Run(ctx, q); err != nil {
				t.Fatalf("engine on a parsed query: %v", err)
			}
		}
	})
}

// FuzzParseFilter checks the filter parser alone: errors or filters with
// at least one value each, never a panic.
func FuzzParseFilter(f *testing.F) {
	for _, seed := range []string{
		`["is","visit:country",["DE","FR"]]`,
		`["and",[["is","visit:country",["DE"]],["is_not","event:page",["/"]]]]`,
		`["matches","event:page",["^/blog/.*$"]]`,
		`["contains_not","visit:source",[""]]`,
		`["is","visit:country",[]]`,
		`["and"]`,
		`[1,2,3]`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		fs, err := parseFilter(raw, 0)
		if err != nil {
			return
		}
		for _, fl := range fs {
			if len(fl.Values) == 0 {
				t.Fatalf("filter %+v without values", fl)
			}
		}
	})
}
