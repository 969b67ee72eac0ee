package storetest

import (
	"errors"
	"fmt"
	"math"
	"regexp"
	"testing"

	"tally/account"
	"tally/aggregate"
)

// testGoals: goals are kept per site (the account rules, on this store),
// and answered from the counters already stored — so a goal added after
// the hits shows them.
func testGoals(t *testing.T, st aggregate.Store) {
	site := addSite(t, st, "example.com", "UTC")
	hits := Mixed(site.ID, day0)
	FeedAll(t, st, hits)

	svc := account.NewService(st, nil)
	for _, g := range []account.Goal{{Event: "Signup"}, {Page: "/docs/**"}, {Page: "/blog/*"}, {Page: "/nowhere"}} {
		if _, err := svc.AddGoal(bg, site, g); err != nil {
			t.Fatalf("add goal %+v: %v", g, err)
		}
	}
	if _, err := svc.AddGoal(bg, site, account.Goal{Event: "Signup"}); !errors.Is(err, account.ErrExists) {
		t.Fatalf("a second Signup goal: %v, want ErrExists", err)
	}
	for _, bad := range []account.Goal{{}, {Event: "a", Page: "/b"}, {Page: "docs"}, {Event: "pageview"}} {
		if _, err := svc.AddGoal(bg, site, bad); !errors.Is(err, account.ErrInvalid) {
			t.Errorf("goal %+v: %v, want ErrInvalid", bad, err)
		}
	}
	goals := ok(svc.Goals(bg, site))(t)
	if len(goals) != 4 || goals[1].Name() != "Visit /docs/**" {
		t.Fatalf("goals = %+v", goals)
	}

	// The oracle: an event goal's visitors are the distinct visitors of
	// its event; a pageview goal's, those of each page it matches, summed
	// over the pages (one visitor counter per page: docs/metrics.md).
	total := map[uint64]bool{}
	signupV, pageV := map[uint64]bool{}, map[string]bool{}
	want := map[string][2]float64{} // goal → visitors, events
	docs, blog := regexp.MustCompile(aggregate.PagePattern("/docs/**")), regexp.MustCompile(aggregate.PagePattern("/blog/*"))
	add := func(goal string, first bool) {
		w := want[goal]
		if first {
			w[0]++
		}
		w[1]++
		want[goal] = w
	}
	for _, h := range hits {
		total[h.Visitor] = true
		switch {
		case h.Key[aggregate.Event] == "Signup":
			add("Signup", !signupV[h.Visitor])
			signupV[h.Visitor] = true
		case h.Key[aggregate.Event] == aggregate.PageviewEvent:
			for _, g := range []struct {
				name string
				re   *regexp.Regexp
			}{{"Visit /docs/**", docs}, {"Visit /blog/*", blog}} {
				if g.re.MatchString(h.Key[aggregate.Page]) {
					id := fmt.Sprint(g.name, h.Visitor, h.Key[aggregate.Page])
					add(g.name, !pageV[id])
					pageV[id] = true
				}
			}
		}
	}
	if len(want) != 3 {
		t.Fatalf("the scenario converts %d goals, want 3 to test", len(want))
	}
	rate := func(v float64) float64 { return math.Round(10000*v/float64(len(total))) / 100 }
	q := Q{From: day0s, To: day0s, Metrics: []aggregate.Metric{aggregate.Visitors, aggregate.Events, aggregate.ConversionRate},
		Dimensions: []string{"event:goal"}}
	res := Query(t, st, site, q)
	got := map[string][3]float64{}
	for _, r := range res.Rows {
		got[r.Dimensions[0]] = [3]float64{float64(r.Metrics[0]), float64(r.Metrics[1]), float64(r.Metrics[2])}
	}
	for name, w := range want {
		if g := got[name]; g != [3]float64{w[0], w[1], rate(w[0])} {
			t.Errorf("goal %s = %v, want visitors %v, events %v, conversion rate %v", name, g, w[0], w[1], rate(w[0]))
		}
	}
	if len(got) != 3 {
		t.Errorf("goal rows = %v: the goal without conversions should have no row", got)
	}
	for i := 1; i < len(res.Rows); i++ {
		if res.Rows[i-1].Metrics[0] < res.Rows[i].Metrics[0] {
			t.Errorf("goal rows not ordered by visitors: %+v", res.Rows)
		}
	}

	// A goal as a filter, with another dimension: conversion rate against
	// all visitors, group conversion rate against the group's.
	gf, err := aggregate.NewNamedFilter(aggregate.OpIs, "event:goal", []string{"Signup"})
	if err != nil {
		t.Fatal(err)
	}
	byDevice := Query(t, st, site, Q{From: day0s, To: day0s, Filters: []aggregate.Filter{gf}, Dimensions: []string{"visit:device"},
		Metrics: []aggregate.Metric{aggregate.Visitors, aggregate.ConversionRate, aggregate.GroupConversionRate}})
	groupV, groupSignup := map[string]map[uint64]bool{}, map[string]map[uint64]bool{}
	for _, h := range hits {
		d := h.Key[aggregate.Device]
		if groupV[d] == nil {
			groupV[d], groupSignup[d] = map[uint64]bool{}, map[uint64]bool{}
		}
		groupV[d][h.Visitor] = true
		if h.Key[aggregate.Event] == "Signup" {
			groupSignup[d][h.Visitor] = true
		}
	}
	if len(byDevice.Rows) < 2 {
		t.Fatalf("Signup by device: %d rows", len(byDevice.Rows))
	}
	for _, r := range byDevice.Rows {
		d := r.Dimensions[0]
		v := float64(len(groupSignup[d]))
		wantRow := []aggregate.Number{aggregate.Number(v), aggregate.Number(rate(v)),
			aggregate.Number(math.Round(10000*v/float64(len(groupV[d]))) / 100)}
		if fmt.Sprint(r.Metrics) != fmt.Sprint(wantRow) {
			t.Errorf("Signup on %s = %v, want %v", d, r.Metrics, wantRow)
		}
	}

	// Refused with a reason, not answered wrongly.
	several, _ := aggregate.NewNamedFilter(aggregate.OpContains, "event:goal", []string{"Visit"})
	for _, bad := range []Q{
		{From: day0s, To: day0s, Metrics: []aggregate.Metric{aggregate.ConversionRate}},
		{From: day0s, To: day0s, Metrics: []aggregate.Metric{aggregate.Visitors}, Filters: []aggregate.Filter{several}},
	} {
		if _, err := aggregate.NewEngine(st, nil).Run(bg, toQuery(t, site, bad)); !errors.Is(err, aggregate.ErrInvalid) {
			t.Errorf("%+v: %v, want ErrInvalid", bad, err)
		}
	}

	// Deleting a goal (by name) removes its row; deleting the site, its goals.
	if _, err := svc.DeleteGoal(bg, site, "Visit /blog/*"); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.DeleteGoal(bg, site, "Visit /blog/*"); !errors.Is(err, account.ErrNotFound) {
		t.Errorf("deleting a deleted goal: %v, want ErrNotFound", err)
	}
	if rows := Query(t, st, site, q).Rows; len(rows) != 2 {
		t.Errorf("after deleting a goal: %+v", rows)
	}
	if err := st.DeleteSite(bg, site.ID); err != nil {
		t.Fatal(err)
	}
	if g := ok(st.Goals(bg, site.ID))(t); len(g) != 0 {
		t.Errorf("a deleted site's goals: %+v", g)
	}
}
