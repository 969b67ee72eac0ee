package dashboard

import (
	"net/url"
	"time"

	"github.com/gofiber/fiber/v2"
)

// realtimeWindow is what "current visitors" means.
const realtimeWindow = 5 * time.Minute

// stateOf reads the view state from a request's query string.
func stateOf(c *fiber.Ctx) State {
	q, _ := url.ParseQuery(string(c.Request().URI().QueryString()))
	return ParseState(q)
}

// SiteView answers GET /:domain, the site's dashboard.
func (d *Dashboard) SiteView(c *fiber.Ctx) error {
	site, role, err := d.siteRole(c.UserContext(), CurrentUser(c), c.Params("domain"))
	if err != nil {
		return err
	}
	opts := Options{BasePath: "/" + url.PathEscape(site.Domain), Now: d.cfg.Now(), NoSettings: !role.Manages()}
	if d.cfg.Realtime != nil {
		opts.Realtime = func() int { return d.cfg.Realtime(site.ID, d.cfg.Now().Add(-realtimeWindow)) }
	}
	v, err := BuildView(c.UserContext(), d.cfg.Engine, site, stateOf(c), opts)
	if err != nil {
		return err
	}
	if v.Funnels, err = d.buildFunnelPanel(c.UserContext(), v); err != nil {
		return err
	}
	return RenderView(c, v, d.page(c, site.Domain, nil))
}

// SiteCSV answers GET /:domain/export.csv: one panel (panel=ID) or the
// whole view.
func (d *Dashboard) SiteCSV(c *fiber.Ctx) error {
	site, err := d.SiteFor(c.UserContext(), CurrentUser(c), c.Params("domain"))
	if err != nil {
		return err
	}
	return SendCSV(c, d.cfg.Engine, site, stateOf(c), Options{Now: d.cfg.Now()}, c.Query("panel"))
}

// Realtime answers GET /:domain/realtime with {"visitors": N}, for the
// live count's refresh.
func (d *Dashboard) Realtime(c *fiber.Ctx) error {
	site, err := d.SiteFor(c.UserContext(), CurrentUser(c), c.Params("domain"))
	if err != nil {
		return err
	}
	n := 0
	if d.cfg.Realtime != nil {
		n = d.cfg.Realtime(site.ID, d.cfg.Now().Add(-realtimeWindow))
	}
	return c.JSON(fiber.Map{"visitors": n})
}
