package dashboard

import (
	"errors"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"

	"tally/account"
	"tally/aggregate"
)

// Status maps an error from a handler to the status code and the one-line
// message people see. It is the one place domain errors become HTTP:
// the server's error handler and the tests' both call it. ok is false for
// an unexpected error, which the caller logs and shows as a bare 500.
func Status(err error) (code int, msg string, ok bool) {
	var fe *fiber.Error
	var inv *account.Invalid
	switch {
	case errors.As(err, &fe):
		return fe.Code, fe.Message, true
	case errors.As(err, &inv):
		return fiber.StatusBadRequest, inv.Error(), true
	case errors.Is(err, account.ErrNotFound):
		return fiber.StatusNotFound, "not found", true
	case errors.Is(err, account.ErrExists):
		return fiber.StatusConflict, "already exists", true
	case errors.Is(err, account.ErrForbidden):
		return fiber.StatusForbidden, err.Error(), true
	case errors.Is(err, aggregate.ErrInvalid):
		// A question the engine will not run (too large, malformed):
		// the caller's to change, and its message says how.
		return fiber.StatusBadRequest, strings.TrimPrefix(err.Error(), aggregate.ErrInvalid.Error()+": "), true
	}
	return fiber.StatusInternalServerError, "internal error", false
}

// invalidMessage is the sentence a form shows for refused input, ok false
// if err is not about the input.
func invalidMessage(err error) (string, bool) {
	var inv *account.Invalid
	if !errors.As(err, &inv) {
		return "", false
	}
	return sentence(inv.Msg), true
}

// sentence capitalises a lower-case error message and ends it with a
// period, for a page.
func sentence(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	return string(unicode.ToUpper(r)) + s[n:] + "."
}
