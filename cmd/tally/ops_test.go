package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"tally/aggregate/storetest"
)

const okEvent = `{"n":"pageview","u":"https://example.com/","d":"example.com"}`

// totalPageviews asks the Stats API for today's pageviews.
func totalPageviews(t *testing.T, s *testServer, key string) int {
	t.Helper()
	code, res := s.query(key, `{"site_id":"example.com","metrics":["pageviews"],"date_range":"day"}`)
	if code != 200 {
		t.Fatalf("query: %d %s", code, res)
	}
	var rows []struct{ Metrics []float64 }
	if err := json.Unmarshal(res, &rows); err != nil || len(rows) != 1 {
		t.Fatalf("query answer %s: %v", res, err)
	}
	return int(rows[0].Metrics[0])
}

// scrape reads the metrics listener into name{labels} → value.
func scrape(t *testing.T, addr string) (map[string]float64, string) {
	t.Helper()
	resp, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		t.Fatalf("GET /metrics: %d %s", resp.StatusCode, b)
	}
	out := map[string]float64{}
	sc := bufio.NewScanner(strings.NewReader(string(b)))
	for sc.Scan() {
		line := sc.Text()
		if line == "" || line[0] == '#' {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			t.Fatalf("metrics line %q: %v", line, err)
		}
		out[line[:i]] = v
	}
	return out, string(b)
}

