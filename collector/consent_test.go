package collector_test

import (
	"context"
	"io"
	"log/slog"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"

	"tally/account"
	"tally/aggregate"
	"tally/aggregate/storetest"
	"tally/collector"
)

// consentRig is a collector on a real embedded store whose checkpoints
// happen when the test asks.
type consentRig struct {
	st    aggregate.Store
	agg   *aggregate.Aggregator
	col   *collector.Collector
	clock *storetest.Clock
	day   string
}

func newConsentRig(t *testing.T, cfg collector.Config, sites ...account.Site) *consentRig {
	t.Helper()
	ctx := context.Background()
	st := storetest.SQLite(t)
	for _, s := range sites {
		if _, err := st.AddSite(ctx, s); err != nil {
			t.Fatal(err)
		}
	}
	clock := &storetest.Clock{}
	clock.Set(time.Date(2026, 11, 3, 10, 0, 0, 0, time.UTC))
	agg := storetest.NewAggregator(st, clock)
	salts := aggregate.NewSalts(clock.Now)
	t.Cleanup(salts.Close)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	return &consentRig{st: st, agg: agg, clock: clock, day: "2026-11-03",
		col: collector.New(cfg, st, agg, salts, nil, clock.Now, log)}
}

func (r *consentRig) send(t *testing.T, body string, dnt, gpc bool) (collector.Outcome, error) {
	t.Helper()
	return r.col.Process(context.Background(), &collector.Request{Body: []byte(body),
		Peer: netip.MustParseAddr("203.0.113.9"), UserAgent: "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0",
		DNT: dnt, GPC: gpc})
}

// stored closes the aggregator and returns the site's events by name and
// page, as the store holds them.
func (r *consentRig) stored(t *testing.T, domain string) map[string]float64 {
	t.Helper()
	if err := r.agg.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	site, err := r.st.Site(context.Background(), domain)
	if err != nil {
		t.Fatal(err)
	}
	return storetest.Breakdown(t, r.st, site, storetest.Q{From: r.day, To: r.day,
		Metrics: []aggregate.Metric{aggregate.Events}, Dimensions: []string{"event:name", "event:page"}})
}

// TestConsentBeforeAnything: a DNT or GPC request is answered as dropped
// whatever its body, without parsing it, when no site counts such hits —
// even one that names a site that does not exist or a host of another site.
func TestConsentBeforeAnything(t *testing.T) {
	r := newConsentRig(t, collector.Config{RateLimit: 1}, account.Site{Domain: "example.com", Timezone: "UTC"})
	bodies := []string{
		`{"n":`,
		`not json at all`,
		`{"n":"pageview","u":"https://elsewhere.org/","d":"example.com"}`,
		`{"n":"pageview","u":"https://unknown.example/","d":"unknown.example"}`,
		`{"n":"pageview","u":"https://example.com/x","d":"example.com"}`,
	}
	for i, b := range bodies {
		for _, sig := range [][2]bool{{true, false}, {false, true}} {
			out, err := r.send(t, b, sig[0], sig[1])
			if err != nil || out != collector.DroppedConsent {
				t.Errorf("body %d, DNT %v GPC %v: outcome %v, error %v; want dropped for consent, no error", i, sig[0], sig[1], out, err)
			}
		}
	}
	c := r.col.Counts()
	if c.Invalid.Load() != 0 || c.UnknownSite.Load() != 0 || c.RateLimited.Load() != 0 || c.Accepted.Load() != 0 {
		t.Errorf("consent-signalled requests were looked at: invalid %d, unknown site %d, rate limited %d, accepted %d",
			c.Invalid.Load(), c.UnknownSite.Load(), c.RateLimited.Load(), c.Accepted.Load())
	}
	if c.DNT.Load() != uint64(len(bodies)) || c.GPC.Load() != uint64(len(bodies)) {
		t.Errorf("counted DNT %d, GPC %d; want %d each", c.DNT.Load(), c.GPC.Load(), len(bodies))
	}
	if got := r.stored(t, "example.com"); len(got) != 0 {
		t.Errorf("stored %v from consent-signalled requests", got)
	}
}

