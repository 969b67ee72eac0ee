package trackerjs

// End to end: a real Chromium loads a page that carries the script tag, the
// script talks to a real tally server built from ./cmd/tally, and the Stats
// API must then show exactly the counts the visit should make — and nothing
// when the visitor asked not to be counted.

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/storage"
	"github.com/chromedp/chromedp"

	"tally/internal/browsertest"
)

const siteID = "test.example"

func TestBrowser(t *testing.T) {
	browsertest.Available(t, "the browser tests of the tracker")
	srv := startTally(t)
	site := startSite(t, srv.port)

	t.Run("a page load counts once", func(t *testing.T) {
		before := srv.counts(t)
		b := openBrowser(t, browserOptions{})
		b.visit(t, site.url("/"))
		srv.waitCounts(t, before.add(1, 1))
		sent := b.sentEvents(t, 1)
		want := map[string]any{"n": "pageview", "u": site.url("/"), "d": siteID, "r": nil}
		for k, v := range want {
			if sent[0][k] != v {
				t.Errorf("the pageview sent %s = %v, want %v (payload %v)", k, sent[0][k], v, sent[0])
			}
		}
		if w, ok := sent[0]["w"].(float64); !ok || w <= 0 {
			t.Errorf("the pageview sent w = %v, want the window width", sent[0]["w"])
		}
		b.checkClean(t, 0)
	})

	t.Run("SPA navigation counts each new URL once", func(t *testing.T) {
		before := srv.counts(t)
		b := openBrowser(t, browserOptions{})
		b.visit(t, site.url("/spa"))
		b.eval(t, `history.pushState({}, '', '/spa/one');
			history.pushState({}, '', '/spa/two');
			history.pushState({}, '', '/spa/two');
			history.replaceState({}, '', '/spa/two'); true`)
		srv.waitCounts(t, before.add(3, 3))
		b.sentEvents(t, 3)
		pages := srv.breakdown(t, "pageviews", "event:page")
		for _, p := range []string{"/spa", "/spa/one", "/spa/two"} {
			if pages[p] != 1 {
				t.Errorf("page %s has %v pageviews, want 1 (all pages: %v)", p, pages[p], pages)
			}
		}
		b.checkClean(t, 0)
	})

	t.Run("a custom event with props counts", func(t *testing.T) {
		before := srv.counts(t)
		b := openBrowser(t, browserOptions{})
		b.visit(t, site.url("/custom"))
		// The callback hears the answer's status, which the page can read
		// only when the server allows it with Access-Control-Allow-Origin.
		status := b.eval(t, `new Promise((resolve) => tally('Signup', {
			props: {plan: 'pro'},
			callback: (r) => resolve(r && r.status ? r.status : 'no status: ' + (r && r.error))
		}))`)
		if status != float64(202) {
			t.Errorf("the event's callback got %v, want status 202", status)
		}
		srv.waitCounts(t, before.add(1, 2))
		sent := b.sentEvents(t, 2)
		if props, _ := sent[1]["p"].(map[string]any); sent[1]["n"] != "Signup" || props["plan"] != "pro" {
			t.Errorf("the custom event sent %v, want n Signup with p {plan: pro}", sent[1])
		}
		if names := srv.breakdown(t, "events", "event:name"); names["Signup"] != 1 {
			t.Errorf("event:name Signup has %v events, want 1 (all names: %v)", names["Signup"], names)
		}
		b.checkClean(t, 0)
	})

	t.Run("engagement: deepest scroll and visible time, closed by an SPA navigation", func(t *testing.T) {
		before := srv.counts(t)
		b := openBrowser(t, browserOptions{})
		b.visit(t, site.url("/tall"))
		start := time.Now()
		// The viewport's bottom at 60 % of the page, then back up: the
		// deepest scroll is what counts.
		b.eval(t, `scrollTo(0, 0.6 * document.documentElement.scrollHeight - innerHeight); true`)
		time.Sleep(500 * time.Millisecond)
		b.eval(t, `scrollTo(0, 0); true`)
		time.Sleep(time.Until(start.Add(3 * time.Second)))
		b.eval(t, `history.pushState({}, '', '/tall/next'); true`)
		took := time.Since(start)
		srv.waitCounts(t, before.add(2, 2)) // engagement is neither a pageview nor an event
		sent := b.sentEvents(t, 3)
		e := sent[1]
		if e["n"] != "engagement" || e["u"] != site.url("/tall") || sent[2]["u"] != site.url("/tall/next") {
			t.Fatalf("sent %v, want pageview /tall, engagement /tall, pageview /tall/next", sent)
		}
		sd, _ := e["sd"].(float64)
		ms, _ := e["e"].(float64)
		// Visible since the script ran (before start) until the navigation.
		if sd < 59 || sd > 61 || ms < 3000 || ms > float64((took+3*time.Second)/time.Millisecond) {
			t.Errorf("engagement sd %v, e %v ms; want sd 60, e about 3000 (the page was shown %v)", sd, ms, took)
		}
		var got []queryResult
		for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
			if got = srv.query(t, []string{"scroll_depth", "time_on_page"}, []string{"event:page"}); len(got) > 0 {
				break
			}
		}
		if len(got) != 1 || got[0].Dimensions[0] != "/tall" || got[0].Metrics[0] != 60 || got[0].Metrics[1] < 3 || got[0].Metrics[1] > 6 {
			t.Errorf("scroll_depth, time_on_page by page = %+v, want /tall: 60, about 3", got)
		}
		b.checkClean(t, 0)
	})

	t.Run("tagged and outbound clicks count", func(t *testing.T) {
		before := srv.counts(t)
		b := openBrowser(t, browserOptions{})
		b.visit(t, site.url("/clicks"))
		if err := chromedp.Do(b.Ctx, chromedp.Click(chromedp.CSS("#signup"))); err != nil {
			t.Fatalf("click the tagged button: %v", err)
		}
		srv.waitCounts(t, before.add(1, 2))
		// The link leaves the page at once; keepalive carries the event.
		if err := chromedp.Do(b.Ctx, chromedp.Click(chromedp.CSS("#out"))); err != nil {
			t.Fatalf("click the outbound link: %v", err)
		}
		srv.waitCounts(t, before.add(1, 3))
		sent := b.sentEvents(t, 3)
		want := []struct{ name, prop, value string }{
			{"Sign Up", "plan", "pro"},
			{"Outbound Link: Click", "url", fmt.Sprintf("http://127.0.0.1:%d/landing", site.port)},
		}
		for i, w := range want {
			props, _ := sent[i+1]["p"].(map[string]any)
			if sent[i+1]["n"] != w.name || props[w.prop] != w.value {
				t.Errorf("event %d sent %v, want n %q with p.%s = %q", i+1, sent[i+1], w.name, w.prop, w.value)
			}
		}
		names := srv.breakdown(t, "events", "event:name")
		for _, w := range want {
			if names[w.name] != 1 {
				t.Errorf("event:name %q has %v events, want 1 (all names: %v)", w.name, names[w.name], names)
			}
		}
		b.checkClean(t, 0)
	})

	t.Run("a browser with Do Not Track on is not counted", func(t *testing.T) {
		before := srv.counts(t)
		b := openBrowser(t, browserOptions{doNotTrack: true})
		b.visit(t, site.url("/dnt-profile"))
		if got := site.dnt("/dnt-profile"); got != "1" {
			t.Fatalf("the page request had DNT %q, want 1: the profile preference did not take", got)
		}
		srv.holdCounts(t, before)
		// Chromium 156 also shows the setting as navigator.doNotTrack "1",
		// and then the script sends nothing at all.
		want := 0
		if dnt := b.eval(t, `navigator.doNotTrack`); dnt != "1" {
			t.Logf("navigator.doNotTrack is %v with the setting on: the server's DNT check stopped the hit", dnt)
			want = 1
		}
		b.sentEvents(t, want)
		b.checkClean(t, 0)
	})

	t.Run("the server drops a hit sent with DNT: 1", func(t *testing.T) {
		before := srv.counts(t)
		// The DNT header without navigator.doNotTrack, as older Chromium
		// builds behave: the script sends, and the server must drop.
		b := openBrowser(t, browserOptions{
			doNotTrack: true,
			init:       `Object.defineProperty(Navigator.prototype, 'doNotTrack', {get: () => null, configurable: true})`,
		})
		b.visit(t, site.url("/dnt-header"))
		if got := site.dnt("/dnt-header"); got != "1" {
			t.Fatalf("the page request had DNT %q, want 1: the profile preference did not take", got)
		}
		if sent := b.sentEvents(t, 1); sent[0]["n"] != "pageview" {
			t.Errorf("sent %v, want the pageview the server is to drop", sent[0])
		}
		if got := b.statuses(t, 1); got[0] != 202 {
			t.Errorf("the dropped hit was answered %v, want the same 202 as a counted one", got[0])
		}
		srv.holdCounts(t, before)
		b.checkClean(t, 0)
	})

	t.Run("navigator.doNotTrack stops the script", func(t *testing.T) {
		before := srv.counts(t)
		b := openBrowser(t, browserOptions{
			init: `Object.defineProperty(Navigator.prototype, 'doNotTrack', {get: () => '1', configurable: true})`,
		})
		b.visit(t, site.url("/dnt-script"))
		if got := b.eval(t, `new Promise((resolve) => tally('Signup', {callback: () => resolve('called')}))`); got != "called" {
			t.Errorf("the callback of a skipped event gave %v, want it called", got)
		}
		srv.holdCounts(t, before)
		b.sentEvents(t, 0)
		b.checkClean(t, 0)
	})

	t.Run("the opt-out flag stops the script", func(t *testing.T) {
		before := srv.counts(t)
		b := openBrowser(t, browserOptions{
			init: `try { localStorage.tally_ignore = 'true' } catch (e) {}`,
		})
		b.visit(t, site.url("/opt-out"))
		b.eval(t, `tally('Signup'); history.pushState({}, '', '/opt-out/next'); true`)
		srv.holdCounts(t, before)
		b.sentEvents(t, 0)
		b.checkClean(t, 1) // the flag itself
	})

	t.Run("automation stops the script without data-allow-automation", func(t *testing.T) {
		before := srv.counts(t)
		b := openBrowser(t, browserOptions{})
		b.visit(t, site.url("/no-automation"))
		srv.holdCounts(t, before)
		b.sentEvents(t, 0)
		b.checkClean(t, 0)
	})
}

