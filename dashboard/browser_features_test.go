package dashboard

// The views a Plausible user reaches for, in a real Chromium against a real
// `tally serve`: the filter picker's operators, a panel's Details list, the
// realtime page and a one-point chart, each screenshotted at 1280 px and
// 360 px (TALLY_ARTIFACTS keeps them), with no console problem and no
// request to another host.

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"tally/internal/browsertest"
)

func TestDashboardFeaturesBrowser(t *testing.T) {
	browsertest.Available(t, "the dashboard features browser test")
	artifacts := artifactsDir(t)
	srv := startServer(t)
	srv.standardScenario(t)
	// Fifteen more pages, so the pages panel has more than it shows.
	ua := "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/140.0.0.0 Safari/537.36"
	for i := range 15 {
		srv.event(t, ua, fmt.Sprintf("https://example.com/docs/page-%02d", i))
	}

	b := newChromium(t)
	b.run(t, "sign in",
		chromedp.Navigate(srv.base+"/example.com?period=day"),
		chromedp.WaitVisible(chromedp.CSS("#email")),
		chromedp.SendKeys(chromedp.CSS("#email"), "owner@example.com"),
		chromedp.SendKeys(chromedp.CSS("#password"), srv.password),
		chromedp.Click(chromedp.CSS(`form button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(".kpis")),
	)
	both := func(name string, check func(t *testing.T)) {
		t.Helper()
		for _, w := range []struct {
			width  int64
			mobile bool
		}{{1280, false}, {360, true}} {
			opts := []chromedp.EmulateViewportOption{}
			if w.mobile {
				opts = append(opts, chromedp.EmulateMobile)
			}
			b.run(t, "resize", chromedp.EmulateViewport(w.width, 900, opts...))
			if check != nil {
				check(t)
			}
			if get(t, b, "measure", chromedp.Evaluate[bool](`document.documentElement.scrollWidth > window.innerWidth + 1`)) {
				t.Errorf("%s at %d px scrolls sideways", name, w.width)
			}
			b.screenshot(t, filepath.Join(artifacts, fmt.Sprintf("%s-%d.png", name, w.width)))
		}
	}

	// The filter picker offers is / is not / contains.
	b.run(t, "open the picker", chromedp.Click(chromedp.CSS(".picker summary")), chromedp.WaitVisible(chromedp.CSS(`select[name=fo]`)))
	ops := get(t, b, "read the operators", chromedp.Evaluate[[]string](`[...document.querySelectorAll('select[name=fo] option')].map(o => o.textContent)`))
	if strings.Join(ops, ",") != "is,is not,contains" {
		t.Errorf("picker operators %v", ops)
	}
	b.run(t, "fill the picker",
		chromedp.SetValue(chromedp.CSS(`select[name=fd]`), "browser"),
		chromedp.SetValue(chromedp.CSS(`select[name=fo]`), "!"),
		chromedp.SendKeys(chromedp.CSS(`input[name=fv]`), "Firefox"),
	)
	both("filter-picker", nil)
	b.run(t, "apply the filter", chromedp.Click(chromedp.CSS(`.picker button[type=submit]`)), chromedp.WaitVisible(chromedp.CSS(".chip")))
	chip := get(t, b, "read the chip", chromedp.Text(chromedp.CSS(".chip")))
	if !strings.Contains(chip, "Browser is not Firefox") || b.kpis(t)["visitors"] != 9 {
		t.Errorf("after is not Firefox: chip %q, KPIs %v (want 9 visitors: 12 less Firefox's 3)", chip, b.kpis(t))
	}

	// Details: the pages panel's "more" opens the whole list.
	b.run(t, "open Details",
		chromedp.Navigate(srv.base+"/example.com?period=day"),
		chromedp.WaitVisible(chromedp.CSS(`#panel-pg .panel-foot a[href*="/details"]`)),
		chromedp.Click(chromedp.CSS(`#panel-pg .panel-foot a[href*="/details"]`)),
		chromedp.WaitVisible(chromedp.CSS(".sortable")),
	)
	rows := get(t, b, "count the rows", chromedp.Evaluate[int](`document.querySelectorAll('.sortable tbody tr').length`))
	if rows != 19 {
		t.Errorf("Details lists %d pages, want 19", rows)
	}
	// Each click loads a new page; the old one matches the same selectors
	// until it is gone, so wait for the new address first.
	b.run(t, "sort by name", chromedp.Click(chromedp.CSS(`.sortable thead th:first-child a`)))
	waitLocation(t, b, "sort=")
	b.run(t, "search",
		chromedp.WaitVisible(chromedp.CSS(`.sortable th[aria-sort]`)),
		chromedp.SendKeys(chromedp.CSS(`input[name=q]`), "docs"),
		chromedp.Click(chromedp.CSS(`.search button`)),
	)
	waitLocation(t, b, "q=docs")
	b.run(t, "wait for the results", chromedp.WaitVisible(chromedp.CSS(".sortable")))
	first := get(t, b, "read the first row", chromedp.Text(chromedp.CSS(`.sortable tbody th`)))
	n := get(t, b, "count the rows", chromedp.Evaluate[int](`document.querySelectorAll('.sortable tbody tr').length`))
	if n != 15 || !strings.Contains(first, "/docs/page-14") {
		t.Errorf("searching docs sorted by name (descending): %d rows, first %q", n, first)
	}
	both("details", nil)

	// The realtime page, reached from the live count.
	b.run(t, "open realtime",
		chromedp.Navigate(srv.base+"/example.com?period=day"),
		chromedp.Click(chromedp.CSS(`.live a`)),
		chromedp.WaitVisible(chromedp.CSS(".mbars")),
	)
	current := get(t, b, "read the count", chromedp.Text(chromedp.CSS(".live strong")))
	if current != "12" {
		t.Errorf("realtime shows %s current visitors, want 12", current)
	}
	both("realtime", func(t *testing.T) {
		// The tallest bar: the minute of the hits may be over by now on a
		// busy machine, so it need not be the last one.
		h := get(t, b, "measure the tallest bar", chromedp.Evaluate[float64](`Math.max(...[...document.querySelectorAll('.mbar')].map(e => e.getBoundingClientRect().height))`))
		if h < 20 {
			t.Errorf("the bar of the minute the visitors came in is %v px high", h)
		}
	})

	// A chart of one point shows it.
	b.run(t, "one-point chart", chromedp.Navigate(srv.base+"/example.com?period=day&i=day"), chromedp.WaitVisible(chromedp.CSS(".plot")))
	both("chart-one-point", func(t *testing.T) {
		dot := get(t, b, "measure the dot", chromedp.Evaluate[[]float64](`(() => {
			const d = document.querySelector('.plot .pt'), p = document.querySelector('.plot');
			if (!d) return [];
			const r = d.getBoundingClientRect(), q = p.getBoundingClientRect();
			return [r.width, r.height, r.left - q.left, q.bottom - r.bottom];
		})()`))
		if len(dot) != 4 || dot[0] < 6 || dot[1] < 6 {
			t.Errorf("the one point has no visible marker: %v", dot)
		}
	})
	b.checkClean(t, srv.base)
	t.Logf("screenshots in %s", artifacts)
}

// waitLocation waits until the page's address contains part and the page
// has loaded: a click that navigates returns before the new page is there.
func waitLocation(t *testing.T, b *chromium, part string) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		loc, err := chromedp.Run(b.Ctx, chromedp.Location())
		var state string
		if err == nil {
			state, err = chromedp.Run(b.Ctx, chromedp.Evaluate[string](`document.readyState`))
		}
		if err == nil && strings.Contains(loc, part) && state == "complete" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the page did not reach an address with %q (at %q, %s, %v)", part, loc, state, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