// TestCountDNTCountsAPlainPageviewOnly: a site with the count-dnt policy
// gets a page view (host and path) from a consent-signalled hit, and
// nothing else: no custom event, no fragment, no campaign, no visitor. A
// malformed body or another site's host is still a silent 202.
func TestCountDNTCountsAPlainPageviewOnly(t *testing.T) {
	r := newConsentRig(t, collector.Config{RateLimit: 1},
		account.Site{Domain: "shop.example", Timezone: "UTC", CountDNT: true},
		account.Site{Domain: "other.example", Timezone: "UTC"})
	for _, tt := range []struct {
		name, body string
		dnt, gpc   bool
	}{
		{"GPC purchase event", `{"n":"Purchase","u":"https://shop.example/checkout/order-5512","d":"shop.example","p":{"amount":"99"}}`, false, true},
		{"DNT malformed body", `{"n":"pageview","u":`, true, false},
		{"DNT pageview of another host", `{"n":"pageview","u":"https://other.example/","d":"shop.example"}`, true, false},
		{"DNT pageview on a site that drops them", `{"n":"pageview","u":"https://other.example/","d":"other.example"}`, true, false},
		{"GPC pageview", `{"n":"pageview","u":"https://shop.example/docs?utm_source=alice%40example.com#/x","d":"shop.example","r":"https://news.example/a","h":1}`, false, true},
		{"DNT pageview", `{"n":"pageview","u":"https://shop.example/docs","d":"shop.example"}`, true, false},
	} {
		out, err := r.send(t, tt.body, tt.dnt, tt.gpc)
		if err != nil || out != collector.DroppedConsent {
			t.Errorf("%s: outcome %v, error %v; want the consent answer", tt.name, out, err)
		}
	}
	if n := r.col.Counts().RateLimited.Load(); n != 0 {
		t.Errorf("%d consent-signalled requests were rate limited: their network was looked at", n)
	}
	got := r.stored(t, "shop.example")
	if len(got) != 1 || got["pageview|/docs"] != 2 {
		t.Errorf("shop.example stored %v; want only pageview|/docs: 2", got)
	}
	site, _ := r.st.Site(context.Background(), "shop.example")
	if v := storetest.Totals(t, r.st, site, storetest.Q{From: r.day, To: r.day, Metrics: []aggregate.Metric{aggregate.Visitors, aggregate.Visits}}); v[0] != 0 || v[1] != 0 {
		t.Errorf("visitors, visits = %v: an anonymous page view made a visitor or a visit", v)
	}
	if got := storetest.Breakdown(t, r.st, site, storetest.Q{From: r.day, To: r.day, Metrics: []aggregate.Metric{aggregate.Pageviews},
		Dimensions: []string{"visit:utm_source"}}); len(got) != 1 || got["(not set)"] != 2 {
		t.Errorf("utm sources of anonymous page views: %v; want only (not set): 2", got)
	}
}

// TestConsentOverHTTP: the handler decides from the headers before it
// inflates the body: a DNT request with a broken compressed body gets the
// same 202 as any other, where the same body without DNT is refused.
func TestConsentOverHTTP(t *testing.T) {
	r := newConsentRig(t, collector.Config{}, account.Site{Domain: "example.com", Timezone: "UTC"})
	app := fiber.New(fiber.Config{DisableStartupMessage: true})
	app.Post("/api/event", r.col.Event)
	for _, tt := range []struct {
		name    string
		headers map[string]string
		body    string
		want    int
	}{
		{"DNT, broken gzip", map[string]string{"DNT": "1", "Content-Encoding": "gzip"}, "not gzip at all", 202},
		{"GPC, unknown coding", map[string]string{"Sec-GPC": "1", "Content-Encoding": "br, zstd, x-made-up"}, "x", 202},
		{"DNT, malformed JSON", map[string]string{"DNT": "1"}, `{"n":`, 202},
		{"no signal, malformed JSON", nil, `{"n":`, 400},
	} {
		req := httptest.NewRequest("POST", "/api/event", strings.NewReader(tt.body))
		for k, v := range tt.headers {
			req.Header.Set(k, v)
		}
		resp, err := app.Test(req)
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode != tt.want {
			t.Errorf("%s: %d, want %d", tt.name, resp.StatusCode, tt.want)
		}
	}
	if n := r.col.Counts().Invalid.Load(); n != 1 {
		t.Errorf("%d requests counted invalid, want only the one without a consent signal", n)
	}
}
