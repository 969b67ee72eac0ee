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
	funnels []aggregate.FunnelDef
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
	e, err := c.entry(ctx, domain, now)
	return e.site, e.zone, e.ok, err
}

// entry returns what the cache knows of a domain: its site, zone and
// funnels (compiled once per entry, shared by the site's hits).
func (c *siteCache) entry(ctx context.Context, domain string, now time.Time) (siteEntry, error) {
	c.mu.Lock()
	e, hit := c.entries[domain]
	c.mu.Unlock()
	if hit && now.Before(e.expires) {
		return e, nil
	}
	// A hit's answer must not wait long on a store that hangs.
	ctx, cancel := context.WithTimeout(ctx, lookupTimeout)
	defer cancel()
	site, err := c.store.Site(ctx, domain)
	switch {
	case errors.Is(err, account.ErrNotFound):
		e = siteEntry{expires: now.Add(c.ttl)}
	case err != nil:
		if hit {
			return e, nil // a stale answer beats none while the store is away
		}
		return siteEntry{}, err
	default:
		funnels, err := c.funnels(ctx, site)
		if err != nil && hit && e.site.ID == site.ID {
			funnels = e.funnels // counting goes on with what was known
		}
		e = siteEntry{site: site, zone: site.Location(), funnels: funnels, ok: true, expires: now.Add(c.ttl)}
	}
	c.mu.Lock()
	if len(c.entries) >= maxSiteEntries {
		clear(c.entries)
	}
	c.entries[domain] = e
	c.mu.Unlock()
	return e, nil
}

// funnels loads and compiles site's funnels (and, only if it has some,
// its goals, which are their steps).
func (c *siteCache) funnels(ctx context.Context, site account.Site) ([]aggregate.FunnelDef, error) {
	funnels, err := c.store.Funnels(ctx, site.ID)
	if err != nil || len(funnels) == 0 {
		return nil, err
	}
	goals, err := c.store.Goals(ctx, site.ID)
	if err != nil {
		return nil, err
	}
	return aggregate.CompileFunnels(funnels, goals), nil
}
