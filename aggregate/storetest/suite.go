package storetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"tally/account"
	"tally/aggregate"
)

// Run is the conformance suite: every Store method, then the query answers
// of the scenarios in scenarios.go, through the real aggregation path.
// newStore must return a fresh, empty store.
func Run(t *testing.T, newStore func(t *testing.T) aggregate.Store) {
	for _, c := range []struct {
		name string
		fn   func(*testing.T, aggregate.Store)
	}{
		{"Sites", testSites},
		{"APIKeys", testAPIKeys},
		{"Users", testUsers},
		{"Logins", testLogins},
		{"Shares", testShares},
		{"FirstUserRace", testFirstUserRace},
		{"ManageUsers", testManageUsers},
		{"Members", testMembers},
		{"KeyScopes", testKeyScopes},
		{"NoiseKeys", testNoiseKeys},
		{"Reports", testReports},
		{"Cells", testCells},
		{"DropBefore", testDropBefore},
		{"Standard", testStandard},
		{"MultiDay", testMultiDay},
		{"Timezones", testTimezones},
		{"Filters", testFilters},
		{"PaginationAndOrder", testPagination},
		{"SiteDelete", testSiteDelete},
		{"Restart", testRestart},
		{"Instances", testInstances},
		{"Retention", testRetention},
		{"Props", testProps},
		{"Goals", testGoals},
		{"Engagement", testEngagement},
		{"Funnels", testFunnels},
	} {
		t.Run(c.name, func(t *testing.T) { c.fn(t, newStore(t)) })
	}
}

var bg = context.Background()

// ok turns a (value, error) result into the value, failing the test on an
// error: ok(st.Site(ctx, "a.example"))(t).
func ok[T any](v T, err error) func(testing.TB) T {
	return func(t testing.TB) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

func wantErr(t *testing.T, what string, err, want error) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Fatalf("%s: got error %v, want %v", what, err, want)
	}
}

func sameSite(t *testing.T, got, want account.Site) {
	t.Helper()
	if got.ID != want.ID || got.Domain != want.Domain || got.Timezone != want.Timezone ||
		got.CountDNT != want.CountDNT || got.Owner != want.Owner || !got.Created.Equal(want.Created) {
		t.Fatalf("site = %+v, want %+v", got, want)
	}
}

func testSites(t *testing.T, st aggregate.Store) {
	created := time.Date(2026, 11, 2, 9, 30, 15, 0, time.UTC)
	a := ok(st.AddSite(bg, account.Site{Domain: "a.example", Timezone: "Europe/Paris", Created: created}))(t)
	if a.ID == 0 || !a.Created.Equal(created) {
		t.Fatalf("added site %+v: want an id and the creation time", a)
	}
	_, err := st.AddSite(bg, account.Site{Domain: "a.example", Timezone: "UTC"})
	wantErr(t, "adding a taken domain", err, account.ErrExists)
	b := ok(st.AddSite(bg, account.Site{Domain: "b.example", Timezone: "UTC", CountDNT: true, Owner: 7}))(t)
	zero := ok(st.AddSite(bg, account.Site{Domain: "0.example", Timezone: "UTC"}))(t)

	sameSite(t, ok(st.Site(bg, "a.example"))(t), a)
	sameSite(t, ok(st.SiteByID(bg, b.ID))(t), b)
	_, err = st.Site(bg, "nope.example")
	wantErr(t, "Site of an unknown domain", err, account.ErrNotFound)
	_, err = st.SiteByID(bg, 424242)
	wantErr(t, "SiteByID of an unknown id", err, account.ErrNotFound)

	sites := ok(st.Sites(bg))(t)
	if len(sites) != 3 {
		t.Fatalf("Sites: %d, want 3", len(sites))
	}
	for i, want := range []account.Site{zero, a, b} {
		sameSite(t, sites[i], want)
	}

	upd := a
	upd.Timezone, upd.CountDNT, upd.Owner = "Asia/Tokyo", true, 3
	upd.Domain = "ignored.example" // the domain is not updatable
	if err := st.UpdateSite(bg, upd); err != nil {
		t.Fatal(err)
	}
	want := a
	want.Timezone, want.CountDNT, want.Owner = "Asia/Tokyo", true, 3
	sameSite(t, ok(st.SiteByID(bg, a.ID))(t), want)
	wantErr(t, "UpdateSite of an unknown id", st.UpdateSite(bg, account.Site{ID: 424242, Timezone: "UTC"}), account.ErrNotFound)

	if err := st.DeleteSite(bg, a.ID); err != nil {
		t.Fatal(err)
	}
	_, err = st.Site(bg, "a.example")
	wantErr(t, "Site after DeleteSite", err, account.ErrNotFound)
	_, err = st.SiteByID(bg, a.ID)
	wantErr(t, "SiteByID after DeleteSite", err, account.ErrNotFound)
	if n := len(ok(st.Sites(bg))(t)); n != 2 {
		t.Fatalf("Sites after a deletion: %d, want 2", n)
	}
	again := ok(st.AddSite(bg, account.Site{Domain: "a.example", Timezone: "UTC"}))(t)
	if again.ID == a.ID {
		t.Fatalf("a re-added domain got the deleted site's id %d", a.ID)
	}
}

