package aggregate_test

import (
	"context"
	"fmt"
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
