package account

import "errors"

// ErrInvalid is input the rules refuse: a malformed domain, a weak
// password, an unknown role. Errors that wrap it are *Invalid values whose
// message is meant for the person who typed the input.
var ErrInvalid = errors.New("invalid")

// ErrForbidden is an action the rules refuse whatever the input: removing
// the last admin, for one.
var ErrForbidden = errors.New("not allowed")

// Invalid says which field was refused and why, in words fit to show in a
// form or on the command line.
type Invalid struct {
	Field string // "domain", "email", "password", "role", "timezone", …
	Msg   string // lower case, no final period
}

func (e *Invalid) Error() string { return e.Field + ": " + e.Msg }

// Unwrap makes errors.Is(err, ErrInvalid) hold.
func (e *Invalid) Unwrap() error { return ErrInvalid }

func invalid(field, msg string) error { return &Invalid{Field: field, Msg: msg} }