func testAPIKeys(t *testing.T, st aggregate.Store) {
	hash := []byte("\x00\x01hash-of-a-key\xff\x00")
	k := ok(st.AddAPIKey(bg, account.APIKey{Name: "ci", Hash: hash}))(t)
	if k.ID == 0 {
		t.Fatal("API key without id")
	}
	got := ok(st.APIKey(bg, hash))(t)
	if got.ID != k.ID || got.Name != "ci" || string(got.Hash) != string(hash) {
		t.Fatalf("APIKey = %+v, want %+v", got, k)
	}
	_, err := st.APIKey(bg, []byte("other"))
	wantErr(t, "APIKey of an unknown hash", err, account.ErrNotFound)
	if _, err := st.AddAPIKey(bg, account.APIKey{Name: "dup", Hash: hash}); err == nil {
		t.Fatal("adding an API key with a taken hash succeeded")
	}
	if got := ok(st.APIKey(bg, hash))(t); got.Name != "ci" {
		t.Fatalf("after a refused duplicate, APIKey names %q, want ci", got.Name)
	}
}

func testUsers(t *testing.T, st aggregate.Store) {
	if n := ok(st.CountUsers(bg))(t); n != 0 {
		t.Fatalf("CountUsers of an empty store = %d", n)
	}
	ann := ok(st.AddUser(bg, account.User{Email: "ann@example.com", PasswordHash: []byte("$2a$bcrypt"), Admin: true}))(t)
	if ann.ID == 0 {
		t.Fatal("user without id")
	}
	_, err := st.AddUser(bg, account.User{Email: "ann@example.com", PasswordHash: []byte("x")})
	wantErr(t, "adding a taken email", err, account.ErrExists)
	bob := ok(st.AddUser(bg, account.User{Email: "bob@example.com", PasswordHash: []byte("y")}))(t)

	for _, got := range []account.User{ok(st.UserByEmail(bg, "ann@example.com"))(t), ok(st.UserByID(bg, ann.ID))(t)} {
		if got.ID != ann.ID || got.Email != ann.Email || string(got.PasswordHash) != "$2a$bcrypt" || !got.Admin || !got.Created.Equal(ann.Created) {
			t.Fatalf("user = %+v, want %+v", got, ann)
		}
	}
	if got := ok(st.UserByID(bg, bob.ID))(t); got.Admin || got.Email != "bob@example.com" {
		t.Fatalf("user = %+v, want %+v", got, bob)
	}
	_, err = st.UserByEmail(bg, "nobody@example.com")
	wantErr(t, "UserByEmail of an unknown email", err, account.ErrNotFound)
	_, err = st.UserByID(bg, 424242)
	wantErr(t, "UserByID of an unknown id", err, account.ErrNotFound)
	if n := ok(st.CountUsers(bg))(t); n != 2 {
		t.Fatalf("CountUsers = %d, want 2", n)
	}
}

