package aggregate

import (
	"context"
	"errors"
	"time"
)

// Errors every Store returns for the same situations, so callers can test
// them with errors.Is whichever store is configured.
var (
	ErrNotFound = errors.New("not found")
	ErrExists   = errors.New("already exists")
	// ErrInvalid is a query the engine will not run; its message says why.
	ErrInvalid = errors.New("invalid query")
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
	// Owner is the user who added the site in the dashboard; 0 for sites
	// added on the command line, which every admin user sees.
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
	ID      int64
	Name    string
	Hash    []byte // SHA-256 of the key
	Created time.Time
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

// Store keeps everything tally persists: accounts and aggregates. Both
// implementations (the embedded SQLite store and ClickHouse) pass the same
// conformance suite in aggregate/storetest. Consumers declare the part they
// use (CellWriter, Querier, or a few account methods).
//
// Nothing given to a Store holds an IP address, a user-agent string, a URL
// query string, a salt or any per-visitor value: cells are counters.
type Store interface {
	Accounts
	Cells
	Ping(ctx context.Context) error
	Close() error
}

// Cells are the aggregates: hour cells of counters, added up by queries.
type Cells interface {
	CellWriter
	Querier
	// DropBefore deletes every cell older than t (retention).
	DropBefore(ctx context.Context, t time.Time) error
}

// Accounts are sites, API keys, users, their logins and public shares.
type Accounts interface {
	AddSite(ctx context.Context, s Site) (Site, error)       // ErrExists if the domain is taken
	Site(ctx context.Context, domain string) (Site, error)   // ErrNotFound if absent
	SiteByID(ctx context.Context, id int64) (Site, error)    // ErrNotFound if absent
	Sites(ctx context.Context) ([]Site, error)               // ordered by domain
	UpdateSite(ctx context.Context, s Site) error            // timezone, policy and owner, by ID
	DeleteSite(ctx context.Context, id int64) error          // the site and every aggregate of it
	AddAPIKey(ctx context.Context, k APIKey) (APIKey, error) //
	APIKey(ctx context.Context, hash []byte) (APIKey, error) // ErrNotFound if absent

	AddUser(ctx context.Context, u User) (User, error)           // ErrExists if the email is taken
	UserByEmail(ctx context.Context, email string) (User, error) // ErrNotFound if absent
	UserByID(ctx context.Context, id int64) (User, error)        // ErrNotFound if absent
	CountUsers(ctx context.Context) (int, error)
	AddLogin(ctx context.Context, l Login) error
	Login(ctx context.Context, tokenHash []byte) (Login, error) // ErrNotFound if absent or expired
	DeleteLogin(ctx context.Context, tokenHash []byte) error

	SetShare(ctx context.Context, sh Share) error                // creates or replaces the site's share
	ShareBySlug(ctx context.Context, slug string) (Share, error) // ErrNotFound if absent
	ShareBySite(ctx context.Context, site int64) (Share, error)  // ErrNotFound if absent
	DeleteShare(ctx context.Context, site int64) error
}
