package metrics

import (
	"context"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Node is one server of a ClickHouse cluster and whether it answered.
type Node struct {
	Shard, Replica int
	Up             bool
}

// WatchNodes registers tally_clickhouse_node_up, from nodes, called at
// each scrape (it pings every node of the cluster).
func (m *Metrics) WatchNodes(nodes func(context.Context) []Node) {
	m.reg.MustRegister(clusterNodes(nodes))
}

type clusterNodes func(context.Context) []Node

var descNodeUp = prometheus.NewDesc("tally_clickhouse_node_up",
	"Whether each server of the ClickHouse cluster answers a ping (1) or not (0); a shard with no replica up loses writes to the spill and fails queries.",
	[]string{"shard", "replica"}, nil)

func (c clusterNodes) Describe(ch chan<- *prometheus.Desc) { ch <- descNodeUp }

func (c clusterNodes) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	for _, n := range c(ctx) {
		up := 0.0
		if n.Up {
			up = 1
		}
		ch <- prometheus.MustNewConstMetric(descNodeUp, prometheus.GaugeValue, up, strconv.Itoa(n.Shard), strconv.Itoa(n.Replica))
	}
}
