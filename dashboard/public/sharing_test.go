package public

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"

	"tally/account"
	"tally/aggregate"
	"tally/dashboard"
)

// sharingApp is the dashboard with the public routes and the settings
// page's publishing, registered as cmd/tally/routes.go registers them, on
// the hostile dataset's store.
type sharingApp struct {
	t    *testing.T
	app  *fiber.App
	d    *dataset
	site string
}

func newSharingApp(t *testing.T) *sharingApp {
	t.Helper()
	d := hostile(t)
	d.flush()
	// The share page looks at the dataset's October; sign-ins live on the
	// real clock, which the store's expiry check uses.
	now := func() time.Time { return time.Date(2026, 11, 2, 12, 0, 0, 0, time.UTC) }
	h, err := New(d.store, aggregate.NewEngine(d.store, nil), now, Instance{})
	if err != nil {
		t.Fatal(err)
	}
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	dash := dashboard.New(dashboard.Config{Store: d.store, Engine: aggregate.NewEngine(d.store, nil), Now: time.Now, Log: quiet,
		Sharing: h.SharingSection})
	app := fiber.New(fiber.Config{ErrorHandler: func(c *fiber.Ctx, err error) error {
		var fe *fiber.Error
		if errors.As(err, &fe) {
			return c.Status(fe.Code).SendString(fe.Message)
		}
		t.Errorf("%s %s: unexpected error %v", c.Method(), c.Path(), err)
		return c.Status(500).SendString("internal error")
	}})
	app.Get("/share/:slug", h.Share)
	app.Get("/share/:slug/report/:period", h.Report)
	dash.Register(app, h.PublishSite(dash), h.UnpublishSite(dash))

	for _, u := range []struct {
		email string
		admin bool
	}{{"owner@example.com", true}, {"other@example.com", false}} {
		hash, err := account.HashPassword("correct horse")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := d.store.AddUser(context.Background(), account.User{Email: u.email, PasswordHash: hash, Admin: u.admin}); err != nil {
			t.Fatal(err)
		}
	}
	return &sharingApp{t: t, app: app, d: d, site: d.site.Domain}
}

// browser is one signed-in (or not) client: its cookies and CSRF token.
type browser struct {
	s       *sharingApp
	cookies map[string]string
}

func (s *sharingApp) browser() *browser { return &browser{s: s, cookies: map[string]string{}} }

func (b *browser) do(method, path string, form url.Values) (int, http.Header, string) {
	b.s.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req := httptest.NewRequest(method, path, body)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for k, v := range b.cookies {
		req.AddCookie(&http.Cookie{Name: k, Value: v})
	}
	resp, err := b.s.app.Test(req, -1)
	if err != nil {
		b.s.t.Fatal(err)
	}
	defer resp.Body.Close()
	for _, c := range resp.Cookies() {
		b.cookies[c.Name] = c.Value
	}
	out, err := io.ReadAll(resp.Body)
	if err != nil {
		b.s.t.Fatal(err)
	}
	return resp.StatusCode, resp.Header, string(out)
}

// csrf is the form token of the browser's last page (signed in, it is
// bound to the session, so it is read from a page, not from a cookie).
func (b *browser) csrf() string {
	b.s.t.Helper()
	_, _, body := b.do("GET", "/login", nil)
	if _, ok := b.cookies["tally_session"]; ok {
		_, _, body = b.do("GET", "/", nil)
	}
	m := regexp.MustCompile(`name="csrf" value="([^"]+)"`).FindStringSubmatch(body)
	if m == nil {
		b.s.t.Fatalf("no csrf field in\n%s", body)
	}
	return m[1]
}

func (b *browser) signIn(email string) {
	b.s.t.Helper()
	b.do("GET", "/login", nil)
	code, hdr, body := b.do("POST", "/login", url.Values{"email": {email}, "password": {"correct horse"}, "csrf": {b.csrf()}})
	if code != 303 || hdr.Get("Location") != "/" {
		b.s.t.Fatalf("sign in as %s: %d %s %s", email, code, hdr.Get("Location"), body)
	}
}

// policy is the publish form's fields.
func policy(k, n, eps string, csrf string) url.Values {
	v := url.Values{"min_visitors": {k}, "round": {n}, "epsilon": {eps}}
	if csrf != "" {
		v.Set("csrf", csrf)
	}
	return v
}

func (s *sharingApp) share() (account.Share, bool) {
	s.t.Helper()
	sh, err := s.d.store.ShareBySite(context.Background(), s.d.site.ID)
	if errors.Is(err, account.ErrNotFound) {
		return sh, false
	}
	if err != nil {
		s.t.Fatal(err)
	}
	return sh, true
}

var shareLink = regexp.MustCompile(`href="(/share/[A-Za-z0-9_-]+)"`)

