// Package metrics exposes tally's running totals in the Prometheus text
// format, for a listener of its own (--metrics-listen), never the public one
// by default. Labels are fixed words — drop reasons, store operations — and
// must never carry an IP address, a user agent, a URL, a query string or a
// visitor key. Nothing is exported per site, and numbers that move with
// visitors' requests are exported in steps of Granularity (coarse.go), so
// that the endpoint cannot time one visitor on a small site.
package metrics

import (
	"net/http"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"tally/aggregate"
	"tally/collector"
)

// Metrics holds tally's registry and the histograms that are fed as things
// happen; everything else is read from the collector's and the
// aggregator's counters when scraped.
type Metrics struct {
	reg        *prometheus.Registry
	ingest     *coarseHistVec
	checkpoint prometheus.Histogram
	store      *coarseHistVec
}

// New returns a registry with the Go runtime and process collectors and the
// store-latency and checkpoint histograms. Call Watch to add the collector's
// and aggregator's totals once they exist.
func New() *Metrics {
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		ingest: newCoarseHistVec("tally_ingest_duration_seconds",
			"Time to answer POST /api/event (counts in steps of 10).",
			[]float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, 1}),
		checkpoint: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "tally_checkpoint_duration_seconds",
			Help:    "Time of each periodic checkpoint of the open cells to the store, failed ones included.",
			Buckets: prometheus.ExponentialBuckets(.001, 4, 9), // 1 ms … 65 s
		}),
		// Checkpoints write only when there were hits: the count of
		// write_batch calls would time a small site's visitors.
		store: newCoarseHistVec("tally_store_duration_seconds",
			"Time of store calls by operation (reads include folding the rows they return; counts in steps of 10).",
			exponential(.0005, 4, 9), "op", "result"), // 0.5 ms … 33 s
	}
	m.reg.MustRegister(m.ingest, m.checkpoint, m.store,
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Watch registers the collector's outcome counts and the aggregator's
// state, read at each scrape.
func (m *Metrics) Watch(counts *collector.Counts, agg *aggregate.Aggregator) {
	m.reg.MustRegister(&totals{counts: counts, agg: agg})
}

// Handler serves the registry in the Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg})
}

// Ingest is Fiber middleware that times POST /api/event.
func (m *Metrics) Ingest(c *fiber.Ctx) error {
	err := c.Next()
	// The server notes when it hands a request to the handler: one clock
	// read fewer per event.
	m.ingest.Observe(time.Since(c.Context().Time()))
	return err
}

// Checkpoint records one checkpoint (aggregate.Config.OnCheckpoint).
func (m *Metrics) Checkpoint(took time.Duration, _ error) {
	m.checkpoint.Observe(took.Seconds())
}

// totals reads the running totals at scrape time.
type totals struct {
	counts *collector.Counts
	agg    *aggregate.Aggregator
}

