package dashboard

import (
	"encoding/csv"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

const pw = "correct horse battery"

func TestSignIn(t *testing.T) {
	f := newFixture(t)
	f.addUser("owner@example.com", pw, true)
	f.addSite("example.com", 0)
	b := f.browser()

	if res := b.get("/example.com"); res.code != http.StatusSeeOther || res.header.Get("Location") != "/login?next=%2Fexample.com" {
		t.Fatalf("signed out, GET /example.com = %d to %q; want 303 to /login?next=%%2Fexample.com", res.code, res.header.Get("Location"))
	}
	res := b.login("owner@example.com", "wrong password")
	if res.code != http.StatusUnauthorized || !strings.Contains(res.body, "Wrong email or password") {
		t.Fatalf("wrong password: %d, want 401 with a message; body:\n%s", res.code, res.body)
	}
	if _, ok := b.cookies[sessionCookie]; ok {
		t.Fatal("a wrong password set a session cookie")
	}
	res = b.post("/login?next=/example.com", "/login", url.Values{"email": {"Owner@Example.com "}, "password": {pw}, "next": {"/example.com"}})
	if res.code != http.StatusSeeOther || res.header.Get("Location") != "/example.com" {
		t.Fatalf("sign-in = %d to %q, want 303 to /example.com", res.code, res.header.Get("Location"))
	}
	c := b.cookies[sessionCookie]
	if c == nil || !c.HttpOnly || c.SameSite != http.SameSiteLaxMode || c.Secure {
		t.Fatalf("session cookie %+v: want HttpOnly, SameSite=Lax, not Secure over plain HTTP", c)
	}
	if res := b.get("/"); res.code != 200 || !strings.Contains(res.body, `href="/example.com"`) {
		t.Fatalf("signed in, GET / = %d without the site:\n%s", res.code, res.body)
	}
	// A next pointing elsewhere is ignored.
	b2 := f.browser()
	res = b2.post("/login", "/login", url.Values{"email": {"owner@example.com"}, "password": {pw}, "next": {"//evil.example/"}})
	if res.header.Get("Location") != "/" {
		t.Errorf("next=//evil.example/ redirected to %q, want /", res.header.Get("Location"))
	}

	res = b.post("/", "/logout", url.Values{})
	if res.code != http.StatusSeeOther {
		t.Fatalf("logout = %d, want 303", res.code)
	}
	if res := b.get("/"); res.code != http.StatusSeeOther {
		t.Fatalf("after logout GET / = %d, want 303 to /login", res.code)
	}
}

func TestSecureCookieBehindTLS(t *testing.T) {
	f := newFixture(t)
	f.addUser("owner@example.com", pw, true)
	b := f.browser()
	tok := b.token("/login")
	form := url.Values{"email": {"owner@example.com"}, "password": {pw}, "csrf": {tok}}
	res := b.do(http.MethodPost, "/login", form, "X-Forwarded-Proto", "https")
	for _, c := range res.cookies {
		if c.Name == sessionCookie && !c.Secure {
			t.Fatal("over HTTPS the session cookie is not Secure")
		}
	}
	if b.cookies[sessionCookie] == nil {
		t.Fatalf("no session cookie after sign-in over HTTPS (%d)", res.code)
	}
}

func TestCSRF(t *testing.T) {
	f := newFixture(t)
	f.addUser("owner@example.com", pw, true)
	b := f.browser()
	form := url.Values{"email": {"owner@example.com"}, "password": {pw}}
	if res := b.do(http.MethodPost, "/login", form); res.code != http.StatusForbidden {
		t.Fatalf("sign-in without any CSRF token = %d, want 403", res.code)
	}
	b.token("/login") // the cookie is set now, but the form still lacks the token
	if res := b.do(http.MethodPost, "/login", form); res.code != http.StatusForbidden {
		t.Fatalf("sign-in without the form token = %d, want 403", res.code)
	}
	form.Set("csrf", strings.Repeat("x", 43))
	if res := b.do(http.MethodPost, "/login", form); res.code != http.StatusForbidden {
		t.Fatalf("sign-in with a wrong token = %d, want 403", res.code)
	}
	if res := b.login("owner@example.com", pw); res.code != http.StatusSeeOther {
		t.Fatalf("sign-in with the token = %d, want 303", res.code)
	}
	res := b.do(http.MethodPost, "/sites", url.Values{"domain": {"forged.example"}, "timezone": {"UTC"}})
	if res.code != http.StatusForbidden {
		t.Fatalf("signed in, POST /sites without the token = %d, want 403", res.code)
	}
	if _, err := f.st.Site(t.Context(), "forged.example"); err == nil {
		t.Fatal("a POST without the CSRF token added a site")
	}
	if res := b.post("/sites/new", "/sites", url.Values{"domain": {"real.example"}, "timezone": {"Europe/Paris"}}); res.code != http.StatusSeeOther {
		t.Fatalf("POST /sites with the token = %d, want 303", res.code)
	}
	s, err := f.st.Site(t.Context(), "real.example")
	if err != nil || s.Timezone != "Europe/Paris" {
		t.Fatalf("site added through the form: %+v, %v", s, err)
	}
}

func TestSessionExpiry(t *testing.T) {
	f := newFixture(t)
	f.addUser("owner@example.com", pw, true)
	f.addSite("example.com", 0)
	b := f.browser()
	b.login("owner@example.com", pw)
	f.clock.Add(29 * 24 * time.Hour)
	if res := b.get("/example.com"); res.code != 200 {
		t.Fatalf("after 29 days GET /example.com = %d, want 200", res.code)
	}
	f.clock.Add(2 * 24 * time.Hour)
	if res := b.get("/example.com"); res.code != http.StatusSeeOther || !strings.HasPrefix(res.header.Get("Location"), "/login") {
		t.Fatalf("after 31 days GET /example.com = %d to %q, want 303 to /login", res.code, res.header.Get("Location"))
	}
}

func TestLoginRateLimit(t *testing.T) {
	f := newFixture(t)
	f.addUser("owner@example.com", pw, true)
	b := f.browser()
	for i := 0; i < accountAttempts; i++ {
		if res := b.login("owner@example.com", "guess"); res.code != http.StatusUnauthorized {
			t.Fatalf("attempt %d = %d, want 401", i+1, res.code)
		}
	}
	if res := b.login("owner@example.com", pw); res.code != http.StatusTooManyRequests {
		t.Fatalf("after %d failures even the right password = %d, want 429", accountAttempts, res.code)
	}
	f.clock.Add(loginWindow)
	if res := b.login("owner@example.com", pw); res.code != http.StatusSeeOther {
		t.Fatalf("after the window the right password = %d, want 303", res.code)
	}
}

func TestFirstRun(t *testing.T) {
	f := newFixture(t)
	b := f.browser()
	if res := b.get("/login"); res.code != http.StatusSeeOther || res.header.Get("Location") != "/setup" {
		t.Fatalf("with no account GET /login = %d to %q, want 303 to /setup", res.code, res.header.Get("Location"))
	}
	for _, target := range []string{"/setup", "/setup?token=", "/setup?token=wrong"} {
		if res := b.get(target); res.code != http.StatusForbidden || !strings.Contains(res.body, "setup link") {
			t.Fatalf("GET %s = %d, want 403 pointing to the setup link:\n%s", target, res.code, res.body)
		}
	}
	const page = "/setup?token=" + setupToken
	for _, token := range []string{"", "wrong"} {
		res := b.post(page, "/setup", url.Values{"email": {"first@example.com"}, "password": {pw}, "token": {token}})
		if res.code != http.StatusForbidden {
			t.Fatalf("POST /setup with token %q = %d, want 403", token, res.code)
		}
	}
	if res := b.post(page, "/setup", url.Values{"email": {"first@example.com"}, "password": {"12345678"}, "token": {setupToken}}); res.code != http.StatusBadRequest || !strings.Contains(res.body, "at least 10") {
		t.Fatalf("setup with 12345678 = %d, want 400 asking for a longer password", res.code)
	}
	if res := b.post(page, "/setup", url.Values{"email": {"first@example.com"}, "password": {"password123"}, "token": {setupToken}}); res.code != http.StatusBadRequest || !strings.Contains(res.body, "common") {
		t.Fatalf("setup with password123 = %d, want 400 naming it common", res.code)
	}
	if n, _ := f.st.CountUsers(t.Context()); n != 0 {
		t.Fatalf("refused setups made %d accounts", n)
	}
	if res := b.post(page, "/setup", url.Values{"email": {"first@example.com"}, "password": {pw}, "token": {setupToken}}); res.code != http.StatusSeeOther {
		t.Fatalf("setup = %d, want 303", res.code)
	}
	u, err := f.st.UserByEmail(t.Context(), "first@example.com")
	if err != nil || !u.Admin {
		t.Fatalf("first user %+v, %v: want an admin", u, err)
	}
	if res := b.get("/"); res.code != 200 {
		t.Fatalf("setup did not sign in: GET / = %d", res.code)
	}
	if res := f.browser().get(page); res.code != http.StatusNotFound {
		t.Fatalf("GET /setup once an account exists = %d, want 404", res.code)
	}
}

// TestSetupRace: 20 browsers holding the setup link post at once; exactly
// one becomes the admin, on either store.
func TestSetupRace(t *testing.T) {
	eachStore(t, func(t *testing.T, f *fixture) {
		const n = 20
		const page = "/setup?token=" + setupToken
		forms := make([]url.Values, n)
		browsers := make([]*browser, n)
		for i := range n {
			browsers[i] = f.browser()
			forms[i] = url.Values{"email": {fmt.Sprintf("admin%d@example.com", i)}, "password": {pw}, "token": {setupToken},
				"csrf": {browsers[i].token(page)}}
		}
		codes := make([]int, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				codes[i] = browsers[i].do(http.MethodPost, "/setup", forms[i]).code
			}()
		}
		wg.Wait()
		won := 0
		for i, code := range codes {
			switch code {
			case http.StatusSeeOther:
				won++
			case http.StatusNotFound:
			default:
				t.Errorf("POST %d = %d, want 303 or 404", i, code)
			}
		}
		users, err := f.st.Users(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		if won != 1 || len(users) != 1 || !users[0].Admin {
			t.Fatalf("%d setups succeeded, users %+v; want exactly one admin", won, users)
		}
	})
}

func TestAccessBetweenUsers(t *testing.T) {
	f := newFixture(t)
	f.addUser("admin@example.com", pw, true)
	f.addUser("bob@example.com", pw, false)
	f.addSite("cli.example", 0)
	bob := f.browser()
	bob.login("bob@example.com", pw)
	if res := bob.post("/sites/new", "/sites", url.Values{"domain": {"Bob.Example"}, "timezone": {"UTC"}}); res.code != http.StatusSeeOther {
		t.Fatalf("bob adds a site = %d", res.code)
	}
	if res := bob.get("/bob.example/settings?added=1"); res.code != 200 || !strings.Contains(res.body, `data-domain=&#34;bob.example&#34;`) {
		t.Fatalf("bob's new site's settings = %d, want the script tag:\n%s", res.code, res.body)
	}
	home := bob.get("/")
	if !strings.Contains(home.body, `href="/bob.example"`) || strings.Contains(home.body, "cli.example") {
		t.Fatalf("bob's site list should hold bob.example only:\n%s", home.body)
	}
	for _, p := range []string{"/cli.example", "/cli.example/settings", "/cli.example/export.csv", "/cli.example/realtime", "/nosuch.example"} {
		if res := bob.get(p); res.code != http.StatusNotFound {
			t.Errorf("bob GET %s = %d, want 404", p, res.code)
		}
	}
	if res := bob.post("/bob.example/delete", "/cli.example/delete", url.Values{"confirm": {"cli.example"}}); res.code != http.StatusNotFound {
		t.Errorf("bob deletes cli.example = %d, want 404", res.code)
	}
	if _, err := f.st.Site(t.Context(), "cli.example"); err != nil {
		t.Fatalf("cli.example is gone after bob's attempt: %v", err)
	}

	admin := f.browser()
	admin.login("admin@example.com", pw)
	home = admin.get("/")
	if !strings.Contains(home.body, `href="/bob.example"`) || !strings.Contains(home.body, `href="/cli.example"`) {
		t.Fatalf("the admin's site list should hold both sites:\n%s", home.body)
	}
	if res := admin.get("/bob.example?period=7d"); res.code != 200 {
		t.Fatalf("admin GET /bob.example = %d", res.code)
	}
	// Deleting needs the domain typed again.
	if res := admin.post("/bob.example/delete", "/bob.example/delete", url.Values{"confirm": {"oops"}}); res.code != http.StatusBadRequest {
		t.Fatalf("delete without confirmation = %d, want 400", res.code)
	}
	if res := admin.post("/bob.example/delete", "/bob.example/delete", url.Values{"confirm": {"bob.example"}}); res.code != http.StatusSeeOther {
		t.Fatalf("delete = %d, want 303", res.code)
	}
	if res := admin.get("/bob.example"); res.code != http.StatusNotFound {
		t.Fatalf("GET a deleted site = %d, want 404", res.code)
	}
}

var kpiValue = regexp.MustCompile(`data-metric="([a-z_]+)" data-value="([0-9.]+)"`)

func kpis(body string) map[string]string {
	out := map[string]string{}
	for _, m := range kpiValue.FindAllStringSubmatch(body, -1) {
		out[m[1]] = m[2]
	}
	return out
}

func TestDashboardView(t *testing.T) {
	f := newFixture(t)
	f.addUser("owner@example.com", pw, true)
	site := f.addSite("example.com", 0)
	f.scenario(site)
	b := f.browser()
	b.login("owner@example.com", pw)

	res := b.get("/example.com?period=day")
	if res.code != 200 {
		t.Fatalf("GET /example.com?period=day = %d:\n%s", res.code, res.body)
	}
	k := kpis(res.body)
	want := map[string]string{"visitors": "11", "visits": "11", "pageviews": "31", "bounce_rate": "9"}
	for m, v := range want {
		if k[m] != v {
			t.Errorf("KPI %s = %q, want %s (all: %v)", m, k[m], v, k)
		}
	}
	for _, s := range []string{">/pricing</a>", ">newsletter</a>", ">Firefox</a>", "&lt;script&gt;alert(1)&lt;/script&gt;"} {
		if !strings.Contains(res.body, s) {
			t.Errorf("the dashboard lacks %q", s)
		}
	}
	if strings.Contains(res.body, "<script>alert(1)") {
		t.Fatal("the hostile path reached the page unescaped")
	}
	if strings.Contains(res.body, "<script>") && strings.Count(res.body, "<script") != 1 {
		t.Fatalf("the page has %d script tags, want only app.js", strings.Count(res.body, "<script"))
	}
	if csp := res.header.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") {
		t.Errorf("Content-Security-Policy = %q", csp)
	}

	// A row's link filters; filters combine with and.
	link := regexp.MustCompile(`href="([^"]*f=browser%2CFirefox[^"]*)"`).FindStringSubmatch(res.body)
	if link == nil {
		t.Fatal("no filter link on the Firefox row")
	}
	ff := b.get(strings.ReplaceAll(link[1], "&amp;", "&"))
	if k := kpis(ff.body); k["visitors"] != "3" || k["pageviews"] != "9" {
		t.Fatalf("filtered by Firefox: %v, want 3 visitors, 9 pageviews", k)
	}
	if !strings.Contains(ff.body, "Browser is <strong>Firefox</strong>") || !strings.Contains(ff.body, ">Firefox 139</a>") {
		t.Error("the Firefox filter shows no chip, or the browser panel no versions")
	}
	both := b.get("/example.com?period=day&f=browser,Firefox&f=page,/pricing")
	if k := kpis(both.body); k["pageviews"] != "3" {
		t.Fatalf("Firefox and /pricing: %v, want 3 pageviews", k)
	}
	// The picker form's fd/fv make the same filter.
	if k := kpis(b.get("/example.com?period=day&fd=browser&fv=Safari").body); k["pageviews"] != "9" {
		t.Fatalf("picker filter Safari: %v, want 9 pageviews", k)
	}
	// Other periods, intervals and the custom range render too.
	for _, q := range []string{"period=7d&i=hour", "period=12mo", "period=last_month", "period=custom&from=2026-01-01&to=2026-03-10&i=week", "period=yesterday&m=pageviews&src=referrer&pg=exit_page&dev=os"} {
		if res := b.get("/example.com?" + q); res.code != 200 {
			t.Errorf("GET /example.com?%s = %d", q, res.code)
		}
	}
	if res := b.get("/example.com?period=custom&from=2026-03-10&to=2026-03-01"); res.code != http.StatusBadRequest {
		t.Errorf("a custom period ending before it starts = %d, want 400", res.code)
	}
	if res := b.get("/example.com/realtime"); res.code != 200 || res.body != `{"visitors":0}` {
		t.Errorf("realtime two hours after the hits = %d %s, want {\"visitors\":0}", res.code, res.body)
	}
}

