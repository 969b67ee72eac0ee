package metrics

import (
	"github.com/prometheus/client_golang/prometheus"

	"tally/internal/connlimit"
)

// WatchConnections registers the public listener's connection counts.
func (m *Metrics) WatchConnections(stats func() connlimit.Stats) {
	m.reg.MustRegister(connections(stats))
}

type connections func() connlimit.Stats

var (
	descConnOpen    = prometheus.NewDesc("tally_connections_open", "Connections open on the public listener (in steps of 10: each visitor opens one).", nil, nil)
	descConnRefused = prometheus.NewDesc("tally_connections_refused_total",
		"Connections closed on arrival, by the bound they met: total (--max-connections) or network (--max-connections-per-network).",
		[]string{"bound"}, nil)
	descAcceptErrs = prometheus.NewDesc("tally_accept_errors_total",
		"Failed accepts (out of file descriptors, say), waited out and retried.", nil, nil)
)

func (c connections) Describe(ch chan<- *prometheus.Desc) {
	ch <- descConnOpen
	ch <- descConnRefused
	ch <- descAcceptErrs
}

func (c connections) Collect(ch chan<- prometheus.Metric) {
	st := c()
	ch <- prometheus.MustNewConstMetric(descConnOpen, prometheus.GaugeValue, float64(coarse(uint64(max(st.Open, 0)))))
	ch <- prometheus.MustNewConstMetric(descConnRefused, prometheus.CounterValue, float64(st.RefusedTotal), "total")
	ch <- prometheus.MustNewConstMetric(descConnRefused, prometheus.CounterValue, float64(st.RefusedNetwork), "network")
	ch <- prometheus.MustNewConstMetric(descAcceptErrs, prometheus.CounterValue, float64(st.AcceptErrors))
}
