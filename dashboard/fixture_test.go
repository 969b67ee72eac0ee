package dashboard

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"

	"tally/account"
	"tally/aggregate"
	"tally/aggregate/sqlite"
)

// clock is the fake clock the tests move.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

// fixture is a dashboard over a real embedded store, with its routes
// registered by Register, as cmd/tally does.
type fixture struct {
	t     *testing.T
	st    aggregate.Store
	agg   *aggregate.Aggregator
	clock *clock
	app   *fiber.App
	stats *StatsAPI
}

// setupToken is the first-run token of every fixture.
const setupToken = "the-setup-token-printed-to-the-log"

func newFixture(t *testing.T) *fixture {
	t.Helper()
	st, err := sqlite.Open(context.Background(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return newFixtureOn(t, st)
}

// newFixtureOn is the fixture over a given store (storetest.ClickHouse for
// the other one); it closes st when the test ends.
func newFixtureOn(t *testing.T, st aggregate.Store) *fixture {
	t.Helper()
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	// The clock starts today (cookies' expiry is judged by the real clock,
	// as a browser would), at a fixed hour so the scenario stays in one day.
	y, m, dd := time.Now().UTC().Date()
	f := &fixture{t: t, st: st, clock: &clock{t: time.Date(y, m, dd, 14, 30, 0, 0, time.UTC)}}
	f.agg = aggregate.New(aggregate.Config{Checkpoint: time.Hour}, st, f.clock.Now, quiet)
	t.Cleanup(func() {
		f.agg.Close(context.Background())
		st.Close()
	})
	d := New(Config{Store: st, Engine: aggregate.NewEngine(st, f.agg), Realtime: f.agg.Realtime, Live: f.agg.Live, Now: f.clock.Now, Log: quiet,
		SetupToken: setupToken,
		// The tests play the proxy (app.Test's peer is 0.0.0.0): a test's
		// X-Forwarded-For says which network a sign-in comes from.
		TrustedProxies: []netip.Prefix{netip.MustParsePrefix("0.0.0.0/32")}})
	// Immutable as tally serve's app is: without it fiber's strings point
	// into request buffers that later requests overwrite.
	f.app = fiber.New(fiber.Config{Immutable: true, ErrorHandler: func(c *fiber.Ctx, err error) error {
		code, msg, known := Status(err)
		if !known {
			t.Errorf("%s %s: unexpected error %v", c.Method(), c.Path(), err)
		}
		return ErrorPage(c, code, msg)
	}})
	d.Register(f.app, nil, nil) // publishing is dashboard/public's, tested there
	f.stats = NewStatsAPI(st, aggregate.NewEngine(st, f.agg), f.clock.Now)
	f.app.Post("/api/v2/query", f.stats.Query)
	return f
}

func (f *fixture) addUser(email, pw string, admin bool) account.User {
	f.t.Helper()
	h, err := account.HashPassword(pw)
	if err != nil {
		f.t.Fatal(err)
	}
	u, err := f.st.AddUser(context.Background(), account.User{Email: email, PasswordHash: h, Admin: admin})
	if err != nil {
		f.t.Fatal(err)
	}
	return u
}

func (f *fixture) addSite(domain string, owner int64) account.Site {
	f.t.Helper()
	s, err := f.st.AddSite(context.Background(), account.Site{Domain: domain, Timezone: "UTC", Owner: owner,
		Created: f.clock.Now().AddDate(0, -1, 0)})
	if err != nil {
		f.t.Fatal(err)
	}
	return s
}

// scenario feeds the standard scenario: 10 visitors (Chrome ×4, Firefox ×3,
// Safari on iPhone ×3), three pages each, arriving from the newsletter,
// plus one visitor whose page path is hostile.
func (f *fixture) scenario(site account.Site) {
	f.t.Helper()
	type visitor struct{ browser, os, device string }
	var vs []visitor
	for range 4 {
		vs = append(vs, visitor{"Chrome", "Windows", "Desktop"})
	}
	for range 3 {
		vs = append(vs, visitor{"Firefox", "Linux", "Desktop"})
	}
	for range 3 {
		vs = append(vs, visitor{"Safari", "iOS", "Mobile"})
	}
	at := f.clock.Now().Add(-2 * time.Hour)
	for i, v := range vs {
		for j, page := range []string{"/", "/pricing", "/about"} {
			var k aggregate.Key
			k[aggregate.Hostname], k[aggregate.Page], k[aggregate.Event] = site.Domain, page, aggregate.PageviewEvent
			if j == 0 {
				k[aggregate.Source], k[aggregate.UTMSource] = "newsletter", "newsletter"
			}
			k[aggregate.Browser], k[aggregate.BrowserVersion] = v.browser, v.browser+" 139"
			k[aggregate.OS], k[aggregate.Device], k[aggregate.Language] = v.os, v.device, "en"
			f.agg.Add(aggregate.Hit{Site: site.ID, Time: at.Add(time.Duration(i*10+j) * time.Second), Visitor: uint64(1000 + i), Key: k})
		}
	}
	var k aggregate.Key
	k[aggregate.Hostname], k[aggregate.Page], k[aggregate.Event] = site.Domain, "/<script>alert(1)</script>", aggregate.PageviewEvent
	k[aggregate.Browser], k[aggregate.OS], k[aggregate.Device] = "Edge", "Windows", "Desktop"
	k[aggregate.UTMCampaign] = "=HYPERLINK(\"http://evil.example\")"
	f.agg.Add(aggregate.Hit{Site: site.ID, Time: at.Add(5 * time.Minute), Visitor: 77, Key: k})
	if err := f.agg.Sync(context.Background()); err != nil {
		f.t.Fatal(err)
	}
}

// browser is a cookie jar over app.Test.
type browser struct {
	f       *fixture
	cookies map[string]*http.Cookie
}

func (f *fixture) browser() *browser { return &browser{f: f, cookies: map[string]*http.Cookie{}} }

type response struct {
	code    int
	body    string
	header  http.Header
	cookies []*http.Cookie
}

func (b *browser) do(method, target string, form url.Values, headers ...string) response {
	b.f.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req := httptest.NewRequest(method, target, body)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	for _, c := range b.cookies {
		req.AddCookie(c)
	}
	res, err := b.f.app.Test(req, -1)
	if err != nil {
		b.f.t.Fatalf("%s %s: %v", method, target, err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	for _, c := range res.Cookies() {
		if c.Value == "" || (!c.Expires.IsZero() && c.Expires.Before(time.Now())) {
			delete(b.cookies, c.Name)
		} else {
			b.cookies[c.Name] = c
		}
	}
	return response{code: res.StatusCode, body: string(raw), header: res.Header, cookies: res.Cookies()}
}

func (b *browser) get(target string) response { return b.do(http.MethodGet, target, nil) }

// doBody sends a raw body (the Stats API's JSON).
func (b *browser) doBody(method, target, body string, headers ...string) response {
	b.f.t.Helper()
	req := httptest.NewRequest(method, target, strings.NewReader(body))
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	res, err := b.f.app.Test(req, -1)
	if err != nil {
		b.f.t.Fatalf("%s %s: %v", method, target, err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	return response{code: res.StatusCode, body: string(raw), header: res.Header}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// token is the CSRF token of the form on page target.
func (b *browser) token(target string) string {
	b.f.t.Helper()
	res := b.get(target)
	m := csrfField.FindStringSubmatch(res.body)
	if m == nil {
		b.f.t.Fatalf("GET %s (%d): no csrf field in\n%s", target, res.code, res.body)
	}
	return m[1]
}

// post submits a form the way the page's form would, with its CSRF token.
func (b *browser) post(page, action string, form url.Values) response {
	b.f.t.Helper()
	form.Set("csrf", b.token(page))
	return b.do(http.MethodPost, action, form)
}

func (b *browser) login(email, pw string) response {
	b.f.t.Helper()
	return b.post("/login", "/login", url.Values{"email": {email}, "password": {pw}})
}