var (
	descReceived = prometheus.NewDesc("tally_hits_received_total", "Events received on POST /api/event (in steps of 10).", nil, nil)
	descAccepted = prometheus.NewDesc("tally_hits_accepted_total", "Events accepted for counting (in steps of 10).", nil, nil)
	descDropped  = prometheus.NewDesc("tally_hits_dropped_total",
		"Events not counted, by reason: dnt, gpc (consent signals), bot, invalid, unknown_site — in steps of 10 — and, exactly, rate_limited (429), overload (ingest queue full: 503), error (store unavailable).",
		[]string{"reason"}, nil)
	descFolded    = prometheus.NewDesc("tally_hits_folded_total", "Hits folded into cells by the aggregator (in steps of 10).", nil, nil)
	descOpenCells = prometheus.NewDesc("tally_open_cells", "Cells held in memory: counting, and taken by checkpoints not stored yet (in steps of 10).", nil, nil)
	descFirsts    = prometheus.NewDesc("tally_first_occurrence_entries", "Entries of the day's first-occurrence set (unique visitors; memory only, cleared at 00:00 UTC; in steps of 10).", nil, nil)
	descFirstsMem = prometheus.NewDesc("tally_first_occurrence_bytes", "Memory of the day's first-occurrence set.", nil, nil)
	descFirstsFul = prometheus.NewDesc("tally_first_occurrence_full_total", "Visitor combinations not recorded because the first-occurrence set was at its bound (visitors undercount).", nil, nil)
	descSessions  = prometheus.NewDesc("tally_sessions", "Visits in progress in the session table (in steps of 10).", nil, nil)
	descNoSession = prometheus.NewDesc("tally_hits_without_visit_total", "Hits counted without a visit because the session table was full (in steps of 10).", nil, nil)
	descCkptFail  = prometheus.NewDesc("tally_checkpoint_failures_total", "Checkpoints that failed (the cells stay in memory and are retried).", nil, nil)
	descFailing   = prometheus.NewDesc("tally_checkpoint_failing", "Checkpoints failed in a row; 0 while the store takes them.", nil, nil)
	descSpilled   = prometheus.NewDesc("tally_spilled_records", "Cells waiting in the spill file for the store.", nil, nil)
	descSpills    = prometheus.NewDesc("tally_spills_total", "Times checkpoints were spilled to disk.", nil, nil)
	descPropsDrop = prometheus.NewDesc("tally_props_dropped_total",
		"Custom property values not counted because they looked like e-mail addresses (the event itself is counted).", nil, nil)
	descOther = prometheus.NewDesc("tally_other_total",
		"Hits counted under (other): kind value (a dimension value past its site's daily bound of distinct values), cell (a new cell past its site's bound of open cells), prop (a custom property key or value past its site's daily bound).",
		[]string{"kind"}, nil)
	descJournal = prometheus.NewDesc("tally_journal_syncs_total",
		"Synced writes of the cell journal (one a second at most while counts change; in steps of 10).", nil, nil)
	descJournalBytes = prometheus.NewDesc("tally_journal_bytes_total", "Bytes written to the cell journal (in steps of 10).", nil, nil)
	descJournalFail  = prometheus.NewDesc("tally_journal_failures_total",
		"Journal segments given up after a failed write: until the next checkpoint stores them, a crash loses those counts.", nil, nil)
	descReplays = prometheus.NewDesc("tally_spill_replays_total", "Times the spill file was replayed to the store and removed.", nil, nil)
)

func (t *totals) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descReceived, descAccepted, descDropped, descFolded, descOpenCells,
		descSessions, descNoSession, descCkptFail, descFailing, descSpilled, descSpills, descReplays,
		descFirsts, descFirstsMem, descFirstsFul, descOther, descPropsDrop, descJournal, descJournalBytes, descJournalFail} {
		ch <- d
	}
}

func (t *totals) Collect(ch chan<- prometheus.Metric) {
	c := t.counts
	counter := func(d *prometheus.Desc, v uint64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, float64(v), labels...)
	}
	gauge := func(d *prometheus.Desc, v int) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, float64(v))
	}
	coarseGauge := func(d *prometheus.Desc, v int) { gauge(d, int(coarse(uint64(max(v, 0))))) }
	st := t.agg.Stats()
	counter(descReceived, coarse(c.Received.Load()))
	counter(descAccepted, coarse(c.Accepted.Load()))
	for _, r := range []struct {
		reason string
		n      uint64
	}{
		{"dnt", coarse(c.DNT.Load())}, {"gpc", coarse(c.GPC.Load())}, {"bot", coarse(c.Bot.Load())}, {"invalid", coarse(c.Invalid.Load())},
		{"unknown_site", coarse(c.UnknownSite.Load())}, {"overload", c.Overload.Load()}, {"rate_limited", c.RateLimited.Load()},
		{"error", c.Err.Load()},
	} {
		counter(descDropped, r.n, r.reason)
	}
	counter(descFolded, coarse(st.Folded))
	counter(descOther, st.ValuesOther, "value") // a flood signal: exact
	counter(descOther, st.CellsOther, "cell")
	counter(descOther, st.PropsOther, "prop")
	counter(descPropsDrop, c.PropsDropped.Load())
	counter(descJournal, coarse(st.JournalSyncs))
	counter(descJournalBytes, coarse(st.JournalBytes))
	counter(descJournalFail, st.JournalFailures)
	coarseGauge(descOpenCells, st.OpenCells)
	coarseGauge(descSessions, st.Sessions)
	counter(descNoSession, coarse(st.NoSession))
	counter(descCkptFail, st.CheckpointFailures)
	gauge(descFailing, st.Failing)
	gauge(descSpilled, st.Spilled)
	counter(descSpills, st.Spills)
	counter(descReplays, st.Replays)
	coarseGauge(descFirsts, st.Firsts)
	gauge(descFirstsMem, st.FirstsBytes)
	counter(descFirstsFul, st.FirstsFull)
}
