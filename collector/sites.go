package collector

import (
	"context"
	"errors"
	"sync"
	"time"

	"tally/account"
	"tally/aggregate"
)

// siteCache answers domain → site without a store round-trip per hit.
// Entries (including "no such site") live for ttl, so a site added or
// deleted by an admin command is seen within seconds.
type siteCache struct {
	store aggregate.Store
	ttl   time.Duration

	mu      sync.Mutex
	entries map[string]siteEntry
}

type siteEntry struct {
	site    account.Site
	zone    *time.Location // loaded once per entry: LoadLocation reads a file
	ok      bool
	expires time.Time
}

// lookupTimeout bounds a store lookup made for one hit.
const lookupTimeout = 2 * time.Second

// maxSiteEntries bounds the cache against floods of made-up domains.
const maxSiteEntries = 10_000

func newSiteCache(store aggregate.Store) *siteCache {
	return &siteCache{store: store, ttl: 10 * time.Second, entries: map[string]siteEntry{}}
}

// lookup returns the site of a domain and its time zone, ok false if there
// is none; now is the event's time.
func (c *siteCache) lookup(ctx context.Context, domain string, now time.Time) (account.Site, *time.Location, bool, error) {
	c.mu.Lock()
	e, hit := c.entries[domain]
	c.mu.Unlock()
	if hit && now.Before(e.expires) {
		return e.site, e.zone, e.ok, nil
	}
	// A hit's answer must not wait long on a store that hangs.
	ctx, cancel := context.WithTimeout(ctx, lookupTimeout)
	site, err := c.store.Site(ctx, domain)
	cancel()
	switch {
	case errors.Is(err, account.ErrNotFound):
		e = siteEntry{expires: now.Add(c.ttl)}
	case err != nil:
		if hit {
			return e.site, e.zone, e.ok, nil // a stale answer beats none while the store is away
		}
		return site, nil, false, err
	default:
		e = siteEntry{site: site, zone: site.Location(), ok: true, expires: now.Add(c.ttl)}
	}
	c.mu.Lock()
	if len(c.entries) >= maxSiteEntries {
		clear(c.entries)
	}
	c.entries[domain] = e
	c.mu.Unlock()
	return e.site, e.zone, e.ok, nil
}
