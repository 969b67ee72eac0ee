// Command soak sends tracker events to a running tally at a fixed rate for
// a bounded time, and every interval records the server's RSS, the events
// sent and acknowledged, and the latency percentiles of that interval. It
// only sends to a loopback address. bench/soak/soak.sh drives it; see
// docs/soak.md.
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

func main() {
	target := flag.String("url", "http://127.0.0.1:8000", "tally's base URL (loopback only)")
	domain := flag.String("domain", "example.com", "site domain")
	rate := flag.Int("rate", 1000, "events a second")
	duration := flag.Duration("duration", 5*time.Minute, "how long to send")
	every := flag.Duration("every", 10*time.Second, "report interval")
	pid := flag.Int("pid", 0, "server PID, for its RSS")
	visitors := flag.Int("visitors", 20_000, "distinct visitors")
	flag.Parse()
	if !loadgen.Loopback(*target) {
		fmt.Fprintln(os.Stderr, "soak: refusing a non-loopback target")
		os.Exit(2)
	}
	if *duration > 2*time.Hour || *rate > 50_000 {
		fmt.Fprintln(os.Stderr, "soak: at most 2 h and 50 000 events/s")
		os.Exit(2)
	}

	const workers = 64
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: workers, MaxConnsPerHost: workers}}
	var sent, acked, rejected, failed atomic.Int64
	var mu sync.Mutex
	var lat, allLat []time.Duration
	jobs := make(chan int, workers)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			r := rand.New(rand.NewPCG(uint64(w), 7))
			for range jobs {
				req := event(r, *target, *domain, *visitors)
				t0 := time.Now()
				resp, err := client.Do(req)
				if err != nil {
					failed.Add(1)
					continue
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				d := time.Since(t0)
				mu.Lock()
				lat = append(lat, d)
				mu.Unlock()
				if resp.StatusCode == http.StatusAccepted {
					acked.Add(1)
				} else {
					rejected.Add(1)
				}
			}
		}(w)
	}

	start := time.Now()
	fmt.Println("elapsed_s,sent,acked,rejected,failed,rss_kib,p50_ms,p99_ms,max_ms")
	report := func() {
		mu.Lock()
		l := lat
		lat = nil
		allLat = append(allLat, l...)
		mu.Unlock()
		p50, p99, pmax := pct(l)
		fmt.Printf("%.0f,%d,%d,%d,%d,%d,%.2f,%.2f,%.2f\n", time.Since(start).Seconds(), sent.Load(), acked.Load(),
			rejected.Load(), failed.Load(), loadgen.RSS(*pid), p50, p99, pmax)
	}
	tick := time.NewTicker(time.Second / time.Duration(*rate/100+1))
	perTick := *rate / (*rate/100 + 1)
	next := time.Now().Add(*every)
	for time.Since(start) < *duration {
		<-tick.C
		for i := 0; i < perTick; i++ {
			select {
			case jobs <- i:
				sent.Add(1)
			default: // all workers busy: the server is slower than the rate
			}
		}
		if time.Now().After(next) {
			report()
			next = next.Add(*every)
		}
	}
	close(jobs)
	wg.Wait()
	report()
	p50, p99, pmax := pct(allLat)
	fmt.Fprintf(os.Stderr, "soak: %s at %d/s: sent %d, acknowledged %d, rejected %d, failed %d; latency p50 %.2f ms p99 %.2f ms max %.2f ms\n",
		time.Since(start).Round(time.Second), *rate, sent.Load(), acked.Load(), rejected.Load(), failed.Load(), p50, p99, pmax)
	fmt.Fprintf(os.Stderr, "ACKED %d\n", acked.Load())
}

func pct(l []time.Duration) (p50, p99, max float64) {
	if len(l) == 0 {
		return 0, 0, 0
	}
	slices.Sort(l)
	ms := func(d time.Duration) float64 { return float64(d) / 1e6 }
	return ms(l[len(l)/2]), ms(l[(len(l)-1)*99/100]), ms(l[len(l)-1])
}

// event is one pageview from a visitor of the pool, on one of a few pages.
func event(r *rand.Rand, target, domain string, visitors int) *http.Request {
	v := r.IntN(visitors)
	page := fmt.Sprintf("/p/%d", int(1/(r.Float64()+0.02)))
	body := fmt.Sprintf(`{"n":"pageview","u":"https://%s%s","d":%q,"w":1280}`, domain, page, domain)
	req, _ := http.NewRequest("POST", target+"/api/event", bytes.NewBufferString(body))
	req.Header.Set("Content-Type", "text/plain")
	req.Header.Set("User-Agent", fmt.Sprintf("Mozilla/5.0 (X11; Linux x86_64; rv:12%d.0) Gecko/20100101 Firefox/12%d.0", v%10, v%10))
	req.Header.Set("X-Forwarded-For", fmt.Sprintf("%d.%d.%d.9", 11+v%200, (v/200)%256, v%251))
	return req
}