func TestMetricsEndpoint(t *testing.T) {
	dir := t.TempDir()
	tally(t, "site", "add", "example.com", "--data", dir)
	key := lastLine(tally(t, "apikey", "create", "--data", dir))
	maddr := freeAddr(t)
	log := &syncBuffer{}
	s := startServer(t, dir, log, "--metrics-listen", maddr)

	// Numbers that move with visitors are exported in steps of 10
	// (metrics.Granularity): 12 page views show as 10, one GPC request as 0.
	vs := scenarioVisitors()
	vs = append(vs, visitor{"198.51.100.21", chromeUA}, visitor{"198.51.100.22", firefoxUA})
	for _, v := range vs {
		if code, _ := s.event(v, okEvent); code != 202 {
			t.Fatalf("pageview: %d", code)
		}
	}
	for i := range 10 {
		s.event(visitor{fmt.Sprintf("198.51.%d.9", 110+i), chromeUA}, okEvent, "DNT", "1")
	}
	s.event(vs[5], okEvent, "Sec-GPC", "1")
	s.event(visitor{"198.51.100.3", "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"}, okEvent)
	s.event(vs[6], `{"n":"pageview",`)
	s.event(vs[6], `{"n":"pageview","u":"https://unknown.example/","d":"unknown.example"}`)
	if n := totalPageviews(t, s, key); n != 12 {
		t.Fatalf("pageviews %d, want 12", n)
	}

	m, text := scrape(t, maddr)
	want := map[string]float64{
		"tally_hits_received_total":                       20, // 26
		"tally_hits_accepted_total":                       10, // 12
		`tally_hits_dropped_total{reason="dnt"}`:          10,
		`tally_hits_dropped_total{reason="gpc"}`:          0, // 1
		`tally_hits_dropped_total{reason="bot"}`:          0, // 1
		`tally_hits_dropped_total{reason="invalid"}`:      0, // 1
		`tally_hits_dropped_total{reason="unknown_site"}`: 0, // 1
		`tally_hits_dropped_total{reason="overload"}`:     0,
		`tally_hits_dropped_total{reason="rate_limited"}`: 0,
		"tally_hits_folded_total":                         10, // 12
		"tally_ingest_duration_seconds_count":             20, // 26
		"tally_checkpoint_failing":                        0,
	}
	for name, v := range want {
		if got, ok := m[name]; !ok || got != v {
			t.Errorf("%s = %v (present %v), want %v", name, got, ok, v)
		}
	}
	for name, v := range m {
		if strings.HasPrefix(name, "tally_ingest_duration_seconds_bucket") && v != 0 && v != 10 && v != 20 {
			t.Errorf("%s = %v: not in steps of 10", name, v)
		}
	}
	for _, name := range []string{"tally_open_cells", "tally_sessions", "go_goroutines", "process_resident_memory_bytes",
		"tally_checkpoint_duration_seconds_count", `tally_store_duration_seconds_count{op="ping",result="ok"}`,
		"tally_first_occurrence_entries", "tally_first_occurrence_bytes",
		`tally_other_total{kind="value"}`, `tally_other_total{kind="prop"}`, "tally_props_dropped_total",
		"tally_journal_syncs_total", "tally_journal_failures_total",
		"tally_connections_open"} {
		if _, ok := m[name]; !ok {
			t.Errorf("no %s", name)
		}
	}
	// The query above stored what was counted (queries see every hit
	// answered before them), so no cell waits in memory; the visits and
	// the day's first occurrences are still there.
	if m["tally_open_cells"] != 0 || m["tally_sessions"] != 10 || m["tally_first_occurrence_entries"] < 10 {
		t.Errorf("open cells %v, sessions %v, first occurrences %v: want 0 cells, 10 visits (12), some first occurrences",
			m["tally_open_cells"], m["tally_sessions"], m["tally_first_occurrence_entries"])
	}
	for _, v := range vs {
		for _, secret := range []string{v.ip, v.ua, "198.51.100.3", "Googlebot"} {
			if strings.Contains(text, secret) {
				t.Errorf("metrics contain %q", secret)
			}
		}
	}

	// Not on the public listener.
	resp, err := http.Get("http://" + s.addr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if strings.Contains(string(b), "tally_hits_received_total") {
		t.Errorf("the public listener serves metrics")
	}

	// The profiler: on the metrics listener only.
	for addr, want := range map[string]bool{maddr: true, s.addr: false} {
		resp, err := http.Get("http://" + addr + "/debug/pprof/")
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if got := resp.StatusCode == 200 && strings.Contains(string(b), "goroutine"); got != want {
			t.Errorf("%s/debug/pprof/: status %d, profiler served %v, want %v", addr, resp.StatusCode, got, want)
		}
	}
}

func TestMetricsOffByDefault(t *testing.T) {
	dir := t.TempDir()
	log := &syncBuffer{}
	startServer(t, dir, log)
	if strings.Contains(log.String(), "serving metrics") {
		t.Errorf("metrics served without --metrics-listen:\n%s", log)
	}
}

func TestRateLimit(t *testing.T) {
	dir := t.TempDir()
	tally(t, "site", "add", "example.com", "--data", dir)
	key := lastLine(tally(t, "apikey", "create", "--data", dir))
	maddr := freeAddr(t)
	log := &syncBuffer{}
	s := startServer(t, dir, log, "--rate-limit", "5", "--metrics-listen", maddr)

	// Wait for the start of a second, so the burst falls in one window.
	time.Sleep(time.Until(time.Now().Truncate(time.Second).Add(time.Second)))
	flood := visitor{"203.0.113.77", chromeUA}
	neighbour := visitor{"203.0.113.200", firefoxUA} // same /24: same budget
	other := visitor{"198.51.100.9", chromeUA}
	accepted, limited := 0, 0
	for i := 0; i < 12; i++ {
		v := flood
		if i%2 == 1 {
			v = neighbour
		}
		code, body := s.event(v, okEvent)
		switch code {
		case 202:
			accepted++
		case 429:
			limited++
			if !strings.Contains(body, "too many events") {
				t.Errorf("429 body %q", body)
			}
		default:
			t.Fatalf("status %d %s", code, body)
		}
	}
	if accepted < 5 || accepted > 10 || limited < 2 {
		t.Errorf("one /24 sent 12 events at --rate-limit 5: %d accepted, %d limited", accepted, limited)
	}
	if code, _ := s.event(other, okEvent); code != 202 {
		t.Errorf("another network was limited too: %d", code)
	}
	if n := totalPageviews(t, s, key); n != accepted+1 {
		t.Errorf("pageviews %d, want the %d accepted", n, accepted+1)
	}
	m, _ := scrape(t, maddr)
	if got := m[`tally_hits_dropped_total{reason="rate_limited"}`]; int(got) != limited {
		t.Errorf("rate_limited metric %v, want %d", got, limited)
	}
	// One line when limiting starts; never the address.
	deadline := time.Now().Add(3 * time.Second)
	for !strings.Contains(log.String(), "rate limit: answering 429") && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	if !strings.Contains(log.String(), "rate limit: answering 429") {
		t.Errorf("no log line for rate limiting:\n%s", log)
	}
	for _, ip := range []string{"203.0.113", "198.51.100"} {
		if strings.Contains(log.String(), ip) {
			t.Errorf("log mentions %s", ip)
		}
	}
}

// TestBadInputChangesNothing sends what a hostile or broken client might and
// requires a clear 4xx each time and unchanged counts.
func TestBadInputChangesNothing(t *testing.T) {
	dir := t.TempDir()
	tally(t, "site", "add", "example.com", "--data", dir)
	key := lastLine(tally(t, "apikey", "create", "--data", dir))
	s := startServer(t, dir, &syncBuffer{})
	v := scenarioVisitors()[0]
	if code, _ := s.event(v, okEvent); code != 202 {
		t.Fatal("first pageview not taken")
	}
	before := totalPageviews(t, s, key)

	props := make([]string, 40)
	for i := range props {
		props[i] = fmt.Sprintf("%q:1", fmt.Sprint("k", i))
	}
	cases := []struct {
		name, body string
		reason     string // part of the one-line answer
	}{
		{"oversized body", `{"n":"pageview","u":"https://example.com/","d":"example.com","r":"` + strings.Repeat("a", 20<<10) + `"}`, "body"},
		{"body past the server limit", strings.Repeat("x", 2<<20), ""},
		{"deep JSON", `{"n":"pageview","u":"https://example.com/","d":"example.com","p":` + strings.Repeat(`{"a":`, 5000) + "1" + strings.Repeat("}", 5000) + `}`, ""},
		{"deep array", strings.Repeat("[", 10000) + strings.Repeat("]", 10000), ""},
		{"invalid UTF-8 in the URL", "{\"n\":\"pageview\",\"u\":\"https://example.com/\xff\xfe\",\"d\":\"example.com\"}", ""},
		{"invalid UTF-8 in the name", "{\"n\":\"\xc3\x28\",\"u\":\"https://example.com/\",\"d\":\"example.com\"}", ""},
		{"huge prop value", `{"n":"pageview","u":"https://example.com/","d":"example.com","p":{"k":"` + strings.Repeat("v", 5000) + `"}}`, "prop"},
		{"too many props", `{"n":"pageview","u":"https://example.com/","d":"example.com","p":{` + strings.Join(props, ",") + `}}`, "props"},
		{"object prop", `{"n":"pageview","u":"https://example.com/","d":"example.com","p":{"k":{"x":1}}}`, "prop"},
		{"absurd width", `{"n":"pageview","u":"https://example.com/","d":"example.com","w":1e300}`, "screen_width"},
		{"negative width", `{"n":"pageview","u":"https://example.com/","d":"example.com","w":-5}`, "screen_width"},
		{"width as text", `{"n":"pageview","u":"https://example.com/","d":"example.com","w":"wide"}`, "screen_width"},
		{"javascript URL", `{"n":"pageview","u":"javascript:alert(1)","d":"example.com"}`, ""},
		{"long URL", `{"n":"pageview","u":"https://example.com/` + strings.Repeat("p", 3000) + `","d":"example.com"}`, ""},
		{"long name", `{"n":"` + strings.Repeat("n", 500) + `","u":"https://example.com/","d":"example.com"}`, ""},
		{"not JSON", "\x00\x01\x02", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if len(tc.body) > 1<<20 {
				// Past the server's body limit fasthttp answers 413 as soon as
				// it has read the headers and closes the connection, so the
				// client may see a reset before it reads the answer. Either is
				// a refusal; what matters is checked below: nothing counted.
				code, err := postRaw(s.addr, tc.body)
				if err == nil && code != 413 {
					t.Fatalf("status %d, want 413 or a closed connection", code)
				}
				return
			}
			code, body := s.event(v, tc.body)
			if code < 400 || code > 499 {
				t.Fatalf("status %d %.200s, want a 4xx", code, body)
			}
			if len(body) > 300 || strings.Contains(body, "\n") && strings.TrimSpace(body) != body {
				t.Errorf("answer is not one short line: %.300q", body)
			}
			if tc.reason != "" && !strings.Contains(body, tc.reason) {
				t.Errorf("answer %q does not mention %q", body, tc.reason)
			}
		})
	}
	if after := totalPageviews(t, s, key); after != before {
		t.Errorf("pageviews went from %d to %d after bad input", before, after)
	}
	// The server still works.
	if code, _ := s.event(v, okEvent); code != 202 {
		t.Fatalf("pageview after bad input: %d", code)
	}
	if after := totalPageviews(t, s, key); after != before+1 {
		t.Errorf("pageviews %d after a good event, want %d", after, before+1)
	}
}

