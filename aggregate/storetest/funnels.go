package storetest

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"tally/account"
	"tally/aggregate"
)

// FunnelHits is a scenario of a three-step funnel (Visit /pricing, then
// Signup, then Visit /welcome/**) with known drop-off: 10 visits reach
// step 1, 6 step 2, 3 step 3. Steps out of order do not count, a step
// repeated counts once, a new visit starts over, a visit counts the steps
// it completes after its start hour in that hour, and hits that carry no
// funnel (sent before the funnel was known) count nothing. defs are the
// site's compiled funnels, as the collector attaches them.
func FunnelHits(site int64, start time.Time, defs []aggregate.FunnelDef) []aggregate.Hit {
	var hits []aggregate.Hit
	add := func(v, min int, event, page string, funnels []aggregate.FunnelDef) {
		var k aggregate.Key
		k[aggregate.Hostname], k[aggregate.Page], k[aggregate.Event] = "example.com", page, event
		at := start.Add(time.Duration(min) * time.Minute)
		h := aggregate.Hit{Site: site, Time: at, Visitor: VisitorKey(v, start), Key: k, Funnels: funnels}
		if v == 0 {
			h.Visitor = 0
		}
		hits = append(hits, h)
	}
	pv, signup := aggregate.PageviewEvent, "Signup"
	for v := 1; v <= 2; v++ { // all three steps, other pages between
		add(v, v, pv, "/", defs)
		add(v, v+1, pv, "/pricing", defs)
		add(v, v+2, pv, "/about", defs)
		add(v, v+3, signup, "/pricing", defs)
		add(v, v+4, pv, "/welcome/tour", defs)
	}
	// A third starts at 10:50 and finishes after the next hour began (and
	// a checkpoint ran): its steps count in 10:00, with the others.
	add(30, 50, pv, "/pricing", defs)
	add(30, 55, signup, "/pricing", defs)
	add(30, 65, pv, "/welcome/a/b", defs)
	for v := 4; v <= 5; v++ { // two steps
		add(v, 10+v, pv, "/pricing", defs)
		add(v, 11+v, signup, "/pricing", defs)
		add(v, 12+v, signup, "/pricing", defs) // a second signup counts no more
	}
	add(6, 20, pv, "/pricing", defs) // two steps, the step-1 page twice
	add(6, 21, pv, "/pricing", defs)
	add(6, 22, signup, "/pricing", defs)
	add(7, 25, pv, "/pricing", defs) // step 1 only
	add(7, 26, pv, "/welcome/x", defs)
	add(8, 27, pv, "/pricing", defs)
	add(9, 28, signup, "/", defs) // out of order: step 1 only, at the end
	add(9, 29, pv, "/welcome/x", defs)
	add(9, 30, pv, "/pricing", defs)
	add(10, 0, pv, "/pricing", defs) // step 1, then a new visit (31 min later)
	add(10, 31, signup, "/pricing", defs)
	add(10, 32, pv, "/welcome/x", defs)
	add(11, 33, pv, "/pricing", nil) // before the funnel was known …
	add(11, 34, signup, "/pricing", defs)
	add(11, 35, pv, "/welcome/x", defs) // … so nothing of it counts
	add(12, 36, pv, "/signup", defs)    // a page named like the event is no signup
	add(12, 37, pv, "/pricing/", defs)  // nor is another page step 1
	add(0, 38, pv, "/pricing", defs)    // an anonymous hit has no visit
	return hits
}

