package storetest_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"log/slog"
	"net/netip"
	"strconv"
	"strings"
	"testing"
	"time"

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
	site, err := st.AddSite(ctx, aggregate.Site{Domain: "example.com", Timezone: "UTC"})
	if err != nil {
		t.Fatal(err)
	}
	clock := &storetest.Clock{}
	clock.Set(time.Now().UTC().Truncate(time.Hour).Add(5 * time.Minute))
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
	if len(tables) < 8 {
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
	for _, want := range []string{"newsletter", "/pricing", "Firefox", "example.com"} {
		if !bytes.Contains(all, []byte(want)) {
			t.Errorf("the dump lacks %q: the test looked at the wrong data", want)
		}
	}
	t.Logf("dumped %d tables (%d bytes), none holds an IP, user agent, query string or visitor key", len(tables), len(all))
}