// TestHealthWhileClickHouseIsDown stops a real ClickHouse under a running
// tally serve: /api/health answers 503 with the reason, events are still
// taken, and once ClickHouse is back health is 200 and nothing was lost.
func TestHealthWhileClickHouseIsDown(t *testing.T) {
	srv := storetest.NewClickHouseServer(t)
	dsn := srv.DSN()
	dir := t.TempDir()
	tally(t, "site", "add", "example.com", "--clickhouse", dsn, "--data", dir)
	key := lastLine(tally(t, "apikey", "create", "--clickhouse", dsn, "--data", dir))
	log := &syncBuffer{}
	s := startServer(t, dir, log, "--clickhouse", dsn, "--checkpoint", "200ms")
	vs := scenarioVisitors()
	send := func(n int) {
		for i := 0; i < n; i++ {
			if code, body := s.event(vs[i%len(vs)], okEvent); code != 202 {
				t.Fatalf("event %d: %d %s", i, code, body)
			}
		}
	}
	send(10)
	if n := totalPageviews(t, s, key); n != 10 {
		t.Fatalf("pageviews %d, want 10", n)
	}

	srv.Stop(t)
	send(20) // the site is in the collector's cache; the salt in memory
	health := func() (int, string) {
		resp, err := http.Get("http://" + s.addr + "/api/health")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	code, body := health()
	if code != 503 || !strings.Contains(body, "store unreachable") {
		t.Errorf("health while ClickHouse is down: %d %s", code, body)
	}
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(log.String(), "checkpoint failed") && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	send(20)

	srv.Start(t)
	deadline = time.Now().Add(30 * time.Second)
	for {
		if code, _ = health(); code == 200 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("health still %d 30 s after ClickHouse is back:\n%s", code, log)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if n := totalPageviews(t, s, key); n != 50 {
		t.Errorf("pageviews %d after the outage, want 50", n)
	}
	s.stop()
	if !strings.Contains(log.String(), "checkpoint succeeded again") {
		t.Errorf("no recovery line in the log:\n%s", log)
	}
}

// postRaw posts a body to /api/event and returns the status, or the error
// when the server closed the connection first.
func postRaw(addr, body string) (int, error) {
	resp, err := http.Post("http://"+addr+"/api/event", "text/plain", strings.NewReader(body))
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, resp.Body)
	return resp.StatusCode, nil
}
