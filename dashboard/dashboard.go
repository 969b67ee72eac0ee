package dashboard

import (
	"context"
	"errors"
	"html/template"
	"log/slog"
	"net/netip"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"tally/account"
	"tally/aggregate"
)

// Config is what the dashboard needs from `tally serve`.
type Config struct {
	Store  aggregate.Store
	Engine Runner
	// Realtime counts a site's visitors seen since a time (the
	// aggregator's session table); nil hides the live count.
	Realtime func(site int64, since time.Time) int
	// Live is a site's realtime view (the aggregator's memory); nil
	// answers the realtime page with an empty one.
	Live func(site int64, window time.Duration) aggregate.Live
	Now  func() time.Time
	Log  *slog.Logger
	// TrustedProxies decide whose X-Forwarded-For the login rate limit
	// believes, exactly as for the collector.
	TrustedProxies []netip.Prefix
	// Sharing renders the "Public sharing" section of a site's settings
	// page. The public-views layer (issue 6) sets it; nil shows a
	// placeholder. It receives the CSRF token for its forms.
	Sharing func(c *fiber.Ctx, site account.Site, csrf string) (template.HTML, error)
}

// Dashboard serves the signed-in pages: login, sites, site dashboards.
type Dashboard struct {
	cfg     Config
	limiter *limiter
}

// New returns the dashboard's handlers.
func New(cfg Config) *Dashboard {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	return &Dashboard{cfg: cfg, limiter: newLimiter(loginAttempts, loginWindow)}
}

// SiteFor returns the site of domain if user may see it: admins see every
// site, others the sites they own. A site the user may not see is a 404,
// the same as one that does not exist, so domains cannot be probed.
func (d *Dashboard) SiteFor(ctx context.Context, user account.User, domain string) (account.Site, error) {
	site, err := d.cfg.Store.Site(ctx, strings.ToLower(domain))
	if errors.Is(err, account.ErrNotFound) || err == nil && !maySee(user, site) {
		return account.Site{}, fiber.NewError(fiber.StatusNotFound, "no such site")
	}
	return site, err
}

func maySee(u account.User, s account.Site) bool {
	return u.Admin || s.Owner == u.ID
}

// visibleSites lists the sites user may see.
func (d *Dashboard) visibleSites(ctx context.Context, user account.User) ([]account.Site, error) {
	all, err := d.cfg.Store.Sites(ctx)
	if err != nil {
		return nil, err
	}
	out := all[:0]
	for _, s := range all {
		if maySee(user, s) {
			out = append(out, s)
		}
	}
	return out, nil
}

// page is the layout data of a signed-in page.
func (d *Dashboard) page(c *fiber.Ctx, title string, body any) Page {
	u := CurrentUser(c)
	return Page{Title: title, User: &u, CSRF: CSRFToken(c), Body: body}
}
