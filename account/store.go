package account

import (
	"context"
	"time"
)

// Store is what the account rules need of a store; both of tally's stores
// provide it (aggregate.Store embeds it) and pass one conformance suite.
// Every method returns ErrNotFound and ErrExists for the same situations.
type Store interface {
	AddSite(ctx context.Context, s Site) (Site, error)              // ErrExists if the domain is taken
	Site(ctx context.Context, domain string) (Site, error)          // ErrNotFound if absent
	SiteByID(ctx context.Context, id int64) (Site, error)           // ErrNotFound if absent
	Sites(ctx context.Context) ([]Site, error)                      // ordered by domain
	UpdateSite(ctx context.Context, s Site) error                   // timezone, policy and owner, by ID
	DeleteSite(ctx context.Context, id int64) error                 // the site and every aggregate of it
	AddAPIKey(ctx context.Context, k APIKey) (APIKey, error)        //
	APIKey(ctx context.Context, hash []byte) (APIKey, error)        // ErrNotFound if absent
	APIKeys(ctx context.Context) ([]APIKey, error)                  // ordered by ID
	DeleteAPIKey(ctx context.Context, id int64) error               // ErrNotFound if absent
	TouchAPIKey(ctx context.Context, id int64, day time.Time) error // records the day of a use

	AddUser(ctx context.Context, u User) (User, error) // ErrExists if the email is taken
	// AddFirstUser adds u only while there is no user at all, atomically:
	// of any number of concurrent callers, one wins and the others get
	// ErrExists.
	AddFirstUser(ctx context.Context, u User) (User, error)
	UserByEmail(ctx context.Context, email string) (User, error) // ErrNotFound if absent
	UserByID(ctx context.Context, id int64) (User, error)        // ErrNotFound if absent
	Users(ctx context.Context) ([]User, error)                   // ordered by email
	UpdateUser(ctx context.Context, u User) error                // password hash and admin flag, by ID
	DeleteUser(ctx context.Context, id int64) error              // the user, its logins, memberships and keys
	CountUsers(ctx context.Context) (int, error)
	AddLogin(ctx context.Context, l Login) error
	Login(ctx context.Context, tokenHash []byte) (Login, error) // ErrNotFound if absent or expired
	DeleteLogin(ctx context.Context, tokenHash []byte) error
	DeleteLogins(ctx context.Context, user int64) error // signs the user out everywhere

	SetMember(ctx context.Context, m Member) error                   // creates or changes the role
	DeleteMember(ctx context.Context, site, user int64) error        // no error if absent
	Members(ctx context.Context, site int64) ([]Member, error)       // of one site
	MembershipsOf(ctx context.Context, user int64) ([]Member, error) // of one user

	SetShare(ctx context.Context, sh Share) error                // creates or replaces the site's share
	ShareBySlug(ctx context.Context, slug string) (Share, error) // ErrNotFound if absent
	ShareBySite(ctx context.Context, site int64) (Share, error)  // ErrNotFound if absent
	DeleteShare(ctx context.Context, site int64) error

	AddGoal(ctx context.Context, g Goal) (Goal, error)     // assigns the ID
	Goals(ctx context.Context, site int64) ([]Goal, error) // of one site, oldest first
	DeleteGoal(ctx context.Context, site, id int64) error  // ErrNotFound if absent

	AddFunnel(ctx context.Context, f Funnel) (Funnel, error)   // assigns the ID
	Funnels(ctx context.Context, site int64) ([]Funnel, error) // of one site, oldest first
	DeleteFunnel(ctx context.Context, site, id int64) error    // ErrNotFound if absent
}
