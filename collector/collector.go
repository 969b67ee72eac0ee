// Package collector receives tracker events over HTTP and runs the privacy
// pipeline of DESIGN.md on them. It must never let an IP address or a
// user-agent string past the pipeline: what it hands to the aggregator is an
// aggregate.Hit of coarse dimension values and a daily visitor key.
package collector

import (
	"context"
	"log/slog"
	"net/netip"
	"sync/atomic"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/utils"

	"tally/account"
	"tally/aggregate"
	"tally/collector/geo"
	"tally/collector/referrer"
	"tally/collector/useragent"
	"tally/internal/bodylimit"
)

// Config holds the collector's settings.
type Config struct {
	// TrustedProxies may set X-Forwarded-For / X-Real-IP; nobody else can.
	TrustedProxies []netip.Prefix
	// RateLimit is the most events a second taken from one /24 (IPv4) or
	// /48 (IPv6) network; past it the answer is 429. 0: no limit.
	RateLimit int
}

// Collector turns events into hits.
type Collector struct {
	cfg   Config
	sites *siteCache
	agg   *aggregate.Aggregator
	salts *aggregate.Salts
	geo   *geo.DB
	ua    *useragent.Cache
	now   func() time.Time
	log   *slog.Logger

	counts Counts
	limit  *rateLimiter // nil: no rate limit

	dntSites     atomic.Bool  // some site counts DNT/GPC hits anonymously
	dntCheckedAt atomic.Int64 // Unix nanoseconds of the last look
}

// Counts are running totals of what happened to events, by outcome.
type Counts struct {
	Received, Accepted                                 atomic.Uint64
	DNT, GPC, Bot, Invalid, UnknownSite, Overload, Err atomic.Uint64
	RateLimited                                        atomic.Uint64
	// PropsDropped counts custom property values dropped because they
	// looked like e-mail addresses (the event itself is counted).
	PropsDropped atomic.Uint64
}

// New returns a collector. geoDB may be nil (countries unknown).
func New(cfg Config, store aggregate.Store, agg *aggregate.Aggregator, salts *aggregate.Salts, geoDB *geo.DB, now func() time.Time, log *slog.Logger) *Collector {
	return &Collector{
		cfg:   cfg,
		sites: newSiteCache(store),
		agg:   agg,
		salts: salts,
		geo:   geoDB,
		ua:    useragent.NewCache(8192),
		limit: newRateLimiter(cfg.RateLimit),
		now:   now,
		log:   log,
	}
}

// Counts returns the running totals.
func (c *Collector) Counts() *Counts { return &c.counts }

// Request is what the pipeline reads of an HTTP request.
type Request struct {
	Body []byte
	Peer netip.Addr
	// The headers may share the request's buffer, which is reused once the
	// request is answered: the pipeline parses them and keeps only copies.
	XForwardedFor  string
	XRealIP        string
	UserAgent      string
	AcceptLanguage string
	DNT, GPC       bool
}

// Outcome says what became of an event.
type Outcome int

const (
	Counted Outcome = iota
	DroppedConsent
	DroppedBot
	DroppedOverload
	DroppedRateLimited
)

// Event is the POST /api/event handler. Counted and dropped-for-privacy
// events get the same 202, so the answer reveals nothing.
func (c *Collector) Event(ctx *fiber.Ctx) error {
	dnt := string(ctx.Request().Header.Peek("DNT")) == "1"
	gpc := string(ctx.Request().Header.Peek("Sec-GPC")) == "1"
	if dnt || gpc {
		// Consent first: decided from the headers, before the body is
		// even inflated; it is read only for a site that counts such hits,
		// and whatever is wrong with it, the answer is the same 202.
		c.counts.Received.Add(1)
		c.consent(ctx.UserContext(), dnt, c.now(), func() []byte {
			b, err := body(ctx)
			if err != nil {
				return nil
			}
			return b
		})
		ctx.Status(fiber.StatusAccepted)
		return ctx.SendString("ok")
	}
	b, err := body(ctx)
	if err != nil {
		c.counts.Received.Add(1)
		c.counts.Invalid.Add(1)
		return err
	}
	req := Request{
		Body:           b,
		Peer:           peerAddr(ctx),
		XForwardedFor:  peek(ctx, fiber.HeaderXForwardedFor),
		XRealIP:        peek(ctx, "X-Real-IP"),
		UserAgent:      peek(ctx, fiber.HeaderUserAgent),
		AcceptLanguage: peek(ctx, fiber.HeaderAcceptLanguage),
	}
	out, err := c.Process(ctx.UserContext(), &req)
	if err != nil {
		return err
	}
	switch out {
	case DroppedOverload:
		ctx.Set(fiber.HeaderRetryAfter, "5")
		return fiber.NewError(fiber.StatusServiceUnavailable, "overloaded, try later")
	case DroppedRateLimited:
		ctx.Set(fiber.HeaderRetryAfter, "1")
		return fiber.NewError(fiber.StatusTooManyRequests, "too many events from your network, try later")
	}
	ctx.Status(fiber.StatusAccepted)
	return ctx.SendString("ok")
}

