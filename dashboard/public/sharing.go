package public

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"html/template"
	"net/url"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"tally/account"
	"tally/dashboard"
)

// SiteAccess is the dashboard's access check: the site of domain if user
// may change it (the owner role), else a 403 for a viewer and the same 404
// as for a missing site for anyone else. *dashboard.Dashboard is one.
type SiteAccess interface {
	SiteToManage(ctx context.Context, user account.User, domain string) (account.Site, error)
}

// sharingSection is the data of the settings page's "Public sharing" section.
type sharingSection struct {
	Base      string // the site's dashboard path, "/example.com"
	CSRF      string
	Published bool
	Path, URL string // the public path and its full address
	Policy    Policy // current parameters, or the defaults for the form
	MinK      int
	Privacy   string
}

// SharingSection renders the "Public sharing" section of a site's settings
// page (dashboard.Config.Sharing): whether and where the site is public,
// its protection parameters, and the forms that publish and unpublish it.
func (h *Handler) SharingSection(c *fiber.Ctx, site account.Site, csrf string) (template.HTML, error) {
	v := sharingSection{Base: "/" + url.PathEscape(site.Domain), CSRF: csrf, Policy: DefaultPolicy,
		MinK: MinMinVisitors, Privacy: "/privacy?site=" + url.QueryEscape(site.Domain)}
	sh, err := h.store.ShareBySite(c.UserContext(), site.ID)
	switch {
	case err == nil && ValidSlug(sh.Slug):
		v.Published, v.Policy = true, PolicyOf(sh)
		v.Path = SharePath(sh)
		v.URL = c.BaseURL() + v.Path
	case err != nil && !errors.Is(err, account.ErrNotFound):
		return "", err
	}
	var buf bytes.Buffer
	if err := templates.ExecuteTemplate(&buf, "sharing.html.tmpl", v); err != nil {
		return "", fmt.Errorf("render sharing settings: %w", err)
	}
	return template.HTML(buf.String()), nil
}

// PublishSite answers POST /:domain/share (min_visitors, round, epsilon,
// csrf): it publishes the site, or changes its parameters under the same
// slug. Register it behind the dashboard's CSRF and RequireUser.
func (h *Handler) PublishSite(access SiteAccess) fiber.Handler {
	return func(c *fiber.Ctx) error {
		site, err := access.SiteToManage(c.UserContext(), dashboard.CurrentUser(c), c.Params("domain"))
		if err != nil {
			return err
		}
		pol, err := policyForm(c)
		if err != nil {
			return fiber.NewError(fiber.StatusBadRequest, err.Error())
		}
		if _, err := Publish(c.UserContext(), h.store, site, pol); err != nil {
			return err
		}
		return c.Redirect(settingsPath(site)+"?saved=1#sharing", fiber.StatusSeeOther)
	}
}

// UnpublishSite answers POST /:domain/unshare: the share path answers 404
// from then on. Register it behind the dashboard's CSRF and RequireUser.
func (h *Handler) UnpublishSite(access SiteAccess) fiber.Handler {
	return func(c *fiber.Ctx) error {
		site, err := access.SiteToManage(c.UserContext(), dashboard.CurrentUser(c), c.Params("domain"))
		if err != nil {
			return err
		}
		if err := Unpublish(c.UserContext(), h.store, site); err != nil {
			return err
		}
		return c.Redirect(settingsPath(site)+"?saved=1#sharing", fiber.StatusSeeOther)
	}
}

func settingsPath(site account.Site) string { return "/" + url.PathEscape(site.Domain) + "/settings" }

// policyForm reads the publish form; the layer's floors are checked by
// Policy.Validate, so the message names the rule that was broken.
func policyForm(c *fiber.Ctx) (Policy, error) {
	var p Policy
	var err error
	field := func(name string) string { return strings.TrimSpace(c.FormValue(name)) }
	if p.MinVisitors, err = strconv.Atoi(field("min_visitors")); err != nil {
		return p, fmt.Errorf("minimum group size: enter a whole number of at least %d", MinMinVisitors)
	}
	if p.Round, err = strconv.Atoi(field("round")); err != nil {
		return p, errors.New("rounding: enter a whole number of at least 1")
	}
	if p.Epsilon, err = strconv.ParseFloat(field("epsilon"), 64); err != nil {
		return p, errors.New("noise: enter ε as a number, 0 for no noise")
	}
	return p, p.Validate()
}
