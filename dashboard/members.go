package dashboard

import (
	"errors"
	"fmt"
	"net/url"

	"github.com/gofiber/fiber/v2"

	"tally/account"
)

type membersPage struct {
	Site    account.Site
	Base    string
	Members []memberRow
	Error   string
}

type memberRow struct {
	Email string
	Role  account.Role
}

// Members answers GET /:domain/members (owners): who may see the site.
func (d *Dashboard) Members(c *fiber.Ctx) error {
	site, err := d.SiteToManage(c.UserContext(), CurrentUser(c), c.Params("domain"))
	if err != nil {
		return err
	}
	return d.members(c, site, fiber.StatusOK, "")
}

func (d *Dashboard) members(c *fiber.Ctx, site account.Site, code int, msg string) error {
	ctx := c.UserContext()
	ms, err := d.cfg.Store.Members(ctx, site.ID)
	if err != nil {
		return fmt.Errorf("members of %s: %w", site.Domain, err)
	}
	p := membersPage{Site: site, Base: "/" + url.PathEscape(site.Domain), Error: msg}
	if site.Owner != 0 {
		if u, err := d.cfg.Store.UserByID(ctx, site.Owner); err == nil {
			p.Members = append(p.Members, memberRow{Email: u.Email, Role: account.Owner})
		}
	}
	for _, m := range ms {
		u, err := d.cfg.Store.UserByID(ctx, m.User)
		if errors.Is(err, account.ErrNotFound) {
			continue
		} else if err != nil {
			return fmt.Errorf("members of %s: %w", site.Domain, err)
		}
		p.Members = append(p.Members, memberRow{Email: u.Email, Role: m.Role})
	}
	return render(c, code, "members", d.page(c, site.Domain+" members", p))
}

// Grant answers POST /:domain/members (email, role): an existing account
// gets a role on the site. Admins invite new accounts on /users.
func (d *Dashboard) Grant(c *fiber.Ctx) error {
	site, err := d.SiteToManage(c.UserContext(), CurrentUser(c), c.Params("domain"))
	if err != nil {
		return err
	}
	role, err := account.ParseRole(c.FormValue("role"))
	if err == nil {
		_, err = d.acc.Grant(c.UserContext(), site, c.FormValue("email"), role)
	}
	if msg, bad := invalidMessage(err); bad {
		return d.members(c, site, fiber.StatusBadRequest, msg)
	} else if errors.Is(err, account.ErrNotFound) {
		return d.members(c, site, fiber.StatusBadRequest, "There is no account with that email: an admin invites people on the Users page.")
	} else if err != nil {
		return err
	}
	return c.Redirect("/"+url.PathEscape(site.Domain)+"/members", fiber.StatusSeeOther)
}

// Revoke answers POST /:domain/members/revoke (email).
func (d *Dashboard) Revoke(c *fiber.Ctx) error {
	site, err := d.SiteToManage(c.UserContext(), CurrentUser(c), c.Params("domain"))
	if err != nil {
		return err
	}
	if _, err := d.acc.Revoke(c.UserContext(), site, c.FormValue("email")); errors.Is(err, account.ErrNotFound) {
		return fiber.NewError(fiber.StatusBadRequest, "no account with that email")
	} else if err != nil {
		return err
	}
	return c.Redirect("/"+url.PathEscape(site.Domain)+"/members", fiber.StatusSeeOther)
}
