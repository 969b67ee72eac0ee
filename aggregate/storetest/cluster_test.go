package storetest_test

import (
	"context"
	"errors"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"tally/account"
	"tally/aggregate"
	"tally/aggregate/clickhouse"
	"tally/aggregate/storetest"
)

// clusterDay is the first of the four days the cluster tests feed: the
// fault test feeds one per phase (before, during and after a fault).
var clusterDay = time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC)

func dayHits(site int64, d int) []aggregate.Hit {
	if d == 3 {
		return storetest.Standard(site, clusterDay.AddDate(0, 0, 3).Add(9*time.Hour))
	}
	return storetest.Mixed(site, clusterDay.AddDate(0, 0, d))
}

// oneServer is a single ClickHouse server fed days 0..3 of hits, one
// aggregator per day (as the fault test feeds the cluster), with the site
// to ask about.
func oneServer(t *testing.T) (aggregate.Store, account.Site) {
	st := storetest.ClickHouse(t)
	site, err := st.AddSite(context.Background(), account.Site{Domain: "example.com", Timezone: "Europe/Berlin"})
	if err != nil {
		t.Fatal(err)
	}
	for d := 0; d < 4; d++ {
		storetest.FeedAll(t, st, dayHits(site.ID, d))
	}
	return st, site
}

// wantSameAnswers asks both stores every agreeQueries question.
func wantSameAnswers(t *testing.T, one aggregate.Store, oneSite account.Site, cl aggregate.Store, clSite account.Site) {
	t.Helper()
	qs := agreeQueries(t)
	for i, q := range qs {
		a := storetest.Query(t, one, oneSite, q)
		b := storetest.Query(t, cl, clSite, q)
		if !reflect.DeepEqual(a, b) {
			t.Errorf("query %d %s: one server and the cluster disagree:\none server: %s\ncluster:    %s", i, describe(q), show(a), show(b))
		}
		if i == 0 && (len(a.Rows) != 1 || a.Rows[0].Metrics[2] == 0) {
			t.Fatalf("the totals show no pageviews: %s", show(a))
		}
	}
	t.Logf("%d queries, identical answers", len(qs))
}

// TestClusterAgreesWithOneServer feeds the same hits to one server and to
// the 2 × 2 cluster, wants identical answers to every question, and reads
// each shard's query log: the first replica of each shard ran its part of
// the queries on its own rows, and only partial results travelled.
func TestClusterAgreesWithOneServer(t *testing.T) {
	c := storetest.ClickHouseCluster(t)
	one, oneSite := oneServer(t)
	dsn := c.DSN(t)
	cl := c.Store(t, dsn)
	db := storetest.DatabaseOf(dsn)
	site, err := cl.AddSite(context.Background(), account.Site{Domain: "example.com", Timezone: "Europe/Berlin"})
	if err != nil {
		t.Fatal(err)
	}
	for d := 0; d < 4; d++ {
		storetest.FeedAll(t, cl, dayHits(site.ID, d))
	}
	// The site's days are spread over both shards (site + day).
	for _, i := range []int{0, 2} {
		n := strings.TrimSpace(string(c.Query(t, i, "SELECT count() FROM "+db+".cells_local")))
		if n == "0" {
			t.Errorf("node %d (shard %d) holds no cells: the sharding key does not spread a site's days", i, i/2+1)
		}
		t.Logf("node %d (shard %d): %s rows of cells", i, i/2+1, n)
	}
	wantSameAnswers(t, one, oneSite, cl, site)

	// Shard 2's first replica (node 2) ran the queries' shard part on
	// its own rows: non-initial queries of cells_local, rows read there.
	c.Query(t, 2, "SYSTEM FLUSH LOGS")
	got := strings.Fields(string(c.Query(t, 2, `SELECT count(), sum(read_rows), sum(result_rows) FROM system.query_log
		WHERE type = 2 AND is_initial_query = 0 AND query LIKE '%`+db+`.cells_local%' AND query NOT LIKE '%instance = %'`)))
	queries, _ := strconv.Atoi(got[0])
	read, _ := strconv.Atoi(got[1])
	if queries < len(agreeQueries(t)) || read == 0 {
		t.Errorf("shard 2's query log: %v queries read %v rows, want its part of each of the %d queries", got[0], got[1], len(agreeQueries(t)))
	}
	t.Logf("shard 2 (node 2) ran %s shard queries, read %s rows, sent %s partial rows", got[0], got[1], got[2])
}