func testLogins(t *testing.T, st aggregate.Store) {
	now := time.Now()
	live := account.Login{TokenHash: []byte("live-token-hash"), User: 5, Expires: now.Add(time.Hour)}
	if err := st.AddLogin(bg, live); err != nil {
		t.Fatal(err)
	}
	if err := st.AddLogin(bg, account.Login{TokenHash: []byte("old"), User: 5, Expires: now.Add(-time.Hour)}); err != nil {
		t.Fatal(err)
	}
	got := ok(st.Login(bg, live.TokenHash))(t)
	if got.User != 5 || string(got.TokenHash) != "live-token-hash" || got.Expires.Unix() != live.Expires.Unix() {
		t.Fatalf("Login = %+v, want %+v", got, live)
	}
	_, err := st.Login(bg, []byte("old"))
	wantErr(t, "Login of an expired token", err, account.ErrNotFound)
	_, err = st.Login(bg, []byte("unknown"))
	wantErr(t, "Login of an unknown token", err, account.ErrNotFound)
	if err := st.DeleteLogin(bg, live.TokenHash); err != nil {
		t.Fatal(err)
	}
	_, err = st.Login(bg, live.TokenHash)
	wantErr(t, "Login after DeleteLogin", err, account.ErrNotFound)
	if err := st.DeleteLogin(bg, []byte("unknown")); err != nil {
		t.Fatalf("DeleteLogin of an unknown token: %v", err)
	}
}

func testShares(t *testing.T, st aggregate.Store) {
	site := ok(st.AddSite(bg, account.Site{Domain: "share.example", Timezone: "UTC"}))(t)
	sh := account.Share{Site: site.ID, Slug: "s1-slug", MinVisitors: 10, Round: 5, Epsilon: 0.5}
	if err := st.SetShare(bg, sh); err != nil {
		t.Fatal(err)
	}
	for _, got := range []account.Share{ok(st.ShareBySlug(bg, "s1-slug"))(t), ok(st.ShareBySite(bg, site.ID))(t)} {
		if got.Site != site.ID || got.Slug != "s1-slug" || got.MinVisitors != 10 || got.Round != 5 || got.Epsilon != 0.5 || got.Created.IsZero() {
			t.Fatalf("share = %+v, want %+v", got, sh)
		}
	}
	sh.Slug, sh.MinVisitors = "s2-slug", 20
	if err := st.SetShare(bg, sh); err != nil {
		t.Fatal(err)
	}
	_, err := st.ShareBySlug(bg, "s1-slug")
	wantErr(t, "ShareBySlug of a replaced slug", err, account.ErrNotFound)
	if got := ok(st.ShareBySite(bg, site.ID))(t); got.Slug != "s2-slug" || got.MinVisitors != 20 {
		t.Fatalf("replaced share = %+v", got)
	}
	if err := st.DeleteShare(bg, site.ID); err != nil {
		t.Fatal(err)
	}
	_, err = st.ShareBySite(bg, site.ID)
	wantErr(t, "ShareBySite after DeleteShare", err, account.ErrNotFound)
	_, err = st.ShareBySlug(bg, "s2-slug")
	wantErr(t, "ShareBySlug after DeleteShare", err, account.ErrNotFound)
	if err := st.DeleteShare(bg, site.ID); err != nil {
		t.Fatalf("DeleteShare without a share: %v", err)
	}
	if err := st.SetShare(bg, sh); err != nil {
		t.Fatal(err)
	}
	if err := st.DeleteSite(bg, site.ID); err != nil {
		t.Fatal(err)
	}
	_, err = st.ShareBySlug(bg, "s2-slug")
	wantErr(t, "ShareBySlug after DeleteSite", err, account.ErrNotFound)
}
