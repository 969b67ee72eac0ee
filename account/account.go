// Package account holds what tally knows of the people and sites it serves:
// tracked sites, dashboard users and their logins, Stats API keys and public
// shares — the records both the command line and the web manage. It holds
// nothing of a visitor, and no aggregate.
package account

import (
	"errors"
	"time"
)

// Errors every Store returns for the same situations, so callers can test
// them with errors.Is whichever store is configured.
var (
	ErrNotFound = errors.New("not found")
	ErrExists   = errors.New("already exists")
)

// Site is one tracked website.
type Site struct {
	ID       int64
	Domain   string // lower-case host, e.g. "example.com"
	Timezone string // IANA name; days, weeks and months are reckoned in it
	// CountDNT makes Do-Not-Track and Global-Privacy-Control hits count as an
	// anonymous pageview (no visitor key, no visit, no geo) instead of being
	// dropped. Off by default; the privacy notice states which applies.
	CountDNT bool
	// Owner is the user who added the site in the dashboard, who holds the
	// owner role on it; 0 for sites added on the command line, which only
	// admins and members see.
	Owner   int64
	Created time.Time
}

// Location returns the site's time zone, UTC when the name is unknown.
func (s Site) Location() *time.Location {
	loc, err := time.LoadLocation(s.Timezone)
	if err != nil || s.Timezone == "" {
		return time.UTC
	}
	return loc
}

// APIKey grants access to the Stats API. Only a hash of the key is stored.
type APIKey struct {
	ID   int64
	Name string
	Hash []byte // SHA-256 of the key
	// User owns the key: it reads only the sites that user may read. 0 is
	// an instance-wide key (made on the command line without --user),
	// which reads every site, as an admin's would.
	User int64
	// Sites narrows the key to these sites (IDs); empty: all the owner's.
	Sites    []int64
	Created  time.Time
	LastUsed time.Time // the UTC day of the last use; zero if never used
}

// Member gives a user a role on one site.
type Member struct {
	Site, User int64
	Role       Role
}

// User is a dashboard account.
type User struct {
	ID           int64
	Email        string // lower case, unique
	PasswordHash []byte // bcrypt
	Admin        bool   // sees every site; the first user is an admin
	Created      time.Time
}

// Login is a signed-in browser session. Only a hash of its token is stored.
type Login struct {
	TokenHash []byte // SHA-256 of the cookie's token
	User      int64
	Expires   time.Time
}

// Share publishes a site's aggregates under an unguessable slug, through
// the protection layer of public views.
type Share struct {
	Site        int64
	Slug        string
	MinVisitors int     // groups smaller than this fold into "(other)"
	Round       int     // counts are rounded to a multiple of this
	Epsilon     float64 // differential-privacy budget; 0: no noise
	Created     time.Time
}
