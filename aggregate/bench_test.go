package aggregate_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"tally/account"
	"tally/aggregate"
	"tally/aggregate/sqlite"
)

// benchSite fills a store through the real aggregation path with days of
// synthetic traffic: hitsPerDay pageviews from a pool of visitors, Zipf
// pages and sources, a few browsers and countries.
func benchSite(b *testing.B, days, hitsPerDay int) (*sqlite.Store, account.Site) {
	b.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	start := time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)
	site, err := st.AddSite(ctx, account.Site{Domain: "example.com", Timezone: "Europe/Berlin", Created: start})
	if err != nil {
		b.Fatal(err)
	}
	clk := &clock{t: start}
	zone := site.Location()
	agg := aggregate.New(aggregate.Config{Checkpoint: time.Hour}, st, clk.Now, quiet)
	r := rand.New(rand.NewPCG(7, 7))
	zipf := rand.NewZipf(r, 1.2, 1, 500)
	sources := []string{"", "", "Google", "DuckDuckGo", "news.ycombinator.com", "Twitter", "Bing"}
	browsers := []string{"Chrome", "Chrome", "Safari", "Firefox", "Microsoft Edge"}
	countries := []string{"DE", "US", "FR", "GB", "JP", "BR", "IN"}
	for d := 0; d < days; d++ {
		for h := 0; h < 24; h++ {
			hour := start.AddDate(0, 0, d).Add(time.Duration(h) * time.Hour)
			for i := 0; i < hitsPerDay/24; i++ {
				clk.Set(hour.Add(time.Duration(i) * time.Hour / time.Duration(hitsPerDay/24+1)))
				v := uint64(r.IntN(hitsPerDay/3) + 1 + d*1_000_000)
				var k aggregate.Key
				k[aggregate.Hostname] = "example.com"
				k[aggregate.Page] = fmt.Sprintf("/page/%d", zipf.Uint64())
				k[aggregate.Event] = aggregate.PageviewEvent
				k[aggregate.Source] = sources[v%uint64(len(sources))]
				k[aggregate.Browser] = browsers[v%uint64(len(browsers))]
				k[aggregate.Country] = countries[v%uint64(len(countries))]
				k[aggregate.Device] = "Desktop"
				agg.Add(aggregate.Hit{Site: site.ID, Time: clk.Now(), Visitor: v, Key: k, Zone: zone})
			}
			if err := agg.Checkpoint(ctx); err != nil {
				b.Fatal(err)
			}
		}
	}
	clk.Set(start.AddDate(0, 0, days+1))
	if err := agg.Close(ctx); err != nil {
		b.Fatal(err)
	}
	return st, site
}

// BenchmarkDashboardQueries runs the unfiltered dashboard's query set for 30
// days: totals, the daily series, and the top 10 pages, sources, browsers
// and countries — the stored cells only, as after a restart.
func BenchmarkDashboardQueries(b *testing.B) {
	st, site := benchSite(b, 30, 20_000)
	eng := aggregate.NewEngine(st, nil)
	ctx := context.Background()
	from := time.Date(2026, 10, 1, 0, 0, 0, 0, site.Location())
	to := from.AddDate(0, 0, 29)
	metrics := []aggregate.Metric{aggregate.Visitors, aggregate.Visits, aggregate.Pageviews, aggregate.BounceRate, aggregate.VisitDuration}
	var queries []aggregate.Query
	queries = append(queries, aggregate.Query{Site: site, From: from, To: to, Metrics: metrics})
	for _, name := range []string{"time:day", "event:page", "visit:source", "visit:browser", "visit:country"} {
		d, err := aggregate.ParseDimension(name, from, to)
		if err != nil {
			b.Fatal(err)
		}
		queries = append(queries, aggregate.Query{Site: site, From: from, To: to, Metrics: metrics[:3], Dimensions: []aggregate.Dimension{d}, Limit: 10})
	}
	for _, bc := range []struct {
		name string
		eng  *aggregate.Engine
	}{{"rollups", eng}, {"cells", eng.WithoutRollups()}} {
		b.Run(bc.name, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				for _, q := range queries {
					if _, err := bc.eng.Run(ctx, q); err != nil {
						b.Fatal(err)
					}
				}
			}
		})
	}
}

// foldBench returns an aggregator with cfg over a fresh embedded store
// holding one UTC site, and the clock it runs on, stopped at 10:00 UTC.
// The store closes when the benchmark ends.
func foldBench(b *testing.B, cfg aggregate.Config) (*aggregate.Aggregator, account.Site, *clock) {
	b.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	site, err := st.AddSite(ctx, account.Site{Domain: "example.com", Timezone: "UTC"})
	if err != nil {
		b.Fatal(err)
	}
	clk := &clock{t: time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)}
	return aggregate.New(cfg, st, clk.Now, quiet), site, clk
}

