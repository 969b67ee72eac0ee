package collector

import (
	"net/url"
	"slices"
	"strings"

	"tally/aggregate"
)

// Bounds on a property as stored (the payload limits, maxPropKey and
// maxPropValue, are Plausible's and only decide what is rejected): longer
// keys and values are cut, on a character boundary.
const (
	maxStoredPropKey   = 64
	maxStoredPropValue = 256
)

// Props turns an event's validated properties into the hit's, through the
// same rules as every other value: control characters stripped, values that
// look personal replaced by placeholders (RedactValue; a path through
// RedactPath), a URL kept as scheme, host and redacted path (never its
// query string or fragment), and a property whose value or key looks like
// an e-mail address dropped altogether (a key is stored and shown like a
// value) — how many were dropped is returned, for the metrics.
// The order is the keys', so a hit's cells do not depend on map order.
func Props(props map[string]string) (out []aggregate.Prop, dropped int) {
	if len(props) == 0 {
		return nil, 0
	}
	keys := make([]string, 0, len(props))
	for k := range props {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		key := cut(Clean(k), maxStoredPropKey)
		value := Clean(props[k])
		if key == "" || value == "" {
			continue
		}
		if looksLikeEmail(value) || looksLikeEmail(key) {
			dropped++
			continue
		}
		out = append(out, aggregate.Prop{Key: key, Value: cut(propValue(key, value), maxStoredPropValue)})
	}
	return out, dropped
}

// propValue applies the value rules: a URL (the outbound-link and
// file-download trackers' url) loses its query and fragment, a path (the
// 404 tracker's path) is redacted as a page path, anything else as a
// campaign value.
func propValue(key, v string) string {
	lower := strings.ToLower(v)
	if strings.HasPrefix(lower, "http://") || strings.HasPrefix(lower, "https://") {
		u, err := url.Parse(v)
		if err != nil || u.Host == "" {
			return PlaceholderParams
		}
		return strings.ToLower(u.Scheme) + "://" + strings.ToLower(u.Host) + RedactPath(u.EscapedPath())
	}
	if key == "path" || strings.HasPrefix(v, "/") {
		p, _, _ := strings.Cut(v, "?")
		p, _, _ = strings.Cut(p, "#")
		return RedactPath(p)
	}
	return RedactValue(v)
}

// looksLikeEmail reports whether v holds something like local@domain.tld.
func looksLikeEmail(v string) bool {
	at := strings.IndexByte(v, '@')
	return at > 0 && strings.Contains(v[at+1:], ".")
}

// cut shortens s to at most n bytes without splitting a character.
func cut(s string, n int) string {
	if len(s) <= n {
		return s
	}
	s = s[:n]
	return strings.ToValidUTF8(s, "")
}
