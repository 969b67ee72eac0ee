// Command dashboard measures the dashboard views people click, on a
// synthetic site, on the embedded store or on ClickHouse: each view is the
// set of engine queries one page (or a few Stats API calls) runs, timed as
// a whole. See views.go for the views and their queries.
//
//	go run ./bench/dashboard -store sqlite -dir /tmp/bench-sqlite -pageviews 1000000 -days 90
//	go run ./bench/dashboard -store clickhouse -dsn clickhouse://127.0.0.1:9000/bench -pageviews 1000000 -days 90
//	go run ./bench/dashboard -store sqlite -dir /tmp/bench-sqlite -fill=false -views page,filter-page -runs 5
//
// The store is filled through the real aggregation path on the first run
// (synth.Fill, fixed seed); later runs with the same store reuse the data
// (-fill=false, with the same -end and -days). -runs 0 only fills.
// bench/clickhouse.sh starts a throwaway ClickHouse server for it, and
// compare.sh runs it against two revisions on identically generated data.
//
// It uses only the parts of the aggregate package that its redesign keeps:
// NewEngine, Engine.Run, Query and its parts, Store.Site/AddSite/Close,
// sqlite.Open, clickhouse.Open, and synth.Fill.
//
// Output, one line per view (stdout, stable for grep and awk):
//
//	FILL pageviews 997642 visits 400034 days 90 seconds 151.2
//	VIEW filter-page median 123.4 ms (min 110.2 .. max 150.9 ms, 5 runs)
//	VIEW api-90d error: top 10 pages, country is US: …
//	QUERY filter-page "kpis" median 12.3 ms rows 1
//	STORED bytes 41234567 pageviews 997642
//	STORED bytes_per_pageview 41.3
package main

import (
	"context"
	"flag"
	"fmt"
	"io/fs"
	"log"
	"os"
	"path/filepath"
	"runtime/pprof"
	"slices"
	"sync"
	"time"

	ch "github.com/ClickHouse/clickhouse-go/v2"

	"tally/account"
	"tally/aggregate"
	"tally/aggregate/clickhouse"
	"tally/aggregate/sqlite"
	"tally/bench/synth"
)

func main() {
	store := flag.String("store", "sqlite", "sqlite or clickhouse")
	dir := flag.String("dir", "./bench-data", "embedded store directory")
	dsn := flag.String("dsn", "", "ClickHouse DSN (native protocol), e.g. clickhouse://127.0.0.1:19000/bench")
	pageviews := flag.Int("pageviews", 1_000_000, "pageviews to generate")
	days := flag.Int("days", 90, "days of traffic, ending at -end")
	endFlag := flag.String("end", "", "UTC day (YYYY-MM-DD) the traffic ends at, exclusive; empty: today. Reuse with -fill=false needs the same value")
	fill := flag.Bool("fill", true, "generate and store the traffic (false: reuse)")
	runs := flag.Int("runs", 5, "times to run each view (0: only fill)")
	budget := flag.Duration("budget", 0, "stop repeating a view once its runs took this long (at least one run); 0: always -runs")
	views := flag.String("views", "all", "comma-separated views to run: "+fmt.Sprint(viewNames))
	cpuprofile := flag.String("cpuprofile", "", "write a CPU profile of the query runs here")
	concurrent := flag.Bool("concurrent", false, "run each step's queries at once, as the dashboard's page does (KPIs, previous KPIs, then the rest)")
	flag.Parse()
	ctx := context.Background()

	end := time.Now().UTC().Truncate(24 * time.Hour)
	if *endFlag != "" {
		var err error
		if end, err = time.Parse(time.DateOnly, *endFlag); err != nil {
			log.Fatalf("-end: %v", err)
		}
	}

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
	closed := false
	defer func() {
		if !closed {
			st.Close()
		}
	}()

	site, err := st.Site(ctx, "bench.example")
	if *fill {
		if err == nil {
			log.Fatal("bench.example already exists in this store; use -fill=false or a fresh store")
		}
		if site, err = st.AddSite(ctx, account.Site{Domain: "bench.example", Timezone: "UTC"}); err != nil {
			log.Fatal(err)
		}
		t0 := time.Now()
		stats, err := synth.Fill(ctx, st, synth.Config{Site: site.ID, End: end, Days: *days, Pageviews: *pageviews, Seed: 1})
		if err != nil {
			log.Fatal(err)
		}
		took := time.Since(t0)
		log.Printf("filled: %d pageviews, %d visits over %d days in %s", stats.Pageviews, stats.Visits, *days, took.Round(time.Millisecond))
		fmt.Printf("FILL pageviews %d visits %d days %d seconds %.1f\n", stats.Pageviews, stats.Visits, *days, took.Seconds())
	} else if err != nil {
		log.Fatal(err)
	}

	engine := aggregate.NewEngine(st, nil)
	// The dashboard's clock: the last day of the traffic is "today", so the
	// 30-day page shows 30 whole days of it.
	now := end.Add(-time.Second)
	set, err := buildViews(*views, site, now, end, *days)
	if err != nil {
		log.Fatal(err)
	}
	if *runs > 0 {
		if *cpuprofile != "" {
			f, err := os.Create(*cpuprofile)
			if err != nil {
				log.Fatal(err)
			}
			pprof.StartCPUProfile(f)
		}
		for _, v := range set {
			measure(ctx, engine, v, *runs, *budget, *concurrent)
		}
		if *cpuprofile != "" {
			pprof.StopCPUProfile()
		}
	}

	// Stored size per stored pageview (the totals over the generated range,
	// and the day after it, which the last visits may run into).
	res, err := engine.Run(ctx, aggregate.Query{Site: site, From: end.AddDate(0, 0, -*days), To: end,
		Metrics: []aggregate.Metric{aggregate.Pageviews}})
	if err != nil {
		log.Fatalf("count pageviews: %v", err)
	}
	pv := float64(res.Rows[0].Metrics[0])
	var bytes int64
	switch *store {
	case "sqlite":
		st.Close() // folds the write-ahead log into the database file
		closed = true
		bytes, err = dirSize(*dir)
	case "clickhouse":
		bytes, err = clickhouseSize(ctx, *dsn)
	}
	if err != nil {
		log.Fatalf("stored size: %v", err)
	}
	fmt.Printf("STORED bytes %d pageviews %.0f\n", bytes, pv)
	if pv > 0 {
		fmt.Printf("STORED bytes_per_pageview %.1f\n", float64(bytes)/pv)
	}
}

