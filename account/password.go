package account

import (
	"bufio"
	"crypto/sha256"
	_ "embed"
	"fmt"
	"strings"

	"golang.org/x/crypto/bcrypt"
)

// Password limits: long enough that guessing online is hopeless once the
// sign-in limit applies, and bcrypt's 72-byte ceiling.
const (
	MinPassword = 10
	MaxPassword = 72
)

// common is a short list of passwords that lead every leaked-password
// list; checked offline, with no service asked.
//
//go:embed common-passwords.txt
var commonList string

var common = func() map[string]bool {
	m := map[string]bool{}
	sc := bufio.NewScanner(strings.NewReader(commonList))
	for sc.Scan() {
		if w := strings.TrimSpace(sc.Text()); w != "" && !strings.HasPrefix(w, "#") {
			m[strings.ToLower(w)] = true
		}
	}
	return m
}()

// CheckPassword is the one rule for a new password, for the first admin,
// an invited user, a reset and a change alike. email, when given, may not
// be reused as the password.
func CheckPassword(pw, email string) error {
	lower := strings.ToLower(pw)
	switch {
	case len(pw) < MinPassword:
		return invalid("password", fmt.Sprintf("the password needs at least %d characters", MinPassword))
	case len(pw) > MaxPassword:
		return invalid("password", fmt.Sprintf("the password may have at most %d bytes", MaxPassword))
	case common[lower] || common[strings.TrimRight(lower, "0123456789!")]:
		return invalid("password", "that password is on every list of common passwords: choose another")
	case strings.Count(pw, pw[:1]) == len(pw):
		return invalid("password", "the password repeats one character: choose another")
	case email != "" && strings.Contains(lower, strings.ToLower(localPart(email))) && len(localPart(email)) >= 4:
		return invalid("password", "the password may not contain the email address")
	}
	return nil
}

func localPart(email string) string {
	at := strings.IndexByte(email, '@')
	if at < 0 {
		return email
	}
	return email[:at]
}

// HashPassword is how passwords are stored: bcrypt at the default cost.
func HashPassword(pw string) ([]byte, error) {
	h, err := bcrypt.GenerateFromPassword([]byte(pw), bcrypt.DefaultCost)
	if err != nil {
		return nil, fmt.Errorf("hash password: %w", err)
	}
	return h, nil
}

// PasswordMatches compares pw with a stored hash in constant time.
func PasswordMatches(hash []byte, pw string) bool {
	return bcrypt.CompareHashAndPassword(hash, []byte(pw)) == nil
}

// HashToken is how session tokens and API keys are stored: their SHA-256.
// They are random and long, so a slow hash adds nothing.
func HashToken(tok string) []byte {
	h := sha256.Sum256([]byte(tok))
	return h[:]
}
