package dashboard

import (
	"crypto/subtle"
	"errors"
	"fmt"
	"time"

	"github.com/gofiber/fiber/v2"

	"tally/account"
)

type loginForm struct {
	Email, Next, Error, Token string
}

// LoginForm answers GET /login; with no account yet it sends to /setup,
// which says where the setup link is.
func (d *Dashboard) LoginForm(c *fiber.Ctx) error {
	n, err := d.cfg.Store.CountUsers(c.UserContext())
	if err != nil {
		return fmt.Errorf("count users: %w", err)
	}
	if n == 0 {
		return c.Redirect("/setup", fiber.StatusSeeOther)
	}
	if _, ok := d.signedIn(c); ok {
		return c.Redirect(safeNext(c.Query("next")), fiber.StatusSeeOther)
	}
	return render(c, fiber.StatusOK, "login", Page{Title: "Sign in", CSRF: CSRFToken(c), Body: loginForm{Next: safeNext(c.Query("next"))}})
}

// dummyHash is compared against when the email is unknown, so a wrong
// email takes as long as a wrong password.
var dummyHash, _ = account.HashPassword("not a password")

// Login answers POST /login (email, password, csrf, next).
func (d *Dashboard) Login(c *fiber.Ctx) error {
	email, pw := account.NormalizeEmail(c.FormValue("email")), c.FormValue("password")
	network, now := d.clientNetwork(c), d.cfg.Now()
	if wait := d.limit.blocked(email, network, now); wait > 0 {
		mins := int(wait.Minutes()) + 1
		return fiber.NewError(fiber.StatusTooManyRequests, fmt.Sprintf("too many failed sign-ins: try again in %d minutes", mins))
	}
	form := loginForm{Email: email, Next: safeNext(c.FormValue("next"))}
	u, err := d.cfg.Store.UserByEmail(c.UserContext(), email)
	hash := u.PasswordHash
	if err != nil {
		if !errors.Is(err, account.ErrNotFound) {
			return fmt.Errorf("look up user: %w", err)
		}
		hash = dummyHash
	}
	if !account.PasswordMatches(hash, pw) || err != nil {
		d.limit.fail(email, network, now)
		d.cfg.Log.Info("failed sign-in") // deliberately without email or address
		form.Error = "Wrong email or password."
		return render(c, fiber.StatusUnauthorized, "login", Page{Title: "Sign in", CSRF: CSRFToken(c), Body: form})
	}
	d.limit.succeed(email)
	if err := d.startSession(c, u); err != nil {
		return err
	}
	return c.Redirect(form.Next, fiber.StatusSeeOther)
}

// Logout answers POST /logout.
func (d *Dashboard) Logout(c *fiber.Ctx) error {
	if tok := c.Cookies(sessionCookie); tok != "" {
		if err := d.cfg.Store.DeleteLogin(c.UserContext(), account.HashToken(tok)); err != nil {
			return err
		}
	}
	d.cookie(c, sessionCookie, "", time.Unix(1, 0))
	return c.Redirect("/login", fiber.StatusSeeOther)
}

// SetupForm answers GET /setup?token=…: the first-run page, only with the
// token `tally serve` printed to its log, and only while no account exists.
func (d *Dashboard) SetupForm(c *fiber.Ctx) error {
	if err := d.checkSetup(c, c.Query("token")); err != nil {
		return err
	}
	return render(c, fiber.StatusOK, "setup", Page{Title: "Welcome", CSRF: CSRFToken(c), Body: loginForm{Token: c.Query("token")}})
}

// Setup answers POST /setup: it creates the first account, an admin, and
// signs it in. Of concurrent requests exactly one succeeds.
func (d *Dashboard) Setup(c *fiber.Ctx) error {
	token := c.FormValue("token")
	if err := d.checkSetup(c, token); err != nil {
		return err
	}
	form := loginForm{Email: c.FormValue("email"), Token: token}
	u, err := d.acc.Setup(c.UserContext(), form.Email, c.FormValue("password"))
	if msg, ok := invalidMessage(err); ok {
		form.Error = msg
		return render(c, fiber.StatusBadRequest, "setup", Page{Title: "Welcome", CSRF: CSRFToken(c), Body: form})
	}
	if errors.Is(err, account.ErrExists) {
		return errSetUp
	} else if err != nil {
		return fmt.Errorf("create the first account: %w", err)
	}
	d.cfg.Log.Info("first account created; the setup link no longer works")
	if err := d.startSession(c, u); err != nil {
		return err
	}
	return c.Redirect("/", fiber.StatusSeeOther)
}

var errSetUp = fiber.NewError(fiber.StatusNotFound, "tally is already set up: sign in at /login")

// checkSetup lets the first-run page through only with the right token
// while there is no account. Without a token configured there is no
// first-run page: the first account is made with `tally user add`.
func (d *Dashboard) checkSetup(c *fiber.Ctx, token string) error {
	n, err := d.cfg.Store.CountUsers(c.UserContext())
	if err != nil {
		return fmt.Errorf("count users: %w", err)
	}
	if n > 0 {
		return errSetUp
	}
	want := d.cfg.SetupToken
	if want == "" || subtle.ConstantTimeCompare([]byte(token), []byte(want)) != 1 {
		return fiber.NewError(fiber.StatusForbidden, "open the setup link that `tally serve` printed to its log, or create an account with `tally user add EMAIL`")
	}
	return nil
}
