package collector

import (
	"errors"
	"net/url"
	"strings"

	"tally/collector/referrer"
	"tally/internal/safetext"
	"tally/internal/weburl"
)

const maxValue = 1024 // longest dimension value kept

// Page is what tally keeps of the page URL: host and path, plus the
// campaign parameters. Every other query parameter is dropped.
type Page struct {
	Host, Path string
	UTM        UTM
	Ref        string // ref=, source= or utm_source=: names the source
}

// UTM holds the campaign parameters of a landing URL.
type UTM struct{ Source, Medium, Campaign, Content, Term string }

// ParsePage normalises a page URL: lower-case host without a trailing dot,
// path without trailing slash (but "/" stays), no query except campaign
// parameters, and no fragment unless the site routes by hash. What looks
// personal in the path, the fragment and the campaign values is replaced
// by placeholders (RedactPath, RedactValue).
func ParsePage(raw string, hashMode bool) (Page, error) {
	u, err := splitURL(raw)
	if err != nil {
		return Page{}, errors.New("url is not a valid URL")
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return Page{}, errors.New("url must be http or https")
	}
	host := strings.TrimSuffix(strings.ToLower(u.Host), ".")
	if host == "" {
		return Page{}, errors.New("url has no host")
	}
	path := u.Path
	if path == "" {
		path = "/"
	}
	if len(path) > 1 {
		path = strings.TrimRight(path, "/")
		if path == "" {
			path = "/"
		}
	}
	if hashMode && u.Fragment != "" {
		path += "#" + u.Fragment
	}
	var q [len(queryNames)]string
	queryValues(u.RawQuery, &q)
	p := Page{
		Host: Clean(host),
		Path: Clean(RedactPath(path)),
		UTM: UTM{
			Source:   campaign(q[0]),
			Medium:   campaign(q[1]),
			Campaign: campaign(q[2]),
			Content:  campaign(q[3]),
			Term:     campaign(q[4]),
		},
	}
	// utm_source names the source unless it had to be redacted; ref= and
	// source= only when they name a host or a known brand.
	if v := Clean(q[0]); v != "" && RedactValue(v) == v {
		p.Ref = referrer.Source(v)
	} else if v = sourceParam(Clean(q[5])); v != "" {
		p.Ref = v
	} else {
		p.Ref = sourceParam(Clean(q[6]))
	}
	return p, nil
}

// campaign is a utm_* value as kept: cleaned, then redacted.
func campaign(v string) string { return Clean(RedactValue(v)) }

// splitURL splits a page URL: most are plain and need no decoding, which
// weburl does without allocating; net/url decodes and validates the rest.
func splitURL(raw string) (weburl.Parts, error) {
	if p, ok := weburl.Split(raw); ok {
		return p, nil
	}
	u, err := url.Parse(raw)
	if err != nil {
		return weburl.Parts{}, err
	}
	return weburl.Parts{Scheme: u.Scheme, Host: u.Hostname(), Path: u.Path, RawQuery: u.RawQuery, Fragment: u.Fragment}, nil
}

// queryNames are the query parameters a page URL is read for.
var queryNames = [...]string{"utm_source", "utm_medium", "utm_campaign", "utm_content", "utm_term", "ref", "source"}

// queryValues sets out[i] to the first value of queryNames[i] in a raw
// query, as url.ParseQuery and Get would, without building the map of
// every parameter (most of them are not wanted, and the map was a tenth of
// the pipeline's time). Unlike ParseQuery it has no limit on the number of
// parameters; page URLs are capped far below that limit.
func queryValues(raw string, out *[len(queryNames)]string) {
	var found [len(queryNames)]bool
	for raw != "" {
		var pair string
		pair, raw, _ = strings.Cut(raw, "&")
		if pair == "" || strings.Contains(pair, ";") {
			continue // ParseQuery rejects semicolons, skipping the pair
		}
		k, v, _ := strings.Cut(pair, "=")
		k, err := url.QueryUnescape(k)
		if err != nil {
			continue
		}
		for i, name := range queryNames {
			if k != name || found[i] {
				continue
			}
			if v, err = url.QueryUnescape(v); err == nil {
				out[i], found[i] = v, true
			}
			break
		}
	}
}

// Clean makes a visitor-supplied string safe to keep as a dimension value:
// no control characters (the cell key separator is one), valid UTF-8 and at
// most maxValue bytes.
func Clean(s string) string {
	s = safetext.StripControl(strings.TrimSpace(s))
	if len(s) > maxValue {
		s = s[:maxValue] // may cut a character; ToValidUTF8 drops its remains
	}
	return strings.ToValidUTF8(s, "")
}

// Language returns the primary language subtag ("en" of "en-GB"), from the
// tracker's navigator.language if sent, else the first Accept-Language entry.
// The result is a copy: either input may share a reused request buffer.
func Language(fromTracker, acceptLanguage string) string {
	v := fromTracker
	if v == "" {
		v, _, _ = strings.Cut(acceptLanguage, ",")
		v, _, _ = strings.Cut(v, ";")
	}
	v, _, _ = strings.Cut(strings.TrimSpace(v), "-")
	v, _, _ = strings.Cut(v, "_")
	v = strings.ToLower(v)
	if len(v) < 2 || len(v) > 3 {
		return ""
	}
	for _, r := range v {
		if r < 'a' || r > 'z' {
			return ""
		}
	}
	return strings.Clone(v)
}
