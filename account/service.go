package account

import "time"

// Service is the one place the rules about accounts are applied: the
// command line and the dashboard both call it, so a domain, a password or
// a role is accepted or refused the same way in both. Its errors are
// *Invalid (wrapping ErrInvalid), ErrNotFound, ErrExists, ErrForbidden or
// a store's own.
type Service struct {
	st  Store
	now func() time.Time
}

// NewService applies the rules over st; now stamps what is created.
func NewService(st Store, now func() time.Time) *Service {
	if now == nil {
		now = time.Now
	}
	return &Service{st: st, now: now}
}