// site serves the test pages as http://test.example:PORT/any/path.
type site struct {
	port int
	mu   sync.Mutex
	dnts map[string]string // path → the DNT header of its last request
}

func startSite(t *testing.T, tallyPort int) *site {
	t.Helper()
	s := &site{dnts: map[string]string{}}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.dnts[r.URL.Path] = r.Header.Get("DNT")
		s.mu.Unlock()
		script, attrs, body := "script.js", " data-allow-automation", "<h1>A page</h1>"
		switch r.URL.Path {
		case "/no-automation":
			attrs = ""
		case "/clicks":
			// Extensions out of canonical order: the server sorts them.
			script = "script.tagged-events.outbound-links.js"
			body = fmt.Sprintf(`<button id="signup" class="plausible-event-name=Sign+Up plausible-event-plan=pro">Sign up</button>
<a id="out" href="http://127.0.0.1:%d/landing?token=secret">elsewhere</a>`, s.port)
		case "/landing": // another host: no script
			script = ""
		case "/tall":
			body = `<div style="height:6000px">a long read</div>`
		}
		tag := ""
		if script != "" {
			tag = fmt.Sprintf(`<script defer data-domain="%s"%s src="http://%s:%d/js/%s"></script>`,
				siteID, attrs, siteID, tallyPort, script)
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, `<!doctype html>
<html><head><meta charset="utf-8"><title>tally test page</title><link rel="icon" href="data:,">
%s
</head><body>%s</body></html>`, tag, body)
	}))
	s.port = srv.Listener.Addr().(*net.TCPAddr).Port
	srv.Start()
	t.Cleanup(srv.Close)
	return s
}

