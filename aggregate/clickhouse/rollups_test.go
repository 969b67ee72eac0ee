package clickhouse_test

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"tally/account"
	"tally/aggregate"
	"tally/aggregate/storetest"
	"tally/migrations"
)

// TestRollupsStartAfterUpgrade opens a database that holds cells written
// before rollups existed: its days have no rollups, so queries over them
// read the cells and answer what they held, and rollups start at the
// first day wholly after the upgrade, from which on they answer.
func TestRollupsStartAfterUpgrade(t *testing.T) {
	list, err := migrations.For("clickhouse")
	if err != nil {
		t.Fatal(err)
	}
	var before []migrations.Migration
	for _, m := range list {
		if m.Name < "0008" {
			before = append(before, m)
		}
	}
	dsn, conn := databaseAt(t, before)
	db := storetest.DatabaseOf(dsn)
	site := account.Site{ID: 31, Domain: "upgraded.example", Timezone: "UTC"}
	exec(t, conn, `INSERT INTO sites (id, domain, timezone, count_dnt, owner, created_at, deleted, version)
		SELECT ?, ?, ?, 0, 0, now(), 0, 1`, site.ID, site.Domain, site.Timezone)
	exec(t, conn, `INSERT INTO cells (site_id, hour, instance, seq, page, event, pageviews, events, visits, visitors, v_page)
		SELECT ?, toDateTime('2026-03-10 08:00:00', 'UTC'), 'old', 1, '/a', 'pageview', 3, 3, 2, 2, 2`, site.ID)

	st := storetest.ClickHouseAt(t, dsn)
	today := aggregate.CivilDay(time.Now(), time.UTC)
	from := strings.TrimSpace(string(storetest.ClickHouseQuery(t, "SELECT max(day) FROM "+db+".rollups_start")))
	if from != strconv.FormatInt(today+2, 10) {
		t.Fatalf("rollups start at day %s, want %d (the day after tomorrow)", from, today+2)
	}
	// pageviews, visits, visitors, events
	if got := table(query(t, st, site, "2026-03-10", "2026-03-10", []string{"event:page"})); got != "/a: 3 2 2 3" {
		t.Errorf("pages of a day stored before the upgrade: %s, want /a: 3 2 2 3", got)
	}

	// A day after the start: written with rollups, answered from them
	// (the rollups alone are changed here, and the answer follows).
	day := time.Unix((today+3)*86400, 0).UTC()
	c := aggregate.Cell{Site: site.ID, Hour: day.Add(9 * time.Hour), Key: key(aggregate.Page, "/b", aggregate.Event, aggregate.PageviewEvent),
		Counters: aggregate.Counters{Pageviews: 4, Events: 4, Visits: 1}}
	c.Uniques[aggregate.UVisitor], c.Uniques[aggregate.UniqueOf(aggregate.Page)] = 1, 1
	if err := st.WriteBatch(bg, aggregate.Batch{Instance: "new", Seq: 1, Cells: []aggregate.Cell{c}}); err != nil {
		t.Fatal(err)
	}
	ymd := day.Format(time.DateOnly)
	if got := table(query(t, st, site, ymd, ymd, []string{"event:page"})); got != "/b: 4 1 1 4" {
		t.Errorf("pages of a day after the start: %s, want /b: 4 1 1 4", got)
	}
	storetest.ClickHouseQuery(t, "INSERT INTO "+db+".rollups (site_id, day, dim, value, pageviews) VALUES ("+
		strconv.FormatInt(site.ID, 10)+", "+strconv.FormatInt(today+3, 10)+", 'page', '/b', 100)")
	if got := table(query(t, st, site, ymd, ymd, []string{"event:page"})); got != "/b: 104 1 1 4" {
		t.Errorf("pages of a day after the start, with 100 pageviews added to its rollup only: %s, want /b: 104 1 1 4", got)
	}
}
