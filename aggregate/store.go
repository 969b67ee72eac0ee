package aggregate

import (
	"context"
	"errors"
	"tally/account"
	"time"
)

// ErrInvalid is a query the engine will not run; its message says why.
var ErrInvalid = errors.New("invalid query")

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
	NoiseKeys
	Reports
	Ping(ctx context.Context) error
	Close() error
}

// NoiseKeys keep one random key per site that seeds the noise of its
// public views (dashboard/public). It is stored, so that every instance,
// every restart and every `tally report` run draws the same noise for the
// same published count: noise drawn afresh could be averaged away. It is
// not a visitor's value and keys nothing of a visitor.
type NoiseKeys interface {
	// NoiseKey returns the site's key; the first call stores candidate (32
	// random bytes from the caller) and returns it. Callers that race agree
	// on one key once both have returned.
	NoiseKey(ctx context.Context, site int64, candidate []byte) ([]byte, error)
}

// Reports keep public reports of closed periods as they were first built
// (dashboard/public), so that later requests serve the same bytes whatever
// happens to the counters afterwards (retention, a late spill replay).
type Reports interface {
	// Report returns the bytes stored under key; ErrNotFound if none.
	Report(ctx context.Context, site int64, key string) ([]byte, error)
	// StoreReport stores body under key unless something is stored there
	// already, and returns what is stored: the first report wins.
	StoreReport(ctx context.Context, site int64, key string, body []byte) ([]byte, error)
	// DeleteReports deletes every stored report of site (unpublishing).
	DeleteReports(ctx context.Context, site int64) error
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
	AddSite(ctx context.Context, s account.Site) (account.Site, error)       // ErrExists if the domain is taken
	Site(ctx context.Context, domain string) (account.Site, error)           // ErrNotFound if absent
	SiteByID(ctx context.Context, id int64) (account.Site, error)            // ErrNotFound if absent
	Sites(ctx context.Context) ([]account.Site, error)                       // ordered by domain
	UpdateSite(ctx context.Context, s account.Site) error                    // timezone, policy and owner, by ID
	DeleteSite(ctx context.Context, id int64) error                          // the site and every aggregate of it
	AddAPIKey(ctx context.Context, k account.APIKey) (account.APIKey, error) //
	APIKey(ctx context.Context, hash []byte) (account.APIKey, error)         // ErrNotFound if absent

	AddUser(ctx context.Context, u account.User) (account.User, error)   // ErrExists if the email is taken
	UserByEmail(ctx context.Context, email string) (account.User, error) // ErrNotFound if absent
	UserByID(ctx context.Context, id int64) (account.User, error)        // ErrNotFound if absent
	CountUsers(ctx context.Context) (int, error)
	AddLogin(ctx context.Context, l account.Login) error
	Login(ctx context.Context, tokenHash []byte) (account.Login, error) // ErrNotFound if absent or expired
	DeleteLogin(ctx context.Context, tokenHash []byte) error

	SetShare(ctx context.Context, sh account.Share) error                // creates or replaces the site's share
	ShareBySlug(ctx context.Context, slug string) (account.Share, error) // ErrNotFound if absent
	ShareBySite(ctx context.Context, site int64) (account.Share, error)  // ErrNotFound if absent
	DeleteShare(ctx context.Context, site int64) error
}
