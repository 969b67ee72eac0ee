package dashboard

import (
	"errors"
	"fmt"
	"net/url"

	"github.com/gofiber/fiber/v2"

	"tally/account"
)

// AddGoal answers POST /:domain/goals (site settings): kind "event" or
// "page", and its value, through the same rules as `tally goal add`.
func (d *Dashboard) AddGoal(c *fiber.Ctx) error {
	site, err := d.SiteToManage(c.UserContext(), CurrentUser(c), c.Params("domain"))
	if err != nil {
		return err
	}
	var g account.Goal
	switch c.FormValue("kind") {
	case "event":
		g.Event = c.FormValue("value")
	case "page":
		g.Page = c.FormValue("value")
	default:
		return d.settings(c, site, fiber.StatusBadRequest, "Pick a custom event or a page for the goal.")
	}
	_, err = d.acc.AddGoal(c.UserContext(), site, g)
	if msg, bad := invalidMessage(err); bad {
		return d.settings(c, site, fiber.StatusBadRequest, msg)
	}
	if errors.Is(err, account.ErrExists) {
		return d.settings(c, site, fiber.StatusConflict, "The site has that goal already.")
	}
	if err != nil {
		return fmt.Errorf("add goal to %s: %w", site.Domain, err)
	}
	return c.Redirect("/"+url.PathEscape(site.Domain)+"/settings?saved=1#goals", fiber.StatusSeeOther)
}

// DeleteGoal answers POST /:domain/goals/delete (id); the counts stay.
func (d *Dashboard) DeleteGoal(c *fiber.Ctx) error {
	site, err := d.SiteToManage(c.UserContext(), CurrentUser(c), c.Params("domain"))
	if err != nil {
		return err
	}
	if _, err := d.acc.DeleteGoal(c.UserContext(), site, c.FormValue("id")); err != nil {
		if errors.Is(err, account.ErrNotFound) {
			return fiber.NewError(fiber.StatusNotFound, "no such goal")
		}
		return fmt.Errorf("delete goal of %s: %w", site.Domain, err)
	}
	return c.Redirect("/"+url.PathEscape(site.Domain)+"/settings?saved=1#goals", fiber.StatusSeeOther)
}