// BenchmarkFold measures folding hits into cells and rollups (the
// aggregator's goroutine), with realistic repetition: 50 000 visitors making
// visits of a few pages.
func BenchmarkFold(b *testing.B) {
	ctx := context.Background()
	agg, site, clk := foldBench(b, aggregate.Config{Checkpoint: time.Hour, QueueSize: 1 << 12})
	r := rand.New(rand.NewPCG(1, 1))
	hits := make([]aggregate.Hit, 1<<16)
	browsers := []string{"Chrome", "Safari", "Firefox", "Microsoft Edge"}
	for i := range hits {
		v := uint64(r.IntN(50_000)) + 1
		var k aggregate.Key
		k[aggregate.Hostname] = "example.com"
		k[aggregate.Page] = fmt.Sprintf("/blog/post-%d", r.IntN(200))
		k[aggregate.Event] = aggregate.PageviewEvent
		k[aggregate.Browser] = browsers[v%4]
		k[aggregate.BrowserVersion] = "120"
		k[aggregate.OS] = "Windows"
		k[aggregate.Device] = "Desktop"
		k[aggregate.Country] = []string{"DE", "US", "FR"}[v%3]
		k[aggregate.Language] = "en"
		k[aggregate.Source] = []string{"", "Google", "DuckDuckGo"}[v%3]
		hits[i] = aggregate.Hit{Site: site.ID, Visitor: v, Key: k, Zone: time.UTC}
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		h := hits[i%len(hits)]
		h.Time = clk.Now()
		for !agg.Add(h) {
			agg.Sync(ctx)
		}
	}
	agg.Sync(ctx)
	b.StopTimer()
	agg.Close(ctx)
}

// BenchmarkFoldLikeIngest folds the hits bench/ingest/event.lua sends with CHURN=1 —
// 50 000 networks × 6 user agents, so most hits come from a visitor not
// seen yet, Zipf-ish pages, referrers, languages, screen widths — at the
// pace of a busy server (50 000 hits a second of the aggregator's clock)
// with a checkpoint every 5 s of it, into the embedded store. Its state
// grows as the server's does: run it with -benchtime 1000000x to compare
// with the ingest benchmark's 15-second runs.
func BenchmarkFoldLikeIngest(b *testing.B) {
	foldLikeIngest(b, aggregate.Config{Checkpoint: time.Hour})
}

// The same with the cell journal on, as `tally serve` runs: the difference
// is what the journal costs the folding goroutine (docs/benchmarks.md).
func BenchmarkFoldLikeIngestJournal(b *testing.B) {
	foldLikeIngest(b, aggregate.Config{Checkpoint: time.Hour, SpillDir: b.TempDir(), Journal: time.Second})
}

func foldLikeIngest(b *testing.B, cfg aggregate.Config) {
	agg, site, clk := foldBench(b, cfg)
	b.ReportAllocs()
	b.ResetTimer()
	foldHits(b, agg, clk, ingestHits(site.ID), b.N)
	b.StopTimer()
	agg.Close(context.Background())
}

// ingestHits returns 2^18 hits to site like those bench/ingest/event.lua
// sends with CHURN=1, in a fixed order.
func ingestHits(site int64) []aggregate.Hit {
	r := rand.New(rand.NewPCG(3, 3))
	type ua struct{ browser, version, os, osVersion, device string }
	uas := []ua{{"Chrome", "120", "Windows", "10", "Desktop"}, {"Firefox", "121", "Linux", "", "Desktop"},
		{"Safari", "17", "iOS", "17", "Mobile"}, {"Safari", "17", "macOS", "10", "Desktop"},
		{"Chrome", "120", "Android", "14", "Mobile"}, {"Microsoft Edge", "120", "macOS", "10", "Desktop"}}
	refs := [][2]string{{"", ""}, {"", ""}, {"", ""}, {"Google", "google.com/search"}, {"DuckDuckGo", "duckduckgo.com"},
		{"news.ycombinator.com", "news.ycombinator.com/item"}, {"Twitter", "t.co/abc"}}
	langs := []string{"en", "de", "fr", "ja", "es"}
	devices := []string{"Mobile", "Tablet", "Desktop"}
	hits := make([]aggregate.Hit, 1<<18)
	for i := range hits {
		var k aggregate.Key
		k[aggregate.Hostname] = "example.com"
		k[aggregate.Page] = "/"
		if x := r.Float64(); x > 0.9 {
			k[aggregate.Page], k[aggregate.UTMSource], k[aggregate.UTMMedium], k[aggregate.Source] = "/pricing", "newsletter", "email", "newsletter"
		} else if x > 0.5 {
			k[aggregate.Page] = fmt.Sprintf("/blog/post-%d", int(1/(r.Float64()+0.01)))
		}
		k[aggregate.Event] = aggregate.PageviewEvent
		u := uas[r.IntN(len(uas))]
		k[aggregate.Browser], k[aggregate.BrowserVersion], k[aggregate.OS], k[aggregate.OSVersion] = u.browser, u.version, u.os, u.osVersion
		k[aggregate.Device] = devices[r.IntN(len(devices))]
		if ref := refs[r.IntN(len(refs))]; k[aggregate.Source] == "" {
			k[aggregate.Source], k[aggregate.Referrer] = ref[0], ref[1]
		}
		k[aggregate.Language] = langs[r.IntN(len(langs))]
		visitor := uint64(r.IntN(50_000))*6 + uint64(r.IntN(len(uas))) + 1
		hits[i] = aggregate.Hit{Site: site, Visitor: visitor * 0x9e3779b97f4a7c15, Key: k, Zone: time.UTC}
	}
	return hits
}