func TestCSVExport(t *testing.T) {
	f := newFixture(t)
	f.addUser("owner@example.com", pw, true)
	site := f.addSite("example.com", 0)
	f.scenario(site)
	b := f.browser()
	b.login("owner@example.com", pw)

	res := b.get("/example.com/export.csv?period=day&panel=pg")
	if res.code != 200 || !strings.HasPrefix(res.header.Get("Content-Type"), "text/csv") {
		t.Fatalf("panel CSV = %d %q", res.code, res.header.Get("Content-Type"))
	}
	rows, err := csv.NewReader(strings.NewReader(res.body)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	wantHead := "section,dimension,value,visitors,visits,pageviews,views_per_visit,bounce_rate,visit_duration,events"
	if strings.Join(rows[0], ",") != wantHead {
		t.Fatalf("CSV header %v, want %s", rows[0], wantHead)
	}
	got := map[string]string{}
	for _, r := range rows[1:] {
		got[r[2]] = r[3] + "/" + r[5]
	}
	if got["/pricing"] != "10/10" || got["/<script>alert(1)</script>"] != "1/1" || len(rows) != 5 {
		t.Fatalf("pages CSV (visitors/pageviews) %v, want /pricing 10/10, the hostile path 1/1, 4 pages", got)
	}

	whole := b.get("/example.com/export.csv?period=day")
	rows, err = csv.NewReader(strings.NewReader(whole.body)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	sections := map[string]bool{}
	for _, r := range rows[1:] {
		sections[r[0]] = true
		if r[0] == "Totals" && r[5] != "31" {
			t.Errorf("Totals row %v: want 31 pageviews", r)
		}
		if r[0] == "Campaign" && r[2] != "(not set)" && !strings.HasPrefix(r[2], "'=") {
			t.Errorf("a formula-like value is not defused: %q", r[2])
		}
	}
	for _, s := range []string{"Totals", "Time series", "Sources", "Referrers", "Pages", "Entry pages", "Countries", "Browsers", "Languages"} {
		if !sections[s] {
			t.Errorf("the whole-view CSV lacks the %s section", s)
		}
	}
}