func TestPublishFromSettings(t *testing.T) {
	s := newSharingApp(t)
	owner, other := s.browser(), s.browser()
	owner.signIn("owner@example.com")
	other.signIn("other@example.com")
	settings := "/" + s.site + "/settings"

	code, _, body := owner.do("GET", settings, nil)
	if code != 200 || !strings.Contains(body, "not published") || !strings.Contains(body, `action="/`+s.site+`/share"`) {
		t.Fatalf("GET %s: %d, want the publish form:\n%s", settings, code, body)
	}
	for _, want := range []string{`name="min_visitors"`, `min="2"`, `value="10"`, `name="round"`, `value="5"`, `name="epsilon"`, `value="0"`} {
		if !strings.Contains(body, want) {
			t.Errorf("the publish form lacks %s", want)
		}
	}

	// Refused: no CSRF token, a user who may not see the site, K below 2.
	if code, _, _ := owner.do("POST", "/"+s.site+"/share", policy("10", "5", "0", "")); code != 403 {
		t.Errorf("publish without the CSRF token: %d, want 403", code)
	}
	if code, _, _ := other.do("POST", "/"+s.site+"/share", policy("10", "5", "0", other.csrf())); code != 404 {
		t.Errorf("publish by a user without access: %d, want 404", code)
	}
	if code, _, _ := other.do("GET", settings, nil); code != 404 {
		t.Errorf("settings for a user without access: %d, want 404", code)
	}
	for _, bad := range []url.Values{policy("1", "5", "0", owner.csrf()), policy("10", "0", "0", owner.csrf()),
		policy("10", "5", "-1", owner.csrf()), policy("ten", "5", "0", owner.csrf()), policy("10", "5", "NaN", owner.csrf())} {
		if code, _, body := owner.do("POST", "/"+s.site+"/share", bad); code != 400 {
			t.Errorf("publish with %v: %d %s, want 400", bad, code, body)
		}
	}
	if _, ok := s.share(); ok {
		t.Fatal("a refused request published the site")
	}

	// Published through the form: the share page answers, protected.
	code, hdr, _ := owner.do("POST", "/"+s.site+"/share", policy("10", "5", "0", owner.csrf()))
	if code != 303 || !strings.HasPrefix(hdr.Get("Location"), settings) {
		t.Fatalf("publish: %d to %q, want 303 to the settings", code, hdr.Get("Location"))
	}
	sh, ok := s.share()
	if !ok || !ValidSlug(sh.Slug) || sh.MinVisitors != 10 || sh.Round != 5 || sh.Epsilon != 0 {
		t.Fatalf("after publishing, the share is %+v (stored: %v)", sh, ok)
	}
	_, _, body = owner.do("GET", settings, nil)
	m := shareLink.FindStringSubmatch(body)
	if m == nil || m[1] != SharePath(sh) || !strings.Contains(body, "published") || !strings.Contains(body, "10 visitors") {
		t.Fatalf("the settings page does not show the share %s:\n%s", SharePath(sh), body)
	}
	code, _, page := s.browser().do("GET", SharePath(sh), nil)
	if code != 200 || !strings.Contains(page, "/pricing") {
		t.Fatalf("GET %s after publishing: %d\n%s", SharePath(sh), code, page)
	}
	assertNone(t, "the share page", page, lonerValues)

	// Publishing again changes the parameters and keeps the address.
	if code, _, _ := owner.do("POST", "/"+s.site+"/share", policy("12", "10", "0.5", owner.csrf())); code != 303 {
		t.Fatalf("publish again: %d", code)
	}
	if again, _ := s.share(); again.Slug != sh.Slug || again.MinVisitors != 12 || again.Round != 10 || again.Epsilon != 0.5 {
		t.Errorf("publishing again stored %+v, want slug %s with 12/10/0.5", again, sh.Slug)
	}
	if _, _, body := owner.do("GET", settings, nil); !strings.Contains(body, "ε = 0.5") || !strings.Contains(body, `value="12"`) {
		t.Errorf("the settings page does not show the new parameters")
	}

	// Unpublishing: refused without CSRF or access, then the page is gone.
	if code, _, _ := owner.do("POST", "/"+s.site+"/unshare", url.Values{}); code != 403 {
		t.Errorf("unpublish without the CSRF token: %d, want 403", code)
	}
	if code, _, _ := other.do("POST", "/"+s.site+"/unshare", url.Values{"csrf": {other.csrf()}}); code != 404 {
		t.Errorf("unpublish by a user without access: %d, want 404", code)
	}
	// A viewer of the site reads it but may not change its sharing.
	u, err := s.d.store.UserByEmail(context.Background(), "other@example.com")
	if err != nil {
		t.Fatal(err)
	}
	if err := s.d.store.SetMember(context.Background(), account.Member{Site: s.d.site.ID, User: u.ID, Role: account.Viewer}); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"/unshare", "/share"} {
		if code, _, _ := other.do("POST", "/"+s.site+path, policy("10", "5", "0", other.csrf())); code != 403 {
			t.Errorf("POST %s by a viewer: %d, want 403", path, code)
		}
	}
	if code, _, _ := s.browser().do("GET", SharePath(sh), nil); code != 200 {
		t.Fatalf("a refused unpublish took the share page down: %d", code)
	}
	if code, _, _ := owner.do("POST", "/"+s.site+"/unshare", url.Values{"csrf": {owner.csrf()}}); code != 303 {
		t.Fatalf("unpublish: %d", code)
	}
	for _, p := range []string{SharePath(sh), SharePath(sh) + "/report/2026-10.json"} {
		if code, _, _ := s.browser().do("GET", p, nil); code != 404 {
			t.Errorf("GET %s after unpublishing: %d, want 404", p, code)
		}
	}
	if _, _, body := owner.do("GET", settings, nil); !strings.Contains(body, "not published") {
		t.Errorf("the settings page still shows the site as published")
	}
}

func TestSlugs(t *testing.T) {
	seen := map[string]bool{}
	for range 100 {
		s, err := NewSlug()
		if err != nil {
			t.Fatal(err)
		}
		if !ValidSlug(s) || len(s) != 22 || seen[s] {
			t.Fatalf("NewSlug gave %q (valid %v, seen %v)", s, ValidSlug(s), seen[s])
		}
		seen[s] = true
	}
	for _, bad := range []string{"", "abc", "short-slug", "not/a/slug/0123456789abcdef", "has space 0123456789abcdef", "../../0123456789abcdefghij",
		strings.Repeat("a", 129)} {
		if ValidSlug(bad) {
			t.Errorf("ValidSlug(%q) = true", bad)
		}
	}
}