// testFunnels: the account rules for funnels on this store, and a
// funnel's steps counted at ingest, stored and summed by the store.
func testFunnels(t *testing.T, st aggregate.Store) {
	site := addSite(t, st, "example.com", "UTC")
	svc := account.NewService(st, nil)
	for _, g := range []account.Goal{{Page: "/pricing"}, {Event: "Signup"}, {Page: "/welcome/**"}, {Event: "Unused"}} {
		if _, err := svc.AddGoal(bg, site, g); err != nil {
			t.Fatalf("add goal %+v: %v", g, err)
		}
	}
	goals := ok(svc.Goals(bg, site))(t)
	steps := []string{"Visit /pricing", "Signup", fmt.Sprint(goals[2].ID)} // by name or id
	f := ok(svc.AddFunnel(bg, site, "Signup flow", steps))(t)
	if f.ID == 0 || len(f.Steps) != 3 || f.Steps[1] != goals[1].ID || f.Created.IsZero() {
		t.Fatalf("added funnel %+v", f)
	}
	for _, bad := range [][]string{{"Signup"}, {"Signup", "Nope"}, {"Signup", "Signup"}, {"1", "2", "3", "4", "5", "6", "7", "8", "9"}} {
		if _, err := svc.AddFunnel(bg, site, "bad", bad); !errors.Is(err, account.ErrInvalid) {
			t.Errorf("funnel of steps %q: %v, want ErrInvalid", bad, err)
		}
	}
	if _, err := svc.AddFunnel(bg, site, "", steps); !errors.Is(err, account.ErrInvalid) {
		t.Errorf("funnel without a name: %v, want ErrInvalid", err)
	}
	if _, err := svc.AddFunnel(bg, site, "Signup flow", steps[:2]); !errors.Is(err, account.ErrExists) {
		t.Errorf("a second funnel named Signup flow: %v, want ErrExists", err)
	}
	other := ok(svc.AddFunnel(bg, site, "Back again", []string{"Signup", "Visit /pricing", "Signup"}))(t)
	if _, err := svc.DeleteGoal(bg, site, "Signup"); !errors.Is(err, account.ErrForbidden) {
		t.Errorf("deleting a goal that funnels use: %v, want ErrForbidden", err)
	}
	funnels := ok(svc.Funnels(bg, site))(t)
	if len(funnels) != 2 || funnels[0].ID != f.ID || funnels[1].Name != "Back again" || fmt.Sprint(funnels[0].Steps) != fmt.Sprint(f.Steps) {
		t.Fatalf("funnels = %+v", funnels)
	}
	if got := ok(svc.DeleteFunnel(bg, site, "Back again"))(t); got.ID != other.ID {
		t.Fatalf("deleted funnel %+v, want %+v", got, other)
	}
	if _, err := svc.DeleteFunnel(bg, site, "Back again"); !errors.Is(err, account.ErrNotFound) {
		t.Errorf("deleting a deleted funnel: %v, want ErrNotFound", err)
	}
	if _, err := svc.DeleteGoal(bg, site, "Unused"); err != nil {
		t.Errorf("deleting a goal no funnel uses: %v", err)
	}
	goals = ok(svc.Goals(bg, site))(t)
	funnels = ok(svc.Funnels(bg, site))(t)

	defs := aggregate.CompileFunnels(funnels, goals)
	FeedAll(t, st, FunnelHits(site.ID, day0.Add(10*time.Hour), defs))
	got := funnelOf(t, st, site, day0, day0, f, goals)
	want := "Visit /pricing 10 0 0 100 | Signup 6 4 40 60 | Visit /welcome/** 3 3 50 30"
	if got != want {
		t.Errorf("funnel on its day:\n got %s\nwant %s", got, want)
	}
	if got := funnelOf(t, st, site, day0.AddDate(0, 0, 1), day0.AddDate(0, 0, 1), f, goals); got != "Visit /pricing 0 0 0 0 | Signup 0 0 0 0 | Visit /welcome/** 0 0 0 0" {
		t.Errorf("funnel on the next day: %s", got)
	}

	if err := st.DeleteSite(bg, site.ID); err != nil {
		t.Fatal(err)
	}
	if n := len(ok(st.Funnels(bg, site.ID))(t)); n != 0 {
		t.Errorf("a deleted site keeps %d funnels", n)
	}
	if got := funnelOf(t, st, site, day0, day0, f, goals); got != "Visit /pricing 0 0 0 0 | Signup 0 0 0 0 | Visit /welcome/** 0 0 0 0" {
		t.Errorf("a deleted site's funnel counts: %s", got)
	}
}

// funnelOf answers funnel f over from … to as "goal visits drop-off
// drop-off% conversion%" per step.
func funnelOf(t *testing.T, st aggregate.Store, site account.Site, from, to time.Time, f account.Funnel, goals []account.Goal) string {
	t.Helper()
	res := ok(aggregate.NewEngine(st, nil).Funnel(bg, site, from, to, f, goals))(t)
	var out string
	for i, s := range res.Steps {
		if i > 0 {
			out += " | "
		}
		out += fmt.Sprintf("%s %d %d %g %g", s.Goal, s.Visits, s.DropOff, s.DropOffRate, s.Conversion)
	}
	return out
}
