package public

// Test datasets are built through the real aggregation path: hits go into
// an aggregate.Aggregator on a fake clock, are checkpointed into a real
// embedded store, and reports are read back through the query engine.

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"regexp"
	"sync/atomic"
	"testing"
	"time"

	"tally/account"
	"tally/aggregate"
	"tally/aggregate/sqlite"
)

// day0 is the first day of the test month; the fake clock starts there.
var day0 = time.Date(2026, 10, 5, 9, 0, 0, 0, time.UTC)

// visitor describes the hits of one visitor: one pageview on each page.
type visitor struct {
	pages    []string
	source   string // normalised source name, e.g. "Google"
	referrer string
	browser  string
	os       string
	device   string
	country  string
	language string
	day      int // days after day0
}

type dataset struct {
	t      *testing.T
	store  aggregate.Store
	site   account.Site
	agg    *aggregate.Aggregator
	clock  atomic.Int64 // Unix nanoseconds
	nextID uint64
}

func newDataset(t *testing.T) *dataset {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	site, err := st.AddSite(ctx, account.Site{Domain: "hostile.example", Timezone: "UTC"})
	if err != nil {
		t.Fatal(err)
	}
	d := &dataset{t: t, store: st, site: site}
	d.clock.Store(day0.UnixNano())
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	d.agg = aggregate.New(aggregate.Config{Checkpoint: time.Hour}, st, d.now, log)
	t.Cleanup(func() { d.agg.Close(context.Background()) })
	return d
}

func (d *dataset) now() time.Time { return time.Unix(0, d.clock.Load()).UTC() }

// add sends n visitors like v, each with a distinct visitor key, seconds
// apart (so all of a day's visitors share one hour of day).
func (d *dataset) add(n int, v visitor) {
	d.t.Helper()
	for range n {
		d.nextID++
		at := day0.AddDate(0, 0, v.day).Add(time.Duration(d.nextID) * time.Second)
		d.clock.Store(at.UnixNano())
		for _, p := range v.pages {
			var k aggregate.Key
			k[aggregate.Hostname] = d.site.Domain
			k[aggregate.Page] = p
			k[aggregate.Event] = aggregate.PageviewEvent
			k[aggregate.Source] = v.source
			k[aggregate.Referrer] = v.referrer
			k[aggregate.Browser] = v.browser
			k[aggregate.OS] = v.os
			k[aggregate.Device] = v.device
			k[aggregate.Country] = v.country
			k[aggregate.Language] = v.language
			if !d.agg.Add(aggregate.Hit{Site: d.site.ID, Time: at, Visitor: 0x9e3779b97f4a7c15 * d.nextID, Key: k}) {
				d.t.Fatal("the aggregator refused a hit")
			}
		}
		// Fold now: the aggregator reads the clock when it folds, and moves
		// hits of hours no longer open to the current one.
		if err := d.agg.Sync(context.Background()); err != nil {
			d.t.Fatal(err)
		}
	}
}

// flush writes everything to the store; reports then read only stored cells.
func (d *dataset) flush() {
	d.t.Helper()
	ctx := context.Background()
	if err := d.agg.Sync(ctx); err != nil {
		d.t.Fatal(err)
	}
	if err := d.agg.Checkpoint(ctx); err != nil {
		d.t.Fatal(err)
	}
}

// report builds the October 2026 report as of the end of October.
func (d *dataset) report(pol Policy) *Report {
	d.t.Helper()
	d.flush()
	per, err := ParsePeriod("2026-10", time.UTC)
	if err != nil {
		d.t.Fatal(err)
	}
	b := NewBuilder(aggregate.NewEngine(d.store, nil), d.store)
	rep, err := b.Build(context.Background(), d.site, pol, per, time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC))
	if err != nil {
		d.t.Fatal(err)
	}
	return rep
}

func mustSecret(t *testing.T) []byte {
	s, err := NewSecret()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// The hostile dataset of issue 6: twelve ordinary visitors and one whose
// page, referrer and browser are each unique.
var (
	crowd = visitor{pages: []string{"/pricing"}, source: "Google", referrer: "www.google.com",
		browser: "Chrome", os: "Windows", device: "Desktop", country: "DE", language: "de"}
	loner = visitor{pages: []string{"/internal/alice-secret-page"}, source: "alice-private-blog.example",
		referrer: "alice-private-blog.example/links", browser: "Opera", os: "Windows", device: "Desktop",
		country: "DE", language: "de"}
	// lonerValues are what must never appear in any public view.
	lonerValues = []string{"alice-secret-page", "alice-private-blog", "Opera"}
)

func hostile(t *testing.T) *dataset {
	d := newDataset(t)
	d.add(12, crowd)
	d.add(1, loner)
	return d
}

// breakdown finds a table of the report.
func (r *Report) breakdown(t *testing.T, name string) Breakdown {
	t.Helper()
	for _, b := range r.Breakdowns {
		if b.Dimension == name {
			return b
		}
	}
	t.Fatalf("the report has no %s table", name)
	return Breakdown{}
}

func (b Breakdown) row(value string) (Row, bool) {
	for _, r := range b.Rows {
		if r.Value == value {
			return r, true
		}
	}
	return Row{}, false
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func assertNone(t *testing.T, what, text string, values []string) {
	t.Helper()
	for _, v := range values {
		// Whole words: "Operating systems" is not the Opera browser.
		if regexp.MustCompile(`\b` + regexp.QuoteMeta(v) + `\b`).MatchString(text) {
			t.Errorf("%s shows %q, a value of a single visitor", what, v)
		}
	}
}
