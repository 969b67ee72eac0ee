package dashboard

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"tally/account"
)

var secretField = regexp.MustCompile(`<code id="secret">([^<]+)</code>`)

// secret is the one-time password or key a page shows.
func secret(t *testing.T, res response) string {
	t.Helper()
	m := secretField.FindStringSubmatch(res.body)
	if m == nil {
		t.Fatalf("no secret on the page (%d):\n%s", res.code, res.body)
	}
	return m[1]
}

// An admin invites a viewer of one site, who signs in with the password
// shown once, reads that site, cannot change it and sees no other.
func TestInviteViewer(t *testing.T) {
	f := newFixture(t)
	f.addUser("admin@example.com", pw, true)
	site := f.addSite("example.com", 0)
	f.addSite("other.example", 0)
	admin := f.browser()
	admin.login("admin@example.com", pw)
	res := admin.post("/users", "/users", url.Values{"email": {"Viewer@Example.com"}, "site": {itoa(site.ID)}, "role": {"viewer"}})
	if res.code != http.StatusOK {
		t.Fatalf("invite = %d:\n%s", res.code, res.body)
	}
	pw2 := secret(t, res)
	if res := admin.post("/users", "/users", url.Values{"email": {"viewer@example.com"}}); res.code != http.StatusConflict {
		t.Fatalf("inviting the same email again = %d, want 409", res.code)
	}
	viewer := f.browser()
	if res := viewer.login("viewer@example.com", pw2); res.code != http.StatusSeeOther {
		t.Fatalf("the invited viewer signs in = %d", res.code)
	}
	home := viewer.get("/")
	if !strings.Contains(home.body, `href="/example.com"`) || strings.Contains(home.body, "other.example") {
		t.Fatalf("the viewer's site list should hold example.com alone:\n%s", home.body)
	}
	if res := viewer.get("/example.com"); res.code != 200 || strings.Contains(res.body, "/example.com/settings") {
		t.Fatalf("viewer reads example.com = %d; want 200 without a settings link", res.code)
	}
	if res := admin.get("/example.com"); !strings.Contains(res.body, `href="/example.com/settings"`) {
		t.Fatal("the admin's view lacks the settings link")
	}
	if res := viewer.get("/example.com/settings"); res.code != http.StatusForbidden {
		t.Fatalf("viewer opens the settings = %d, want 403", res.code)
	}
	if res := viewer.get("/users"); res.code != http.StatusNotFound {
		t.Fatalf("viewer opens /users = %d, want 404", res.code)
	}

	// The admin resets the viewer's password: the viewer is signed out.
	u, _ := f.st.UserByEmail(t.Context(), "viewer@example.com")
	res = admin.post("/users", "/users/"+itoa(u.ID)+"/reset", url.Values{})
	pw3 := secret(t, res)
	if res := viewer.get("/"); res.code != http.StatusSeeOther {
		t.Fatalf("after a reset the viewer's session = %d, want 303 to /login", res.code)
	}
	if res := f.browser().login("viewer@example.com", pw2); res.code != http.StatusUnauthorized {
		t.Fatalf("the old password after a reset = %d, want 401", res.code)
	}
	if res := viewer.login("viewer@example.com", pw3); res.code != http.StatusSeeOther {
		t.Fatalf("the new password = %d, want 303", res.code)
	}

	// The admin removes the viewer: gone, sessions too.
	if res := admin.post("/users", "/users/"+itoa(u.ID)+"/delete", url.Values{}); res.code != http.StatusSeeOther {
		t.Fatalf("remove = %d", res.code)
	}
	if res := viewer.get("/"); res.code != http.StatusSeeOther {
		t.Fatalf("a removed user's session = %d, want 303", res.code)
	}
	me, _ := f.st.UserByEmail(t.Context(), "admin@example.com")
	if res := admin.post("/users", "/users/"+itoa(me.ID)+"/delete", url.Values{}); res.code != http.StatusForbidden {
		t.Fatalf("removing the last admin = %d, want 403", res.code)
	}
}

func TestOwnPasswordAndSessions(t *testing.T) {
	f := newFixture(t)
	f.addUser("ann@example.com", pw, false)
	laptop, phone := f.browser(), f.browser()
	laptop.login("ann@example.com", pw)
	phone.login("ann@example.com", pw)
	const next = "a new long passphrase"
	if res := laptop.post("/account", "/account/password", url.Values{"current": {"wrong"}, "password": {next}}); res.code != http.StatusBadRequest {
		t.Fatalf("change with a wrong current password = %d, want 400", res.code)
	}
	if res := laptop.post("/account", "/account/password", url.Values{"current": {pw}, "password": {"qwertyuiop"}}); res.code != http.StatusBadRequest || !strings.Contains(res.body, "common") {
		t.Fatalf("change to a common password = %d, want 400", res.code)
	}
	if res := laptop.post("/account", "/account/password", url.Values{"current": {pw}, "password": {next}}); res.code != http.StatusSeeOther {
		t.Fatalf("change = %d, want 303", res.code)
	}
	if res := laptop.get("/account"); res.code != 200 {
		t.Fatalf("the browser that changed the password was signed out: %d", res.code)
	}
	if res := phone.get("/"); res.code != http.StatusSeeOther {
		t.Fatalf("another session after a password change = %d, want 303", res.code)
	}
	phone.login("ann@example.com", next)
	if res := laptop.post("/account", "/account/signout", url.Values{}); res.code != http.StatusSeeOther {
		t.Fatalf("sign out everywhere = %d", res.code)
	}
	for name, b := range map[string]*browser{"laptop": laptop, "phone": phone} {
		if res := b.get("/"); res.code != http.StatusSeeOther {
			t.Errorf("after signing out everywhere the %s = %d, want 303", name, res.code)
		}
	}
}