// TestClusterFaults feeds the cluster a day of hits per phase: all up; a
// replica of each shard stopped (writes and reads go on, nothing lost); a
// whole shard stopped (checkpoints and queries fail with an error naming
// the shard, the counts are kept); the shard back (the kept batches are
// written). Every answer then equals one server's fed the same hits.
func TestClusterFaults(t *testing.T) {
	c := storetest.ClickHouseCluster(t)
	start := time.Now()
	phase := func(what string) { t.Logf("%5.1fs %s", time.Since(start).Seconds(), what) }
	one, oneSite := oneServer(t)
	cl := c.Store(t, c.DSN(t))
	ctx := context.Background()
	phase("one server fed, cluster store open")
	site, err := cl.AddSite(ctx, account.Site{Domain: "example.com", Timezone: "Europe/Berlin"})
	if err != nil {
		t.Fatal(err)
	}
	storetest.FeedAll(t, cl, dayHits(site.ID, 0))

	// A replica of each shard down, among them the node the DSN names:
	// the first replica of shard 2, which takes its writes while it is up.
	c.Stop(t, 0)
	c.Stop(t, 2)
	phase("a replica of each shard stopped")
	storetest.FeedAll(t, cl, dayHits(site.ID, 1))
	down := 0
	for _, n := range cl.Nodes(ctx) {
		if n.Err != nil {
			down++
		}
	}
	if down != 2 {
		t.Errorf("Nodes reports %d nodes down, want 2", down)
	}
	if err := cl.Ping(ctx); err != nil {
		t.Errorf("ping with a replica of each shard down: %v, want nil (degraded, not down)", err)
	}
	c.Start(t, 0)
	c.Start(t, 2)
	phase("replicas back")

	// Shard 2 down: both its replicas.
	c.Stop(t, 2)
	c.Stop(t, 3)
	phase("shard 2 stopped")
	clock := &storetest.Clock{}
	hits := dayHits(site.ID, 2)
	for i := range hits {
		hits[i].Zone = site.Location()
	}
	clock.Set(hits[0].Time)
	agg := storetest.NewAggregator(cl, clock)
	for _, h := range hits {
		clock.Set(h.Time)
		for !agg.Add(h) {
			agg.Sync(ctx)
		}
	}
	agg.Sync(ctx)
	clock.Set(clusterDay.AddDate(0, 0, 3))
	err = agg.Checkpoint(ctx)
	var sd *clickhouse.ShardDownError
	if !errors.As(err, &sd) || sd.Shard != 2 || !strings.Contains(err.Error(), "shard 2 unreachable") {
		t.Errorf("checkpoint with shard 2 down: %v, want a ShardDownError naming shard 2", err)
	}
	if err := cl.Ping(ctx); !errors.As(err, &sd) || sd.Shard != 2 {
		t.Errorf("ping with shard 2 down: %v, want shard 2 down", err)
	}
	_, err = aggregate.NewEngine(cl, nil).Run(ctx, storetest.ToQuery(t, site, storetest.Q{From: "2026-11-01", To: "2026-11-06",
		Metrics: []aggregate.Metric{aggregate.Pageviews}}))
	if !errors.As(err, &sd) || sd.Shard != 2 {
		t.Errorf("query with shard 2 down: %v, want shard 2 down", err)
	}
	if st := agg.Stats(); st.CheckpointFailures == 0 || st.PendingCells == 0 {
		t.Errorf("aggregator stats with shard 2 down: %+v, want failed checkpoints and cells kept", st)
	}
	c.Start(t, 2)
	c.Start(t, 3)
	phase("shard 2 back")
	// Back: the kept batches are written by the next checkpoints.
	deadline := time.Now().Add(60 * time.Second)
	for agg.Checkpoint(ctx) != nil {
		if time.Now().After(deadline) {
			t.Fatalf("checkpoints still failing 60 s after shard 2 came back: %v", agg.Checkpoint(ctx))
		}
		time.Sleep(500 * time.Millisecond)
	}
	if err := agg.Close(ctx); err != nil {
		t.Fatalf("close aggregator: %v", err)
	}
	phase("kept batches written")
	storetest.FeedAll(t, cl, dayHits(site.ID, 3))
	// Right after a node returns, a query can read a replica that has not
	// yet fetched what its twin took (docs/clickhouse.md): the claim here
	// is that nothing is lost, so the answers are compared once every
	// replica has caught up.
	c.Sync(t)
	phase("replicas synced")
	wantSameAnswers(t, one, oneSite, cl, site)
	phase("answers compared")
}
