// Package synth generates a synthetic but realistic site's traffic for
// benchmarks: Zipf-distributed pages, sources, countries and browsers, a
// daily and a weekly rhythm, visits of a few pages, returning visitors —
// and folds it into a store through the real aggregation path.
package synth

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"math"
	"math/rand/v2"
	"sort"
	"sync/atomic"
	"time"

	"tally/aggregate"
)

// Config sizes the generated traffic.
type Config struct {
	Site      int64
	End       time.Time // traffic ends at this UTC day's start
	Days      int
	Pageviews int // about this many in all
	Seed      uint64
	// Observe, when set, sees every hit as it is handed to the aggregator
	// (the accuracy test computes true answers from them).
	Observe func(aggregate.Hit)
}

// Stats says what was generated.
type Stats struct {
	Hits, Pageviews, Visits int
}

type zipf struct {
	values []string
	z      *rand.Zipf
}

func newZipf(r *rand.Rand, values []string) zipf {
	return zipf{values, rand.NewZipf(r, 1.2, 1, uint64(len(values)-1))}
}

func (z zipf) pick() string { return z.values[z.z.Uint64()] }

func names(prefix string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("%s%d", prefix, i)
	}
	return out
}

// hourWeight is the daily rhythm (quiet at 04:00 UTC, busy at 15:00) times
// the weekly one (weekends at 60 %).
func hourWeight(t time.Time) float64 {
	w := 1 + 0.8*math.Sin(float64(t.Hour()-9)/24*2*math.Pi)
	if d := t.Weekday(); d == time.Saturday || d == time.Sunday {
		w *= 0.6
	}
	return w
}

// Fill generates the traffic and folds it into st with a fresh aggregator
// whose clock follows the hits, checkpointing every simulated hour, as
// `tally serve` would in real time.
func Fill(ctx context.Context, st aggregate.Store, cfg Config) (Stats, error) {
	r := rand.New(rand.NewPCG(cfg.Seed, 1))
	pages := newZipf(r, append([]string{"/", "/pricing", "/docs", "/blog"}, names("/blog/post-", 496)...))
	sources := newZipf(r, append([]string{"", "Google", "DuckDuckGo", "Bing", "news.ycombinator.com", "Twitter", "Reddit"}, names("site", 43)...))
	countries := newZipf(r, append([]string{"US", "DE", "GB", "FR", "IN", "JP", "BR", "CA", "NL", ""}, names("C", 90)...))
	browsers := newZipf(r, []string{"Chrome", "Safari", "Firefox", "Edge", "Samsung Internet", "Opera", "Brave", "Vivaldi", "Yandex", "UC"})
	oses := newZipf(r, []string{"Windows", "iOS", "Android", "macOS", "Linux", "ChromeOS", "FreeBSD", ""})
	devices := newZipf(r, []string{"Desktop", "Mobile", "Tablet"})
	langs := newZipf(r, append([]string{"en", "de", "fr", "es", "ja"}, names("l", 15)...))
	campaigns := newZipf(r, append([]string{"", "", "", "", "spring", "launch"}, names("camp", 14)...))

	start := cfg.End.AddDate(0, 0, -cfg.Days)
	var total float64
	for t := start; t.Before(cfg.End); t = t.Add(time.Hour) {
		total += hourWeight(t)
	}
	const pagesPerVisit = 2.5
	visitsPerWeight := float64(cfg.Pageviews) / pagesPerVisit / total

	var clock atomic.Int64 // the aggregator's goroutine reads it
	setNow := func(t time.Time) { clock.Store(t.UnixNano()) }
	getNow := func() time.Time { return time.Unix(0, clock.Load()).UTC() }
	setNow(start)
	agg := aggregate.New(aggregate.Config{Checkpoint: time.Hour, MaxCells: 50_000_000, MaxSessions: 5_000_000},
		st, getNow, slog.New(slog.NewTextHandler(io.Discard, nil)))
	var stats Stats
	// The day's visitors, some of whom come back with the same browser,
	// device, language and location (those come from the address and user
	// agent that make a visitor's key) and a new source and pages.
	type visitor struct {
		key   uint64
		attrs aggregate.Key
	}
	returning := []visitor{}
	// Hits are handed over in time order, as a server receives them: those
	// of visits that run into the next hour wait for it.
	var later []aggregate.Hit
	for hour := start; hour.Before(cfg.End); hour = hour.Add(time.Hour) {
		if hour.Hour() == 0 {
			returning = returning[:0] // the salt rotates: yesterday's keys are gone
		}
		n := int(visitsPerWeight*hourWeight(hour) + r.Float64())
		batch := later
		later = nil
		for i := 0; i < n; i++ {
			var k aggregate.Key
			k[aggregate.Country] = countries.pick()
			k[aggregate.Browser] = browsers.pick()
			k[aggregate.BrowserVersion] = fmt.Sprint(120 + r.IntN(12))
			k[aggregate.OS] = oses.pick()
			k[aggregate.Device] = devices.pick()
			k[aggregate.Language] = langs.pick()
			v := visitor{key: r.Uint64() | 1, attrs: k}
			if len(returning) > 0 && r.IntN(10) < 3 {
				v = returning[r.IntN(len(returning))]
				k = v.attrs
			} else {
				returning = append(returning, v)
			}
			k[aggregate.Hostname] = "example.com"
			k[aggregate.Source] = sources.pick()
			if k[aggregate.Source] != "" {
				k[aggregate.Referrer] = k[aggregate.Source] + "/"
			}
			if c := campaigns.pick(); c != "" {
				k[aggregate.UTMSource], k[aggregate.UTMMedium], k[aggregate.UTMCampaign] = "newsletter", "email", c
			}
			at := hour.Add(time.Duration(r.IntN(3600)) * time.Second)
			stats.Visits++
			for p := 0; p == 0 || r.Float64() < 1-1/pagesPerVisit; p++ {
				k[aggregate.Event] = aggregate.PageviewEvent
				k[aggregate.Page] = pages.pick()
				batch = append(batch, aggregate.Hit{Site: cfg.Site, Time: at, Visitor: v.key, Key: k})
				stats.Hits++
				stats.Pageviews++
				at = at.Add(time.Duration(10+r.IntN(170)) * time.Second)
			}
		}
		sort.SliceStable(batch, func(i, j int) bool { return batch[i].Time.Before(batch[j].Time) })
		next := hour.Add(time.Hour)
		// Idle visits end about 30 minutes after their last hit.
		if idle := hour.Add(-30 * time.Minute); idle.After(getNow()) {
			setNow(idle)
		}
		if err := agg.Sync(ctx); err != nil {
			return stats, err
		}
		if err := agg.Checkpoint(ctx); err != nil {
			return stats, err
		}
		setNow(hour)
		for _, h := range batch {
			if !h.Time.Before(next) && next.Before(cfg.End) {
				later = append(later, h)
				continue
			}
			if h.Time.After(getNow()) {
				setNow(h.Time) // the clock follows the hits
			}
			if cfg.Observe != nil {
				cfg.Observe(h)
			}
			for !agg.Add(h) {
				agg.Sync(ctx)
			}
		}
	}
	if err := agg.Close(ctx); err != nil {
		return stats, err
	}
	return stats, nil
}
