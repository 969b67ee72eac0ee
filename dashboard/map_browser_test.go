package dashboard

// The world map in a real Chromium against a real `tally serve` with its
// embedded country database: visitors from two countries (through a
// trusted proxy's X-Forwarded-For), a mouse click on one country applies
// its filter, Enter on the other (reached by focus, as from the keyboard)
// applies its own; screenshots at 1280 px and 360 px, light and dark.

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"tally/internal/browsertest"
)

func TestWorldMapBrowser(t *testing.T) {
	browsertest.Available(t, "the world map browser test")
	artifacts := artifactsDir(t)
	srv := startServer(t, "--trusted-proxies", "127.0.0.1/32")
	for i := range 3 {
		// 8.8.8.8 is in the United States, 193.0.6.139 (RIPE NCC) in the
		// Netherlands (collector/geo's TestEmbeddedCountries).
		ua := fmt.Sprintf("Mozilla/5.0 (X11; Linux x86_64; rv:%d.0) Gecko/20100101 Firefox/%[1]d.0", 126+i)
		srv.eventFrom(t, "8.8.8.8", ua, "https://example.com/")
	}
	srv.eventFrom(t, "193.0.6.139", "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0", "https://example.com/")

	b := newChromium(t)
	b.run(t, "sign in",
		chromedp.Navigate(srv.base+"/example.com?period=day"),
		chromedp.WaitVisible(chromedp.CSS("#email")),
		chromedp.SendKeys(chromedp.CSS("#email"), "owner@example.com"),
		chromedp.SendKeys(chromedp.CSS("#password"), srv.password),
		chromedp.Click(chromedp.CSS(`form button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(".worldmap")),
	)
	links := get(t, b, "read the map's links", chromedp.Evaluate[[]string](`[...document.querySelectorAll('.worldmap a')].map(a => a.getAttribute('aria-label'))`))
	if strings.Join(links, ",") != "Netherlands: 1 visitor,United States: 3 visitors" {
		t.Errorf("the map links %q, want the Netherlands and the United States", links)
	}
	for _, w := range []struct {
		width  int64
		mobile bool
		dark   bool
	}{{1280, false, false}, {360, true, false}, {360, true, true}} {
		opts := []chromedp.EmulateViewportOption{}
		if w.mobile {
			opts = append(opts, chromedp.EmulateMobile)
		}
		scheme := "light"
		if w.dark {
			scheme = "dark"
		}
		b.run(t, "resize", chromedp.EmulateViewport(w.width, 900, opts...),
			colorScheme(scheme))
		// The map fits its panel, and its shaded countries differ from
		// the unshaded ones in either scheme.
		m := get(t, b, "measure the map", chromedp.Evaluate[map[string]any](`(() => {
			const svg = document.querySelector('.worldmap svg'), card = document.querySelector('#panel-loc');
			const on = getComputedStyle(document.querySelector('.worldmap a[aria-label^="United States"] path')).fill;
			const off = getComputedStyle(document.querySelector('.worldmap path:not(.on)')).fill;
			return {w: svg.getBoundingClientRect().width, h: svg.getBoundingClientRect().height, card: card.getBoundingClientRect().width, on, off};
		})()`))
		if mw := m["w"].(float64); mw < 200 || mw > m["card"].(float64) || m["h"].(float64) < 80 {
			t.Errorf("at %d px the map is %v×%v in a panel %v wide", w.width, m["w"], m["h"], m["card"])
		}
		if m["on"] == m["off"] {
			t.Errorf("at %d px (%s) a country with visitors is filled like one without: %v", w.width, scheme, m["on"])
		}
		if get(t, b, "measure", chromedp.Evaluate[bool](`document.documentElement.scrollWidth > window.innerWidth + 1`)) {
			t.Errorf("the map's page at %d px scrolls sideways", w.width)
		}
		b.run(t, "scroll to the map", chromedp.ScrollIntoView(chromedp.CSS("#panel-loc")))
		b.screenshot(t, filepath.Join(artifacts, fmt.Sprintf("worldmap-%d-%s.png", w.width, scheme)))
	}
	b.run(t, "back to desktop", chromedp.EmulateViewport(1280, 900), colorScheme("light"))

	// A mouse click on the Netherlands: a point inside its shape, found by
	// asking the page what is drawn where (the shape's box may hold sea).
	pt := get(t, b, "find a point of the Netherlands", chromedp.Evaluate[[]float64](`(() => {
		const a = document.querySelector('.worldmap a[aria-label^="Netherlands"]');
		a.scrollIntoView({block: 'center'});
		const r = a.getBoundingClientRect();
		for (let y = r.top + 1; y < r.bottom; y += 1)
			for (let x = r.left + 1; x < r.right; x += 1)
				if (document.elementFromPoint(x, y)?.closest('a') === a) return [x, y];
		return [];
	})()`))
	if len(pt) != 2 {
		t.Fatal("no point of the map is the Netherlands' link")
	}
	b.run(t, "click the Netherlands", chromedp.MouseClickXY(pt[0], pt[1]))
	waitLocation(t, b, "f=country%2CNL")
	b.run(t, "wait for the filtered view", chromedp.WaitVisible(chromedp.CSS(".chip")))
	chip := get(t, b, "read the chip", chromedp.Text(chromedp.CSS(".chip")))
	if !strings.Contains(chip, "Country is 🇳🇱 Netherlands") || b.kpis(t)["visitors"] != 1 {
		t.Errorf("after clicking the Netherlands: chip %q, KPIs %v (want 1 visitor)", chip, b.kpis(t))
	}

	// From the keyboard: the United States' link takes focus and Enter
	// follows it.
	b.run(t, "unfiltered again", chromedp.Navigate(srv.base+"/example.com?period=day"), chromedp.WaitVisible(chromedp.CSS(".worldmap")))
	focused := get(t, b, "focus the United States", chromedp.Evaluate[bool](`(() => {
		const a = document.querySelector('.worldmap a[aria-label^="United States"]');
		a.focus();
		return document.activeElement === a;
	})()`))
	if !focused {
		t.Fatal("the United States' link on the map cannot take focus")
	}
	b.run(t, "press Enter", chromedp.KeyEvent("\r"))
	waitLocation(t, b, "f=country%2CUS")
	b.run(t, "wait for the filtered view", chromedp.WaitVisible(chromedp.CSS(".chip")))
	if v := b.kpis(t)["visitors"]; v != 3 {
		t.Errorf("filtered by the United States from the keyboard: %v visitors, want 3", v)
	}
	b.checkClean(t, srv.base)
	t.Logf("screenshots in %s", artifacts)
}

// colorScheme emulates prefers-color-scheme: light or dark.
func colorScheme(s string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := cdp.Call(ctx, t, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
			Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: s}}})
		return err
	})
}
