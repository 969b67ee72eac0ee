package aggregate_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"tally/aggregate"
)

func TestLive(t *testing.T) {
	f := newFixture(t, time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC), "UTC")
	sync := func() {
		if err := f.agg.Sync(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	// 10:00 two visitors; 10:01 one of them twice; 10:25 a third, from
	// Google in Germany; 10:31 the first again.
	f.at("2026-11-20T10:00:10Z")
	f.hit(1, "pageview", "/a", nil)
	f.hit(2, "pageview", "/a", nil)
	f.at("2026-11-20T10:01:10Z")
	f.hit(1, "pageview", "/b", nil)
	f.hit(1, "Signup", "/b", nil)
	f.at("2026-11-20T10:25:00Z")
	f.hit(3, "pageview", "/c", map[aggregate.Dim]string{aggregate.Source: "Google", aggregate.Country: "DE"})
	f.at("2026-11-20T10:29:30Z")
	f.hit(1, "pageview", "/d", nil)
	sync()

	live := f.agg.Live(f.site.ID, 5*time.Minute)
	if len(live.Minutes) != aggregate.LiveMinutes || !live.Minutes[aggregate.LiveMinutes-1].At.Equal(time.Date(2026, 11, 20, 10, 29, 0, 0, time.UTC)) {
		t.Fatalf("minutes: %d, last at %v", len(live.Minutes), live.Minutes[len(live.Minutes)-1].At)
	}
	got := map[string]string{}
	for _, m := range live.Minutes {
		if m.Visitors+m.Pageviews > 0 {
			got[m.At.Format("15:04")] = fmt.Sprintf("%d/%d", m.Visitors, m.Pageviews)
		}
	}
	want := map[string]string{"10:00": "2/2", "10:01": "1/1", "10:25": "1/1", "10:29": "1/1"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("visitors/pageviews per minute: %v, want %v", got, want)
	}
	if live.Current != 2 || fmt.Sprint(live.Pages) != "[{/c 1} {/d 1}]" ||
		fmt.Sprint(live.Sources) != "[{Direct / None 1} {Google 1}]" || fmt.Sprint(live.Countries) != "[{(not set) 1} {DE 1}]" {
		t.Errorf("current: %d %v %v %v", live.Current, live.Pages, live.Sources, live.Countries)
	}

	// Half an hour on, 10:00 and 10:01 have left the window.
	f.at("2026-11-20T10:31:00Z")
	f.hit(2, "pageview", "/e", nil)
	sync()
	live = f.agg.Live(f.site.ID, 5*time.Minute)
	for _, m := range live.Minutes {
		if m.At.Before(time.Date(2026, 11, 20, 10, 2, 0, 0, time.UTC)) {
			t.Errorf("minute %v is older than the window", m.At)
		}
	}
	if n := live.Minutes[aggregate.LiveMinutes-1]; n.Visitors != 1 {
		t.Errorf("10:31: %+v", n)
	}
	// Another site sees none of it.
	if other := f.agg.Live(f.site.ID+1, 5*time.Minute); other.Current != 0 || len(other.Pages) != 0 {
		t.Errorf("another site: %+v", other)
	}
}

// TestLiveSurvivesRestart: a clean stop keeps the realtime view, as
// counts, in the spill folder; the next start shows the same minutes and
// current visitors, lets them age out, and adds the new ones.
func TestLiveSurvivesRestart(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC), "UTC")
	spill := t.TempDir()
	start := func() {
		f.agg = aggregate.New(aggregate.Config{Checkpoint: time.Hour, SpillDir: spill}, f.store, f.clock.Now, quiet)
	}
	if err := f.agg.Close(ctx); err != nil {
		t.Fatal(err)
	}
	start()
	f.at("2026-11-20T10:00:10Z")
	f.hit(1, "pageview", "/a", nil)
	f.hit(2, "pageview", "/a", map[aggregate.Dim]string{aggregate.Source: "Google", aggregate.Country: "DE"})
	f.at("2026-11-20T10:02:10Z")
	f.hit(1, "pageview", "/b", nil)
	if err := f.agg.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	before := f.agg.Live(f.site.ID, 5*time.Minute)
	if before.Current != 2 {
		t.Fatalf("before the restart: %d current visitors, want 2", before.Current)
	}
	if err := f.agg.Close(ctx); err != nil {
		t.Fatal(err)
	}
	f.at("2026-11-20T10:03:00Z")
	start()
	if _, err := os.Stat(filepath.Join(spill, aggregate.LiveFile)); !os.IsNotExist(err) {
		t.Errorf("the snapshot is still there after it was read: %v", err)
	}
	after := f.agg.Live(f.site.ID, 5*time.Minute)
	if n := f.agg.Realtime(f.site.ID, f.clock.Now().Add(-5*time.Minute)); n != 2 {
		t.Errorf("the live count after the restart: %d, want 2", n)
	}
	// The same minutes (the window moved by one) and the same visitors.
	if fmt.Sprint(after.Minutes[len(after.Minutes)-4:len(after.Minutes)-1]) != fmt.Sprint(before.Minutes[len(before.Minutes)-3:]) ||
		after.Current != 2 || fmt.Sprint(after.Pages) != fmt.Sprint(before.Pages) ||
		fmt.Sprint(after.Sources) != fmt.Sprint(before.Sources) || fmt.Sprint(after.Countries) != fmt.Sprint(before.Countries) {
		t.Errorf("after the restart:\n%+v\nbefore:\n%+v", after, before)
	}
	// 10:06:30: visitor 2 (last seen in minute 10:00, which ended more
	// than five minutes ago) is no longer current, 1 is; a new visitor
	// joins them.
	f.at("2026-11-20T10:06:30Z")
	f.hit(3, "pageview", "/c", nil)
	if err := f.agg.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	later := f.agg.Live(f.site.ID, 5*time.Minute)
	if later.Current != 2 || fmt.Sprint(later.Pages) != "[{/b 1} {/c 1}]" || fmt.Sprint(later.Countries) != "[{(not set) 2}]" {
		t.Errorf("at 10:06:30: %d current, pages %v, countries %v", later.Current, later.Pages, later.Countries)
	}
	// A second restart keeps what the first restored.
	if err := f.agg.Close(ctx); err != nil {
		t.Fatal(err)
	}
	start()
	again := f.agg.Live(f.site.ID, 5*time.Minute)
	if fmt.Sprint(again) != fmt.Sprint(later) {
		t.Errorf("after a second restart:\n%+v\nbefore it:\n%+v", again, later)
	}
	// Half an hour on, all of it has left the window.
	f.at("2026-11-20T10:40:00Z")
	end := f.agg.Live(f.site.ID, 5*time.Minute)
	for _, m := range end.Minutes {
		if m.Visitors+m.Pageviews > 0 {
			t.Errorf("minute %v still shows %d/%d", m.At, m.Visitors, m.Pageviews)
		}
	}
	if end.Current != 0 {
		t.Errorf("at 10:40: %d current visitors", end.Current)
	}
}
