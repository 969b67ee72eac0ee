package main

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
)

// The routes the v1 Stats API and the plausible.js alias are served on, as
// `tally serve` registers them: answers come from the same keys and engine
// as v2 (their content is tested in dashboard/statsapi_golden_test.go).
func TestServeV1AndPlausibleScript(t *testing.T) {
	dir := t.TempDir()
	tally(t, "site", "add", "example.com", "--data", dir)
	key := lastLine(tally(t, "apikey", "create", "--data", dir))
	s := startServer(t, dir, &syncBuffer{})
	for _, v := range scenarioVisitors()[:3] {
		if code, _ := s.event(v, `{"n":"pageview","u":"https://example.com/","d":"example.com"}`); code != 202 {
			t.Fatalf("pageview: %d", code)
		}
	}
	get := func(path, key string) (int, string) {
		t.Helper()
		req, _ := http.NewRequest("GET", "http://"+s.addr+path, nil)
		if key != "" {
			req.Header.Set("Authorization", "Bearer "+key)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(b)
	}
	if code, body := get("/api/v1/stats/realtime/visitors?site_id=example.com", key); code != 200 || body != "3" {
		t.Errorf("realtime: %d %s, want 3", code, body)
	}
	code, body := get("/api/v1/stats/aggregate?site_id=example.com&period=day&metrics=visitors,pageviews", key)
	var agg struct {
		Results map[string]struct{ Value float64 }
	}
	if code != 200 || json.Unmarshal([]byte(body), &agg) != nil || agg.Results["visitors"].Value != 3 || agg.Results["pageviews"].Value != 3 {
		t.Errorf("aggregate: %d %s", code, body)
	}
	for _, path := range []string{"/api/v1/stats/timeseries?site_id=example.com&period=day", "/api/v1/stats/breakdown?site_id=example.com&period=day&property=visit:browser"} {
		if code, body := get(path, key); code != 200 || !strings.HasPrefix(body, `{"results":[`) {
			t.Errorf("%s: %d %s", path, code, body)
		}
	}
	if code, body := get("/api/v1/stats/aggregate?site_id=example.com", ""); code != 401 || !strings.Contains(body, `"error"`) {
		t.Errorf("without a key: %d %s, want a JSON 401", code, body)
	}
	if code, body := get("/api/v1/stats/breakdown?site_id=example.com&property=visit:shoe", key); code != 400 || !strings.Contains(body, "shoe") {
		t.Errorf("unknown property: %d %s, want a JSON 400", code, body)
	}
	// A clean restart keeps the realtime view (aggregate/livesave.go).
	s.stop()
	s = startServer(t, dir, &syncBuffer{})
	if code, body := get("/api/v1/stats/realtime/visitors?site_id=example.com", key); code != 200 || body != "3" {
		t.Errorf("realtime after a restart: %d %s, want 3", code, body)
	}
	_, script := get("/js/script.js", "")
	for _, name := range []string{"/js/plausible.js", "/js/plausible.hash.outbound-links.js"} {
		code, body := get(name, "")
		if code != 200 || (name == "/js/plausible.js" && body != script) {
			t.Errorf("%s: %d (same as script.js: %v)", name, code, body == script)
		}
	}
}