func (s *site) url(path string) string {
	return fmt.Sprintf("http://%s:%d%s", siteID, s.port, path)
}

func (s *site) dnt(path string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.dnts[path]
}

type browserOptions struct {
	doNotTrack bool   // the profile's "Send a Do Not Track request" setting
	init       string // a script run in every new document before the page's own
}

// browser is one Chromium with a fresh profile (internal/browsertest), and
// what its tab sent to and heard from /api/event.
type browser struct {
	*browsertest.Browser
	mu       sync.Mutex
	payloads [][]byte  // bodies of the requests to /api/event
	answers  []float64 // statuses of the answers from /api/event
}

func openBrowser(t *testing.T, opts browserOptions) *browser {
	t.Helper()
	b := &browser{}
	b.Browser = browsertest.Open(t, browsertest.Options{
		DoNotTrack: opts.doNotTrack,
		Init:       opts.init,
		HostRules:  "MAP " + siteID + " 127.0.0.1",
		Timeout:    60 * time.Second,
		Listen:     b.listen,
	})
	return b
}

// listen runs in the tab's event loop: it only records.
func (b *browser) listen(ev any) {
	b.mu.Lock()
	defer b.mu.Unlock()
	switch ev := ev.(type) {
	case *network.EventRequestWillBeSent:
		if strings.HasSuffix(ev.Request.URL, "/api/event") {
			var body []byte
			for _, e := range ev.Request.PostDataEntries {
				body = append(body, e.Bytes...)
			}
			b.payloads = append(b.payloads, body)
		}
	case *network.EventResponseReceived:
		if strings.HasSuffix(ev.Response.URL, "/api/event") {
			b.answers = append(b.answers, float64(ev.Response.Status))
		}
	}
}

