package metrics

import (
	"math"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Granularity is the step of every exported number that moves with
// visitors' requests: hits received, accepted and dropped for ordinary
// reasons, hits folded, visits in progress, open cells, first-occurrence
// entries, and the counts of the request and store timings. Each is
// exported rounded down to a multiple of it, so that on a small site a
// scrape every few seconds cannot time one visitor's page view or visit
// (a step shows that ten happened, not when each did). Failure and flood
// signals (rate_limited, overload and error drops, checkpoint
// failures, the spill) stay exact: alerts need the first one.
const Granularity = 10

// coarse rounds v down to a multiple of Granularity.
func coarse(v uint64) uint64 { return v / Granularity * Granularity }

// coarseHist is a histogram exported with coarse counts: its count and
// each cumulative bucket are rounded down to a multiple of Granularity,
// and its sum is scaled to match the rounded count.
type coarseHist struct {
	upper  []float64
	counts []atomic.Uint64 // per bucket, not cumulative; one more for +Inf
	n      atomic.Uint64
	nanos  atomic.Uint64 // sum of observations, in nanoseconds
}

func newCoarseHist(upper []float64) *coarseHist {
	return &coarseHist{upper: upper, counts: make([]atomic.Uint64, len(upper)+1)}
}

func (h *coarseHist) observe(d time.Duration) {
	i := sort.SearchFloat64s(h.upper, d.Seconds())
	h.counts[i].Add(1)
	h.nanos.Add(uint64(max(d, 0)))
	h.n.Add(1)
}

func (h *coarseHist) metric(desc *prometheus.Desc, labels ...string) prometheus.Metric {
	n := h.n.Load()
	cn := coarse(n)
	sum := 0.0
	if n > 0 {
		sum = float64(h.nanos.Load()) / 1e9 * float64(cn) / float64(n)
	}
	buckets := make(map[float64]uint64, len(h.upper))
	var cum uint64
	for i, u := range h.upper {
		cum += h.counts[i].Load()
		buckets[u] = min(coarse(cum), cn)
	}
	return prometheus.MustNewConstHistogram(desc, cn, sum, buckets, labels...)
}

// coarseHistVec is a family of coarse histograms by label values.
type coarseHistVec struct {
	desc  *prometheus.Desc
	upper []float64

	mu    sync.Mutex
	byKey map[string]*coarseHist
	keys  map[string][]string
}

func newCoarseHistVec(name, help string, upper []float64, labels ...string) *coarseHistVec {
	return &coarseHistVec{desc: prometheus.NewDesc(name, help, labels, nil), upper: upper,
		byKey: map[string]*coarseHist{}, keys: map[string][]string{}}
}

// Observe records d under the label values.
func (v *coarseHistVec) Observe(d time.Duration, labels ...string) {
	key := strings.Join(labels, "\x00")
	v.mu.Lock()
	h := v.byKey[key]
	if h == nil {
		h = newCoarseHist(v.upper)
		v.byKey[key], v.keys[key] = h, labels
	}
	v.mu.Unlock()
	h.observe(d)
}

func (v *coarseHistVec) Describe(ch chan<- *prometheus.Desc) { ch <- v.desc }

func (v *coarseHistVec) Collect(ch chan<- prometheus.Metric) {
	v.mu.Lock()
	defer v.mu.Unlock()
	for key, h := range v.byKey {
		ch <- h.metric(v.desc, v.keys[key]...)
	}
}

// exponential returns n upper bounds from start, each factor times the last.
func exponential(start, factor float64, n int) []float64 {
	out := make([]float64, n)
	for i := range out {
		out[i] = start * math.Pow(factor, float64(i))
	}
	return out
}
