// Package weburl splits the plain http(s) URLs that trackers send — page
// URLs and referrers — without net/url's allocations. It takes only URLs
// whose parts need no decoding and no validation beyond what it checks; for
// anything else it says so and the caller uses net/url. For every URL it
// takes, its parts are those url.Parse gives (a fuzz test holds it to that).
package weburl

import "strings"

// Parts are the pieces of a URL, sharing its memory.
type Parts struct {
	Scheme   string // "http" or "https", lower case
	Host     string // as written: no port, no user info
	Path     string // as written, which is also its decoded form
	RawQuery string
	Fragment string
}

// Split splits raw if it is a plain http(s) URL: an http or https scheme,
// "//", a non-empty host without a port or user info, and only characters
// that need no decoding (no '%', no spaces or control characters, no
// '@' or brackets). ok is false for anything else, which is not an error:
// net/url decides about those.
func Split(raw string) (p Parts, ok bool) {
	for i := 0; i < len(raw); i++ {
		if !plain[raw[i]] {
			return Parts{}, false
		}
	}
	rest, ok := cutScheme(raw, &p)
	if !ok {
		return Parts{}, false
	}
	// url.Parse takes the fragment at the first '#', then the query at
	// the first '?' of what is left.
	if i := strings.IndexByte(rest, '#'); i >= 0 {
		rest, p.Fragment = rest[:i], rest[i+1:]
	}
	if i := strings.IndexByte(rest, '?'); i >= 0 {
		rest, p.RawQuery = rest[:i], rest[i+1:]
	}
	p.Host, p.Path = rest, ""
	if i := strings.IndexByte(rest, '/'); i >= 0 {
		p.Host, p.Path = rest[:i], rest[i:]
	}
	if strings.IndexByte(p.Host, ':') >= 0 { // a port: net/url validates it
		return Parts{}, false
	}
	if p.Host == "" {
		return Parts{}, false
	}
	return p, true
}

// cutScheme reads "http://" or "https://" in any case and returns the rest.
func cutScheme(raw string, p *Parts) (string, bool) {
	switch {
	case len(raw) > 7 && equalFold(raw[:7], "http://"):
		p.Scheme = "http"
		return raw[7:], true
	case len(raw) > 8 && equalFold(raw[:8], "https://"):
		p.Scheme = "https"
		return raw[8:], true
	}
	return "", false
}

// equalFold compares an ASCII string with a lower-case one, ignoring case.
func equalFold(s, lower string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != lower[i] {
			return false
		}
	}
	return true
}

// plain marks the bytes Split accepts: letters, digits and the URL
// punctuation that net/url neither decodes nor rejects in a host, path,
// query or fragment.
var plain = func() (t [256]bool) {
	for c := 'a'; c <= 'z'; c++ {
		t[c] = true
	}
	for c := 'A'; c <= 'Z'; c++ {
		t[c] = true
	}
	for c := '0'; c <= '9'; c++ {
		t[c] = true
	}
	for _, c := range "-._~/?#&=+,;:!*'()$" {
		t[c] = true
	}
	return t
}()
