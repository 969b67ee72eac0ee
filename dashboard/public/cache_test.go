package public

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"
)

// TestSharePagesAreBuiltOnce has 8 readers open a share page at once,
// again and again: every one gets the same page, and it is built once per
// range, not once per view; unpublishing takes the page down at once.
func TestSharePagesAreBuiltOnce(t *testing.T) {
	d := newDataset(t)
	for day := 0; day < 7; day++ {
		d.add(20, visitor{pages: []string{"/", "/pricing"}, source: "Google", browser: "Chrome", device: "Desktop", country: "DE", language: "de", day: day})
	}
	srv := servePublic(t, d, DefaultPolicy)
	base := srv.url + "/share/" + srv.slug

	read := func(path string) {
		var wg sync.WaitGroup
		bodies := make([]string, 8)
		for r := range bodies {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for range 5 {
					code, _, body := get(t, base+path)
					if code != 200 {
						t.Errorf("reader %d: %d %.200s", r, code, body)
						return
					}
					bodies[r] = body
				}
			}()
		}
		wg.Wait()
		for _, b := range bodies {
			if b != bodies[0] {
				t.Fatal("readers were given different pages")
			}
		}
	}
	built := func() int {
		srv.h.pages.mu.Lock()
		defer srv.h.pages.mu.Unlock()
		return srv.h.pages.built
	}

	read("")
	if n := built(); n != 1 {
		t.Errorf("40 views of one page built it %d times, want once", n)
	}
	read("?range=12mo")
	if n := built(); n != 2 {
		t.Errorf("a second range: %d builds, want 2", n)
	}

	if err := d.store.DeleteShare(context.Background(), d.site.ID); err != nil {
		t.Fatal(err)
	}
	if code, _, _ := get(t, base); code != 404 {
		t.Errorf("a cached page after unpublishing: %d, want 404", code)
	}
}

// TestPageCacheExpiresAndForgetsFailures: a page is built again once
// pageTTL has passed, and a failed build is not kept.
func TestPageCacheExpiresAndForgetsFailures(t *testing.T) {
	now := time.Date(2026, 11, 2, 12, 0, 0, 0, time.UTC)
	pc := newPageCache(func() time.Time { return now })
	builds := 0
	build := func() ([]byte, error) { builds++; return []byte("page"), nil }
	ctx := context.Background()
	pc.get(ctx, "k", build)
	pc.get(ctx, "k", build)
	now = now.Add(pageTTL + time.Second)
	pc.get(ctx, "k", build)
	if builds != 2 {
		t.Errorf("%d builds, want 2 (one, then one after it expired)", builds)
	}
	fails := 0
	failing := func() ([]byte, error) { fails++; return nil, errors.New("store away") }
	if _, err := pc.get(ctx, "f", failing); err == nil {
		t.Fatal("a failed build reported no error")
	}
	pc.get(ctx, "f", failing)
	if fails != 2 {
		t.Errorf("%d builds of a failing page, want 2: a failure must not be kept", fails)
	}
}
