package dashboard

import (
	"time"

	"github.com/gofiber/fiber/v2"

	"tally/account"
)

type profilePage struct {
	Error   string
	Changed bool
}

// Profile answers GET /account: the signed-in user's own password and
// sessions.
func (d *Dashboard) Profile(c *fiber.Ctx) error {
	return render(c, fiber.StatusOK, "account", d.page(c, "Your account", profilePage{Changed: c.Query("changed") != ""}))
}

// ChangePassword answers POST /account/password (current, password). Every
// session ends with the old password; this browser gets a new one.
func (d *Dashboard) ChangePassword(c *fiber.Ctx) error {
	u := CurrentUser(c)
	if !account.PasswordMatches(u.PasswordHash, c.FormValue("current")) {
		return render(c, fiber.StatusBadRequest, "account", d.page(c, "Your account", profilePage{Error: "The current password is wrong."}))
	}
	err := d.acc.SetPassword(c.UserContext(), u, c.FormValue("password"))
	if msg, bad := invalidMessage(err); bad {
		return render(c, fiber.StatusBadRequest, "account", d.page(c, "Your account", profilePage{Error: msg}))
	} else if err != nil {
		return err
	}
	if err := d.startSession(c, u); err != nil {
		return err
	}
	return c.Redirect("/account?changed=1", fiber.StatusSeeOther)
}

// SignOutEverywhere answers POST /account/signout: every session of the
// user ends, this one too.
func (d *Dashboard) SignOutEverywhere(c *fiber.Ctx) error {
	if err := d.acc.SignOutEverywhere(c.UserContext(), CurrentUser(c)); err != nil {
		return err
	}
	d.cookie(c, sessionCookie, "", time.Unix(1, 0))
	return c.Redirect("/login", fiber.StatusSeeOther)
}
