package storetest

import (
	"errors"
	"fmt"
	"math"
	"regexp"
	"strings"
	"testing"
	"time"

	"tally/account"
	"tally/aggregate"
)

// testPropCombinations: a property filter combines with time, with event
// names and with custom-event goals; conversion rates divide by the
// visitors without the goal and property filters (Plausible's
// definition); what the property counters cannot answer is refused with
// the reason, never answered with another number. hits are Mixed's, on
// site, which has no goals yet.
func testPropCombinations(t *testing.T, st aggregate.Store, site account.Site, hits []aggregate.Hit) {
	svc := account.NewService(st, nil)
	for _, g := range []account.Goal{{Event: "Signup"}, {Page: "/docs/**"}} {
		if _, err := svc.AddGoal(bg, site, g); err != nil {
			t.Fatal(err)
		}
	}
	plan := func(op string, values ...string) aggregate.Filter {
		f := MustFilter(t, op, aggregate.PropValue, values...)
		f.Prop = "plan"
		return f
	}
	goal := func(name string) aggregate.Filter {
		f, err := aggregate.NewNamedFilter(aggregate.OpIs, aggregate.GoalDimName, []string{name})
		if err != nil {
			t.Fatal(err)
		}
		return f
	}
	signup := func(h *aggregate.Hit) bool { return h.Key[aggregate.Event] == "Signup" }
	anyEvent := func(*aggregate.Hit) bool { return true }
	// The oracle, from the hits: per group, the events whose plan passes
	// keepPlan, and their visitors — once a day per plan value (and per
	// event name where perEvent), as the first-occurrence counters count.
	type tally struct{ events, visitors float64 }
	oracle := func(keepHit func(*aggregate.Hit) bool, keepPlan func(string) bool, perEvent bool, group func(*aggregate.Hit) string) map[string]tally {
		out, seen := map[string]tally{}, map[string]bool{}
		for i := range hits {
			h := &hits[i]
			for _, p := range h.Props {
				if p.Key != "plan" || !keepHit(h) || !keepPlan(p.Value) {
					continue
				}
				g := group(h)
				c := out[g]
				c.events++
				id := fmt.Sprint(h.Time.UTC().Format(time.DateOnly), h.Visitor, p.Value)
				if perEvent {
					id += h.Key[aggregate.Event]
				}
				if !seen[g+"\x00"+id] {
					seen[g+"\x00"+id] = true
					c.visitors++
				}
				out[g] = c
			}
		}
		return out
	}
	rows := func(res aggregate.Result) map[string]tally {
		out := map[string]tally{}
		for _, r := range res.Rows {
			key := ""
			if len(r.Dimensions) > 0 {
				key = r.Dimensions[0]
			}
			out[key] = tally{events: float64(r.Metrics[1]), visitors: float64(r.Metrics[0])}
		}
		return out
	}
	same := func(what string, got, want map[string]tally) {
		t.Helper()
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("%s: got %v, want %v (events, visitors)", what, got, want)
		}
	}
	is := func(v string) func(string) bool { return func(p string) bool { return p == v } }
	whole := func(*aggregate.Hit) string { return "" }
	hour := func(h *aggregate.Hit) string { return h.Time.UTC().Truncate(time.Hour).Format(time.DateTime) }
	ve := []aggregate.Metric{aggregate.Visitors, aggregate.Events}

	// With time: events per hour, visitors per day.
	byHour := Query(t, st, site, Q{From: day0s, To: day0s, Metrics: ve, Dimensions: []string{"time:hour"}, Filters: []aggregate.Filter{plan(aggregate.OpIs, "pro")}})
	gotEvents, wantEvents := map[string]float64{}, map[string]float64{}
	for k, c := range rows(byHour) {
		gotEvents[k] = c.events
	}
	for k, c := range oracle(anyEvent, is("pro"), false, hour) {
		wantEvents[k] = c.events
	}
	wantBreakdown(t, "plan=pro events by hour", gotEvents, wantEvents)
	byDay := Query(t, st, site, Q{From: day0s, To: day0s, Metrics: ve, Dimensions: []string{"time:day"}, Filters: []aggregate.Filter{plan(aggregate.OpIs, "pro")}})
	same("plan=pro by day", rows(byDay), oracle(anyEvent, is("pro"), false, func(h *aggregate.Hit) string { return h.Time.UTC().Format(time.DateOnly) }))

	// With the event name; is_not keeps the events that carry the key with
	// another value (events without it are not counted per property).
	name := MustFilter(t, aggregate.OpIs, aggregate.Event, "Signup")
	notPro := Query(t, st, site, Q{From: day0s, To: day0s, Metrics: ve, Filters: []aggregate.Filter{name, plan(aggregate.OpIsNot, "pro")}})
	same("Signup with plan≠pro", rows(notPro), oracle(signup, func(p string) bool { return p != "pro" }, true, whole))

	// With a custom-event goal: its conversions with the property, and the
	// conversion rate against every visitor the other filters keep.
	var allVisitors float64
	for _, c := range Totals(t, st, site, Q{From: day0s, To: day0s, Metrics: []aggregate.Metric{aggregate.Visitors}}) {
		allVisitors = c
	}
	rate := func(n, of float64) float64 { return math.Round(10000*n/of) / 100 }
	res := Query(t, st, site, Q{From: day0s, To: day0s, Metrics: []aggregate.Metric{aggregate.Visitors, aggregate.Events, aggregate.ConversionRate},
		Filters: []aggregate.Filter{goal("Signup"), plan(aggregate.OpIs, "pro")}})
	want := oracle(signup, is("pro"), true, whole)[""]
	if len(res.Rows) != 1 || fmt.Sprint(res.Rows[0].Metrics) != fmt.Sprint([]float64{want.visitors, want.events, rate(want.visitors, allVisitors)}) {
		t.Errorf("goal Signup, plan=pro: %+v, want visitors %v, events %v, conversion rate %v of %v visitors",
			res.Rows, want.visitors, want.events, rate(want.visitors, allVisitors), allVisitors)
	}
	if want.visitors == 0 || want.visitors == allVisitors {
		t.Fatalf("the scenario has %v of %v visitors signing up on pro: too few to test", want.visitors, allVisitors)
	}

	// A pattern on the property, the goal as a dimension, by day.
	proOrTeam := regexp.MustCompile(`^(pro|team)$`)
	res = Query(t, st, site, Q{From: day0s, To: day0s, Metrics: []aggregate.Metric{aggregate.Visitors, aggregate.Events, aggregate.ConversionRate},
		Dimensions: []string{"event:goal", "time:day"}, Filters: []aggregate.Filter{goal("Signup"), plan(aggregate.OpMatches, proOrTeam.String())}})
	want = oracle(signup, proOrTeam.MatchString, true, whole)[""]
	if len(res.Rows) != 1 || fmt.Sprint(res.Rows[0].Dimensions, res.Rows[0].Metrics) != fmt.Sprint([]string{"Signup", day0s}, []float64{want.visitors, want.events, rate(want.visitors, allVisitors)}) {
		t.Errorf("goal Signup by day, plan matches %s: %+v, want visitors %v, events %v", proOrTeam, res.Rows, want.visitors, want.events)
	}

	// Group conversion rate by the property: the group is every visitor
	// with that value, whatever their event.
	res = Query(t, st, site, Q{From: day0s, To: day0s, Metrics: []aggregate.Metric{aggregate.Visitors, aggregate.GroupConversionRate},
		Dimensions: []string{"event:props:plan"}, Filters: []aggregate.Filter{goal("Signup")}})
	for _, r := range res.Rows {
		v := r.Dimensions[0]
		num := oracle(signup, is(v), true, whole)[""].visitors
		of := oracle(anyEvent, is(v), false, whole)[""].visitors
		if fmt.Sprint(r.Metrics) != fmt.Sprint([]float64{num, rate(num, of)}) {
			t.Errorf("Signup, plan %s: %v, want visitors %v, group conversion rate %v (of %v)", v, r.Metrics, num, rate(num, of), of)
		}
	}
	if len(res.Rows) != 3 {
		t.Errorf("Signup by plan: %d rows, want 3", len(res.Rows))
	}

	// Refused with the reason.
	country := MustFilter(t, aggregate.OpIs, aggregate.Country, "DE")
	for _, c := range []struct {
		q       Q
		mention string
	}{
		{Q{Metrics: ve, Filters: []aggregate.Filter{goal("Visit /docs/**"), plan(aggregate.OpIs, "pro")}}, "pageview goal"},
		{Q{Metrics: ve, Dimensions: []string{"event:goal"}, Filters: []aggregate.Filter{plan(aggregate.OpIs, "pro")}}, "pageview goal"},
		{Q{Metrics: ve, Filters: []aggregate.Filter{goal("Signup"), country, plan(aggregate.OpIs, "pro")}}, "per event name"},
		{Q{Metrics: []aggregate.Metric{aggregate.BounceRate}, Filters: []aggregate.Filter{plan(aggregate.OpIs, "pro")}}, "not visits"},
		{Q{Metrics: ve, Dimensions: []string{"event:page"}, Filters: []aggregate.Filter{plan(aggregate.OpIs, "pro")}}, "per event name"},
	} {
		c.q.From, c.q.To = day0s, day0s
		_, err := aggregate.NewEngine(st, nil).Run(bg, toQuery(t, site, c.q))
		if !errors.Is(err, aggregate.ErrInvalid) || !strings.Contains(err.Error(), c.mention) {
			t.Errorf("%+v: got %v, want ErrInvalid mentioning %q", c.q, err, c.mention)
		}
	}
}
