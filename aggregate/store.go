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
	FunnelCounter
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

// Accounts are sites, API keys, users, their logins, memberships and
// public shares; account.Store lists them beside the rules that use them.
type Accounts interface {
	account.Store
}
