// Package referrer turns a referrer URL into a source: a normalised name
// ("Google", "DuckDuckGo", "news.ycombinator.com") and the referrer's host.
// It never keeps a referrer's path or query string, where search terms,
// mailbox and profile addresses and personal tokens live
// (mail.example.com/u/0/inbox/thread-…, facebook.com/bob.jones.123).
package referrer

import (
	"net/url"
	"strings"

	"tally/internal/weburl"
)

// Referrer is what tally keeps of a referrer.
type Referrer struct {
	Source string // normalised name; "" for none (direct or internal)
	URL    string // host only (without "www."): no scheme, path, query or fragment
}

// Parse classifies raw as seen on a page of ownHost. A referrer on the same
// site (ownHost or one of its subdomains) is internal and yields nothing, as
// does anything that is not an http(s) URL.
func Parse(raw, ownHost string) Referrer {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return Referrer{}
	}
	if p, ok := weburl.Split(raw); ok { // most referrers: no decoding needed
		return fromHost(p.Host, p.Path, ownHost)
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Hostname() == "" {
		// android-app://com.google.android.gm and similar carry a name.
		if err == nil && u.Scheme == "android-app" && u.Host != "" {
			return Referrer{Source: appName(u.Host), URL: u.Host}
		}
		return Referrer{}
	}
	return fromHost(u.Hostname(), u.EscapedPath(), ownHost)
}

// fromHost names the referrer of an http(s) URL from its host; an
// own-site referrer is none. The path is never kept: on webmail, social
// profiles and shared documents it names the person.
func fromHost(host, _, ownHost string) Referrer {
	host = strings.TrimSuffix(strings.ToLower(host), ".")
	if SameSite(host, ownHost) {
		return Referrer{}
	}
	return Referrer{Source: Name(host), URL: strings.TrimPrefix(host, "www.")}
}

// SameSite reports whether host is own or a subdomain of it, ignoring "www.".
func SameSite(host, own string) bool {
	host = strings.TrimPrefix(strings.ToLower(host), "www.")
	own = strings.TrimPrefix(strings.ToLower(own), "www.")
	return own != "" && (host == own || strings.HasSuffix(host, "."+own))
}

// Name returns the source name for a referrer host: a well-known name for
// search engines and social networks, else the host without "www.".
func Name(host string) string {
	host = strings.TrimPrefix(strings.ToLower(host), "www.")
	if n, ok := exact[host]; ok {
		return n
	}
	// google.de, google.co.uk, m.facebook.com, news.google.com …
	var buf [8]string // labels on the stack: most hosts have a few
	labels := buf[:0]
	for rest := host; ; {
		label, more, found := strings.Cut(rest, ".")
		labels = append(labels, label)
		if !found {
			break
		}
		rest = more
	}
	for i := range labels {
		for _, b := range brands {
			if labels[i] == b.label && (b.any || i == len(labels)-2 || (i == len(labels)-3 && len(labels[len(labels)-2]) <= 3)) {
				return b.name
			}
		}
	}
	return host
}

// Source normalises a source given in a URL parameter (utm_source=, ref=):
// a known host or brand becomes its name ("google" → "Google"), anything
// else is kept as given.
func Source(s string) string {
	l := strings.ToLower(strings.TrimSpace(s))
	for _, b := range brands {
		if l == b.label {
			return b.name
		}
	}
	if n := Name(l); n != l {
		return n
	}
	return strings.TrimSpace(s)
}

// Known returns the name of a well-known source given as a brand label
// ("google", "Reddit") or host ("news.ycombinator.com", "t.co"); ok is
// false for anything else.
func Known(s string) (name string, ok bool) {
	l := strings.ToLower(strings.TrimSpace(s))
	for _, b := range brands {
		if l == b.label {
			return b.name, true
		}
	}
	if n := Name(l); n != strings.TrimPrefix(l, "www.") {
		return n, true
	}
	if n, ok := exact[strings.TrimPrefix(l, "www.")]; ok {
		return n, true
	}
	return "", false
}

// LooksLikeHost reports whether s is a plausible host name: two or more
// dot-separated labels of letters, digits and hyphens, the last one
// letters only.
func LooksLikeHost(s string) bool {
	if len(s) < 4 || len(s) > 253 {
		return false
	}
	labels := strings.Split(strings.ToLower(s), ".")
	if len(labels) < 2 {
		return false
	}
	for i, l := range labels {
		if l == "" || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
			return false
		}
		for j := 0; j < len(l); j++ {
			c := l[j]
			letter := c >= 'a' && c <= 'z'
			if !letter && (i == len(labels)-1 || !(c >= '0' && c <= '9' || c == '-')) {
				return false
			}
		}
	}
	return true
}

func appName(pkg string) string {
	if n, ok := apps[pkg]; ok {
		return n
	}
	return pkg
}

// exact maps hosts whose name is not their brand label.
var exact = map[string]string{
	"t.co":                 "Twitter",
	"x.com":                "Twitter",
	"lnkd.in":              "LinkedIn",
	"l.facebook.com":       "Facebook",
	"lm.facebook.com":      "Facebook",
	"l.instagram.com":      "Instagram",
	"out.reddit.com":       "Reddit",
	"old.reddit.com":       "Reddit",
	"search.brave.com":     "Brave",
	"kagi.com":             "Kagi",
	"startpage.com":        "Startpage",
	"search.yahoo.com":     "Yahoo!",
	"youtu.be":             "YouTube",
	"news.ycombinator.com": "news.ycombinator.com",
	"chatgpt.com":          "ChatGPT",
	"chat.openai.com":      "ChatGPT",
	"perplexity.ai":        "Perplexity",
}

// brands match a registrable label anywhere under a public suffix
// (google.com, google.co.uk, de.search.yahoo.com). any: the label may appear
// at any depth.
var brands = []struct {
	label, name string
	any         bool
}{
	{"google", "Google", false},
	{"bing", "Bing", false},
	{"duckduckgo", "DuckDuckGo", false},
	{"yahoo", "Yahoo!", false},
	{"yandex", "Yandex", false},
	{"baidu", "Baidu", false},
	{"ecosia", "Ecosia", false},
	{"qwant", "Qwant", false},
	{"naver", "Naver", false},
	{"facebook", "Facebook", false},
	{"instagram", "Instagram", false},
	{"twitter", "Twitter", false},
	{"linkedin", "LinkedIn", false},
	{"reddit", "Reddit", false},
	{"youtube", "YouTube", false},
	{"pinterest", "Pinterest", false},
	{"github", "GitHub", false},
	{"mastodon", "Mastodon", false},
	{"bsky", "Bluesky", false},
	{"tiktok", "TikTok", false},
	{"wikipedia", "Wikipedia", true},
}

var apps = map[string]string{
	"com.google.android.gm":                   "Gmail",
	"com.google.android.googlequicksearchbox": "Google",
	"com.slack":              "Slack",
	"org.telegram.messenger": "Telegram",
}
