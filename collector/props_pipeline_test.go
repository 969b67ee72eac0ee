package collector_test

import (
	"fmt"
	"strings"
	"testing"

	"tally/account"
	"tally/aggregate"
	"tally/aggregate/storetest"
	"tally/collector"
)

// TestPropsThroughThePipeline: a property whose value or key looks like an
// e-mail address never reaches the store; each is counted in
// Counts().PropsDropped (tally_props_dropped_total); the rest of the event
// is counted.
func TestPropsThroughThePipeline(t *testing.T) {
	r := newConsentRig(t, collector.Config{}, account.Site{Domain: "example.com", Timezone: "UTC"})
	body := `{"n":"Signup","u":"https://example.com/join","d":"example.com","r":null,` +
		`"p":{"plan":"pro","who":"Ana.Lima@example.com","carol@example.net":"yes","note":"write to x@y.org please"}}`
	if out, err := r.send(t, body, false, false); err != nil || out != collector.Counted {
		t.Fatalf("%v %v", out, err)
	}
	if got := r.col.Counts().PropsDropped.Load(); got != 3 {
		t.Errorf("props dropped = %d, want 3 (two values, one key)", got)
	}
	if err := r.agg.Close(t.Context()); err != nil {
		t.Fatal(err)
	}
	site, err := r.st.Site(t.Context(), "example.com")
	if err != nil {
		t.Fatal(err)
	}
	q := storetest.ToQuery(t, site, storetest.Q{From: r.day, To: r.day, Metrics: []aggregate.Metric{aggregate.Events}})
	q.Dimensions = []aggregate.Dimension{{Name: "event:props", Dim: aggregate.PropKey}, {Name: "event:props:*", Dim: aggregate.PropValue}}
	res, err := aggregate.NewEngine(r.st, nil).Run(t.Context(), q)
	if err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(res.Rows); got != "[{[plan pro] [1]}]" {
		t.Errorf("stored properties %s, want plan=pro only", got)
	}
	for _, r := range res.Rows {
		if strings.Contains(strings.Join(r.Dimensions, " "), "@") {
			t.Errorf("an e-mail address was stored: %v", r.Dimensions)
		}
	}
}
