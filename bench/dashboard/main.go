// Command dashboard measures the dashboard's query set on a synthetic site:
// KPIs for 30 days and the 30 days before (the comparison), the daily time
// series, and the top 10 of each breakdown — the questions one dashboard
// page load asks — on the embedded store or on ClickHouse.
//
//	go run ./bench/dashboard -store sqlite -dir /tmp/bench-sqlite -pageviews 1000000 -days 90
//	go run ./bench/dashboard -store clickhouse -dsn clickhouse://127.0.0.1:9000/bench -pageviews 1000000 -days 90
//
// The store is filled through the real aggregation path on the first run;
// later runs with the same store reuse the data (-fill=false).
// bench/clickhouse.sh starts a throwaway ClickHouse server for it.
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"os"
	"runtime/pprof"
	"slices"
	"sync"
	"time"

	"tally/aggregate"
	"tally/aggregate/clickhouse"
	"tally/aggregate/sqlite"
	"tally/bench/synth"
)

func main() {
	store := flag.String("store", "sqlite", "sqlite or clickhouse")
	dir := flag.String("dir", "./bench-data", "embedded store directory")
	dsn := flag.String("dsn", "", "ClickHouse DSN")
	pageviews := flag.Int("pageviews", 1_000_000, "pageviews to generate")
	days := flag.Int("days", 90, "days of traffic, ending today")
	fill := flag.Bool("fill", true, "generate and store the traffic (false: reuse)")
	runs := flag.Int("runs", 5, "times to run the query set")
	cpuprofile := flag.String("cpuprofile", "", "write a CPU profile of the query runs here")
	concurrent := flag.Bool("concurrent", false, "run the set's queries at once, as the dashboard's page does")
	flag.Parse()
	ctx := context.Background()

	var st aggregate.Store
	var err error
	switch *store {
	case "sqlite":
		st, err = sqlite.Open(ctx, *dir)
	case "clickhouse":
		st, err = clickhouse.Open(ctx, *dsn)
	default:
		err = fmt.Errorf("unknown store %q", *store)
	}
	if err != nil {
		log.Fatal(err)
	}
	defer st.Close()

	end := time.Now().UTC().Truncate(24 * time.Hour)
	site, err := st.Site(ctx, "bench.example")
	if *fill {
		if err == nil {
			log.Fatal("bench.example already exists in this store; use -fill=false or a fresh store")
		}
		if site, err = st.AddSite(ctx, aggregate.Site{Domain: "bench.example", Timezone: "UTC"}); err != nil {
			log.Fatal(err)
		}
		t0 := time.Now()
		stats, err := synth.Fill(ctx, st, synth.Config{Site: site.ID, End: end, Days: *days, Pageviews: *pageviews, Seed: 1})
		if err != nil {
			log.Fatal(err)
		}
		log.Printf("filled: %d pageviews, %d visits over %d days in %s", stats.Pageviews, stats.Visits, *days, time.Since(t0).Round(time.Millisecond))
	} else if err != nil {
		log.Fatal(err)
	}

	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		if err != nil {
			log.Fatal(err)
		}
		pprof.StartCPUProfile(f)
		defer pprof.StopCPUProfile()
	}
	engine := aggregate.NewEngine(st, nil)
	set := querySet(site, end.AddDate(0, 0, -30), end.AddDate(0, 0, -1))
	times := make([][]time.Duration, len(set))
	var totals []time.Duration
	for run := 0; run < *runs; run++ {
		t0 := time.Now()
		var wg sync.WaitGroup
		took := make([]time.Duration, len(set))
		for i, q := range set {
			one := func() {
				t1 := time.Now()
				if _, err := engine.Run(ctx, q.q); err != nil {
					log.Fatalf("%s: %v", q.name, err)
				}
				took[i] = time.Since(t1)
			}
			if *concurrent {
				wg.Add(1)
				go func() { defer wg.Done(); one() }()
			} else {
				one()
			}
		}
		wg.Wait()
		for i := range set {
			times[i] = append(times[i], took[i])
		}
		totals = append(totals, time.Since(t0))
	}
	for i, q := range set {
		fmt.Printf("%-22s median %8.1f ms\n", q.name, ms(median(times[i])))
	}
	fmt.Printf("%-22s median %8.1f ms (min %.1f, max %.1f, %d runs)\n", "WHOLE SET", ms(median(totals)),
		ms(slices.Min(totals)), ms(slices.Max(totals)), len(totals))
}

type named struct {
	name string
	q    aggregate.Query
}

// querySet is what one dashboard page load asks for a 30-day range.
func querySet(site aggregate.Site, from, to time.Time) []named {
	kpis := []aggregate.Metric{aggregate.Visitors, aggregate.Visits, aggregate.Pageviews,
		aggregate.ViewsPerVisit, aggregate.BounceRate, aggregate.VisitDuration}
	out := []named{
		{"kpis", aggregate.Query{Site: site, From: from, To: to, Metrics: kpis}},
		{"kpis previous 30d", aggregate.Query{Site: site, From: from.AddDate(0, 0, -30), To: from.AddDate(0, 0, -1), Metrics: kpis}},
		{"time series by day", aggregate.Query{Site: site, From: from, To: to,
			Metrics:    []aggregate.Metric{aggregate.Visitors, aggregate.Pageviews},
			Dimensions: []aggregate.Dimension{{Name: "time:day", Grain: aggregate.ByDay}}}},
	}
	for _, d := range []aggregate.Dim{aggregate.Page, aggregate.EntryPage, aggregate.ExitPage, aggregate.Source,
		aggregate.Referrer, aggregate.UTMCampaign, aggregate.Country, aggregate.Browser, aggregate.OS, aggregate.Device} {
		out = append(out, named{"top 10 " + d.String(), aggregate.Query{Site: site, From: from, To: to,
			Metrics:    []aggregate.Metric{aggregate.Visitors},
			Dimensions: []aggregate.Dimension{{Name: d.String(), Dim: d}}, Limit: 10}})
	}
	return out
}

func median(d []time.Duration) time.Duration {
	s := slices.Clone(d)
	slices.Sort(s)
	return s[len(s)/2]
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
