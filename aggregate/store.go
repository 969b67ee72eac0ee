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

// Accounts are sites, API keys, users, their logins, memberships and
// public shares; account.Store lists them beside the rules that use them.
type Accounts interface {
	account.Store
}
