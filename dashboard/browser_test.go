package dashboard

// The dashboard in a real headless Chromium, against a real `tally serve`
// built from ./cmd/tally: sign in through the form, compare the KPI tiles
// with the Stats API, filter by clicking a source, go back, hover the chart,
// and take screenshots — with no console error and no request to any other
// host.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/chromedp"

	"tally/internal/browsertest"
)

// artifactsDir is where a browser test keeps its screenshots:
// TALLY_ARTIFACTS when set (kept after the run), else a temporary directory.
func artifactsDir(t *testing.T) string {
	dir := os.Getenv("TALLY_ARTIFACTS")
	if dir == "" {
		return t.TempDir()
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestDashboardBrowser(t *testing.T) {
	browsertest.Available(t, "the dashboard browser test")
	artifacts := artifactsDir(t)
	srv := startServer(t)
	srv.standardScenario(t)

	b := newChromium(t)
	// Sign in through the form.
	b.run(t, "sign in",
		chromedp.Navigate(srv.base+"/example.com?period=day"),
		chromedp.WaitVisible(chromedp.CSS("#email")),
		chromedp.SendKeys(chromedp.CSS("#email"), "owner@example.com"),
		chromedp.SendKeys(chromedp.CSS("#password"), srv.password),
		chromedp.Click(chromedp.CSS(`form button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(".kpis")),
	)
	got := b.kpis(t)
	api := srv.query(t)
	for m, v := range api {
		if got[m] != v {
			t.Errorf("KPI %s = %v on the page, %v from /api/v2/query", m, got[m], v)
		}
	}
	if got["pageviews"] != 31 {
		t.Errorf("KPI pageviews = %v, want 31 (all KPIs %v)", got["pageviews"], got)
	}
	text := get(t, b, "read the page", chromedp.Text(chromedp.CSS("body")))
	if !strings.Contains(text, "/<script>alert(1)</script>") || !strings.Contains(text, "/pricing") {
		t.Errorf("the page text lacks /pricing or the hostile path shown as text")
	}
	b.screenshot(t, filepath.Join(artifacts, "dashboard-desktop.png"))

	// Hovering the chart shows a value.
	b.run(t, "scroll to the chart", chromedp.ScrollIntoView(chromedp.CSS(".plot")))
	box := get(t, b, "measure the chart", chromedp.Evaluate[[]float64](
		`(() => { const r = document.querySelector('.plot').getBoundingClientRect(); return [r.left, r.top, r.width, r.height]; })()`))
	b.run(t, "hover the chart",
		chromedp.MouseEvent(input.DispatchMouseEventTypeMouseMoved, box[0]+box[2]*0.6, box[1]+box[3]/2),
		chromedp.WaitVisible(chromedp.CSS(".tip")),
	)
	tip := get(t, b, "read the tip", chromedp.Text(chromedp.CSS(".tip")))
	if !strings.Contains(tip, "visitors") {
		t.Errorf("chart hover tip %q, want a visitors value", tip)
	}

	// Clicking a source filters every panel.
	b.run(t, "filter by the newsletter source",
		chromedp.Click(chromedp.CSS(`#panel-src a[href*="f=source%2Cnewsletter"]`)),
		chromedp.WaitVisible(chromedp.CSS(".chip")),
	)
	filtered := b.kpis(t)
	if filtered["pageviews"] != 30 || filtered["visitors"] != 10 {
		t.Errorf("filtered by source newsletter: %v, want 10 visitors, 30 pageviews", filtered)
	}
	pages := get(t, b, "read the pages panel", chromedp.Text(chromedp.CSS("#panel-pg")))
	if strings.Contains(pages, "alert(1)") || !strings.Contains(pages, "/pricing") {
		t.Errorf("filtered pages panel should list /pricing and not the hostile path: %q", pages)
	}
	loc := get(t, b, "read the URL", chromedp.Location())
	if !strings.Contains(loc, "f=source%2Cnewsletter") || !strings.Contains(loc, "period=day") {
		t.Errorf("the filter is not in the URL: %s", loc)
	}

	// The back button returns to the unfiltered view.
	// (history.back() is what the Back button does; the page may come
	// from the back-forward cache, which fires no load event to wait on.)
	get(t, b, "go back", chromedp.Evaluate[bool](`history.back(), true`))
	var back map[string]float64
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if loc := get(t, b, "read the URL", chromedp.Location()); !strings.Contains(loc, "f=source") {
			back = b.kpis(t)
			if back["pageviews"] == 31 {
				break
			}
		}
	}
	if back["pageviews"] != 31 {
		t.Errorf("after Back: %v, want 31 pageviews again", back)
	}

	// 360 px wide.
	b.run(t, "phone width",
		chromedp.EmulateViewport(360, 800, chromedp.EmulateMobile),
		chromedp.Reload(),
		chromedp.WaitVisible(chromedp.CSS(".kpis")),
	)
	overflow := get(t, b, "measure", chromedp.Evaluate[bool](`document.documentElement.scrollWidth > window.innerWidth + 1`))
	if overflow {
		t.Error("at 360 px the page scrolls sideways")
	}
	b.screenshot(t, filepath.Join(artifacts, "dashboard-360.png"))
	t.Logf("screenshots in %s", artifacts)

	b.checkClean(t, srv.base)
}

// server is a running `tally serve` with one site, one owner and an API key.
type server struct {
	base, key, password string
}

// startServer runs tally serve; args are added to its command line.
func startServer(t *testing.T, args ...string) *server {
	t.Helper()
	tmp := t.TempDir()
	bin, data := filepath.Join(tmp, "tally"), filepath.Join(tmp, "data")
	build := exec.Command("go", "build", "-o", bin, "./cmd/tally")
	build.Dir = ".."
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/tally: %v\n%s", err, out)
	}
	run := func(stdin string, args ...string) string {
		cmd := exec.Command(bin, args...)
		cmd.Stdin = strings.NewReader(stdin)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("tally %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return string(out)
	}
	s := &server{password: "a long test password"}
	run("", "site", "add", "example.com", "--data", data)
	run(s.password+"\n", "user", "add", "owner@example.com", "--password-stdin", "--data", data)
	lines := strings.Split(strings.TrimSpace(run("", "apikey", "create", "--data", data)), "\n")
	s.key = strings.TrimSpace(lines[len(lines)-1])

	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	var logs bytes.Buffer
	serve := exec.Command(bin, append([]string{"serve", "--listen", addr, "--data", data}, args...)...)
	serve.Stdout, serve.Stderr = &logs, &logs
	if err := serve.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { serve.Wait(); close(done) }()
	t.Cleanup(func() {
		serve.Process.Signal(os.Interrupt)
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			serve.Process.Kill()
			<-done
		}
		if t.Failed() {
			t.Logf("tally serve output:\n%s", logs.String())
		}
	})
	s.base = "http://" + addr
	for deadline := time.Now().Add(15 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		if res, err := http.Get(s.base + "/api/health"); err == nil {
			res.Body.Close()
			if res.StatusCode == 200 {
				return s
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("tally serve not healthy after 15 s:\n%s", logs.String())
		}
	}
}

// standardScenario sends 10 visitors (Chrome ×4, Firefox ×3, Safari on
// iPhone ×3), three pages each starting from a newsletter link, and one
// hit on a hostile path, through POST /api/event.
func (s *server) standardScenario(t *testing.T) {
	t.Helper()
	var uas []string
	for i := range 4 {
		uas = append(uas, fmt.Sprintf("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/%d.0.0.0 Safari/537.36", 136+i))
	}
	for i := range 3 {
		uas = append(uas, fmt.Sprintf("Mozilla/5.0 (X11; Linux x86_64; rv:%d.0) Gecko/20100101 Firefox/%d.0", 126+i, 126+i))
	}
	for i := range 3 {
		uas = append(uas, fmt.Sprintf("Mozilla/5.0 (iPhone; CPU iPhone OS 17_%d like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.%d Mobile/15E148 Safari/604.1", i, i))
	}
	for _, ua := range uas {
		for _, p := range []string{"/?utm_source=newsletter", "/pricing", "/about"} {
			s.event(t, ua, "https://example.com"+p)
		}
	}
	s.event(t, "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/139.0.0.0 Safari/537.36 Edg/139.0.0.0",
		"https://example.com/<script>alert(1)</script>")
}

func (s *server) event(t *testing.T, ua, u string) { s.eventFrom(t, "", ua, u) }

// eventFrom sends a pageview as if from the address ip (X-Forwarded-For:
// the server must trust 127.0.0.1 as a proxy); "" sends none.
func (s *server) eventFrom(t *testing.T, ip, ua, u string) {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"n": "pageview", "u": u, "d": "example.com", "w": 1280})
	req, _ := http.NewRequest(http.MethodPost, s.base+"/api/event", bytes.NewReader(body))
	req.Header.Set("User-Agent", ua)
	if ip != "" {
		req.Header.Set("X-Forwarded-For", ip)
	}
	req.Header.Set("Content-Type", "text/plain")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusAccepted {
		t.Fatalf("POST /api/event %s = %d, want 202", u, res.StatusCode)
	}
}

// query asks the Stats API for today's KPI metrics.
func (s *server) query(t *testing.T) map[string]float64 {
	t.Helper()
	metrics := []string{"visitors", "visits", "pageviews", "views_per_visit", "bounce_rate", "visit_duration"}
	body, _ := json.Marshal(map[string]any{"site_id": "example.com", "metrics": metrics, "date_range": "day"})
	req, _ := http.NewRequest(http.MethodPost, s.base+"/api/v2/query", bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+s.key)
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var out struct {
		Results []struct{ Metrics []float64 } `json:"results"`
	}
	if err := json.NewDecoder(res.Body).Decode(&out); err != nil || len(out.Results) != 1 {
		t.Fatalf("Stats API answer (%d): %v %+v", res.StatusCode, err, out)
	}
	m := map[string]float64{}
	for i, name := range metrics {
		m[name] = out.Results[0].Metrics[i]
	}
	return m
}

// chromium is one headless Chromium (see internal/browsertest) with the
// dashboard test's helpers.
type chromium struct{ *browsertest.Browser }

// newChromium counts console warnings as problems too: the dashboard has none.
func newChromium(t *testing.T) *chromium {
	t.Helper()
	return &chromium{browsertest.Open(t, browsertest.Options{Warnings: true})}
}

func (b *chromium) run(t *testing.T, what string, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(b.Ctx, actions...); err != nil {
		t.Fatalf("%s: %v (problems so far: %v)", what, err, b.Problems())
	}
}

// get runs one action that returns a value.
func get[T any](t *testing.T, b *chromium, what string, a chromedp.Action[T]) T {
	t.Helper()
	v, err := chromedp.Run(b.Ctx, a)
	if err != nil {
		t.Fatalf("%s: %v (problems so far: %v)", what, err, b.Problems())
	}
	return v
}

// kpis reads the KPI tiles' exact values.
func (b *chromium) kpis(t *testing.T) map[string]float64 {
	t.Helper()
	return get(t, b, "read the KPIs", chromedp.Evaluate[map[string]float64](
		`Object.fromEntries([...document.querySelectorAll('.kpi')].map(e => [e.dataset.metric, Number(e.dataset.value)]))`))
}

func (b *chromium) screenshot(t *testing.T, path string) {
	t.Helper()
	png := get(t, b, "screenshot", chromedp.FullScreenshot(100))
	if err := os.WriteFile(path, png, 0o644); err != nil {
		t.Fatal(err)
	}
}

// checkClean fails on any console error or warning, exception, dialog, or
// request to a host other than tally's.
func (b *chromium) checkClean(t *testing.T, base string) {
	t.Helper()
	for _, p := range b.Problems() {
		t.Errorf("browser problem: %s", p)
	}
	own, _ := url.Parse(base)
	requests := b.Requests()
	for _, r := range requests {
		u, err := url.Parse(r)
		if err != nil || u.Host != own.Host && u.Scheme != "data" {
			t.Errorf("request to another host: %s", r)
		}
	}
	if len(requests) < 5 {
		t.Errorf("only %d requests seen; the network listener is not working", len(requests))
	}
}
