package dashboard

import (
	"errors"
	"fmt"
	"html/template"
	"net/url"

	"github.com/gofiber/fiber/v2"

	"tally/account"
	"tally/aggregate"
)

type siteCard struct {
	Domain, URL string
	Today       string
	Spark       string // SVG polyline points, 30 days of visitors
	Series      []KV   // the same numbers, for the table behind the sparkline
}

// Sites answers GET /: the sites the user may see, each with 30 days of
// visitors and today's.
func (d *Dashboard) Sites(c *fiber.Ctx) error {
	sites, err := d.acc.Readable(c.UserContext(), CurrentUser(c))
	if err != nil {
		return err
	}
	now := d.cfg.Now()
	cards := make([]siteCard, 0, len(sites))
	for _, s := range sites {
		from, to, _ := aggregate.Range("30d", now, s.Location(), s.Created)
		q := aggregate.Query{Site: s, From: from, To: to, Metrics: []aggregate.Metric{aggregate.Visitors},
			Dimensions: []aggregate.Dimension{{Name: "time:day", Grain: aggregate.ByDay}}}
		res, err := d.cfg.Engine.Run(c.UserContext(), q)
		if err != nil {
			return fmt.Errorf("sparkline of %s: %w", s.Domain, err)
		}
		byDay := map[string]float64{}
		for _, r := range res.Rows {
			byDay[r.Dimensions[0]] = float64(r.Metrics[0])
		}
		card := siteCard{Domain: s.Domain, URL: "/" + url.PathEscape(s.Domain)}
		var values []float64
		for _, b := range buckets("day", from, to) {
			values = append(values, byDay[b.key])
			card.Series = append(card.Series, KV{b.label, formatCount(byDay[b.key])})
		}
		card.Today = formatCount(values[len(values)-1])
		card.Spark = sparkline(values)
		cards = append(cards, card)
	}
	return render(c, fiber.StatusOK, "sites", d.page(c, "Sites", cards))
}

type siteForm struct {
	Domain, Timezone, Error string
	Zones                   []string
}

var commonZones = []string{"UTC", "Europe/London", "Europe/Paris", "Europe/Berlin", "America/New_York",
	"America/Chicago", "America/Los_Angeles", "America/Sao_Paulo", "Asia/Tokyo", "Asia/Kolkata",
	"Asia/Singapore", "Australia/Sydney"}

// NewSiteForm answers GET /sites/new.
func (d *Dashboard) NewSiteForm(c *fiber.Ctx) error {
	return render(c, fiber.StatusOK, "site_new", d.page(c, "Add a site", siteForm{Timezone: "UTC", Zones: commonZones}))
}

// AddSite answers POST /sites (domain, timezone); the user who added the
// site owns it. Then the settings page shows the script tag.
func (d *Dashboard) AddSite(c *fiber.Ctx) error {
	form := siteForm{Domain: c.FormValue("domain"), Timezone: c.FormValue("timezone"), Zones: commonZones}
	site, err := d.acc.AddSite(c.UserContext(), form.Domain, form.Timezone, false, CurrentUser(c).ID)
	msg, bad := invalidMessage(err)
	if errors.Is(err, account.ErrExists) {
		msg, bad = "That domain is already tracked by this tally.", true
	}
	if bad {
		form.Error = msg
		return render(c, fiber.StatusBadRequest, "site_new", d.page(c, "Add a site", form))
	} else if err != nil {
		return fmt.Errorf("add site: %w", err)
	}
	return c.Redirect("/"+url.PathEscape(site.Domain)+"/settings?added=1", fiber.StatusSeeOther)
}

type settingsPage struct {
	Site     account.Site
	Base     string
	Snippet  string
	Added    bool
	Saved    bool
	Error    string
	Zones    []string
	Sharing  template.HTML
	HasShare bool
	Goals    []account.Goal
	Funnels  funnelSettings
}

// Settings answers GET /:domain/settings.
func (d *Dashboard) Settings(c *fiber.Ctx) error {
	site, err := d.SiteToManage(c.UserContext(), CurrentUser(c), c.Params("domain"))
	if err != nil {
		return err
	}
	return d.settings(c, site, fiber.StatusOK, "")
}

func (d *Dashboard) settings(c *fiber.Ctx, site account.Site, code int, msg string) error {
	p := settingsPage{Site: site, Base: "/" + url.PathEscape(site.Domain), Zones: commonZones, Error: msg,
		Added: c.Query("added") != "", Saved: c.Query("saved") != ""}
	p.Snippet = fmt.Sprintf(`<script defer data-domain="%s" src="%s/js/script.js"></script>`, site.Domain, c.BaseURL())
	goals, err := d.acc.Goals(c.UserContext(), site)
	if err != nil {
		return fmt.Errorf("goals of %s: %w", site.Domain, err)
	}
	p.Goals = goals
	if p.Funnels, err = d.funnelSettings(c.UserContext(), site, goals); err != nil {
		return err
	}
	p.Funnels.Base, p.Funnels.CSRF = p.Base, CSRFToken(c)
	if d.cfg.Sharing != nil {
		html, err := d.cfg.Sharing(c, site, CSRFToken(c))
		if err != nil {
			return fmt.Errorf("sharing settings of %s: %w", site.Domain, err)
		}
		p.Sharing, p.HasShare = html, true
	}
	return render(c, code, "settings", d.page(c, site.Domain+" settings", p))
}

// SaveSettings answers POST /:domain/settings (timezone).
func (d *Dashboard) SaveSettings(c *fiber.Ctx) error {
	site, err := d.SiteToManage(c.UserContext(), CurrentUser(c), c.Params("domain"))
	if err != nil {
		return err
	}
	tz, err := account.ParseTimezone(c.FormValue("timezone"))
	if msg, bad := invalidMessage(err); bad {
		return d.settings(c, site, fiber.StatusBadRequest, msg)
	}
	site.Timezone = tz
	if err := d.cfg.Store.UpdateSite(c.UserContext(), site); err != nil {
		return fmt.Errorf("save settings of %s: %w", site.Domain, err)
	}
	return c.Redirect("/"+url.PathEscape(site.Domain)+"/settings?saved=1", fiber.StatusSeeOther)
}

// DeleteForm answers GET /:domain/delete: the confirmation.
func (d *Dashboard) DeleteForm(c *fiber.Ctx) error {
	site, err := d.SiteToManage(c.UserContext(), CurrentUser(c), c.Params("domain"))
	if err != nil {
		return err
	}
	return render(c, fiber.StatusOK, "delete", d.page(c, "Delete "+site.Domain, settingsPage{Site: site, Base: "/" + url.PathEscape(site.Domain)}))
}

// DeleteSite answers POST /:domain/delete; the form repeats the domain,
// so a stray click cannot delete a site.
func (d *Dashboard) DeleteSite(c *fiber.Ctx) error {
	site, err := d.SiteToManage(c.UserContext(), CurrentUser(c), c.Params("domain"))
	if err != nil {
		return err
	}
	if account.LookupDomain(c.FormValue("confirm")) != site.Domain {
		return fiber.NewError(fiber.StatusBadRequest, "type the domain to confirm the deletion")
	}
	if err := d.cfg.Store.DeleteSite(c.UserContext(), site.ID); err != nil {
		return fmt.Errorf("delete %s: %w", site.Domain, err)
	}
	d.cfg.Log.Info("site deleted", "site", site.Domain)
	return c.Redirect("/", fiber.StatusSeeOther)
}
