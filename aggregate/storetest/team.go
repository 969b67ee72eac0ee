package storetest

import (
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"tally/account"
	"tally/aggregate"
)

// testFirstUserRace: 20 callers race for the first account; exactly one
// gets it, the others ErrExists, and the store holds one user.
func testFirstUserRace(t *testing.T, st aggregate.Store) {
	const n = 20
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = st.AddFirstUser(bg, account.User{Email: fmt.Sprintf("u%d@example.com", i), PasswordHash: []byte("h"), Admin: true})
		}()
	}
	wg.Wait()
	won := 0
	for i, err := range errs {
		switch {
		case err == nil:
			won++
		default:
			wantErr(t, fmt.Sprintf("caller %d", i), err, account.ErrExists)
		}
	}
	if won != 1 {
		t.Fatalf("%d callers got the first account, want 1", won)
	}
	if users := ok(st.Users(bg))(t); len(users) != 1 || !users[0].Admin {
		t.Fatalf("users after the race: %+v, want one admin", users)
	}
	_, err := st.AddFirstUser(bg, account.User{Email: "late@example.com", PasswordHash: []byte("h")})
	wantErr(t, "AddFirstUser once a user exists", err, account.ErrExists)
}

func testManageUsers(t *testing.T, st aggregate.Store) {
	ann := ok(st.AddUser(bg, account.User{Email: "ann@example.com", PasswordHash: []byte("a"), Admin: true}))(t)
	bob := ok(st.AddUser(bg, account.User{Email: "bob@example.com", PasswordHash: []byte("b")}))(t)
	site := ok(st.AddSite(bg, account.Site{Domain: "bob.example", Timezone: "UTC", Owner: bob.ID}))(t)
	if got := ok(st.Users(bg))(t); len(got) != 2 || got[0].Email != "ann@example.com" || got[1].Email != "bob@example.com" {
		t.Fatalf("Users = %+v, want ann then bob", got)
	}
	bob.PasswordHash, bob.Admin = []byte("new"), true
	if err := st.UpdateUser(bg, bob); err != nil {
		t.Fatal(err)
	}
	if got := ok(st.UserByID(bg, bob.ID))(t); string(got.PasswordHash) != "new" || !got.Admin || got.Email != "bob@example.com" {
		t.Fatalf("after UpdateUser: %+v", got)
	}
	wantErr(t, "UpdateUser of an unknown id", st.UpdateUser(bg, account.User{ID: 424242}), account.ErrNotFound)

	exp := time.Now().Add(time.Hour)
	for _, tok := range []string{"bob-1", "bob-2"} {
		if err := st.AddLogin(bg, account.Login{TokenHash: []byte(tok), User: bob.ID, Expires: exp}); err != nil {
			t.Fatal(err)
		}
	}
	if err := st.AddLogin(bg, account.Login{TokenHash: []byte("ann-1"), User: ann.ID, Expires: exp}); err != nil {
		t.Fatal(err)
	}
	if err := st.DeleteLogins(bg, bob.ID); err != nil {
		t.Fatal(err)
	}
	for _, tok := range []string{"bob-1", "bob-2"} {
		_, err := st.Login(bg, []byte(tok))
		wantErr(t, "a login after DeleteLogins", err, account.ErrNotFound)
	}
	ok(st.Login(bg, []byte("ann-1")))(t) // another user's session stays

	if err := st.SetMember(bg, account.Member{Site: site.ID, User: ann.ID, Role: account.Viewer}); err != nil {
		t.Fatal(err)
	}
	if err := st.SetMember(bg, account.Member{Site: site.ID, User: bob.ID, Role: account.Viewer}); err != nil {
		t.Fatal(err)
	}
	key := ok(st.AddAPIKey(bg, account.APIKey{Name: "bob's", Hash: []byte("bob-key"), User: bob.ID}))(t)
	if err := st.AddLogin(bg, account.Login{TokenHash: []byte("bob-3"), User: bob.ID, Expires: exp}); err != nil {
		t.Fatal(err)
	}
	if err := st.DeleteUser(bg, bob.ID); err != nil {
		t.Fatal(err)
	}
	_, err := st.UserByID(bg, bob.ID)
	wantErr(t, "UserByID of a deleted user", err, account.ErrNotFound)
	_, err = st.Login(bg, []byte("bob-3"))
	wantErr(t, "a deleted user's login", err, account.ErrNotFound)
	_, err = st.APIKey(bg, key.Hash)
	wantErr(t, "a deleted user's API key", err, account.ErrNotFound)
	if ms := ok(st.Members(bg, site.ID))(t); len(ms) != 1 || ms[0].User != ann.ID {
		t.Fatalf("members after deleting bob: %+v, want ann alone", ms)
	}
	if got := ok(st.SiteByID(bg, site.ID))(t); got.Owner != 0 {
		t.Fatalf("a deleted user's site still has owner %d", got.Owner)
	}
	if n := ok(st.CountUsers(bg))(t); n != 1 {
		t.Fatalf("CountUsers after a deletion = %d, want 1", n)
	}
}

