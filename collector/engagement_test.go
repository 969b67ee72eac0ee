package collector_test

import (
	"fmt"
	"testing"
	"time"

	"tally/account"
	"tally/aggregate"
	"tally/aggregate/storetest"
	"tally/collector"
)

func TestParseEngagement(t *testing.T) {
	for _, c := range []struct {
		body   string
		sd     int
		ms     int64
		errors bool
	}{
		{`{"n":"engagement","u":"https://example.com/a","d":"example.com","sd":62.4,"e":3120}`, 62, 3120, false},
		{`{"n":"engagement","u":"https://example.com/a","d":"example.com","sd":150,"e":-5}`, 100, 0, false},
		{`{"n":"engagement","u":"https://example.com/a","d":"example.com","e":99999999999}`, -1, 30 * 60 * 1000, false},
		{`{"n":"engagement","u":"https://example.com/a","d":"example.com","sd":"deep"}`, 0, 0, true},
		{`{"n":"pageview","u":"https://example.com/a","d":"example.com","sd":50,"e":10}`, -1, 0, false}, // only engagement reads them
	} {
		ev, err := collector.ParseEvent([]byte(c.body))
		if (err != nil) != c.errors || (err == nil && (ev.ScrollDepth != c.sd || ev.Engaged != c.ms)) {
			t.Errorf("%s: sd %d, e %d, err %v; want %d, %d, error %v", c.body, ev.ScrollDepth, ev.Engaged, err, c.sd, c.ms, c.errors)
		}
	}
}

// Plausible's current script and tally's report engagement the same way;
// through the whole pipeline it is counted as engagement only, never as a
// pageview or an event.
func TestEngagementThroughThePipeline(t *testing.T) {
	r := newConsentRig(t, collector.Config{}, account.Site{Domain: "example.com", Timezone: "UTC"})
	for _, body := range []string{
		`{"n":"pageview","u":"https://example.com/post","d":"example.com","r":null,"w":1280}`,
		`{"n":"engagement","u":"https://example.com/post","d":"example.com","r":null,"sd":45,"e":2500}`,
		`{"n":"engagement","u":"https://example.com/post","d":"example.com","r":null,"sd":70,"e":1500,"h":0}`,
	} {
		if out, err := r.send(t, body, false, false); err != nil || out != collector.Counted {
			t.Fatalf("%s: %v %v", body, out, err)
		}
		r.clock.Set(r.clock.Now().Add(10 * time.Second))
	}
	if err := r.agg.Close(t.Context()); err != nil {
		t.Fatal(err)
	}
	site, err := r.st.Site(t.Context(), "example.com")
	if err != nil {
		t.Fatal(err)
	}
	got := storetest.Totals(t, r.st, site, storetest.Q{From: r.day, To: r.day,
		Metrics: []aggregate.Metric{aggregate.Pageviews, aggregate.Events, aggregate.ScrollDepth, aggregate.TimeOnPage}})
	if fmt.Sprint(got) != "[1 1 70 4]" {
		t.Errorf("pageviews, events, scroll depth, time on page = %v, want [1 1 70 4]", got)
	}
}
