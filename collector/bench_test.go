package collector_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/netip"
	"testing"
	"time"

	"tally/account"
	"tally/aggregate"
	"tally/aggregate/sqlite"
	"tally/collector"
)

// BenchmarkProcess measures the whole privacy pipeline for one event, from
// the raw body to the hit queued for the aggregator (which folds it in
// another goroutine, included in the run's CPU time but not in ns/op).
func BenchmarkProcess(b *testing.B) {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	if _, err := st.AddSite(ctx, account.Site{Domain: "example.com", Timezone: "UTC"}); err != nil {
		b.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	agg := aggregate.New(aggregate.Config{Checkpoint: time.Hour}, st, time.Now, log)
	defer agg.Close(ctx)
	c := collector.New(collector.Config{}, st, agg, aggregate.NewSalts(time.Now), nil, time.Now, log)

	const visitors = 4096
	reqs := make([]collector.Request, visitors)
	for i := range reqs {
		reqs[i] = collector.Request{
			Body:           []byte(fmt.Sprintf(`{"n":"pageview","u":"https://example.com/blog/post-%d?utm_source=news","d":"example.com","r":"https://www.google.com/search?q=x","w":1440}`, i%50)),
			Peer:           netip.AddrFrom4([4]byte{11, byte(i >> 8), byte(i), 7}),
			UserAgent:      "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.6099.71 Safari/537.36",
			AcceptLanguage: "en-US,en;q=0.9",
		}
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if out, err := c.Process(ctx, &reqs[i%visitors]); err != nil || out != collector.Counted {
			b.Fatalf("outcome %v, err %v", out, err)
		}
	}
	b.StopTimer()
	if err := agg.Sync(ctx); err != nil {
		b.Fatal(err)
	}
}
