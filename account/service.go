package account

import (
	"errors"
	"time"
)

// Service is the one place the rules about accounts are applied: the
// command line and the dashboard both call it, so a domain, a password or
// a role is accepted or refused the same way in both. Its errors are
// *Invalid (wrapping ErrInvalid), ErrNotFound, ErrExists, ErrForbidden or
// a store's own.
type Service struct {
	st  Store
	now func() time.Time
}

// ErrForbidden is an action the rules refuse whatever the input: removing
// the last admin, for one.
var ErrForbidden = errors.New("not allowed")

// NewService applies the rules over st; now stamps what is created.
func NewService(st Store, now func() time.Time) *Service {
	if now == nil {
		now = time.Now
	}
	return &Service{st: st, now: now}
}

// Store is the store the service works on, for reads that need no rule.
func (s *Service) Store() Store { return s.st }