// measure runs view v up to runs times and prints its median, min and max
// wall time, then each query's median.
// A view whose query fails prints "VIEW name error: …" and no figures;
// the other views still run.
func measure(ctx context.Context, engine *aggregate.Engine, v view, runs int, budget time.Duration, concurrent bool) {
	var qs []named
	for _, s := range v.steps {
		qs = append(qs, s...)
	}
	times := make([][]time.Duration, len(qs))
	rows := make([]int, len(qs))
	var totals []time.Duration
	var spent time.Duration
	var mu sync.Mutex
	var failed error
	for run := 0; run < runs && failed == nil && (budget == 0 || run == 0 || spent < budget); run++ {
		t0 := time.Now()
		i0 := 0
		for _, s := range v.steps {
			var wg sync.WaitGroup
			for j, q := range s {
				if !concurrent && failed != nil {
					break
				}
				i := i0 + j
				one := func() {
					t1 := time.Now()
					res, err := engine.Run(ctx, q.q)
					if err != nil {
						log.Printf("view %s, %s: %v", v.name, q.name, err)
						mu.Lock()
						failed = fmt.Errorf("%s: %w", q.name, err)
						mu.Unlock()
						return
					}
					times[i] = append(times[i], time.Since(t1))
					rows[i] = len(res.Rows)
				}
				if concurrent {
					wg.Add(1)
					go func() { defer wg.Done(); one() }()
				} else {
					one()
				}
			}
			wg.Wait()
			i0 += len(s)
			if failed != nil {
				break
			}
		}
		if failed != nil {
			fmt.Printf("VIEW %s error: %v\n", v.name, failed)
			return
		}
		took := time.Since(t0)
		totals = append(totals, took)
		spent += took
	}
	fmt.Printf("VIEW %s median %.1f ms (min %.1f .. max %.1f ms, %d runs)\n", v.name,
		ms(median(totals)), ms(slices.Min(totals)), ms(slices.Max(totals)), len(totals))
	for i, q := range qs {
		fmt.Printf("QUERY %s %q median %.1f ms rows %d\n", v.name, q.name, ms(median(times[i])), rows[i])
	}
}

// dirSize is the total size of the regular files under dir.
func dirSize(dir string) (int64, error) {
	var n int64
	err := filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		info, err := d.Info()
		if err == nil {
			n += info.Size()
		}
		return err
	})
	return n, err
}

// clickhouseSize is the on-disk size of the active parts of the DSN's
// database (clickhouse.Open's default database "tally" when it names none).
func clickhouseSize(ctx context.Context, dsn string) (int64, error) {
	opts, err := ch.ParseDSN(dsn)
	if err != nil {
		return 0, err
	}
	if opts.Auth.Database == "" {
		opts.Auth.Database = "tally"
	}
	conn, err := ch.Open(opts)
	if err != nil {
		return 0, err
	}
	defer conn.Close()
	var n uint64
	err = conn.QueryRow(ctx, `SELECT sum(bytes_on_disk) FROM system.parts WHERE active AND database = currentDatabase()`).Scan(&n)
	return int64(n), err
}

func median(d []time.Duration) time.Duration {
	s := slices.Clone(d)
	slices.Sort(s)
	return s[len(s)/2]
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
