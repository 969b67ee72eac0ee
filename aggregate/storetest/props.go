package storetest

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"tally/aggregate"
)

// propOracle counts, from the hits themselves, what a breakdown of one
// property key answers: per value, events and distinct visitors of the day
// (keep selects the hits counted).
func propOracle(hits []aggregate.Hit, key string, keep func(*aggregate.Hit, aggregate.Prop) bool) (events, visitors map[string]float64) {
	events, visitors = map[string]float64{}, map[string]float64{}
	seen := map[string]bool{}
	for i := range hits {
		h := &hits[i]
		for _, p := range h.Props {
			if p.Key != key || !keep(h, p) {
				continue
			}
			events[p.Value]++
			id := p.Value + "\x00" + h.Time.UTC().Format(time.DateOnly) + "\x00" + fmt.Sprint(h.Visitor)
			if !seen[id] {
				seen[id] = true
				visitors[p.Value]++
			}
		}
	}
	return events, visitors
}

func anyHit(*aggregate.Hit, aggregate.Prop) bool { return true }

func testProps(t *testing.T, st aggregate.Store) {
	site := addSite(t, st, "example.com", "UTC")
	hits := Mixed(site.ID, day0)
	FeedAll(t, st, hits)
	byPlan := Q{From: day0s, To: day0s, Metrics: []aggregate.Metric{aggregate.Events}, Dimensions: []string{"event:props:plan"}}
	wantEvents, wantVisitors := propOracle(hits, "plan", anyHit)
	if len(wantEvents) < 3 {
		t.Fatalf("the scenario has %d plans: too little to test", len(wantEvents))
	}
	wantBreakdown(t, "events by plan", Breakdown(t, st, site, byPlan), wantEvents)
	byPlan.Metrics = []aggregate.Metric{aggregate.Visitors, aggregate.Events}
	wantBreakdown(t, "visitors by plan", Breakdown(t, st, site, byPlan), wantVisitors)
	if !exact(site, byPlan) {
		t.Errorf("visitors by plan should be exact")
	}

	// One event's property: its own visitor counter.
	signup := MustFilter(t, aggregate.OpIs, aggregate.Event, "Signup")
	byPlan.Filters = []aggregate.Filter{signup}
	_, wantVisitors = propOracle(hits, "plan", func(h *aggregate.Hit, _ aggregate.Prop) bool { return h.Key[aggregate.Event] == "Signup" })
	wantBreakdown(t, "Signup visitors by plan", Breakdown(t, st, site, byPlan), wantVisitors)

	// A filter on a property value, with the event names broken down.
	pro := MustFilter(t, aggregate.OpIs, aggregate.PropValue, "pro")
	pro.Prop = "plan"
	byEvent := Q{From: day0s, To: day0s, Metrics: []aggregate.Metric{aggregate.Events}, Dimensions: []string{"event:name"},
		Filters: []aggregate.Filter{pro}}
	want := map[string]float64{}
	for _, h := range hits {
		for _, p := range h.Props {
			if p == (aggregate.Prop{Key: "plan", Value: "pro"}) {
				want[h.Key[aggregate.Event]]++
			}
		}
	}
	wantBreakdown(t, "events with plan=pro by name", Breakdown(t, st, site, byEvent), want)

	// Every property of one event, by key and value (the dashboard's
	// events panel, once an event is picked).
	q := toQuery(t, site, Q{From: day0s, To: day0s, Metrics: []aggregate.Metric{aggregate.Events}, Filters: []aggregate.Filter{
		MustFilter(t, aggregate.OpIs, aggregate.Event, "Download")}})
	q.Dimensions = []aggregate.Dimension{{Name: "event:props", Dim: aggregate.PropKey}, {Name: "event:props:*", Dim: aggregate.PropValue}}
	res, err := aggregate.NewEngine(st, nil).Run(bg, q)
	if err != nil {
		t.Fatal(err)
	}
	want = map[string]float64{}
	for _, h := range hits {
		for _, p := range h.Props {
			if h.Key[aggregate.Event] == "Download" {
				want[p.Key+"|"+p.Value]++
			}
		}
	}
	gotKV := map[string]float64{}
	for _, r := range res.Rows {
		gotKV[r.Dimensions[0]+"|"+r.Dimensions[1]] = float64(r.Metrics[0])
	}
	wantBreakdown(t, "Download events by property", gotKV, want)

	// Patterns match property values like any other (the file URLs).
	pdf := MustFilter(t, aggregate.OpContains, aggregate.PropValue, "guide-1")
	pdf.Prop = "url"
	wantEvents, _ = propOracle(hits, "url", func(_ *aggregate.Hit, p aggregate.Prop) bool { return p.Value[len(p.Value)-5] == '1' })
	byURL := Q{From: day0s, To: day0s, Metrics: []aggregate.Metric{aggregate.Events}, Dimensions: []string{"event:props:url"},
		Filters: []aggregate.Filter{pdf}}
	wantBreakdown(t, "downloads of guide-1", Breakdown(t, st, site, byURL), wantEvents)

	// Properties are counted per event name only: anything else is refused
	// with a reason, not answered wrongly.
	for _, q := range []Q{
		{From: day0s, To: day0s, Metrics: []aggregate.Metric{aggregate.Visitors}, Dimensions: []string{"event:props:plan", "visit:country"}},
		{From: day0s, To: day0s, Metrics: []aggregate.Metric{aggregate.Visits}, Dimensions: []string{"event:props:plan"}},
		{From: day0s, To: day0s, Metrics: []aggregate.Metric{aggregate.Events}, Dimensions: []string{"event:props:plan", "event:props:url"}},
	} {
		_, err := aggregate.NewEngine(st, nil).Run(bg, toQuery(t, site, q))
		if !errors.Is(err, aggregate.ErrInvalid) {
			t.Errorf("%v: got %v, want ErrInvalid", q.Dimensions, err)
		}
	}

	testPropCombinations(t, st, site, hits)

	// A batch of property cells is stored once, like any batch.
	other := addSite(t, st, "other.example", "UTC")
	c := aggregate.Cell{Site: other.ID, Hour: day0.Add(5 * time.Hour), Key: aggregate.PropCellKey("Signup", "plan", "välue 'x'"),
		Counters: aggregate.Counters{Events: 2}}
	c.Uniques[aggregate.UVisitor], c.Uniques[aggregate.UniqueOf(aggregate.Event)] = 1, 1
	write(t, st, "p", 1, c)
	write(t, st, "p", 1, c)
	got := Breakdown(t, st, other, byPlan)
	wantBreakdown(t, "a property batch written twice", got, map[string]float64{"välue 'x'": 1})

	// Deletion and retention (of whole months on ClickHouse) cover
	// property counts.
	if err := st.DeleteSite(bg, site.ID); err != nil {
		t.Fatal(err)
	}
	byPlan.Filters = nil
	if got := Breakdown(t, st, site, byPlan); len(got) != 0 {
		t.Errorf("a deleted site's properties: %v", got)
	}
	wantBreakdown(t, "the other site's, after the deletion", Breakdown(t, st, other, byPlan), map[string]float64{"välue 'x'": 1})
	if err := st.DropBefore(bg, time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)); err != nil {
		t.Fatal(err)
	}
	if got := Breakdown(t, st, other, byPlan); len(got) != 0 {
		t.Errorf("properties after retention: %v", got)
	}
}
