package dashboard

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"tally/account"
	"tally/aggregate"
	"tally/aggregate/sqlite"
	"tally/aggregate/storetest"
)

// eachStore runs fn on a fixture over each store.
func eachStore(t *testing.T, fn func(t *testing.T, f *fixture)) {
	for _, c := range []struct {
		name string
		open func(t *testing.T) aggregate.Store
	}{
		{"sqlite", func(t *testing.T) aggregate.Store {
			st, err := sqlite.Open(context.Background(), t.TempDir())
			if err != nil {
				t.Fatal(err)
			}
			return st
		}},
		{"clickhouse", func(t *testing.T) aggregate.Store { return storetest.ClickHouse(t) }},
	} {
		t.Run(c.name, func(t *testing.T) { fn(t, newFixtureOn(t, c.open(t))) })
	}
}

// The people of the role table, in its column order.
const (
	owner = iota
	viewer
	stranger // signed in, no role on the site
	admin
	signedOut
)

var roleNames = []string{"owner", "viewer", "non-member", "admin", "signed out"}

// roleRoutes is the table of every route on a site, or about people,
// against who asks. 303 for signed-out GETs is the redirect to /login.
var roleRoutes = []struct {
	method, path string
	form         url.Values
	want         [5]int
}{
	{"GET", "/example.com", nil, [5]int{200, 200, 404, 200, 303}},
	{"GET", "/example.com/export.csv", nil, [5]int{200, 200, 404, 200, 303}},
	{"GET", "/example.com/realtime", nil, [5]int{200, 200, 404, 200, 303}},
	{"GET", "/example.com/live", nil, [5]int{200, 200, 404, 200, 303}},
	{"GET", "/example.com/details?panel=src", nil, [5]int{200, 200, 404, 200, 303}},
	{"GET", "/example.com/settings", nil, [5]int{200, 403, 404, 200, 303}},
	{"POST", "/example.com/settings", url.Values{"timezone": {"UTC"}}, [5]int{303, 403, 404, 303, 401}},
	// A refused pattern and an unknown goal: the role check comes first.
	{"POST", "/example.com/goals", url.Values{"kind": {"page"}, "value": {"no-slash"}}, [5]int{400, 403, 404, 400, 401}},
	{"POST", "/example.com/goals/delete", url.Values{"id": {"999999"}}, [5]int{404, 403, 404, 404, 401}},
	// A funnel of one step, an unknown funnel, a site without funnels.
	{"POST", "/example.com/funnels", url.Values{"name": {"x"}, "step": {"1"}}, [5]int{400, 403, 404, 400, 401}},
	{"POST", "/example.com/funnels/delete", url.Values{"id": {"999999"}}, [5]int{404, 403, 404, 404, 401}},
	{"GET", "/example.com/funnel.json", nil, [5]int{404, 404, 404, 404, 303}},
	{"GET", "/example.com/members", nil, [5]int{200, 403, 404, 200, 303}},
	{"POST", "/example.com/members", url.Values{"email": {"extra@example.com"}, "role": {"viewer"}}, [5]int{303, 403, 404, 303, 401}},
	{"POST", "/example.com/members/revoke", url.Values{"email": {"extra@example.com"}}, [5]int{303, 403, 404, 303, 401}},
	{"GET", "/example.com/delete", nil, [5]int{200, 403, 404, 200, 303}},
	// Without the confirming domain: the role check comes first, then 400.
	{"POST", "/example.com/delete", url.Values{}, [5]int{400, 403, 404, 400, 401}},
	{"GET", "/", nil, [5]int{200, 200, 200, 200, 303}},
	{"GET", "/sites/new", nil, [5]int{200, 200, 200, 200, 303}},
	{"GET", "/account", nil, [5]int{200, 200, 200, 200, 303}},
	{"GET", "/keys", nil, [5]int{200, 200, 200, 200, 303}},
	{"GET", "/users", nil, [5]int{404, 404, 404, 200, 303}},
	{"POST", "/users", url.Values{"email": {"invited@example.com"}}, [5]int{404, 404, 404, 200, 401}},
	{"POST", "/users/999999/reset", url.Values{}, [5]int{404, 404, 404, 404, 401}},
	{"POST", "/users/999999/delete", url.Values{}, [5]int{404, 404, 404, 404, 401}},
	{"POST", "/keys/999999/revoke", url.Values{}, [5]int{404, 404, 404, 404, 401}},
}

// Routes that need no role: sign-in, first run, assets, and the forms whose
// own tests cover them (adding a site, a key, changing one's password).
var roleFree = map[string]bool{
	"GET /assets/:name": true, "GET /login": true, "POST /login": true, "POST /logout": true,
	"GET /setup": true, "POST /setup": true, "POST /sites": true, "POST /keys": true,
	"POST /account/password": true, "POST /account/signout": true,
	"POST /users/:id/reset": true, "POST /users/:id/delete": true, "POST /keys/:id/revoke": true,
}

func TestRoutesByRole(t *testing.T) {
	eachStore(t, func(t *testing.T, f *fixture) {
		ctx := t.Context()
		users := []account.User{
			f.addUser("owner@example.com", pw, false),
			f.addUser("viewer@example.com", pw, false),
			f.addUser("stranger@example.com", pw, false),
			f.addUser("admin@example.com", pw, true),
		}
		f.addUser("extra@example.com", pw, false)
		site := f.addSite("example.com", 0)
		f.addSite("other.example", users[stranger].ID) // the stranger's own site
		for who, role := range map[int]account.Role{owner: account.Owner, viewer: account.Viewer} {
			if err := f.st.SetMember(ctx, account.Member{Site: site.ID, User: users[who].ID, Role: role}); err != nil {
				t.Fatal(err)
			}
		}
		browsers := make([]*browser, 5)
		for who := range browsers {
			browsers[who] = f.browser()
			if who != signedOut {
				if res := browsers[who].login(users[who].Email, pw); res.code != http.StatusSeeOther {
					t.Fatalf("%s signs in: %d", roleNames[who], res.code)
				}
			}
		}
		for _, r := range roleRoutes {
			for who, want := range r.want {
				b := browsers[who]
				var res response
				if r.method == "GET" {
					res = b.get(r.path)
				} else {
					page := "/account"
					if who == signedOut {
						page = "/login"
					}
					form := url.Values{}
					for k, v := range r.form {
						form[k] = v
					}
					if k := "email"; who != signedOut && r.path == "/users" {
						form.Set(k, strings.Replace(form.Get(k), "@", "+"+roleNames[who]+"@", 1))
					}
					res = b.post(page, r.path, form)
				}
				if res.code != want {
					t.Errorf("%s %s as %s = %d, want %d", r.method, r.path, roleNames[who], res.code, want)
				}
			}
		}
		if _, err := f.st.Site(ctx, "example.com"); err != nil {
			t.Fatalf("example.com is gone: %v", err)
		}

		// Every route is in the table or known to need no role.
		listed := map[string]bool{}
		for _, r := range roleRoutes {
			path, _, _ := strings.Cut(r.path, "?")
			listed[r.method+" "+path] = true
		}
		for _, rt := range f.app.GetRoutes(true) {
			if rt.Method != "GET" && rt.Method != "POST" || rt.Path == "/api/v2/query" {
				continue
			}
			key := rt.Method + " " + strings.Replace(rt.Path, "/:domain", "/example.com", 1)
			if !listed[key] && !roleFree[rt.Method+" "+rt.Path] {
				t.Errorf("route %s %s is not in the role table", rt.Method, rt.Path)
			}
		}
	})
}
