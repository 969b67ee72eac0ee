package storetest_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/netip"
	"strconv"
	"strings"
	"testing"
	"time"

	"tally/account"
	"tally/aggregate"
	"tally/aggregate/storetest"
	"tally/collector"
)

// standardUAs are the standard scenario's browsers: Chrome ×4, Firefox ×3,
// Safari on iPhone ×3.
var standardUAs = []string{
	"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
	"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.6778.86 Safari/537.36",
	"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
	"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
	"Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0",
	"Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0",
	"Mozilla/5.0 (Macintosh; Intel Mac OS X 14.7; rv:133.0) Gecko/20100101 Firefox/133.0",
	"Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1",
	"Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.0 Mobile/15E148 Safari/604.1",
	"Mozilla/5.0 (iPhone; CPU iPhone OS 17_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.6 Mobile/15E148 Safari/604.1",
}

// TestClickHouseHoldsNoPersonalData runs the standard scenario through the
// collector's real privacy pipeline into ClickHouse, then dumps every table
// of the database, as text and as raw binary rows, and looks for each
// visitor's IP address, user agent, URL query string and visitor key.
func TestClickHouseHoldsNoPersonalData(t *testing.T) {
	dsn := storetest.ClickHouseDSN(t)
	st := storetest.ClickHouseAt(t, dsn)
	db := storetest.DatabaseOf(dsn)
	ctx := context.Background()
	site, err := st.AddSite(ctx, account.Site{Domain: "example.com", Timezone: "UTC"})
	if err != nil {
		t.Fatal(err)
	}
	clock := &storetest.Clock{}
	start := time.Now().UTC().Truncate(time.Hour).Add(5 * time.Minute)
	clock.Set(start)
	agg := storetest.NewAggregator(st, clock)
	salts := aggregate.NewSalts(clock.Now)
	defer salts.Close()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	col := collector.New(collector.Config{}, st, agg, salts, nil, clock.Now, log)

	var secrets [][]byte // everything that must not be stored
	var salt [aggregate.SaltSize]byte
	salts.Copy(clock.Now(), &salt)
	secrets = append(secrets, salt[:], []byte(fmt.Sprintf("%x", salt)))
	for i, ua := range standardUAs {
		ip := netip.AddrFrom4([4]byte{203, 0, 113, byte(10 + i)})
		key := collector.VisitorKey(salt[:], site.ID, collector.Truncate(ip), ua)
		secrets = append(secrets, []byte(ip.String()), ip.AsSlice(), []byte(ua), []byte(strconv.FormatUint(key, 10)),
			[]byte(strconv.FormatInt(int64(key), 10)), []byte(fmt.Sprintf("%x", key)), []byte(fmt.Sprintf("%016X", key)),
			binary.LittleEndian.AppendUint64(nil, key), binary.BigEndian.AppendUint64(nil, key))
		for _, page := range []string{"/", "/pricing", "/docs"} {
			body := fmt.Sprintf(`{"n":"pageview","u":"https://example.com%s?utm_source=newsletter&token=s3cr3t-%d","d":"example.com","r":"","w":1280}`, page, i)
			out, err := col.Process(ctx, &collector.Request{Body: []byte(body), Peer: ip, UserAgent: ua, AcceptLanguage: "en-GB,en;q=0.8"})
			if err != nil || out != collector.Counted {
				t.Fatalf("visitor %d, %s: outcome %v, error %v", i, page, out, err)
			}
			clock.Set(clock.Now().Add(time.Minute))
		}
		// An outbound link whose URL carries a token, with an e-mail
		// address in another property: stored as the URL's host and path
		// only, the address not at all.
		body := fmt.Sprintf(`{"n":"Outbound Link: Click","u":"https://example.com/docs","d":"example.com","p":{"url":"https://partner.example/offer?token=s3cr3t-%d","who":"visitor-%d@mail.example"}}`, i, i)
		if out, err := col.Process(ctx, &collector.Request{Body: []byte(body), Peer: ip, UserAgent: ua}); err != nil || out != collector.Counted {
			t.Fatalf("visitor %d, outbound link: outcome %v, error %v", i, out, err)
		}
		secrets = append(secrets, []byte(fmt.Sprintf("visitor-%d@", i)))
	}
	secrets = append(secrets, []byte("s3cr3t"), []byte("token="), []byte("Mozilla/5.0"), []byte("203.0.113."))
	if err := agg.Close(ctx); err != nil {
		t.Fatal(err)
	}

	day := clock.Now().UTC().Format(time.DateOnly)
	got := storetest.Totals(t, st, site, storetest.Q{From: day, To: day,
		Metrics: []aggregate.Metric{aggregate.Visitors, aggregate.Visits, aggregate.Pageviews}})
	if fmt.Sprint(got) != "[10 10 30]" {
		t.Fatalf("standard scenario through the collector: visitors, visits, pageviews = %v, want 10 10 30", got)
	}

	tables := strings.Fields(string(storetest.ClickHouseQuery(t,
		"SELECT name FROM system.tables WHERE database = '"+db+"' ORDER BY name")))
	if len(tables) < 7 {
		t.Fatalf("only %d tables in %s: %v", len(tables), db, tables)
	}
	var all []byte
	for _, table := range tables {
		for _, format := range []string{"TabSeparated", "RowBinary"} {
			dump := storetest.ClickHouseQuery(t, fmt.Sprintf("SELECT * FROM %s.%s FORMAT %s", db, table, format))
			all = append(all, dump...)
			for _, s := range secrets {
				if bytes.Contains(dump, s) {
					t.Errorf("table %s (%s) contains %q", table, format, s)
				}
			}
		}
	}
	// The dump is not vacuous: it holds the aggregates.
	for _, want := range []string{"newsletter", "/pricing", "Firefox", "example.com", "https://partner.example/offer"} {
		if !bytes.Contains(all, []byte(want)) {
			t.Errorf("the dump lacks %q: the test looked at the wrong data", want)
		}
	}
	t.Logf("dumped %d tables (%d bytes), none holds an IP, user agent, query string or visitor key", len(tables), len(all))

	// The link test: every stored value is a coarse value some hit
	// carried, a time, a name of a checkpoint, or a count.
	var rows []storetest.StoredRow
	cells := 0
	for _, table := range tables {
		var dump struct {
			Meta []struct{ Name, Type string }
			Data [][]any
		}
		b := storetest.ClickHouseQuery(t, fmt.Sprintf("SELECT * FROM %s.%s FORMAT JSONCompact", db, table))
		if err := json.Unmarshal(b, &dump); err != nil {
			t.Fatalf("%s: %v", table, err)
		}
		for _, d := range dump.Data {
			r := storetest.StoredRow{Table: table}
			for i, v := range d {
				r.Cols = append(r.Cols, dump.Meta[i].Name)
				r.Vals = append(r.Vals, chValue(dump.Meta[i].Type, v))
			}
			rows = append(rows, r)
			if table == "cells" {
				cells++
			}
		}
	}
	if cells < 10 {
		t.Fatalf("only %d cell rows: the link test looked at too little", cells)
	}
	storetest.CheckUnlinked(t, rows, pipelineHits(site.ID, start, clock.Now()))

	// ClickHouse's own query log keeps every statement's text: the salt,
	// the keys and the visitors' data must not be in any.
	storetest.ClickHouseQuery(t, "SYSTEM FLUSH LOGS")
	qlog := storetest.ClickHouseQuery(t, "SELECT query FROM system.query_log FORMAT TabSeparated")
	if !bytes.Contains(qlog, []byte("INSERT INTO")) {
		t.Fatalf("the query log holds no insert (%d bytes): the test looked at the wrong log", len(qlog))
	}
	for _, s := range secrets {
		if bytes.Contains(qlog, s) {
			t.Errorf("system.query_log contains %q", s)
		}
	}
}

