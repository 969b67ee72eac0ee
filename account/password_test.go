package account

import (
	"errors"
	"strings"
	"testing"
)

func TestCheckPassword(t *testing.T) {
	for _, c := range []struct {
		name, pw, email string
		ok              bool
	}{
		{"a passphrase", "correct horse battery", "ann@example.com", true},
		{"random", "Yq3-vT9_pLx2", "", true},
		{"digits", "12345678", "", false},
		{"ten digits", "1234567890", "", false},
		{"common with digits", "password2024", "", false},
		{"common, capitalised, with !", "Welcome123!", "", false},
		{"keyboard walk", "qwertyuiop", "", false},
		{"short", "Xy7#kq", "", false},
		{"one character", "aaaaaaaaaaaa", "", false},
		{"the email", "annabelle@example.com!", "annabelle@example.com", false},
		{"too long for bcrypt", strings.Repeat("horse ", 13), "", false},
	} {
		t.Run(c.name, func(t *testing.T) {
			err := CheckPassword(c.pw, c.email)
			if c.ok != (err == nil) {
				t.Fatalf("CheckPassword(%q) = %v, want ok %v", c.pw, err, c.ok)
			}
			if err != nil && !errors.Is(err, ErrInvalid) {
				t.Fatalf("error %v is not ErrInvalid", err)
			}
		})
	}
}

func TestCommonListLoaded(t *testing.T) {
	if len(common) < 100 || !common["password"] || !common["12345678"] {
		t.Fatalf("the embedded common-password list has %d entries", len(common))
	}
}

func TestParseEmail(t *testing.T) {
	for in, want := range map[string]string{" Ann@Example.COM ": "ann@example.com", "a@b": "a@b",
		"no-at": "", "@example.com": "", "ann@": "", "a b@example.com": "", "<a>@example.com": ""} {
		got, err := ParseEmail(in)
		if (err == nil) != (want != "") || got != want && want != "" {
			t.Errorf("ParseEmail(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
}
