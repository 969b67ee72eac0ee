package dashboard

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"net/netip"
	"net/url"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"golang.org/x/crypto/bcrypt"

	"tally/account"
	"tally/collector"
)

const (
	sessionCookie = "tally_session"
	csrfCookie    = "tally_csrf"
	sessionTTL    = 30 * 24 * time.Hour
	// A client gets loginAttempts failed sign-ins per loginWindow.
	loginAttempts = 10
	loginWindow   = 15 * time.Minute

	localUser = "tally.user"
	localCSRF = "tally.csrf"
)

// HashPassword is how passwords are stored: bcrypt at the default cost.
func HashPassword(pw string) ([]byte, error) {
	h, err := bcrypt.GenerateFromPassword([]byte(pw), bcrypt.DefaultCost)
	if err != nil {
		return nil, fmt.Errorf("hash password: %w", err)
	}
	return h, nil
}

// NormalizeEmail is how emails are stored and looked up.
func NormalizeEmail(e string) string { return strings.ToLower(strings.TrimSpace(e)) }

func hashToken(tok string) []byte {
	h := sha256.Sum256([]byte(tok))
	return h[:]
}

func randomToken() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // crypto/rand never fails on supported platforms
	return base64.RawURLEncoding.EncodeToString(b)
}

func (d *Dashboard) cookie(c *fiber.Ctx, name, value string, expires time.Time) {
	c.Cookie(&fiber.Cookie{
		Name: name, Value: value, Path: "/", Expires: expires,
		HTTPOnly: true, SameSite: fiber.CookieSameSiteLaxMode, Secure: c.Protocol() == "https",
	})
}

// CSRF gives every visitor of a dashboard page a token in a cookie, and
// rejects any POST whose form (or X-CSRF-Token header) does not carry the
// same token with 403. Another site can make a browser send the cookie but
// cannot read it, so it cannot put the token in the form.
func (d *Dashboard) CSRF(c *fiber.Ctx) error {
	tok := c.Cookies(csrfCookie)
	if len(tok) < 32 {
		tok = ""
	}
	if c.Method() == fiber.MethodPost {
		sent := c.FormValue("csrf")
		if sent == "" {
			sent = c.Get("X-CSRF-Token")
		}
		if tok == "" || subtle.ConstantTimeCompare([]byte(sent), []byte(tok)) != 1 {
			return fiber.NewError(fiber.StatusForbidden, "missing or stale form token: reload the page and try again")
		}
	}
	if tok == "" {
		tok = randomToken()
		d.cookie(c, csrfCookie, tok, time.Time{})
	}
	c.Locals(localCSRF, tok)
	return c.Next()
}

// CSRFToken is the token the page's POST forms must carry (field "csrf").
func CSRFToken(c *fiber.Ctx) string {
	s, _ := c.Locals(localCSRF).(string)
	return s
}

// CurrentUser is the signed-in user of a request that passed RequireUser.
func CurrentUser(c *fiber.Ctx) account.User {
	u, _ := c.Locals(localUser).(account.User)
	return u
}

// RequireUser lets signed-in users through. Others are sent to /login
// (to /setup while no account exists); their requests other than GET fail
// with 401.
func (d *Dashboard) RequireUser(c *fiber.Ctx) error {
	if u, ok := d.signedIn(c); ok {
		c.Locals(localUser, u)
		c.Set(fiber.HeaderCacheControl, "private, no-store")
		return c.Next()
	}
	if c.Method() != fiber.MethodGet {
		return fiber.NewError(fiber.StatusUnauthorized, "sign in first")
	}
	return c.Redirect("/login?next="+url.QueryEscape(c.OriginalURL()), fiber.StatusSeeOther)
}

func (d *Dashboard) signedIn(c *fiber.Ctx) (account.User, bool) {
	tok := c.Cookies(sessionCookie)
	if tok == "" {
		return account.User{}, false
	}
	l, err := d.cfg.Store.Login(c.UserContext(), hashToken(tok))
	if err != nil {
		if !errors.Is(err, account.ErrNotFound) {
			d.cfg.Log.Error("look up sign-in", "err", err)
		}
		return account.User{}, false
	}
	// The store's own expiry check uses the wall clock; the dashboard's
	// clock is the one that counts (and the one tests move).
	if !d.cfg.Now().Before(l.Expires) {
		return account.User{}, false
	}
	u, err := d.cfg.Store.UserByID(c.UserContext(), l.User)
	return u, err == nil
}

// startSession signs u in on this browser.
func (d *Dashboard) startSession(c *fiber.Ctx, u account.User) error {
	tok := randomToken()
	exp := d.cfg.Now().Add(sessionTTL)
	if err := d.cfg.Store.AddLogin(c.UserContext(), account.Login{TokenHash: hashToken(tok), User: u.ID, Expires: exp}); err != nil {
		return fmt.Errorf("sign in: %w", err)
	}
	d.cookie(c, sessionCookie, tok, exp)
	return nil
}

// clientKey identifies a client for the login rate limit. It lives only
// in memory and is never logged.
func (d *Dashboard) clientKey(c *fiber.Ctx) string {
	peer, _ := netip.AddrFromSlice(c.Context().RemoteIP())
	ip := collector.ClientIP(peer, c.Get(fiber.HeaderXForwardedFor), c.Get("X-Real-IP"), d.cfg.TrustedProxies)
	return ip.String()
}

// safeNext keeps a post-login redirect on this site.
func safeNext(next string) string {
	if !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.ContainsAny(next, "\\\r\n") {
		return "/"
	}
	return next
}
