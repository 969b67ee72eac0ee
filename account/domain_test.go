package account

import (
	"errors"
	"strings"
	"testing"
)

func TestParseDomain(t *testing.T) {
	for _, c := range []struct{ name, in, want string }{
		{"plain", "example.com", "example.com"},
		{"upper case and spaces", "  Foo.Example.COM ", "foo.example.com"},
		{"final dot", "example.com.", "example.com"},
		{"single label", "localhost", "localhost"},
		{"IDN to punycode", "bücher.example", "xn--bcher-kva.example"},
		{"punycode kept", "xn--bcher-kva.example", "xn--bcher-kva.example"},
		{"hyphen inside", "my-site.example", "my-site.example"},
		{"63-character label", strings.Repeat("a", 63) + ".example", strings.Repeat("a", 63) + ".example"},
		{"not a domain", "not a domain", ""},
		{"single label other than localhost", "users", ""},
		{"empty label", "a..b", ""},
		{"markup", "<script>.com", ""},
		{"markup in a form", "<b>x</b>.com", ""},
		{"URL with port and path", "http://Foo.Example:8080/x", ""},
		{"scheme", "https://example.com", ""},
		{"path", "example.com/blog", ""},
		{"port", "example.com:8080", ""},
		{"query", "example.com?x=1", ""},
		{"user info", "me@example.com", ""},
		{"backslash", `example.com\x`, ""},
		{"percent", "exa%6Dple.com", ""},
		{"leading hyphen", "-example.com", ""},
		{"underscore", "my_site.example", ""},
		{"64-character label", strings.Repeat("a", 64) + ".example", ""},
		{"too long", strings.Repeat("abcdefghi.", 26), ""},
		{"empty", "  ", ""},
		{"control character", "exam\tple.com", ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := ParseDomain(c.in)
			if c.want == "" {
				var inv *Invalid
				if !errors.As(err, &inv) || !errors.Is(err, ErrInvalid) || inv.Field != "domain" {
					t.Fatalf("ParseDomain(%q) = %q, %v; want an *Invalid domain error", c.in, got, err)
				}
				return
			}
			if err != nil || got != c.want {
				t.Fatalf("ParseDomain(%q) = %q, %v; want %q", c.in, got, err, c.want)
			}
		})
	}
}

// LookupDomain still finds a site stored before the rules.
func TestLookupDomainIsLenient(t *testing.T) {
	if got := LookupDomain(" <B>x<"); got != "<b>x<" {
		t.Fatalf("LookupDomain = %q", got)
	}
	if got := LookupDomain("Bücher.Example."); got != "xn--bcher-kva.example" {
		t.Fatalf("LookupDomain = %q", got)
	}
}

func FuzzParseDomain(f *testing.F) {
	for _, s := range []string{"example.com", "bücher.example", "http://a:1/b", "a..b", "<x>"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParseDomain(s)
		if err != nil {
			return
		}
		if again, err := ParseDomain(d); err != nil || again != d {
			t.Fatalf("ParseDomain(%q) = %q, which parses to %q, %v", s, d, again, err)
		}
		if len(d) > MaxDomain || strings.ContainsAny(d, ":/?#@\\% <>\"'") {
			t.Fatalf("ParseDomain(%q) = %q", s, d)
		}
	})
}
