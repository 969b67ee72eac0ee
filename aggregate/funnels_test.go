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