// peek returns a header's value without copying it: the string shares the
// request's buffer, so it is only for values the pipeline parses and never
// keeps. The proxy headers become an address, the user agent a hash and
// classes that the classifier copies, Accept-Language a subtag that
// Language copies; ctx.Get (the app being Immutable) would copy each
// header whole on every event.
func peek(ctx *fiber.Ctx, name string) string {
	return utils.UnsafeString(ctx.Request().Header.Peek(name))
}

// body returns the request body. Fiber's Body would copy it (the app is
// Immutable) and inflate a compressed one without a bound; the pipeline
// keeps no reference into it — every string it keeps is copied out by the
// parser — so it is read in place, and a compressed one is inflated to at
// most MaxBody bytes.
func body(ctx *fiber.Ctx) ([]byte, error) {
	req := ctx.Request()
	enc := req.Header.ContentEncoding()
	if len(enc) == 0 {
		return req.Body(), nil
	}
	b, err := bodylimit.Decode(utils.UnsafeString(enc), req.Body(), MaxBody)
	if err != nil {
		return nil, bodylimit.Status(err)
	}
	return b, nil
}

func peerAddr(ctx *fiber.Ctx) netip.Addr {
	ip, _ := netip.AddrFromSlice(ctx.Context().RemoteIP())
	return ip.Unmap()
}