func testMembers(t *testing.T, st aggregate.Store) {
	a := ok(st.AddSite(bg, account.Site{Domain: "a.example", Timezone: "UTC"}))(t)
	b := ok(st.AddSite(bg, account.Site{Domain: "b.example", Timezone: "UTC"}))(t)
	set := func(m account.Member) {
		t.Helper()
		if err := st.SetMember(bg, m); err != nil {
			t.Fatal(err)
		}
	}
	set(account.Member{Site: a.ID, User: 7, Role: account.Viewer})
	set(account.Member{Site: b.ID, User: 7, Role: account.Viewer})
	set(account.Member{Site: a.ID, User: 8, Role: account.Owner})
	set(account.Member{Site: a.ID, User: 7, Role: account.Owner}) // a change of role, not a second row
	if ms := ok(st.Members(bg, a.ID))(t); !slices.Equal(ms, []account.Member{{Site: a.ID, User: 7, Role: account.Owner}, {Site: a.ID, User: 8, Role: account.Owner}}) {
		t.Fatalf("Members(a) = %+v", ms)
	}
	if err := st.DeleteMember(bg, b.ID, 7); err != nil {
		t.Fatal(err)
	}
	if err := st.DeleteMember(bg, b.ID, 99); err != nil {
		t.Fatalf("deleting an absent membership: %v", err)
	}
	if ms := ok(st.MembershipsOf(bg, 7))(t); !slices.Equal(ms, []account.Member{{Site: a.ID, User: 7, Role: account.Owner}}) {
		t.Fatalf("MembershipsOf(7) = %+v, want a alone", ms)
	}
}

func testKeyScopes(t *testing.T, st aggregate.Store) {
	wide := ok(st.AddAPIKey(bg, account.APIKey{Name: "ci", Hash: []byte("wide")}))(t)
	narrow := ok(st.AddAPIKey(bg, account.APIKey{Name: "report", Hash: []byte("narrow"), User: 3, Sites: []int64{11, 12}}))(t)
	got := ok(st.APIKey(bg, []byte("narrow")))(t)
	if got.ID != narrow.ID || got.User != 3 || !slices.Equal(got.Sites, []int64{11, 12}) || !got.LastUsed.IsZero() {
		t.Fatalf("APIKey = %+v, want user 3, sites [11 12], never used", got)
	}
	day := time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC)
	if err := st.TouchAPIKey(bg, narrow.ID, day); err != nil {
		t.Fatal(err)
	}
	if err := st.TouchAPIKey(bg, narrow.ID, day.AddDate(0, 0, -3)); err != nil { // a late, older use
		t.Fatal(err)
	}
	keys := ok(st.APIKeys(bg))(t)
	if len(keys) != 2 {
		t.Fatalf("APIKeys = %+v, want 2", keys)
	}
	for _, k := range keys {
		switch k.ID {
		case wide.ID:
			if k.User != 0 || len(k.Sites) != 0 || !k.LastUsed.IsZero() {
				t.Errorf("instance-wide key listed as %+v", k)
			}
		case narrow.ID:
			if !k.LastUsed.Equal(day) {
				t.Errorf("last used %v, want %v", k.LastUsed, day)
			}
		default:
			t.Errorf("unexpected key %+v", k)
		}
	}
	if err := st.DeleteAPIKey(bg, narrow.ID); err != nil {
		t.Fatal(err)
	}
	_, err := st.APIKey(bg, []byte("narrow"))
	wantErr(t, "a revoked key", err, account.ErrNotFound)
	if err := st.TouchAPIKey(bg, narrow.ID, day.AddDate(0, 0, 1)); err != nil {
		t.Fatal(err)
	}
	_, err = st.APIKey(bg, []byte("narrow"))
	wantErr(t, "a revoked key used once more", err, account.ErrNotFound)
	wantErr(t, "revoking it again", st.DeleteAPIKey(bg, narrow.ID), account.ErrNotFound)
}