// visit opens url and waits until the script has run.
func (b *browser) visit(t *testing.T, url string) {
	t.Helper()
	if err := chromedp.Do(b.Ctx, chromedp.Navigate(url)); err != nil {
		t.Fatalf("navigate to %s: %v", url, err)
	}
	if _, err := chromedp.Run(b.Ctx, chromedp.Poll[bool](`typeof window.tally === 'function'`,
		chromedp.WithPollingTimeout(10*time.Second))); err != nil {
		t.Fatalf("the script did not load on %s: %v (problems: %v)", url, err, b.Problems())
	}
}

// eval runs an expression in the page, awaiting a promise it returns.
func (b *browser) eval(t *testing.T, js string) any {
	t.Helper()
	v, err := chromedp.Run(b.Ctx, chromedp.Evaluate[any](js, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("evaluate %s: %v", js, err)
	}
	return v
}

// sentEvents waits briefly for n requests to /api/event and returns their
// bodies; a request more than n, even a late one, fails.
func (b *browser) sentEvents(t *testing.T, n int) []map[string]any {
	t.Helper()
	deadline := time.Now().Add(3 * time.Second)
	for n > 0 && time.Now().Before(deadline) {
		b.mu.Lock()
		got := len(b.payloads)
		b.mu.Unlock()
		if got >= n {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	time.Sleep(300 * time.Millisecond)
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.payloads) != n {
		t.Fatalf("the browser sent %d requests to /api/event, want %d: %q", len(b.payloads), n, b.payloads)
	}
	out := make([]map[string]any, n)
	for i, body := range b.payloads {
		if err := json.Unmarshal(body, &out[i]); err != nil {
			t.Fatalf("request %d to /api/event has body %q: %v", i, body, err)
		}
	}
	return out
}

// statuses waits briefly for n answers from /api/event.
func (b *browser) statuses(t *testing.T, n int) []float64 {
	t.Helper()
	deadline := time.Now().Add(3 * time.Second)
	for time.Now().Before(deadline) {
		b.mu.Lock()
		got := len(b.answers)
		b.mu.Unlock()
		if got >= n {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.answers) != n {
		t.Fatalf("the browser got %d answers from /api/event, want %d", len(b.answers), n)
	}
	return append([]float64(nil), b.answers...)
}

// checkClean asserts what a visit must leave behind: no cookie anywhere, no
// storage but the given number of items (the opt-out flag), and a console
// without errors.
func (b *browser) checkClean(t *testing.T, localItems int) {
	t.Helper()
	if got := b.eval(t, `document.cookie`); got != "" {
		t.Errorf("document.cookie = %q, want empty", got)
	}
	if got := b.eval(t, `localStorage.length`); got != float64(localItems) {
		t.Errorf("localStorage.length = %v, want %d", got, localItems)
	}
	if got := b.eval(t, `sessionStorage.length`); got != float64(0) {
		t.Errorf("sessionStorage.length = %v, want 0", got)
	}
	if res, err := chromedp.Call(b.Ctx, network.GetCookies, network.GetCookiesParams{}); err != nil {
		t.Errorf("Network.getCookies: %v", err)
	} else if len(res.Cookies) != 0 {
		t.Errorf("the page has %d cookies, want none: %v", len(res.Cookies), res.Cookies[0])
	}
	if res, err := chromedp.CallBrowser(b.Ctx, storage.GetCookies, storage.GetCookiesParams{}); err != nil {
		t.Errorf("Storage.getCookies: %v", err)
	} else if len(res.Cookies) != 0 {
		t.Errorf("the browser has %d cookies, want none: %v", len(res.Cookies), res.Cookies[0])
	}
	for _, p := range b.Problems() {
		t.Errorf("the page's console shows an error: %s", p)
	}
}
