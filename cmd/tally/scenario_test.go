package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"tally/account"
	"tally/aggregate"
	"tally/aggregate/sqlite"
	"tally/collector/geo/geotest"
)

var update = flag.Bool("update", false, "rewrite golden files under testdata/")

// syncBuffer collects a server's log safely across goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

// testServer is a real `tally serve` (the same run function main calls) on
// a free port and a real embedded store.
type testServer struct {
	t      *testing.T
	dir    string
	addr   string
	log    *syncBuffer
	cancel context.CancelFunc
	done   chan error
}

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// tally runs an admin command and returns its stdout.
func tally(t *testing.T, args ...string) string {
	t.Helper()
	var out, errb bytes.Buffer
	if err := run(context.Background(), args, &out, &errb); err != nil {
		t.Fatalf("tally %s: %v\n%s", strings.Join(args, " "), err, errb.String())
	}
	return out.String()
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}

func startServer(t *testing.T, dir string, log *syncBuffer, extra ...string) *testServer {
	t.Helper()
	return launch(t, dir, log, true, extra...)
}

// startServerUnhealthy is startServer for a server expected to answer
// health with a 503: it waits for any answer.
func startServerUnhealthy(t *testing.T, dir string, log *syncBuffer, extra ...string) *testServer {
	t.Helper()
	return launch(t, dir, log, false, extra...)
}

