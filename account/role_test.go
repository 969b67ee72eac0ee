package account

import "testing"

// Roles are stored by name: renaming one would change what stored
// memberships mean.
func TestRoleNamesPinned(t *testing.T) {
	if Viewer != "viewer" || Owner != "owner" {
		t.Fatalf("stored role names changed: %q, %q", Viewer, Owner)
	}
	for _, s := range []string{"viewer", "owner"} {
		if r, err := ParseRole(s); err != nil || string(r) != s {
			t.Errorf("ParseRole(%q) = %q, %v", s, r, err)
		}
	}
	for _, s := range []string{"", "admin", "Owner", "editor"} {
		if _, err := ParseRole(s); err == nil {
			t.Errorf("ParseRole(%q) accepted", s)
		}
	}
	if !Owner.Manages() || Viewer.Manages() || !Viewer.Reads() || Role("").Reads() {
		t.Fatal("what the roles allow changed")
	}
}
