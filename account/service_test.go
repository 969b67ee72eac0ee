package account_test

import (
	"errors"
	"testing"

	"tally/account"
	"tally/aggregate/sqlite"
)

func newService(t *testing.T) *account.Service {
	t.Helper()
	st, err := sqlite.Open(t.Context(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return account.NewService(st, nil)
}

const pw = "correct horse battery"

func TestServiceUsers(t *testing.T) {
	s := newService(t)
	ctx := t.Context()
	first, err := s.AddUser(ctx, " Ann@Example.com ", pw, false)
	if err != nil || !first.Admin || first.Email != "ann@example.com" {
		t.Fatalf("first user %+v, %v: want ann@example.com, an admin", first, err)
	}
	if _, err := s.Setup(ctx, "eve@example.com", pw); !errors.Is(err, account.ErrExists) {
		t.Fatalf("Setup once a user exists: %v, want ErrExists", err)
	}
	if _, err := s.AddUser(ctx, "bob@example.com", "password1", false); !errors.Is(err, account.ErrInvalid) {
		t.Fatalf("a common password: %v, want ErrInvalid", err)
	}
	bob, err := s.AddUser(ctx, "bob@example.com", pw, false)
	if err != nil || bob.Admin {
		t.Fatalf("second user %+v, %v: want a plain user", bob, err)
	}
	if err := s.DeleteUser(ctx, first); !errors.Is(err, account.ErrForbidden) {
		t.Fatalf("deleting the last admin: %v, want ErrForbidden", err)
	}
	if err := s.DeleteUser(ctx, bob); err != nil {
		t.Fatal(err)
	}
}

func TestServiceRolesAndKeys(t *testing.T) {
	s := newService(t)
	ctx := t.Context()
	admin, _ := s.AddUser(ctx, "admin@example.com", pw, false)
	ann, _ := s.AddUser(ctx, "ann@example.com", pw, false)
	bob, _ := s.AddUser(ctx, "bob@example.com", pw, false)
	a, err := s.AddSite(ctx, "a.example", "", false, ann.ID)
	if err != nil || a.Timezone != "UTC" {
		t.Fatalf("AddSite: %+v, %v", a, err)
	}
	b, _ := s.AddSite(ctx, "b.example", "Europe/Paris", false, 0)
	if _, err := s.AddSite(ctx, "c.example", "Mars/Base", false, 0); !errors.Is(err, account.ErrInvalid) {
		t.Fatalf("an unknown time zone: %v, want ErrInvalid", err)
	}
	if _, err := s.Grant(ctx, b, "bob@example.com", account.Viewer); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		who   account.User
		site  account.Site
		role  account.Role
		reads bool
	}{
		{admin, a, account.Owner, true}, {ann, a, account.Owner, true}, {ann, b, "", false},
		{bob, b, account.Viewer, true}, {bob, a, "", false}, {account.User{}, a, "", false},
	} {
		role, reads, err := s.RoleOn(ctx, c.who, c.site)
		if err != nil || role != c.role || reads != c.reads {
			t.Errorf("RoleOn(%s, %s) = %q, %v, %v; want %q, %v", c.who.Email, c.site.Domain, role, reads, err, c.role, c.reads)
		}
	}
	if _, _, err := s.CreateKey(ctx, "x", bob, []account.Site{a}); !errors.Is(err, account.ErrInvalid) {
		t.Fatalf("a key of bob on a site he may not read: %v, want ErrInvalid", err)
	}
	_, k, err := s.CreateKey(ctx, "bob", bob, nil)
	if err != nil {
		t.Fatal(err)
	}
	if reads, _ := s.KeyReads(ctx, k, b); !reads {
		t.Error("bob's key does not read b.example")
	}
	if reads, _ := s.KeyReads(ctx, k, a); reads {
		t.Error("bob's key reads a.example")
	}
	if _, err := s.Revoke(ctx, b, "bob@example.com"); err != nil {
		t.Fatal(err)
	}
	if reads, _ := s.KeyReads(ctx, k, b); reads {
		t.Error("bob's key still reads b.example after his role was revoked")
	}
	if _, err := s.Revoke(ctx, a, "ann@example.com"); err != nil {
		t.Fatal(err)
	}
	if _, reads, _ := s.RoleOn(ctx, ann, mustSite(t, s, "a.example")); reads {
		t.Error("ann still reads a.example after giving up ownership")
	}
}

func mustSite(t *testing.T, s *account.Service, d string) account.Site {
	t.Helper()
	site, err := s.Site(t.Context(), d)
	if err != nil {
		t.Fatal(err)
	}
	return site
}
