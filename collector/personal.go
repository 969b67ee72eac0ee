package collector

import (
	"strings"

	"tally/collector/referrer"
)

// Placeholders stand in for the parts of a page path or campaign value
// that look personal, so that the rest of the value stays readable and
// pages that differ only in such a part add up in one row.
const (
	PlaceholderEmail  = ":email"  // anything with an '@'
	PlaceholderID     = ":id"     // a run of 5+ digits, 4 digits glued to other text (cust-4711), or a segment after a personal keyword
	PlaceholderToken  = ":token"  // a word mixing 3+ digits with letters, a UUID, or a 32+ character word
	PlaceholderParams = ":params" // a key=value tail, from its delimiter to the end
)

// personalKeywords name path segments whose next segment names a person
// or carries a one-time secret: /account/alice.smith, /reset-password/…,
// /u/bob. The next segment becomes PlaceholderID whatever it looks like.
var personalKeywords = map[string]bool{
	"account": true, "accounts": true, "user": true, "users": true, "u": true,
	"profile": true, "profiles": true, "member": true, "members": true,
	"people": true, "person": true, "customer": true, "customers": true,
	"reset-password": true, "password-reset": true, "reset": true,
	"verify": true, "verification": true, "confirm": true, "activate": true,
	"invite": true, "invitation": true, "invitations": true, "unsubscribe": true,
	"token": true, "magic-link": true, "login": true,
	"order": true, "orders": true, "invoice": true, "invoices": true,
}

// RedactPath replaces what looks personal in a page path (the hash-mode
// fragment included): a key=value tail (from the delimiter before its key:
// '?', '&', ';', '#' or '/') becomes "/:params"; then, segment by
// segment, e-mail addresses, ids, tokens and the segment after a personal
// keyword become placeholders. Ordinary paths (/blog/2024/10/my-post,
// /products/42, /docs/v2/install) come out unchanged.
//
// It is the one place the collector applies these rules to paths; the
// rules are listed in docs/design.md ("Values that look personal").
func RedactPath(p string) string {
	if !needsRedaction(p) {
		return p
	}
	p = cutParams(p)
	var b strings.Builder
	b.Grow(len(p))
	prevKeyword := false
	for i, seg := range strings.Split(p, "/") {
		if i > 0 {
			b.WriteByte('/')
		}
		switch {
		case seg == "" || seg == PlaceholderParams:
			b.WriteString(seg)
		case prevKeyword:
			b.WriteString(PlaceholderID)
		default:
			b.WriteString(redactWords(seg, true))
		}
		prevKeyword = personalKeywords[strings.ToLower(strings.TrimPrefix(seg, "#"))]
	}
	return b.String()
}

// RedactValue replaces what looks personal in a campaign value (utm_*):
// the rules of RedactPath without the keyword rule, since a campaign value
// is not a path.
func RedactValue(v string) string {
	if !needsRedaction(v) {
		return v
	}
	v = cutParams(v)
	parts := strings.Split(v, "/")
	for i, seg := range parts {
		if seg != PlaceholderParams {
			parts[i] = redactWords(seg, false)
		}
	}
	return strings.Join(parts, "/")
}

// needsRedaction is the fast path: most values have no '@', no '=', no
// digit at all and no keyword followed by a segment, so they are returned
// without a copy.
func needsRedaction(s string) bool {
	if strings.ContainsAny(s, "@=0123456789") || len(s) >= 32 {
		return true
	}
	for rest := s; rest != ""; {
		var seg string
		seg, rest, _ = strings.Cut(rest, "/")
		if personalKeywords[strings.ToLower(strings.TrimPrefix(seg, "#"))] && rest != "" {
			return true
		}
	}
	return false
}

// cutParams replaces the first key=value and everything after it.
func cutParams(s string) string {
	eq := strings.IndexByte(s, '=')
	if eq < 0 {
		return s
	}
	start := strings.LastIndexAny(s[:eq], "/?&;#")
	if start < 0 {
		return PlaceholderParams
	}
	base := s[:start]
	if strings.HasSuffix(base, "/") {
		return base + PlaceholderParams
	}
	return base + "/" + PlaceholderParams
}

// redactWords redacts one path segment (or campaign value): the whole
// segment if it holds an e-mail address or a UUID, else each word (run of
// letters and digits) that is an id or a token; separators (-, _, ., …)
// stay. In a path, a segment that is nothing but a four-digit number
// (/products/1234, /page/0018) is kept: such segments number public
// things, where a number glued to a word (cust-4711, order-5512) is a code.
func redactWords(seg string, path bool) string {
	if strings.IndexByte(seg, '@') >= 0 {
		return PlaceholderEmail
	}
	if isUUID(seg) {
		return PlaceholderToken
	}
	var b strings.Builder
	for i := 0; i < len(seg); {
		j := i
		for j < len(seg) && isAlnum(seg[j]) {
			j++
		}
		if j == i { // a separator or a non-ASCII byte: kept as is
			b.WriteByte(seg[i])
			i++
			continue
		}
		w := seg[i:j]
		if path && i == 0 && j == len(seg) && len(w) == 4 && isDigits(w) {
			b.WriteString(w)
		} else {
			b.WriteString(redactWord(w))
		}
		i = j
	}
	return b.String()
}

// redactWord judges one word of ASCII letters and digits.
func redactWord(w string) string {
	digits, letters := 0, 0
	for i := 0; i < len(w); i++ {
		if w[i] >= '0' && w[i] <= '9' {
			digits++
		} else {
			letters++
		}
	}
	switch {
	case len(w) >= 32:
		return PlaceholderToken // hashes, keys, base64 blobs
	case letters == 0 && (digits >= 5 || digits == 4 && !isYear(w)):
		return PlaceholderID // customer, order, phone and account numbers
	case len(w) >= 6 && digits >= 3 && letters >= 1:
		return PlaceholderToken // 9f8e7d, OAUTHTOKEN123, a1b2c3
	}
	return w
}

func isDigits(w string) bool {
	for i := 0; i < len(w); i++ {
		if w[i] < '0' || w[i] > '9' {
			return false
		}
	}
	return true
}

// isYear keeps dates readable: /blog/2024/10/my-post.
func isYear(w string) bool {
	return len(w) == 4 && (w[:2] == "19" || w[:2] == "20")
}

// isUUID reports an 8-4-4-4-12 hex UUID, whose short groups would pass
// redactWord one by one.
func isUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
				return false
			}
		}
	}
	return true
}

func isAlnum(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

// sourceParam reads a ref= or source= value as a source only when it names
// a known brand (google → Google) or a host (producthunt.com); anything
// else is dropped, because these parameters often carry per-person
// referral codes (ref=bob-referral-code). A host that looks personal
// itself (an id or token in a label) is dropped too.
func sourceParam(v string) string {
	v = strings.TrimSpace(v)
	if name, ok := referrer.Known(v); ok {
		return name
	}
	if !referrer.LooksLikeHost(v) || RedactValue(v) != v {
		return ""
	}
	return referrer.Name(v)
}
