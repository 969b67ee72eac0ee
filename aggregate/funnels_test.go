package aggregate_test

import (
	"testing"

	"tally/account"
	"tally/aggregate"
	"tally/aggregate/storetest"
)

// A crash keeps the funnel counts committed to the journal, like every
// other count: the next start stores them, once.
func TestJournalKeepsFunnelCounts(t *testing.T) {
	r := newJournalRig(t)
	svc := account.NewService(r.store, nil)
	for _, g := range []account.Goal{{Page: "/pricing"}, {Event: "Signup"}, {Page: "/welcome/**"}} {
		if _, err := svc.AddGoal(r.ctx, r.site, g); err != nil {
			t.Fatal(err)
		}
	}
	f, err := svc.AddFunnel(r.ctx, r.site, "Signup flow", []string{"Visit /pricing", "Signup", "Visit /welcome/**"})
	if err != nil {
		t.Fatal(err)
	}
	goals, _ := svc.Goals(r.ctx, r.site)
	defs := aggregate.CompileFunnels([]account.Funnel{f}, goals)

	agg := r.run(r.store)
	for _, h := range storetest.FunnelHits(r.site.ID, r.start, defs) {
		for !agg.Add(h) {
			agg.Sync(r.ctx)
		}
	}
	if err := agg.Sync(r.ctx); err != nil {
		t.Fatal(err)
	}
	agg.CommitJournal()
	agg.Crash()

	steps := func() []int64 {
		res, err := aggregate.NewEngine(r.store, nil).Funnel(r.ctx, r.site, r.start, r.start, f, goals)
		if err != nil {
			t.Fatal(err)
		}
		var out []int64
		for _, s := range res.Steps {
			out = append(out, s.Visits)
		}
		return out
	}
	if got := steps(); got[0] != 0 {
		t.Fatalf("funnel stored before the restart: %v", got)
	}
	for range 2 { // a second start finds nothing more to replay
		agg = r.run(r.store)
		if err := agg.Recover(r.ctx); err != nil {
			t.Fatal(err)
		}
		if err := agg.Close(r.ctx); err != nil {
			t.Fatal(err)
		}
		if got := steps(); len(got) != 3 || got[0] != 10 || got[1] != 6 || got[2] != 3 {
			t.Fatalf("funnel after the replay: %v, want [10 6 3]", got)
		}
	}
}

// A visit whose site's funnels change many times keeps its progress in
// the funnels that remain: step 1 is never counted twice.
func TestFunnelProgressOutlivesDeletedFunnels(t *testing.T) {
	r := newJournalRig(t)
	agg := r.run(r.store)
	defer agg.Close(r.ctx)
	pricing := aggregate.FunnelDef{ID: 1, Steps: []aggregate.FunnelStep{{Event: "A"}, {Event: "B"}}}
	hit := func(event string, defs []aggregate.FunnelDef) {
		var k aggregate.Key
		k[aggregate.Hostname], k[aggregate.Page], k[aggregate.Event] = "example.com", "/", event
		agg.Add(aggregate.Hit{Site: r.site.ID, Time: r.clock.Now(), Visitor: 7, Key: k, Funnels: defs})
	}
	hit("A", []aggregate.FunnelDef{pricing})
	// 50 funnels come and go (each defined, then deleted), then A again.
	for i := range 50 {
		hit("x", []aggregate.FunnelDef{pricing, {ID: int64(100 + i), Steps: pricing.Steps}})
	}
	hit("A", []aggregate.FunnelDef{pricing})
	hit("B", []aggregate.FunnelDef{pricing})
	res, err := aggregate.NewEngine(r.store, agg).Funnel(r.ctx, r.site, r.start, r.start, account.Funnel{ID: 1, Steps: []int64{1, 2}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Steps) != 2 || res.Steps[0].Visits != 1 || res.Steps[1].Visits != 1 {
		t.Errorf("funnel = %+v, want one visit at each step", res.Steps)
	}
}
