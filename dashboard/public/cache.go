package public

import (
	"context"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"
)

// pageCache keeps rendered share pages, so that readers of a public page —
// which anyone may open, as often as they like — cost one build per page
// and period, not one per view, and cannot starve the collector of CPU or
// the store of connections:
//
//   - an entry is keyed by everything the page depends on: the share's
//     slug and parameters, the range, and the site's current day (the
//     views end yesterday, so a new day is a new page);
//   - it lives for pageTTL (late hits of closed days, replayed journals
//     and spills can still add to them);
//   - readers of a page being built wait for that build;
//   - at most maxBuilds pages are built at once, all shares together.
//
// An unpublished share is never served from here: the handler looks the
// share up in the store first, on every request.
type pageCache struct {
	now    func() time.Time
	builds chan struct{} // a slot per build running

	mu      sync.Mutex
	entries map[string]*cachedPage
	built   int // builds started, for tests
}

type cachedPage struct {
	ready   chan struct{} // closed when body and err are set
	body    []byte
	err     error
	expires time.Time
}

const (
	pageTTL    = 5 * time.Minute
	maxBuilds  = 2
	maxEntries = 1000
)

func newPageCache(now func() time.Time) *pageCache {
	return &pageCache{now: now, builds: make(chan struct{}, maxBuilds), entries: map[string]*cachedPage{}}
}

// get returns the page of key, building it with build when no fresh copy
// is kept. A failed build is not kept: the next reader tries again.
func (pc *pageCache) get(ctx context.Context, key string, build func() ([]byte, error)) ([]byte, error) {
	now := pc.now()
	pc.mu.Lock()
	e := pc.entries[key]
	if e != nil {
		select {
		case <-e.ready:
			if now.After(e.expires) || e.err != nil {
				e = nil
			}
		default: // being built: wait for it below
		}
	}
	mine := e == nil
	if mine {
		if len(pc.entries) >= maxEntries {
			pc.evict(now)
		}
		e = &cachedPage{ready: make(chan struct{})}
		pc.entries[key] = e
		pc.built++
	}
	pc.mu.Unlock()

	if mine {
		select {
		case pc.builds <- struct{}{}:
			e.body, e.err = build()
			<-pc.builds
		case <-ctx.Done():
			e.err = fiber.NewError(fiber.StatusServiceUnavailable, "busy, try again in a moment")
		}
		e.expires = pc.now().Add(pageTTL)
		close(e.ready)
		if e.err != nil {
			pc.mu.Lock()
			if pc.entries[key] == e {
				delete(pc.entries, key)
			}
			pc.mu.Unlock()
		}
		return e.body, e.err
	}
	select {
	case <-e.ready:
		return e.body, e.err
	case <-ctx.Done():
		return nil, fiber.NewError(fiber.StatusServiceUnavailable, "busy, try again in a moment")
	}
}

// evict drops expired entries, or every finished one if none has expired.
// Callers hold pc.mu.
func (pc *pageCache) evict(now time.Time) {
	for _, all := range []bool{false, true} {
		for k, e := range pc.entries {
			select {
			case <-e.ready:
				if all || now.After(e.expires) {
					delete(pc.entries, k)
				}
			default:
			}
		}
		if len(pc.entries) < maxEntries {
			return
		}
	}
}
