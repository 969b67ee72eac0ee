package collector

import (
	"context"
	"time"

	"tally/aggregate"
	"tally/collector/referrer"
)

// AnonymousEvent is the only event name a consent-signalled hit can add
// to, on a site that counts such hits (account.Site.CountDNT).
const AnonymousEvent = "pageview"

// countAnonymous adds a consent-signalled hit to the sites that chose to
// count such hits, as a plain page view: host and path (never the hash-mode
// fragment, never campaign parameters), no event other than a page view, no
// visitor key, no visit, no referrer, no browser, no language, no location.
// It answers nothing: whatever is wrong with the body (malformed, an unknown
// site, a host of another site), the hit is dropped silently, so the
// sender's answer is the same 202 as for any consent-signalled request.
// The client's address is never looked at, not even by the rate limit.
func (c *Collector) countAnonymous(ctx context.Context, body []byte, now time.Time) {
	ev, err := ParseEvent(body)
	if err != nil || ev.Name != AnonymousEvent {
		return
	}
	page, err := ParsePage(ev.URL, false)
	if err != nil {
		return
	}
	var key aggregate.Key
	key[aggregate.Hostname] = page.Host
	key[aggregate.Page] = page.Path
	key[aggregate.Event] = AnonymousEvent
	for _, d := range ev.Domains {
		site, zone, ok, err := c.sites.lookup(ctx, d, now)
		if err != nil || !ok || !site.CountDNT || !referrer.SameSite(page.Host, site.Domain) {
			continue
		}
		c.agg.Add(aggregate.Hit{Site: site.ID, Time: now, Key: key, Zone: zone})
	}
}
