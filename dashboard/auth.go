package dashboard

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"tally/account"
)

const (
	sessionCookie = "tally_session"
	csrfCookie    = "tally_csrf"
	sessionTTL    = 30 * 24 * time.Hour

	localUser = "tally.user"
	localCSRF = "tally.csrf"
)

// Secure says whether the browser reached tally over HTTPS, directly or
// through a proxy that says so in X-Forwarded-Proto or Forwarded (RFC
// 7239). A client that lies only makes its own cookies Secure.
func Secure(c *fiber.Ctx) bool {
	if c.Protocol() == "https" {
		return true
	}
	for _, elem := range strings.Split(c.Get(fiber.HeaderForwarded), ",") {
		for _, pair := range strings.Split(elem, ";") {
			k, v, _ := strings.Cut(strings.TrimSpace(pair), "=")
			if strings.EqualFold(k, "proto") && strings.EqualFold(strings.Trim(v, `"`), "https") {
				return true
			}
		}
	}
	return false
}

func (d *Dashboard) cookie(c *fiber.Ctx, name, value string, expires time.Time) {
	c.Cookie(&fiber.Cookie{
		Name: name, Value: value, Path: "/", Expires: expires,
		HTTPOnly: true, SameSite: fiber.CookieSameSiteLaxMode, Secure: Secure(c),
	})
}

// sessionCSRF is the form token of a signed-in browser: derived from its
// session token, so it changes with every sign-in and a token taken from
// one session (or planted before sign-in) is worthless in another.
func sessionCSRF(session string) string {
	h := sha256.Sum256([]byte("tally csrf\x00" + session))
	return base64.RawURLEncoding.EncodeToString(h[:])
}

// CSRF gives every visitor of a dashboard page a form token, and rejects
// any POST whose form (or X-CSRF-Token header) does not carry it with 403.
// Signed out, the token lives in a cookie of its own (another site can
// make a browser send the cookie but cannot read it); signed in, it is
// derived from the session cookie, so it is bound to the session.
func (d *Dashboard) CSRF(c *fiber.Ctx) error {
	tok := c.Cookies(csrfCookie)
	if len(tok) < 32 {
		tok = ""
	}
	if s := c.Cookies(sessionCookie); len(s) >= 32 {
		tok = sessionCSRF(s)
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
		tok = account.NewToken()
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

// RequireUser lets signed-in users through. Others are sent to /login;
// their requests other than GET fail with 401.
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

// RequireAdmin lets admins through; other signed-in users get 404, as
// for a page that does not exist.
func (d *Dashboard) RequireAdmin(c *fiber.Ctx) error {
	if !CurrentUser(c).Admin {
		return fiber.NewError(fiber.StatusNotFound, "no such page")
	}
	return c.Next()
}

func (d *Dashboard) signedIn(c *fiber.Ctx) (account.User, bool) {
	tok := c.Cookies(sessionCookie)
	if tok == "" {
		return account.User{}, false
	}
	l, err := d.cfg.Store.Login(c.UserContext(), account.HashToken(tok))
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
	tok := account.NewToken()
	exp := d.cfg.Now().Add(sessionTTL)
	if err := d.cfg.Store.AddLogin(c.UserContext(), account.Login{TokenHash: account.HashToken(tok), User: u.ID, Expires: exp}); err != nil {
		return fmt.Errorf("sign in: %w", err)
	}
	d.cookie(c, sessionCookie, tok, exp)
	return nil
}

// safeNext keeps a post-login redirect on this site: a path, and nothing a
// browser could read as another origin. Browsers drop tabs and newlines
// from URLs and read "\" as "/", so "/\t/evil.com" and "/\evil.com" are
// "//evil.com", a URL of another host.
func safeNext(next string) string {
	if !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.ContainsRune(next, '\\') {
		return "/"
	}
	for i := 0; i < len(next); i++ {
		if next[i] < 0x20 || next[i] == 0x7f {
			return "/"
		}
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil {
		return "/"
	}
	return next
}
