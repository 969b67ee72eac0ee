package dashboard

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"tally/account"
	"time"

	"github.com/gofiber/fiber/v2"
	"golang.org/x/crypto/bcrypt"
)

type loginForm struct {
	Email, Next, Error string
}

// LoginForm answers GET /login; with no account yet it sends to /setup.
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
var dummyHash, _ = bcrypt.GenerateFromPassword([]byte("not a password"), bcrypt.DefaultCost)

// Login answers POST /login (email, password, csrf, next).
func (d *Dashboard) Login(c *fiber.Ctx) error {
	key := d.clientKey(c)
	now := d.cfg.Now()
	if wait := d.limiter.blocked(key, now); wait > 0 {
		mins := int(wait.Minutes()) + 1
		return fiber.NewError(fiber.StatusTooManyRequests, fmt.Sprintf("too many failed sign-ins: try again in %d minutes", mins))
	}
	email, pw := NormalizeEmail(c.FormValue("email")), c.FormValue("password")
	form := loginForm{Email: email, Next: safeNext(c.FormValue("next"))}
	u, err := d.cfg.Store.UserByEmail(c.UserContext(), email)
	hash := u.PasswordHash
	if err != nil {
		if !errors.Is(err, account.ErrNotFound) {
			return fmt.Errorf("look up user: %w", err)
		}
		hash = dummyHash
	}
	if bcrypt.CompareHashAndPassword(hash, []byte(pw)) != nil || err != nil {
		d.limiter.fail(key, now)
		d.cfg.Log.Info("failed sign-in") // deliberately without email or address
		form.Error = "Wrong email or password."
		return render(c, fiber.StatusUnauthorized, "login", Page{Title: "Sign in", CSRF: CSRFToken(c), Body: form})
	}
	d.limiter.reset(key)
	if err := d.startSession(c, u); err != nil {
		return err
	}
	return c.Redirect(form.Next, fiber.StatusSeeOther)
}

// Logout answers POST /logout.
func (d *Dashboard) Logout(c *fiber.Ctx) error {
	if tok := c.Cookies(sessionCookie); tok != "" {
		if err := d.cfg.Store.DeleteLogin(c.UserContext(), hashToken(tok)); err != nil {
			return err
		}
	}
	d.cookie(c, sessionCookie, "", time.Unix(1, 0))
	return c.Redirect("/login", fiber.StatusSeeOther)
}

// SetupForm answers GET /setup: the first-run page, only while no
// account exists.
func (d *Dashboard) SetupForm(c *fiber.Ctx) error {
	if err := d.needsSetup(c); err != nil {
		return err
	}
	return render(c, fiber.StatusOK, "setup", Page{Title: "Welcome", CSRF: CSRFToken(c), Body: loginForm{}})
}

// Setup answers POST /setup: it creates the first account, an admin, and
// signs it in.
func (d *Dashboard) Setup(c *fiber.Ctx) error {
	if err := d.needsSetup(c); err != nil {
		return err
	}
	email, pw := NormalizeEmail(c.FormValue("email")), c.FormValue("password")
	form := loginForm{Email: email}
	if msg := CheckAccount(email, pw); msg != "" {
		form.Error = msg
		return render(c, fiber.StatusBadRequest, "setup", Page{Title: "Welcome", CSRF: CSRFToken(c), Body: form})
	}
	hash, err := HashPassword(pw)
	if err != nil {
		return err
	}
	u, err := d.cfg.Store.AddUser(c.UserContext(), account.User{Email: email, PasswordHash: hash, Admin: true, Created: d.cfg.Now()})
	if err != nil {
		return fmt.Errorf("create the first account: %w", err)
	}
	if err := d.startSession(c, u); err != nil {
		return err
	}
	return c.Redirect("/", fiber.StatusSeeOther)
}

func (d *Dashboard) needsSetup(c *fiber.Ctx) error {
	n, err := d.cfg.Store.CountUsers(c.UserContext())
	if err != nil {
		return fmt.Errorf("count users: %w", err)
	}
	if n > 0 {
		return fiber.NewError(fiber.StatusNotFound, "tally is already set up: sign in at /login")
	}
	return nil
}

// CheckAccount returns what is wrong with a new account's email and
// password, or "".
func CheckAccount(email, pw string) string {
	at := strings.IndexByte(email, '@')
	switch {
	case at < 1 || at == len(email)-1 || strings.ContainsAny(email, " \t\r\n"):
		return "Enter an email address."
	case len(pw) < 8:
		return "The password needs at least 8 characters."
	case len(pw) > 72:
		return "The password may have at most 72 bytes." // bcrypt's limit
	}
	return ""
}

// limiter counts failed sign-ins per client in memory.
type limiter struct {
	max    int
	window time.Duration
	mu     sync.Mutex
	fails  map[string]*failures
}

type failures struct {
	n     int
	since time.Time
}

func newLimiter(max int, window time.Duration) *limiter {
	return &limiter{max: max, window: window, fails: map[string]*failures{}}
}

// blocked returns how long key must wait, or 0.
func (l *limiter) blocked(key string, now time.Time) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	f := l.fails[key]
	if f == nil || now.Sub(f.since) >= l.window {
		return 0
	}
	if f.n >= l.max {
		return f.since.Add(l.window).Sub(now)
	}
	return 0
}

func (l *limiter) fail(key string, now time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	f := l.fails[key]
	if f == nil || now.Sub(f.since) >= l.window {
		if len(l.fails) >= 100_000 {
			clear(l.fails) // a bound, against floods of addresses
		}
		f = &failures{since: now}
		l.fails[key] = f
	}
	f.n++
}

func (l *limiter) reset(key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.fails, key)
}