// Process runs the privacy pipeline on one request. Its errors are
// *fiber.Error with the status and one-line reason to send.
func (c *Collector) Process(ctx context.Context, r *Request) (Outcome, error) {
	c.counts.Received.Add(1)
	now := c.now()

	// 1. Consent signals, from the headers alone: before the body is
	// parsed, before the client's network is looked at (the rate limit),
	// before anything else. The answer is the same 202 whatever the body
	// holds, so a malformed body or a wrong host tells the sender nothing.
	if r.DNT || r.GPC {
		c.consent(ctx, r.DNT, now, func() []byte { return r.Body })
		return DroppedConsent, nil
	}

	// Floods: a per-network rate limit, before any other work.
	ip := ClientIP(r.Peer, r.XForwardedFor, r.XRealIP, c.cfg.TrustedProxies)
	if c.limit != nil && !c.limit.allow(Truncate(ip), now) {
		c.counts.RateLimited.Add(1)
		return DroppedRateLimited, nil
	}

	// 2. Validation.
	ev, err := ParseEvent(r.Body)
	if err != nil {
		c.counts.Invalid.Add(1)
		return 0, fiber.NewError(fiber.StatusBadRequest, err.Error())
	}
	page, err := ParsePage(ev.URL, ev.HashMode)
	if err != nil {
		c.counts.Invalid.Add(1)
		return 0, fiber.NewError(fiber.StatusBadRequest, err.Error())
	}
	// Nearly every event names one site: room for it on the stack.
	var siteBuf [1]account.Site
	var zoneBuf [1]*time.Location
	var funnelBuf [1][]aggregate.FunnelDef
	sites, zones, funnels := siteBuf[:0], zoneBuf[:0], funnelBuf[:0]
	for _, d := range ev.Domains {
		e, err := c.sites.entry(ctx, d, now)
		site, ok := e.site, e.ok
		if err != nil {
			c.counts.Err.Add(1)
			c.log.Error("site lookup failed", "err", err)
			return 0, fiber.NewError(fiber.StatusServiceUnavailable, "store unavailable, try later")
		}
		if !ok {
			c.counts.UnknownSite.Add(1)
			return 0, fiber.NewError(fiber.StatusNotFound, "unknown site "+d)
		}
		if !referrer.SameSite(page.Host, site.Domain) {
			c.counts.Invalid.Add(1)
			return 0, fiber.NewError(fiber.StatusBadRequest, "url host "+page.Host+" does not belong to site "+site.Domain)
		}
		sites = append(sites, site)
		zones = append(zones, e.zone)
		funnels = append(funnels, e.funnels)
	}

	var key aggregate.Key
	key[aggregate.Hostname] = page.Host
	key[aggregate.Page] = page.Path
	key[aggregate.Event] = Clean(ev.Name)

	// 3. Bots.
	ua := c.ua.Parse(r.UserAgent, ev.ScreenWidth)
	if ua.Bot {
		c.counts.Bot.Add(1)
		return DroppedBot, nil
	}

	// 4–6. Client IP (found above), geo on the full address, then
	// truncate and hash.
	loc := c.geo.Lookup(ip)
	prefix := Truncate(ip)
	var salt [aggregate.SaltSize]byte
	c.salts.Copy(now, &salt)
	defer clear(salt[:])

	// 7. User agent classes (the header itself goes no further).
	key[aggregate.Browser] = ua.Browser
	key[aggregate.BrowserVersion] = ua.BrowserVersion
	key[aggregate.OS] = ua.OS
	key[aggregate.OSVersion] = ua.OSVersion
	key[aggregate.Device] = ua.Device
	key[aggregate.Country] = Clean(loc.Country) // from the .mmdb file, not the client,
	key[aggregate.Region] = Clean(loc.Region)   // but a key value all the same

	// 8–9. Referrer → source; campaign parameters override.
	ref := referrer.Parse(ev.Referrer, page.Host)
	key[aggregate.Source] = Clean(ref.Source)
	key[aggregate.Referrer] = Clean(ref.URL)
	if page.Ref != "" {
		key[aggregate.Source] = page.Ref
	}
	key[aggregate.UTMSource] = page.UTM.Source
	key[aggregate.UTMMedium] = page.UTM.Medium
	key[aggregate.UTMCampaign] = page.UTM.Campaign
	key[aggregate.UTMContent] = page.UTM.Content
	key[aggregate.UTMTerm] = page.UTM.Term

	// 10. Language.
	key[aggregate.Language] = Language(ev.Language, r.AcceptLanguage)

	// Custom properties, through the same rules as every value (props.go).
	props, dropped := Props(ev.Props)
	if dropped > 0 {
		c.counts.PropsDropped.Add(uint64(dropped))
	}

	// 11. Sessions happen in the aggregator.
	for i, s := range sites {
		hit := aggregate.Hit{Site: s.ID, Time: now, Key: key, Zone: zones[i], Props: props, Visitor: VisitorKey(salt[:], s.ID, prefix, r.UserAgent),
			ScrollDepth: ev.ScrollDepth, Engaged: ev.Engaged, Funnels: funnels[i]}
		if !c.agg.Add(hit) {
			c.counts.Overload.Add(1)
			return DroppedOverload, nil
		}
	}
	c.counts.Accepted.Add(1)
	return Counted, nil
}

// consent drops a consent-signalled request (DNT when dnt, else GPC), or,
// when some site counts such hits, reads its body (and only then) for a
// plain page view of such a site.
func (c *Collector) consent(ctx context.Context, dnt bool, now time.Time, body func() []byte) {
	if dnt {
		c.counts.DNT.Add(1)
	} else {
		c.counts.GPC.Add(1)
	}
	if c.anySiteCountsDNT(ctx, now) {
		c.countAnonymous(ctx, body(), now)
	}
}

// anySiteCountsDNT reports whether a consent-signalled event could count at
// all; almost always false, so such events cost nothing. The answer is
// refreshed from the store at most every ten seconds.
func (c *Collector) anySiteCountsDNT(ctx context.Context, now time.Time) bool {
	last := c.dntCheckedAt.Load()
	if now.UnixNano()-last < int64(10*time.Second) || !c.dntCheckedAt.CompareAndSwap(last, now.UnixNano()) {
		return c.dntSites.Load()
	}
	sites, err := c.sites.store.Sites(ctx)
	if err != nil {
		return c.dntSites.Load()
	}
	any := false
	for _, s := range sites {
		any = any || s.CountDNT
	}
	c.dntSites.Store(any)
	return any
}
