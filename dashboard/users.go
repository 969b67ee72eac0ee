package dashboard

import (
	"errors"
	"fmt"
	"strconv"

	"github.com/gofiber/fiber/v2"

	"tally/account"
)

type usersPage struct {
	Users []account.User
	Sites []account.Site
	Me    int64
	Error string
	// Email and Secret are shown once after an invitation or a reset: the
	// password to hand to that person.
	Email, Secret string
}

// Users answers GET /users (admins): every account, and the invitation form.
func (d *Dashboard) Users(c *fiber.Ctx) error {
	return d.users(c, fiber.StatusOK, usersPage{})
}

func (d *Dashboard) users(c *fiber.Ctx, code int, p usersPage) error {
	var err error
	if p.Users, err = d.cfg.Store.Users(c.UserContext()); err != nil {
		return fmt.Errorf("list users: %w", err)
	}
	if p.Sites, err = d.cfg.Store.Sites(c.UserContext()); err != nil {
		return fmt.Errorf("list sites: %w", err)
	}
	p.Me = CurrentUser(c).ID
	return render(c, code, "users", d.page(c, "Users", p))
}

// InviteUser answers POST /users (email, admin, site, role): it makes the
// account with a generated password, shown once to the admin to hand on
// (tally sends no mail), and optionally gives it a role on one site.
func (d *Dashboard) InviteUser(c *fiber.Ctx) error {
	ctx := c.UserContext()
	pw := account.NewToken()[:24]
	var site account.Site
	var role account.Role
	if id := c.FormValue("site"); id != "" {
		var err error
		if role, err = account.ParseRole(c.FormValue("role")); err != nil {
			return err
		}
		n, _ := strconv.ParseInt(id, 10, 64)
		if site, err = d.cfg.Store.SiteByID(ctx, n); err != nil {
			return fmt.Errorf("site %s: %w", id, err)
		}
	}
	u, err := d.acc.AddUser(ctx, c.FormValue("email"), pw, c.FormValue("admin") == "on")
	if msg, bad := invalidMessage(err); bad {
		return d.users(c, fiber.StatusBadRequest, usersPage{Error: msg})
	} else if errors.Is(err, account.ErrExists) {
		return d.users(c, fiber.StatusConflict, usersPage{Error: "That email already has an account."})
	} else if err != nil {
		return fmt.Errorf("invite: %w", err)
	}
	if site.ID != 0 {
		if _, err := d.acc.Grant(ctx, site, u.Email, role); err != nil {
			return err
		}
	}
	d.cfg.Log.Info("user invited")
	return d.users(c, fiber.StatusOK, usersPage{Email: u.Email, Secret: pw})
}

// userParam is the account named by the route's :id.
func (d *Dashboard) userParam(c *fiber.Ctx) (account.User, error) {
	id, err := strconv.ParseInt(c.Params("id"), 10, 64)
	if err != nil {
		return account.User{}, fiber.NewError(fiber.StatusNotFound, "no such user")
	}
	u, err := d.cfg.Store.UserByID(c.UserContext(), id)
	if errors.Is(err, account.ErrNotFound) {
		return u, fiber.NewError(fiber.StatusNotFound, "no such user")
	}
	return u, err
}

// DeleteUser answers POST /users/:id/delete (admins).
func (d *Dashboard) DeleteUser(c *fiber.Ctx) error {
	u, err := d.userParam(c)
	if err != nil {
		return err
	}
	if err := d.acc.DeleteUser(c.UserContext(), u); err != nil {
		return err
	}
	return c.Redirect("/users", fiber.StatusSeeOther)
}

// ResetPassword answers POST /users/:id/reset (admins): a new generated
// password, shown once; the user's sessions end.
func (d *Dashboard) ResetPassword(c *fiber.Ctx) error {
	u, err := d.userParam(c)
	if err != nil {
		return err
	}
	pw := account.NewToken()[:24]
	if err := d.acc.SetPassword(c.UserContext(), u, pw); err != nil {
		return err
	}
	return d.users(c, fiber.StatusOK, usersPage{Email: u.Email, Secret: pw})
}