// foldHits adds n hits to agg at 50 000 a second of clk, with a
// checkpoint every 250 000 hits (5 s of that clock, as tally serve's
// default --checkpoint).
func foldHits(b *testing.B, agg *aggregate.Aggregator, clk *clock, hits []aggregate.Hit, n int) {
	ctx := context.Background()
	start := clk.Now()
	for i := 0; i < n; i++ {
		h := hits[i%len(hits)]
		h.Time = start.Add(time.Duration(i) * 20 * time.Microsecond)
		if i%4096 == 0 {
			clk.Set(h.Time)
		}
		for !agg.Add(h) {
			agg.Sync(ctx)
		}
		if i%250_000 == 249_999 {
			if err := agg.Checkpoint(ctx); err != nil {
				b.Fatal(err)
			}
		}
	}
	agg.Sync(ctx)
}

// recorder keeps the batches an aggregator writes.
type recorder struct {
	mu      sync.Mutex
	batches []aggregate.Batch
}

func (r *recorder) WriteBatch(_ context.Context, b aggregate.Batch) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.batches = append(r.batches, b)
	return nil
}

// BenchmarkCheckpointWrite measures the embedded store's side of
// checkpoints: the batches that 1 000 000 ingest-like hits produce (a
// checkpoint every 250 000, as foldHits makes them) are written into a
// fresh store per iteration, in order; ns/cell is the time per stored
// cell (docs/benchmarks.md, "Checkpoint writes").
//
//	go test -run '^$' -bench CheckpointWrite -benchtime 3x ./aggregate/
func BenchmarkCheckpointWrite(b *testing.B) {
	ctx := context.Background()
	rec := &recorder{}
	clk := &clock{t: time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)}
	agg := aggregate.New(aggregate.Config{Checkpoint: time.Hour}, rec, clk.Now, quiet)
	const site = 1 // the first site of a fresh store
	foldHits(b, agg, clk, ingestHits(site), 1_000_000)
	if err := agg.Close(ctx); err != nil {
		b.Fatal(err)
	}
	cells := 0
	for _, batch := range rec.batches {
		cells += len(batch.Cells)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		st, err := sqlite.Open(ctx, b.TempDir())
		if err != nil {
			b.Fatal(err)
		}
		if _, err := st.AddSite(ctx, account.Site{Domain: "example.com", Timezone: "UTC"}); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		for _, batch := range rec.batches {
			if err := st.WriteBatch(ctx, batch); err != nil {
				b.Fatal(err)
			}
		}
		b.StopTimer()
		st.Close()
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*cells), "ns/cell")
	b.ReportMetric(float64(cells), "cells")
}

// BenchmarkDayStateMemory measures the day's per-visitor state: entries of
// the first-occurrence set and its bytes per visitor, for visitors of one
// visit and three pages (docs/metrics.md, "Bounds of the day state").
//
//	go test -run '^$' -bench DayStateMemory -benchtime 1x ./aggregate/
func BenchmarkDayStateMemory(b *testing.B) {
	ctx := context.Background()
	agg, site, clk := foldBench(b, aggregate.Config{Checkpoint: time.Hour})
	const visitors = 100_000
	r := rand.New(rand.NewPCG(5, 5))
	for i := 0; i < b.N*visitors; i++ {
		var k aggregate.Key
		k[aggregate.Hostname], k[aggregate.Event] = "example.com", aggregate.PageviewEvent
		k[aggregate.Browser], k[aggregate.Country], k[aggregate.Language] = "Chrome", "DE", "en"
		k[aggregate.Source] = []string{"", "Google", "DuckDuckGo"}[r.IntN(3)]
		for p := 0; p < 3; p++ {
			k[aggregate.Page] = fmt.Sprintf("/blog/post-%d", r.IntN(500))
			for !agg.Add(aggregate.Hit{Site: site.ID, Time: clk.Now(), Visitor: uint64(i+1) * 0x9e3779b97f4a7c15, Key: k, Zone: time.UTC}) {
				agg.Sync(ctx)
			}
		}
	}
	agg.Sync(ctx)
	st := agg.Stats()
	n := float64(b.N * visitors)
	b.ReportMetric(float64(st.Firsts)/n, "entries/visitor")
	b.ReportMetric(float64(st.FirstsBytes)/n, "bytes/visitor")
	b.ReportMetric(float64(st.Sessions)/n, "sessions/visitor")
	agg.Close(ctx)
}
