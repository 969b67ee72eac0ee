package dashboard

// A funnel in a real Chromium against a real `tally serve`: goals and a
// funnel made through the settings forms, visits sent to /api/event
// afterwards, and the Funnels panel's bars as wide as each step's share.

import (
	"bytes"
	"encoding/json"
	"net/http"
	"path/filepath"
	"testing"

	"github.com/chromedp/chromedp"

	"tally/internal/browsertest"
)

func TestFunnelBrowser(t *testing.T) {
	browsertest.Available(t, "the funnel browser test")
	artifacts := artifactsDir(t)
	srv := startServer(t)
	b := newChromium(t)
	b.run(t, "sign in",
		chromedp.Navigate(srv.base+"/example.com/settings"),
		chromedp.WaitVisible(chromedp.CSS("#email")),
		chromedp.SendKeys(chromedp.CSS("#email"), "owner@example.com"),
		chromedp.SendKeys(chromedp.CSS("#password"), srv.password),
		chromedp.Click(chromedp.CSS(`form button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS("#goals")),
	)
	for _, g := range []struct{ kind, value string }{{"page", "/pricing"}, {"event", "Signup"}, {"page", "/welcome/**"}} {
		b.run(t, "add goal "+g.value,
			chromedp.Navigate(srv.base+"/example.com/settings"),
			chromedp.WaitVisible(chromedp.CSS(`#goals form[action$="/goals"] input[name=value]`)),
			chromedp.SetValue(chromedp.CSS(`#goals select[name=kind]`), g.kind),
			chromedp.SendKeys(chromedp.CSS(`#goals form[action$="/goals"] input[name=value]`), g.value),
			chromedp.Click(chromedp.CSS(`#goals form[action$="/goals"] button[type=submit]`)),
		)
		waitLocation(t, b, "saved=1")
	}
	pick := func(n int, goal string) chromedp.Action[chromedp.Void] {
		// Select the option whose text is the goal's name (values are ids).
		return chromedp.Evaluate[chromedp.Void](`(() => {
			const s = document.querySelectorAll('.funnel-form select[name=step]')[` + string(rune('0'+n)) + `];
			s.value = [...s.options].find(o => o.textContent === ` + jsString(goal) + `).value;
		})()`)
	}
	b.run(t, "add the funnel",
		chromedp.Navigate(srv.base+"/example.com/settings"),
		chromedp.WaitVisible(chromedp.CSS(`.funnel-form input[name=name]`)),
		chromedp.SendKeys(chromedp.CSS(`.funnel-form input[name=name]`), "Signup flow"),
		pick(0, "Visit /pricing"), pick(1, "Signup"), pick(2, "Visit /welcome/**"),
		chromedp.Click(chromedp.CSS(`.funnel-form button[type=submit]`)),
	)
	waitLocation(t, b, "#funnels")

	// Four visitors see /pricing, two of them sign up, one of those then
	// reaches /welcome/tour: 4, 2, 1.
	uas := []string{"Firefox/126.0", "Firefox/127.0", "Firefox/128.0", "Firefox/129.0"}
	for i, ua := range uas {
		ua = "Mozilla/5.0 (X11; Linux x86_64; rv:1.0) Gecko/20100101 " + ua
		sendEvent(t, srv, ua, "pageview", "https://example.com/pricing")
		if i < 2 {
			sendEvent(t, srv, ua, "Signup", "https://example.com/pricing")
		}
		if i < 1 {
			sendEvent(t, srv, ua, "pageview", "https://example.com/welcome/tour")
		}
	}
	b.run(t, "open the dashboard", chromedp.Navigate(srv.base+"/example.com?period=day"), chromedp.WaitVisible(chromedp.CSS("#funnels .funnel-step")))
	got := get(t, b, "measure the bars", chromedp.Evaluate[[]float64](`[...document.querySelectorAll('#funnels .funnel-step')].map(s =>
		[Number(s.dataset.visits), Math.round(100 * s.querySelector('.funnel-bar').getBoundingClientRect().width / s.querySelector('.funnel-track').getBoundingClientRect().width)]).flat()`))
	if want := []float64{4, 100, 2, 50, 1, 25}; len(got) != len(want) || got[0] != 4 || got[1] != 100 || got[2] != 2 || got[3] != 50 || got[4] != 1 || got[5] != 25 {
		t.Errorf("funnel steps (visits, bar %% of its track) = %v, want %v", got, want)
	}
	for _, w := range []int64{1280, 360} {
		var opts []chromedp.EmulateViewportOption
		if w < 500 {
			opts = append(opts, chromedp.EmulateMobile)
		}
		b.run(t, "resize", chromedp.EmulateViewport(w, 900, opts...))
		if get(t, b, "measure", chromedp.Evaluate[bool](`document.documentElement.scrollWidth > window.innerWidth + 1`)) {
			t.Errorf("the dashboard with a funnel at %d px scrolls sideways", w)
		}
	}
	b.screenshot(t, filepath.Join(artifacts, "funnel-360.png"))
	b.checkClean(t, srv.base)
}

func jsString(s string) string { b, _ := json.Marshal(s); return string(b) }

// sendEvent posts one event named name (a pageview or a custom event).
func sendEvent(t *testing.T, srv *server, ua, name, u string) {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"n": name, "u": u, "d": "example.com", "w": 1280})
	req, _ := http.NewRequest(http.MethodPost, srv.base+"/api/event", bytes.NewReader(body))
	req.Header.Set("User-Agent", ua)
	req.Header.Set("Content-Type", "text/plain")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusAccepted {
		t.Fatalf("POST /api/event %s %s = %d, want 202", name, u, res.StatusCode)
	}
}
