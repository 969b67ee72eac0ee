package dashboard

import (
	"context"
	"errors"
	"html/template"
	"log/slog"
	"net/netip"
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
	// SetupToken opens the first-run page (/setup?token=…) while no
	// account exists; `tally serve` makes one and prints the link to its
	// log. Empty: no first-run page, the first account is made with
	// `tally user add`.
	SetupToken string
	// Credits is shown at the foot of signed-in pages: the attribution
	// the location database's licence asks for, when it asks for one.
	Credits string
}

// Dashboard serves the signed-in pages: login, sites, site dashboards.
type Dashboard struct {
	cfg   Config
	acc   *account.Service
	limit *signInLimit
}

// New returns the dashboard's handlers.
func New(cfg Config) *Dashboard {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	return &Dashboard{cfg: cfg, acc: account.NewService(cfg.Store, cfg.Now), limit: newSignInLimit()}
}

// SiteFor returns the site of domain if user may read it: admins read
// every site, others the sites they added or are members of. A site the
// user may not read is a 404, the same as one that does not exist, so
// domains cannot be probed.
func (d *Dashboard) SiteFor(ctx context.Context, user account.User, domain string) (account.Site, error) {
	site, _, err := d.siteRole(ctx, user, domain)
	return site, err
}

// SiteToManage returns the site of domain if user may change it (the
// owner role); a viewer gets 403, anyone else the 404 of SiteFor.
func (d *Dashboard) SiteToManage(ctx context.Context, user account.User, domain string) (account.Site, error) {
	site, role, err := d.siteRole(ctx, user, domain)
	if err == nil && !role.Manages() {
		return account.Site{}, fiber.NewError(fiber.StatusForbidden, "only the site's owners may change it")
	}
	return site, err
}

func (d *Dashboard) siteRole(ctx context.Context, user account.User, domain string) (account.Site, account.Role, error) {
	site, err := d.acc.Site(ctx, domain)
	if errors.Is(err, account.ErrNotFound) {
		return account.Site{}, "", errNoSite
	} else if err != nil {
		return account.Site{}, "", err
	}
	role, reads, err := d.acc.RoleOn(ctx, user, site)
	if err != nil {
		return account.Site{}, "", err
	}
	if !reads {
		return account.Site{}, "", errNoSite
	}
	return site, role, nil
}

var errNoSite = fiber.NewError(fiber.StatusNotFound, "no such site")

// page is the layout data of a signed-in page.
func (d *Dashboard) page(c *fiber.Ctx, title string, body any) Page {
	u := CurrentUser(c)
	return Page{Title: title, User: &u, CSRF: CSRFToken(c), Body: body, Credits: d.cfg.Credits}
}
