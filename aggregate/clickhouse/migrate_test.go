package clickhouse_test

import (
	"context"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	ch "github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"tally/account"
	"tally/aggregate"
	"tally/aggregate/clickhouse"
	"tally/aggregate/storetest"
	"tally/internal/legacysketch"
	"tally/migrations"
)

// oldSchema is the ClickHouse schema before counters at rest: migrations
// 0001–0003, as published (published migrations are never edited).
func oldSchema(t *testing.T) []migrations.Migration {
	t.Helper()
	list, err := migrations.For("clickhouse")
	if err != nil {
		t.Fatal(err)
	}
	return list[:3]
}

var bg = context.Background()

// oldDatabase creates a database with the schema of 0001–0003, recorded as
// the runner of that version recorded them, and returns its DSN and a
// connection to it.
func oldDatabase(t *testing.T) (string, driver.Conn) {
	t.Helper()
	return databaseAt(t, oldSchema(t))
}

// databaseAt creates a database with the schema of the migrations given,
// each statement run as it is and recorded, and returns its DSN and a
// connection to it.
func databaseAt(t *testing.T, schema []migrations.Migration) (string, driver.Conn) {
	t.Helper()
	dsn := storetest.ClickHouseDSN(t)
	db := storetest.DatabaseOf(dsn)
	storetest.ClickHouseQuery(t, "CREATE DATABASE "+db)
	opts, err := ch.ParseDSN(dsn)
	if err != nil {
		t.Fatal(err)
	}
	conn, err := ch.Open(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	exec(t, conn, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version UInt32, name String, applied_at DateTime('UTC')
	) ENGINE = MergeTree() ORDER BY version`)
	for _, m := range schema {
		for _, st := range m.Statements() {
			exec(t, conn, st)
		}
		exec(t, conn, `INSERT INTO schema_migrations (version, name, applied_at) SELECT ?, ?, now()`, uint32(m.Version), m.Name)
	}
	return dsn, conn
}

func exec(t *testing.T, conn driver.Conn, query string, args ...any) {
	t.Helper()
	if err := conn.Exec(bg, query, args...); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
}

// legacyRow is one row of the old cells table.
type legacyRow struct {
	site     int64
	hour     time.Time
	key      aggregate.Key
	instance string
	views    int64 // pageviews; events, visits, bounces, duration and exits derive from it
	exits    int64
	visitors []uint64 // the sketch's visitor keys
	version  uint64
}

func sketch(t *testing.T, keys ...uint64) *legacysketch.Sketch {
	sk := legacysketch.NewSketch()
	for _, k := range keys {
		sk.Insert(k)
	}
	return sk
}

func insertLegacy(t *testing.T, conn driver.Conn, table string, rows []legacyRow) {
	t.Helper()
	b, err := conn.PrepareBatch(bg, `INSERT INTO `+table+`
		(site_id, hour, key, instance, pageviews, events, visits, bounces, duration, exits, sketch, version)`)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		bin, err := sketch(t, r.visitors...).MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		if err := b.Append(r.site, r.hour, r.key.Encode(), r.instance, r.views, r.views+1, r.views, 1, 10*r.views, r.exits,
			string(bin), r.version); err != nil {
			t.Fatal(err)
		}
	}
	if err := b.Send(); err != nil {
		t.Fatal(err)
	}
}

func key(kv ...any) aggregate.Key {
	var k aggregate.Key
	for i := 0; i < len(kv); i += 2 {
		k[kv[i].(aggregate.Dim)] = kv[i+1].(string)
	}
	return k
}

// legacyFixture writes an old database's content: two sites (one deleted),
// several instances and versions of rows, a salt and a rollup. The site's
// zone is Paris, so its day 2026-03-10 starts at 23:00 UTC the day before.
func legacyFixture(t *testing.T, conn driver.Conn) (site account.Site, rows []legacyRow) {
	t.Helper()
	site = account.Site{ID: 4242, Domain: "legacy.example", Timezone: "Europe/Paris"}
	created := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	exec(t, conn, `INSERT INTO sites (id, domain, timezone, count_dnt, owner, created_at, deleted, version)
		SELECT ?, ?, ?, 0, 0, ?, 0, 1`, site.ID, site.Domain, site.Timezone, created)
	exec(t, conn, `INSERT INTO sites (id, domain, timezone, count_dnt, owner, created_at, deleted, version)
		SELECT 77, 'gone.example', 'UTC', 0, 0, ?, 0, 1`, created)
	exec(t, conn, `INSERT INTO sites (id, domain, timezone, count_dnt, owner, created_at, deleted, version)
		SELECT 77, 'gone.example', 'UTC', 0, 0, ?, 1, 2`, created)
	exec(t, conn, `INSERT INTO salts (day, salt, inserted_at) SELECT '2026-03-10', 'sixteen bytes!!!', now()`)
	exec(t, conn, `INSERT INTO rollups (site_id, dim, day, value, instance, pageviews, events, visits, bounces, duration,
		exits, sketch, visitors, version) SELECT ?, 1, toDate('2026-03-10'), '/a', 'i1', 1, 1, 1, 1, 1, 0, 'sketchbytes', 1, 1`, site.ID)

	h := func(day, hour int) time.Time { return time.Date(2026, 3, day, hour, 0, 0, 0, time.UTC) }
	a := key(aggregate.Page, "/a", aggregate.Event, "pageview", aggregate.Country, "FR", aggregate.Source, "Google")
	b := key(aggregate.Page, "/b", aggregate.Event, "pageview", aggregate.Country, "DE")
	exitB := key(aggregate.ExitPage, "/b", aggregate.Country, "DE")
	rows = []legacyRow{
		// 2026-03-10 in Paris: 23:00 UTC on the 9th …
		{site.ID, h(9, 23), a, "i1", 1, 0, []uint64{6}, 5},
		// … an older and a newer version of one row: the newer counts …
		{site.ID, h(10, 8), a, "i1", 1, 0, []uint64{1}, 1},
		{site.ID, h(10, 8), a, "i1", 3, 0, []uint64{1, 2}, 2},
		// … another instance's row of the same hour and key adds up …
		{site.ID, h(10, 8), a, "i2", 2, 0, []uint64{2, 3}, 1},
		{site.ID, h(10, 10), b, "i1", 4, 0, []uint64{3, 4, 5}, 1},
		{site.ID, h(10, 22), exitB, "i1", 0, 2, []uint64{4, 5}, 1},
		// 2026-03-11 in Paris (23:00 UTC on the 10th).
		{site.ID, h(10, 23), b, "i1", 5, 0, []uint64{7, 8}, 1},
		// A deleted site's leftovers are not converted.
		{77, h(10, 8), a, "i1", 9, 0, []uint64{99}, 1},
	}
	insertLegacy(t, conn, "cells", rows)
	return site, rows
}

func query(t *testing.T, st aggregate.Store, site account.Site, from, to string, dims []string, filters ...aggregate.Filter) aggregate.Result {
	t.Helper()
	return queryWith(t, aggregate.NewEngine(st, nil), site, from, to, dims, filters...)
}

func queryWith(t *testing.T, e *aggregate.Engine, site account.Site, from, to string, dims []string, filters ...aggregate.Filter) aggregate.Result {
	t.Helper()
	loc := site.Location()
	f, err := aggregate.ParseDay(from, loc)
	if err != nil {
		t.Fatal(err)
	}
	to2, err := aggregate.ParseDay(to, loc)
	if err != nil {
		t.Fatal(err)
	}
	q := aggregate.Query{Site: site, From: f, To: to2, Filters: filters,
		Metrics: []aggregate.Metric{aggregate.Pageviews, aggregate.Visits, aggregate.Visitors, aggregate.Events}}
	for _, name := range dims {
		d, err := aggregate.ParseDimension(name, f, to2)
		if err != nil {
			t.Fatal(err)
		}
		q.Dimensions = append(q.Dimensions, d)
	}
	res, err := e.Run(bg, q)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// table shows a result as "dims: metrics" lines, sorted.
func table(res aggregate.Result) string {
	var lines []string
	for _, r := range res.Rows {
		var parts []string
		for _, m := range r.Metrics {
			b, _ := m.MarshalJSON()
			parts = append(parts, string(b))
		}
		lines = append(lines, strings.Join(r.Dimensions, ",")+": "+strings.Join(parts, " "))
	}
	sort.Strings(lines)
	return strings.Join(lines, "\n")
}

func estimate(t *testing.T, keys ...uint64) int64 { return sketch(t, keys...).Estimate() }

// wantConverted checks what the store answers for legacyFixture's data.
func wantConverted(t *testing.T, st aggregate.Store, site account.Site) {
	t.Helper()
	// pageviews, visits, visitors, events
	check := func(what string, got aggregate.Result, want string) {
		t.Helper()
		if s := table(got); s != want {
			t.Errorf("%s:\n%s\nwant\n%s", what, s, want)
		}
	}
	// The day of 2026-03-10 in Paris: 1 + 3 (newest of i1) + 2 (i2) + 4 pageviews,
	// visitors the estimate of the day's merged sketches (1…6).
	day := itoa(estimate(t, 1, 2, 3, 4, 5, 6))
	check("totals of 2026-03-10", query(t, st, site, "2026-03-10", "2026-03-10", nil), ": 10 10 "+day+" 14")
	check("totals of 2026-03-11", query(t, st, site, "2026-03-11", "2026-03-11", nil), ": 5 5 "+itoa(estimate(t, 7, 8))+" 6")
	check("pages of 2026-03-10", query(t, st, site, "2026-03-10", "2026-03-10", []string{"event:page"}),
		"/a: 6 6 "+itoa(estimate(t, 1, 2, 3, 6))+" 9\n"+
			"/b: 4 4 "+itoa(estimate(t, 3, 4, 5))+" 5")
	check("countries of both days", query(t, st, site, "2026-03-10", "2026-03-11", []string{"visit:country"}),
		"DE: 9 9 "+itoa(estimate(t, 3, 4, 5)+estimate(t, 7, 8))+" 11\n"+
			"FR: 6 6 "+itoa(estimate(t, 1, 2, 3, 6))+" 9")
	check("exit pages", query(t, st, site, "2026-03-10", "2026-03-10", []string{"visit:exit_page"}),
		"/b: 0 2 "+itoa(estimate(t, 4, 5))+" 1")
}

func itoa(n int64) string {
	b, _ := aggregate.Number(n).MarshalJSON()
	return string(b)
}

// tables lists the database's tables, and the columns that could hold
// per-visitor bytes.
func tables(t *testing.T, db string) (names []string, suspicious []string) {
	t.Helper()
	for _, l := range strings.Fields(string(storetest.ClickHouseQuery(t, "SELECT name FROM system.tables WHERE database = '"+db+"' ORDER BY name"))) {
		names = append(names, l)
	}
	suspicious = strings.Fields(string(storetest.ClickHouseQuery(t,
		"SELECT concat(table, '.', name) FROM system.columns WHERE database = '"+db+"' AND (name LIKE '%sketch%' OR name LIKE '%salt%')")))
	return names, suspicious
}

func wantNoLegacy(t *testing.T, db string) {
	t.Helper()
	names, suspicious := tables(t, db)
	want := "api_key_uses api_keys cells engagement funnel_counts funnels goals logins memberships noise_keys props reports rollups rollups_mv rollups_start schema_migrations shares sites users"
	if got := strings.Join(names, " "); got != want {
		t.Errorf("tables after the conversion: %s\nwant %s", got, want)
	}
	if len(suspicious) > 0 {
		t.Errorf("columns that may hold per-visitor bytes remain: %v", suspicious)
	}
}

// oldCellsDDL is the old cells table's CREATE statement, for a table named name.
func oldCellsDDL(t *testing.T, name string) string {
	t.Helper()
	for _, st := range oldSchema(t)[0].Statements() {
		if strings.HasPrefix(st, "CREATE TABLE IF NOT EXISTS cells (") {
			return strings.Replace(st, " cells (", " "+name+" (", 1)
		}
	}
	t.Fatal("no CREATE TABLE cells in 0001_init.sql")
	return ""
}

// TestLegacyConversion opens a database of the version before counters at
// rest: its counters survive, its sketches become estimates, and no sketch,
// salt or legacy table remains.
func TestLegacyConversion(t *testing.T) {
	dsn, conn := oldDatabase(t)
	db := storetest.DatabaseOf(dsn)
	site, rows := legacyFixture(t, conn)

	st := storetest.ClickHouseAt(t, dsn)
	wantConverted(t, st, site)
	wantNoLegacy(t, db)
	cells := string(storetest.ClickHouseQuery(t, "SELECT count() FROM "+db+".cells"))

	// Reopening finds nothing to do.
	st.Close()
	st = storetest.ClickHouseAt(t, dsn)
	wantConverted(t, st, site)
	st.Close()

	// A conversion cut short leaves legacy_cells, and the next start
	// converts it again: the days stored already are not written twice.
	exec(t, conn, oldCellsDDL(t, "legacy_cells"))
	insertLegacy(t, conn, "legacy_cells", rows)
	st = storetest.ClickHouseAt(t, dsn)
	wantConverted(t, st, site)
	wantNoLegacy(t, db)
	if again := string(storetest.ClickHouseQuery(t, "SELECT count() FROM "+db+".cells")); again != cells {
		t.Errorf("converting again left %s rows, want %s", again, cells)
	}
	st.Close()

	// Every migration run again (their records lost): 0001 creates the
	// old tables that are missing, 0004 renames what has sketches, and
	// nothing of the new cells is touched.
	exec(t, conn, "TRUNCATE TABLE schema_migrations")
	st = storetest.ClickHouseAt(t, dsn)
	wantConverted(t, st, site)
	wantNoLegacy(t, db)
}

// TestConcurrentUpgrade starts several instances at once on an old
// database: one migrates and converts, the others wait for it, and every
// legacy cell counts once.
func TestConcurrentUpgrade(t *testing.T) {
	dsn, conn := oldDatabase(t)
	site, _ := legacyFixture(t, conn)
	var wg sync.WaitGroup
	errs := make([]error, 4)
	stores := make([]*clickhouse.Store, len(errs))
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			stores[i], errs[i] = clickhouse.Open(bg, dsn)
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("instance %d: %v", i, err)
		}
		defer stores[i].Close()
	}
	for _, st := range stores {
		wantConverted(t, st, site)
	}
	wantNoLegacy(t, storetest.DatabaseOf(dsn))
}

// TestConcurrentFreshStart: instances starting at once on an empty
// database all open it, and it has the new schema.
func TestConcurrentFreshStart(t *testing.T) {
	dsn := storetest.ClickHouseDSN(t)
	var wg sync.WaitGroup
	errs := make([]error, 4)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			st, err := clickhouse.Open(bg, dsn)
			if err == nil {
				st.Close()
			}
			errs[i] = err
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("instance %d: %v", i, err)
		}
	}
	wantNoLegacy(t, storetest.DatabaseOf(dsn))
}

// TestStaleMigrationLock: a lock left by an instance that died while
// migrating is taken over once it has not moved for a while.
func TestStaleMigrationLock(t *testing.T) {
	defer clickhouse.SetLockTiming(100*time.Millisecond, 2*time.Second)()
	dsn, conn := oldDatabase(t)
	site, _ := legacyFixture(t, conn)
	exec(t, conn, "CREATE TABLE migration_lock (holder String, beat DateTime('UTC')) ENGINE = Log")
	exec(t, conn, "INSERT INTO migration_lock (holder, beat) SELECT 'dead', now()")
	start := time.Now()
	st := storetest.ClickHouseAt(t, dsn)
	if waited := time.Since(start); waited < 2*time.Second {
		t.Errorf("opened after %v, before the lock was stale", waited)
	}
	wantConverted(t, st, site)
	wantNoLegacy(t, storetest.DatabaseOf(dsn))
}