// query asks the Stats API for a site's visitors with key.
func (f *fixture) query(key, site string) int {
	f.t.Helper()
	b := f.browser()
	req := `{"site_id":"` + site + `","metrics":["visitors"],"date_range":"7d"}`
	return b.doBody(http.MethodPost, "/api/v2/query", req, "Authorization", "Bearer "+key, "Content-Type", "application/json").code
}

// A key of user A reads A's sites only (a site of B: 404, as if it did not
// exist); a key narrowed to one site reads that one; revoking takes effect
// at once.
func TestKeyScope(t *testing.T) {
	eachStore(t, func(t *testing.T, f *fixture) {
		ann := f.addUser("ann@example.com", pw, false)
		bob := f.addUser("bob@example.com", pw, false)
		f.addSite("ann.example", ann.ID)
		f.addSite("ann2.example", ann.ID)
		f.addSite("bob.example", bob.ID)
		svc := account.NewService(f.st, f.clock.Now)
		annKey, _, err := svc.CreateKey(t.Context(), "ann", ann, nil)
		if err != nil {
			t.Fatal(err)
		}
		wide, _, err := svc.CreateKey(t.Context(), "ci", account.User{}, nil)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct {
			key, site string
			want      int
		}{
			{annKey, "ann.example", 200}, {annKey, "ann2.example", 200}, {annKey, "bob.example", 404},
			{annKey, "nosuch.example", 404}, {wide, "bob.example", 200}, {"not a key", "ann.example", 401},
		} {
			if got := f.query(c.key, c.site); got != c.want {
				t.Errorf("key %.6s… on %s = %d, want %d", c.key, c.site, got, c.want)
			}
		}

		// A narrowed key, made on ann's keys page, then revoked there.
		b := f.browser()
		b.login("ann@example.com", pw)
		site, _ := f.st.Site(t.Context(), "ann2.example")
		res := b.post("/keys", "/keys", url.Values{"name": {"report"}, "site": {itoa(site.ID)}})
		narrow := secret(t, res)
		if got := f.query(narrow, "ann2.example"); got != 200 {
			t.Errorf("narrowed key on its site = %d, want 200", got)
		}
		if got := f.query(narrow, "ann.example"); got != 404 {
			t.Errorf("narrowed key on another of ann's sites = %d, want 404", got)
		}
		keys, _ := f.st.APIKeys(t.Context())
		var id int64
		for _, k := range keys {
			if k.Name == "report" {
				id = k.ID
				if k.LastUsed.IsZero() {
					t.Error("a used key has no last-used day")
				}
			}
		}
		page := b.get("/keys")
		if !strings.Contains(page.body, ">report<") || strings.Contains(page.body, ">ci<") {
			t.Errorf("ann's keys page should list her keys, not the instance-wide one:\n%s", page.body)
		}
		bobB := f.browser()
		bobB.login("bob@example.com", pw)
		if res := bobB.post("/keys", "/keys/"+itoa(id)+"/revoke", url.Values{}); res.code != http.StatusNotFound {
			t.Errorf("bob revokes ann's key = %d, want 404", res.code)
		}
		if res := b.post("/keys", "/keys/"+itoa(id)+"/revoke", url.Values{}); res.code != http.StatusSeeOther {
			t.Fatalf("revoke = %d", res.code)
		}
		if got := f.query(narrow, "ann2.example"); got != 401 {
			t.Errorf("a revoked key = %d, want 401 at once", got)
		}
	})
}

// The add-site form applies the same domain rule as the command line.
func TestAddSiteDomainRule(t *testing.T) {
	f := newFixture(t)
	f.addUser("ann@example.com", pw, false)
	b := f.browser()
	b.login("ann@example.com", pw)
	for _, bad := range []string{"<b>x</b>.com", "not a domain", "a..b", "http://Foo.Example:8080/x", "example.com:8080"} {
		res := b.post("/sites/new", "/sites", url.Values{"domain": {bad}, "timezone": {"UTC"}})
		if res.code != http.StatusBadRequest || !strings.Contains(res.body, `role="alert"`) {
			t.Errorf("add %q = %d, want 400 with the reason", bad, res.code)
		}
	}
	if sites, _ := f.st.Sites(t.Context()); len(sites) != 0 {
		t.Fatalf("refused domains were stored: %+v", sites)
	}
	res := b.post("/sites/new", "/sites", url.Values{"domain": {"Bücher.Example"}, "timezone": {"UTC"}})
	if res.code != http.StatusSeeOther || res.header.Get("Location") != "/xn--bcher-kva.example/settings?added=1" {
		t.Fatalf("add an IDN = %d to %q", res.code, res.header.Get("Location"))
	}
	if res := b.get("/xn--bcher-kva.example"); res.code != 200 {
		t.Fatalf("the IDN site's dashboard = %d", res.code)
	}
	if res := b.post("/sites/new", "/sites", url.Values{"domain": {"xn--bcher-kva.example"}, "timezone": {"Mars/Base"}}); res.code != http.StatusBadRequest {
		t.Fatalf("an unknown time zone = %d, want 400", res.code)
	}
}