func launch(t *testing.T, dir string, log *syncBuffer, healthy bool, extra ...string) *testServer {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	s := &testServer{t: t, dir: dir, addr: freeAddr(t), log: log, cancel: cancel, done: make(chan error, 1)}
	args := append([]string{"serve", "--listen", s.addr, "--data", dir, "--checkpoint", "1s", "--trusted-proxies", "127.0.0.1/32", "--log-level", "debug"}, extra...)
	go func() { s.done <- run(ctx, args, io.Discard, log) }()
	deadline := time.Now().Add(10 * time.Second)
	for {
		resp, err := http.Get("http://" + s.addr + "/api/health")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 || !healthy {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("server did not become healthy: %v\n%s", err, log.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Cleanup(s.stop)
	return s
}

// stop shuts the server down gracefully (as SIGTERM does) and waits.
func (s *testServer) stop() {
	if s.cancel == nil {
		return
	}
	s.cancel()
	s.cancel = nil
	select {
	case err := <-s.done:
		if err != nil {
			s.t.Errorf("serve returned %v", err)
		}
	case <-time.After(30 * time.Second):
		s.t.Error("server did not stop within 30s")
	}
}

type visitor struct {
	ip, ua string
}

// event posts one event as a browser would and returns the status and body.
func (s *testServer) event(v visitor, body string, headers ...string) (int, string) {
	s.t.Helper()
	req, _ := http.NewRequest("POST", "http://"+s.addr+"/api/event", strings.NewReader(body))
	req.Header.Set("Content-Type", "text/plain")
	req.Header.Set("User-Agent", v.ua)
	req.Header.Set("X-Forwarded-For", v.ip)
	req.Header.Set("Accept-Language", "en-GB,en;q=0.9")
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// query posts a Stats API query and returns the decoded "results".
func (s *testServer) query(key, body string) (int, json.RawMessage) {
	s.t.Helper()
	req, _ := http.NewRequest("POST", "http://"+s.addr+"/api/v2/query", strings.NewReader(body))
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		return resp.StatusCode, b
	}
	var out struct {
		Results json.RawMessage `json:"results"`
	}
	if err := json.Unmarshal(b, &out); err != nil {
		s.t.Fatalf("query answer is not JSON: %s", b)
	}
	return 200, out.Results
}

// golden compares got with testdata/NAME.json, rewriting it with -update.
func golden(t *testing.T, name string, got json.RawMessage) {
	t.Helper()
	var pretty bytes.Buffer
	if err := json.Indent(&pretty, got, "", "  "); err != nil {
		t.Fatal(err)
	}
	pretty.WriteByte('\n')
	path := filepath.Join("testdata", name+".json")
	if *update {
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

const (
	chromeUA  = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.6099.71 Safari/537.36"
	firefoxUA = "Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0"
	iphoneUA  = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1.2 Mobile/15E148 Safari/604.1"
)

// scenarioVisitors are the standard scenario's ten visitors: distinct
// IP/UA pairs, Chrome ×4, Firefox ×3, Safari on iPhone ×3, IPv4 and IPv6.
func scenarioVisitors() []visitor {
	var vs []visitor
	for i := 0; i < 10; i++ {
		ua := chromeUA
		switch {
		case i >= 7:
			ua = iphoneUA
		case i >= 4:
			ua = firefoxUA
		}
		// Each visitor on a network of its own: truncation to /24 or /48
		// keeps only the network, so two visitors with the same browser on
		// one network are one visitor, as designed.
		ip := fmt.Sprintf("203.0.%d.%d", 100+i, 10+i*17)
		if i%3 == 2 {
			ip = fmt.Sprintf("2001:db8:%x:77::%x", 0x1200+i, 0xbeef+i)
		}
		vs = append(vs, visitor{ip: ip, ua: ua})
	}
	return vs
}

var scenarioPages = []string{"/", "/pricing", "/blog/hello"}

func TestStandardScenario(t *testing.T) {
	dir := t.TempDir()
	tally(t, "site", "add", "example.com", "--data", dir)
	key := lastLine(tally(t, "apikey", "create", "--data", dir))
	log := &syncBuffer{}
	geoDB := geotest.Write(t, map[string]geotest.Place{
		"203.0.0.0/16":  {Country: "DE", Region: "BY"},
		"2001:db8::/32": {Country: "JP"},
	})
	s := startServer(t, dir, log, "--geoip", geoDB)

	vs := scenarioVisitors()
	for i, v := range vs {
		for j, p := range scenarioPages {
			ref := "https://www.google.com/search?q=secretterm" + fmt.Sprint(i)
			if j > 0 {
				ref = "https://example.com" + scenarioPages[j-1]
			}
			width := 1280
			if v.ua == iphoneUA {
				width = 390
			}
			body := fmt.Sprintf(`{"n":"pageview","u":"https://example.com%s?utm_source=newsletter&email=visitor%d@mail.example.org","d":"example.com","r":%q,"w":%d}`, p, i, ref, width)
			if code, _ := s.event(v, body); code != 202 {
				t.Fatalf("pageview: status %d", code)
			}
		}
	}
	// Dropped: DNT, GPC, a bot — all answered 202 like a counted hit.
	ok := `{"n":"pageview","u":"https://example.com/","d":"example.com"}`
	dropped := []struct {
		name    string
		v       visitor
		headers []string
	}{
		{"DNT", visitor{"198.51.100.1", chromeUA}, []string{"DNT", "1"}},
		{"GPC", visitor{"198.51.100.2", firefoxUA}, []string{"Sec-GPC", "1"}},
		{"Googlebot", visitor{"198.51.100.3", "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"}, nil},
	}
	for _, d := range dropped {
		if code, body := s.event(d.v, ok, d.headers...); code != 202 || body != "ok" {
			t.Errorf("%s: %d %q, want the same 202 as a counted hit", d.name, code, body)
		}
	}
	// Rejected with a one-line reason.
	if code, body := s.event(vs[0], `{"n":"pageview",`); code != 400 || !strings.Contains(body, "malformed JSON") {
		t.Errorf("malformed JSON: %d %s", code, body)
	}
	if code, body := s.event(vs[0], `{"n":"pageview","u":"https://unknown.example/","d":"unknown.example"}`); code != 404 || !strings.Contains(body, "unknown site") {
		t.Errorf("unknown site: %d %s", code, body)
	}
	if code, body := s.event(vs[0], `{"n":"pageview","u":"https://evil.example/","d":"example.com"}`); code != 400 || !strings.Contains(body, "does not belong") {
		t.Errorf("foreign host: %d %s", code, body)
	}

	check := func(when string) {
		t.Run(when, func(t *testing.T) {
			code, res := s.query(key, `{"site_id":"example.com","metrics":["visitors","visits","pageviews","events","views_per_visit","bounce_rate"],"date_range":"day"}`)
			if code != 200 {
				t.Fatalf("query: %d %s", code, res)
			}
			golden(t, "scenario_totals", res)
			_, res = s.query(key, `{"site_id":"example.com","metrics":["visitors","pageviews"],"date_range":"day","dimensions":["event:page"]}`)
			golden(t, "scenario_pages", res)
			_, res = s.query(key, `{"site_id":"example.com","metrics":["visitors","pageviews"],"date_range":"day","dimensions":["visit:browser","visit:device"]}`)
			golden(t, "scenario_browsers", res)
			_, res = s.query(key, `{"site_id":"example.com","metrics":["visitors","pageviews"],"date_range":"day","dimensions":["visit:utm_source"],"filters":[["is","event:page",["/pricing"]]]}`)
			golden(t, "scenario_utm_under_page", res)
			_, res = s.query(key, `{"site_id":"example.com","metrics":["visitors","visits"],"date_range":"day","dimensions":["visit:source","visit:referrer","visit:language"]}`)
			golden(t, "scenario_sources", res)
			_, res = s.query(key, `{"site_id":"example.com","metrics":["visitors","pageviews"],"date_range":"day","dimensions":["visit:country","visit:region"]}`)
			golden(t, "scenario_countries", res)
		})
	}
	check("live")
	s.stop()
	s = startServer(t, dir, log, "--geoip", geoDB)
	check("after restart")
	s.stop()

	// Nothing personal reached the disk or the log.
	scanForPersonalData(t, dir, log.String(), vs)
}

func TestStatsAPIErrors(t *testing.T) {
	dir := t.TempDir()
	tally(t, "site", "add", "example.com", "--data", dir)
	key := lastLine(tally(t, "apikey", "create", "--data", dir))
	s := startServer(t, dir, &syncBuffer{})
	tests := []struct {
		name, key, body string
		code            int
		mention         string
	}{
		{"no key", "", `{"site_id":"example.com","metrics":["visitors"],"date_range":"day"}`, 401, "API key"},
		{"wrong key", "nope", `{"site_id":"example.com","metrics":["visitors"],"date_range":"day"}`, 401, "invalid API key"},
		{"malformed", key, `{"site_id":`, 400, "malformed"},
		{"unknown field", key, `{"site_id":"example.com","metrics":["visitors"],"date_range":"day","bogus":1}`, 400, "bogus"},
		{"unknown site", key, `{"site_id":"nope.example","metrics":["visitors"],"date_range":"day"}`, 404, "site_id"},
		{"no metrics", key, `{"site_id":"example.com","date_range":"day"}`, 400, "metrics"},
		{"bad metric", key, `{"site_id":"example.com","metrics":["hugs"],"date_range":"day"}`, 400, "hugs"},
		{"bad range", key, `{"site_id":"example.com","metrics":["visitors"],"date_range":"fortnight"}`, 400, "date_range"},
		{"bad custom range", key, `{"site_id":"example.com","metrics":["visitors"],"date_range":["2026-13-01","2026-12-01"]}`, 400, "date_range"},
		{"bad dimension", key, `{"site_id":"example.com","metrics":["visitors"],"date_range":"day","dimensions":["visit:shoe_size"]}`, 400, "dimensions"},
		{"bad filter op", key, `{"site_id":"example.com","metrics":["visitors"],"date_range":"day","filters":[["near","visit:country",["DE"]]]}`, 400, "filters[0]"},
		{"bad regexp", key, `{"site_id":"example.com","metrics":["visitors"],"date_range":"day","filters":[["matches","event:page",["("]]]}`, 400, "filters[0]"},
		{"bad order", key, `{"site_id":"example.com","metrics":["visitors"],"date_range":"day","order_by":[["pageviews","up"]]}`, 400, "order_by"},
		{"deeply nested filters", key, `{"site_id":"example.com","metrics":["visitors"],"date_range":"day","filters":[` + strings.Repeat(`["and",[`, 50) + `["is","visit:country",["DE"]]` + strings.Repeat(`]]`, 50) + `]}`, 400, "nested deeper"},
		{"bad limit", key, `{"site_id":"example.com","metrics":["visitors"],"date_range":"day","pagination":{"limit":0}}`, 400, "pagination.limit"},
		{"too many filter values", key, `{"site_id":"example.com","metrics":["visitors"],"date_range":"day","filters":[["is","event:page",[` + strings.TrimSuffix(strings.Repeat(`"/x",`, 101), ",") + `]]]}`, 400, "at most 100"},
		{"range of centuries", key, `{"site_id":"example.com","metrics":["visitors"],"date_range":["1900-01-01","2026-01-31"]}`, 400, "date range longer"},
		{"dimension twice", key, `{"site_id":"example.com","metrics":["visitors"],"date_range":"day","dimensions":["event:page","event:page"]}`, 400, "named twice"},
		{"ok", key, `{"site_id":"example.com","metrics":["visitors"],"date_range":["2026-01-01","2026-01-31"],"filters":[["and",[["is","visit:country",["DE"]],["contains","event:page",["a"]]]]]}`, 200, "[0]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, body := s.query(tt.key, tt.body)
			if code != tt.code || !strings.Contains(string(body), tt.mention) {
				t.Errorf("%d %s, want %d mentioning %q", code, body, tt.code, tt.mention)
			}
		})
	}
}

// Values taken from request headers outlive the request (in cell keys and
// caches); a later request must not change them. Fiber reuses its buffers
// unless told otherwise.
func TestHeaderValuesOutliveTheirRequest(t *testing.T) {
	dir := t.TempDir()
	tally(t, "site", "add", "example.com", "--data", dir)
	key := lastLine(tally(t, "apikey", "create", "--data", dir))
	s := startServer(t, dir, &syncBuffer{})
	langs := []string{"de", "fr", "ja", "es", "it", "nl", "pt", "sv"}
	for round := 0; round < 3; round++ {
		for i, lang := range langs {
			v := visitor{ip: fmt.Sprintf("198.51.%d.7", 10+i), ua: firefoxUA}
			body := fmt.Sprintf(`{"n":"pageview","u":"https://example.com/p%d","d":"example.com"}`, round)
			if code, _ := s.event(v, body, "Accept-Language", lang); code != 202 {
				t.Fatalf("status %d", code)
			}
		}
	}
	_, res := s.query(key, `{"site_id":"example.com","metrics":["visitors","pageviews"],"date_range":"day","dimensions":["visit:language"]}`)
	var rows []struct {
		Metrics    []float64 `json:"metrics"`
		Dimensions []string  `json:"dimensions"`
	}
	if err := json.Unmarshal(res, &rows); err != nil {
		t.Fatal(err)
	}
	if len(rows) != len(langs) {
		t.Fatalf("languages: %s", res)
	}
	for _, r := range rows {
		if r.Metrics[0] != 1 || r.Metrics[1] != 3 {
			t.Errorf("language %s: visitors %v pageviews %v, want 1 and 3 (%s)", r.Dimensions[0], r.Metrics[0], r.Metrics[1], res)
		}
	}
}

// An admin command may run while `serve` has the embedded store open, and
// a site deleted meanwhile stays deleted: the server's next checkpoints
// discard what it still held for it.
func TestAdminWhileServing(t *testing.T) {
	dir := t.TempDir()
	tally(t, "site", "add", "example.com", "--data", dir)
	key := lastLine(tally(t, "apikey", "create", "--data", dir))
	s := startServer(t, dir, &syncBuffer{})
	v := visitor{ip: "198.51.100.7", ua: chromeUA}
	if code, _ := s.event(v, `{"n":"pageview","u":"https://example.com/","d":"example.com"}`); code != 202 {
		t.Fatalf("status %d", code)
	}
	tally(t, "site", "add", "other.example", "--data", dir)
	if code, _ := s.event(v, `{"n":"pageview","u":"https://other.example/","d":"other.example"}`); code != 202 {
		t.Fatalf("a site added while serving is not accepted within the cache time: %d", code)
	}
	tally(t, "site", "delete", "example.com", "--data", dir)
	// The server still knows the site for a few seconds (its site cache), so
	// this hit is folded — and the next checkpoint (every 1 s here) must
	// discard it rather than resurrect the site's rows.
	if code, _ := s.event(v, `{"n":"pageview","u":"https://example.com/late","d":"example.com"}`); code != 202 {
		t.Fatalf("status %d", code)
	}
	time.Sleep(1500 * time.Millisecond)
	s.stop()

	st, err := sqlite.Open(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	sites, err := st.Sites(context.Background())
	if err != nil || len(sites) != 1 || sites[0].Domain != "other.example" {
		t.Fatalf("sites after delete: %+v, %v", sites, err)
	}
	// Every site id ever used: only the surviving site has counts.
	today := aggregate.Day(time.Now(), time.UTC)
	n := 0.0
	for _, id := range []int64{1, 2, 3} {
		res, err := aggregate.NewEngine(st, nil).Run(context.Background(), aggregate.Query{Site: account.Site{ID: id},
			From: today.AddDate(0, 0, -2), To: today.AddDate(0, 0, 1), Metrics: []aggregate.Metric{aggregate.Events}})
		if err != nil {
			t.Fatal(err)
		}
		if got := float64(res.Rows[0].Metrics[0]); got > 0 && id != sites[0].ID {
			t.Errorf("%v events of deleted site %d survived", got, id)
		} else {
			n += got
		}
	}
	if n == 0 {
		t.Error("the other site's counts are missing: nothing was checked")
	}
	s = startServer(t, dir, &syncBuffer{})
	if code, body := s.query(key, `{"site_id":"example.com","metrics":["pageviews"],"date_range":"day"}`); code != 404 {
		t.Errorf("deleted site answers %d %s", code, body)
	}
}

// Any page may post events: a preflight gets the methods and headers it
// asks about, and every event's answer names any origin.
func TestEventCORS(t *testing.T) {
	dir := t.TempDir()
	tally(t, "site", "add", "example.com", "--data", dir)
	s := startServer(t, dir, &syncBuffer{})
	req, _ := http.NewRequest(http.MethodOptions, "http://"+s.addr+"/api/event", nil)
	req.Header.Set("Origin", "https://example.com")
	req.Header.Set("Access-Control-Request-Method", "POST")
	req.Header.Set("Access-Control-Request-Headers", "content-type")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	h := resp.Header
	if resp.StatusCode != 204 || h.Get("Access-Control-Allow-Origin") != "*" || !strings.Contains(h.Get("Access-Control-Allow-Methods"), "POST") ||
		!strings.EqualFold(h.Get("Access-Control-Allow-Headers"), "Content-Type") || h.Get("Access-Control-Max-Age") == "" {
		t.Fatalf("preflight: %d %v", resp.StatusCode, h)
	}
	resp, err = http.Post("http://"+s.addr+"/api/event", "application/json", strings.NewReader(`{"n":"pageview","u":"https://example.com/","d":"example.com"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 202 || resp.Header.Get("Access-Control-Allow-Origin") != "*" {
		t.Fatalf("event: %d %v", resp.StatusCode, resp.Header)
	}
}