// chValue turns a JSONCompact value into what StoredRow holds: numbers of
// integer columns (which JSONCompact may quote) as int64, others as given.
func chValue(typ string, v any) any {
	typ = strings.TrimSuffix(strings.TrimPrefix(typ, "Nullable("), ")")
	if strings.HasPrefix(typ, "Int") || strings.HasPrefix(typ, "UInt") {
		switch n := v.(type) {
		case string:
			i, _ := strconv.ParseInt(n, 10, 64)
			return i
		case float64:
			return int64(n)
		}
	}
	if strings.HasPrefix(typ, "FixedString") || strings.HasPrefix(typ, "AggregateFunction") {
		if s, ok := v.(string); ok {
			return []byte(s)
		}
	}
	return v
}

// pipelineHits are the values the pipeline made of the test's visits, for
// the link test: what a stored value may be.
func pipelineHits(site int64, from, to time.Time) []aggregate.Hit {
	at := from
	var hits []aggregate.Hit
	for range standardUAs {
		for _, page := range []string{"/", "/pricing", "/docs"} {
			var k aggregate.Key
			k[aggregate.Hostname], k[aggregate.Page], k[aggregate.Event] = "example.com", page, aggregate.PageviewEvent
			k[aggregate.EntryPage], k[aggregate.ExitPage] = "/", "/docs"
			k[aggregate.Source], k[aggregate.UTMSource], k[aggregate.Language] = "newsletter", "newsletter", "en"
			hits = append(hits, aggregate.Hit{Site: site, Time: at, Key: k})
		}
	}
	var out aggregate.Key
	out[aggregate.Event] = "Outbound Link: Click"
	hits = append(hits, aggregate.Hit{Site: site, Time: at, Key: out,
		Props: []aggregate.Prop{{Key: "url", Value: "https://partner.example/offer"}}})
	for _, v := range []string{"Chrome", "131", "Firefox", "133", "Safari", "18.1", "18.0", "17.6", "Windows", "10",
		"macOS", "10.15", "14", "Linux", "iOS", "18", "17", "Mobile", "Desktop", "Tablet"} {
		var k aggregate.Key
		k[aggregate.Browser] = v
		hits = append(hits, aggregate.Hit{Site: site, Time: to, Key: k})
	}
	return hits
}
