// Command tally-load posts realistic tracker events to a running tally and
// reports throughput, latency percentiles and the server's memory. It is a
// benchmark tool: it sends only to the address it is given, for a bounded
// number of requests or time, and stops by itself.
//
//	tally-load --url http://127.0.0.1:8000 --domain example.com --duration 30s --pid $(pidof tally)
//
// The server must trust 127.0.0.1 as a proxy (--trusted-proxies 127.0.0.1/32)
// for the varied X-Forwarded-For addresses to count as distinct visitors.
package main

import (
	"bytes"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"tally/bench/loadgen"
)

var userAgents = []string{
	"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.6099.71 Safari/537.36",
	"Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0",
	"Mozilla/5.0 (iPhone; CPU iPhone OS 17_1_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1.2 Mobile/15E148 Safari/604.1",
	"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Safari/605.1.15",
	"Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.6099.43 Mobile Safari/537.36",
	"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36 Edg/120.0.2210.61",
}

var referrers = []string{"", "", "", "https://www.google.com/search?q=x", "https://duckduckgo.com/", "https://news.ycombinator.com/item?id=1", "https://t.co/abc"}

var languages = []string{"en-US,en;q=0.9", "de-DE,de;q=0.9", "fr-FR", "ja", "es-ES,es"}

func main() {
	target := flag.String("url", "http://127.0.0.1:8000", "tally's base URL (loopback only)")
	domain := flag.String("domain", "example.com", "site domain")
	workers := flag.Int("c", 32, "concurrent connections")
	duration := flag.Duration("duration", 20*time.Second, "how long to send")
	maxRequests := flag.Int64("n", 5_000_000, "stop after this many requests")
	visitors := flag.Int("visitors", 50_000, "distinct visitors")
	pid := flag.Int("pid", 0, "server PID, to report its RSS")
	flag.Parse()
	if !loadgen.Loopback(*target) {
		fmt.Fprintln(os.Stderr, "tally-load: refusing a non-loopback target")
		os.Exit(2)
	}

	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: *workers, MaxConnsPerHost: *workers}}
	var sent, accepted, failed atomic.Int64
	lat := make([][]time.Duration, *workers)
	deadline := time.Now().Add(*duration)
	start := time.Now()
	var wg sync.WaitGroup
	var rssMax atomic.Int64
	stopRSS := make(chan struct{})
	go func() {
		for {
			if r := loadgen.RSS(*pid); r > rssMax.Load() {
				rssMax.Store(r)
			}
			select {
			case <-stopRSS:
				return
			case <-time.After(500 * time.Millisecond):
			}
		}
	}()
	for w := 0; w < *workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			r := rand.New(rand.NewPCG(uint64(w), 42))
			for time.Now().Before(deadline) && sent.Add(1) <= *maxRequests {
				req := newEvent(r, *target, *domain, *visitors)
				t0 := time.Now()
				resp, err := client.Do(req)
				if err != nil {
					failed.Add(1)
					continue
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				lat[w] = append(lat[w], time.Since(t0))
				if resp.StatusCode == http.StatusAccepted {
					accepted.Add(1)
				} else {
					failed.Add(1)
				}
			}
		}(w)
	}
	wg.Wait()
	close(stopRSS)
	elapsed := time.Since(start)
	var all []time.Duration
	for _, l := range lat {
		all = append(all, l...)
	}
	slices.Sort(all)
	pct := func(p float64) time.Duration {
		if len(all) == 0 {
			return 0
		}
		return all[int(float64(len(all)-1)*p)]
	}
	fmt.Printf("requests %d accepted %d failed %d in %s\n", accepted.Load()+failed.Load(), accepted.Load(), failed.Load(), elapsed.Round(time.Millisecond))
	fmt.Printf("throughput %.0f hits/s  p50 %s  p99 %s\n", float64(accepted.Load())/elapsed.Seconds(), pct(0.5), pct(0.99))
	if *pid > 0 {
		fmt.Printf("server RSS: now %d KiB, peak seen %d KiB\n", loadgen.RSS(*pid), rssMax.Load())
	}
}

// newEvent builds one request: a visitor from the pool (its own network),
// one of several browsers, a Zipf-ish page, now and then a referrer or a
// campaign.
func newEvent(r *rand.Rand, target, domain string, visitors int) *http.Request {
	v := r.IntN(visitors)
	page := "/"
	switch x := r.Float64(); {
	case x > 0.9:
		page = "/pricing?utm_source=newsletter&utm_medium=email"
	case x > 0.5:
		page = fmt.Sprintf("/blog/post-%d", int(1/(r.Float64()+0.01)))
	}
	body := fmt.Sprintf(`{"n":"pageview","u":"https://%s%s","d":%q,"r":%q,"w":%d}`,
		domain, page, domain, referrers[r.IntN(len(referrers))], []int{390, 820, 1440}[r.IntN(3)])
	req, _ := http.NewRequest("POST", target+"/api/event", bytes.NewBufferString(body))
	req.Header.Set("Content-Type", "text/plain")
	req.Header.Set("User-Agent", userAgents[v%len(userAgents)])
	req.Header.Set("X-Forwarded-For", fmt.Sprintf("%d.%d.%d.7", 11+v%200, (v/200)%256, v%251))
	req.Header.Set("Accept-Language", languages[v%len(languages)])
	return req
}
