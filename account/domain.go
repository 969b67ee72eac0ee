package account

import (
	"strings"
	"unicode/utf8"

	"golang.org/x/net/idna"
)

// MaxDomain is the longest host name DNS allows, in ASCII.
const MaxDomain = 253

// ParseDomain is the one rule for a site's domain, on the command line and
// on the web: a host name, lower case, without scheme, port, path or final
// dot; an internationalised name becomes its ASCII (punycode) form, which
// is what a browser sends as the page's host. Ports are refused, not
// stripped: the collector matches pages by host name alone, so two sites
// differing only in port could never be told apart.
func ParseDomain(s string) (string, error) {
	s = strings.TrimSuffix(strings.TrimSpace(s), ".")
	switch {
	case s == "":
		return "", invalid("domain", "enter the site's domain, e.g. example.com")
	case strings.Contains(s, "://") || strings.ContainsAny(s, "/?#@\\"):
		return "", invalid("domain", "enter the host name alone, e.g. example.com, without http:// or a path")
	case strings.Contains(s, ":"):
		return "", invalid("domain", "enter the host name without a port: sites are told apart by host name alone")
	}
	ascii, err := idna.Lookup.ToASCII(s)
	if err == nil {
		// A name whose punycode does not decode back (invalid UTF-8
		// became U+FFFD, say) is not one a browser would send.
		_, err = idna.Lookup.ToUnicode(ascii)
	}
	if err != nil || !utf8.ValidString(s) {
		return "", invalid("domain", "not a valid host name")
	}
	if len(ascii) > MaxDomain {
		return "", invalid("domain", "a host name has at most 253 characters")
	}
	if !strings.Contains(ascii, ".") && ascii != "localhost" {
		// Single labels would also shadow the dashboard's own paths
		// (/users, /keys, /account).
		return "", invalid("domain", "enter a full host name with a dot, e.g. example.com (or localhost)")
	}
	for _, label := range strings.Split(ascii, ".") {
		if !validLabel(label) {
			return "", invalid("domain", "not a valid host name: use letters, digits and hyphens between dots")
		}
	}
	return ascii, nil
}

// validLabel is a DNS label as host names use them (RFC 1123): 1 to 63
// letters, digits and hyphens, not starting or ending with a hyphen.
func validLabel(l string) bool {
	if l == "" || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
		return false
	}
	for i := 0; i < len(l); i++ {
		c := l[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

// LookupDomain is how a domain typed to find an existing site is read. It
// is lenient where ParseDomain is strict, so a site stored before the
// rules (or by hand) can still be found, opened and deleted.
func LookupDomain(s string) string {
	if d, err := ParseDomain(s); err == nil {
		return d
	}
	return strings.ToLower(strings.TrimSuffix(strings.TrimSpace(s), "."))
}
