package account

// Role is what a user may do on a site. Roles are stored by name.
type Role string

const (
	// Viewer reads the site's dashboard, exports and realtime count.
	Viewer Role = "viewer"
	// Owner also changes its settings and sharing, manages its members
	// and deletes it.
	Owner Role = "owner"
)

// ParseRole is the one rule for a role typed on the command line or sent
// by a form.
func ParseRole(s string) (Role, error) {
	switch r := Role(s); r {
	case Viewer, Owner:
		return r, nil
	}
	return "", invalid("role", "want viewer or owner")
}

// Reads says whether the role may read the site's numbers.
func (r Role) Reads() bool { return r == Viewer || r == Owner }

// Manages says whether the role may change the site's settings, sharing
// and members, and delete it.
func (r Role) Manages() bool { return r == Owner }
