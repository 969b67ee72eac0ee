package referrer

import (
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	tests := []struct {
		name, raw, own string
		want           Referrer
	}{
		{"empty", "", "example.com", Referrer{}},
		{"google search, query dropped", "https://www.google.com/search?q=secret+terms", "example.com", Referrer{"Google", "google.com"}},
		{"google country domain", "https://www.google.co.uk/", "example.com", Referrer{"Google", "google.co.uk"}},
		{"google.de", "https://google.de/", "example.com", Referrer{"Google", "google.de"}},
		{"bing", "https://www.bing.com/search?q=x", "example.com", Referrer{"Bing", "bing.com"}},
		{"duckduckgo", "https://duckduckgo.com/", "example.com", Referrer{"DuckDuckGo", "duckduckgo.com"}},
		{"twitter short links", "https://t.co/abc123", "example.com", Referrer{"Twitter", "t.co"}},
		{"facebook mobile", "https://m.facebook.com/story.php?id=1", "example.com", Referrer{"Facebook", "m.facebook.com"}},
		{"facebook link shim", "https://l.facebook.com/l.php?u=x", "example.com", Referrer{"Facebook", "l.facebook.com"}},
		{"reddit", "https://old.reddit.com/r/golang/", "example.com", Referrer{"Reddit", "old.reddit.com"}},
		{"linkedin", "https://www.linkedin.com/feed/", "example.com", Referrer{"LinkedIn", "linkedin.com"}},
		{"hacker news keeps its host", "https://news.ycombinator.com/item?id=1", "example.com", Referrer{"news.ycombinator.com", "news.ycombinator.com"}},
		{"unknown host", "https://blog.example.org/post/1?utm=x#frag", "example.com", Referrer{"blog.example.org", "blog.example.org"}},
		{"webmail path names a mailbox: host only", "https://mail.example.com/u/0/inbox/thread-ALICE", "example.org", Referrer{"mail.example.com", "mail.example.com"}},
		{"profile path names a person: host only", "https://www.facebook.com/bob.jones.123", "example.org", Referrer{"Facebook", "facebook.com"}},
		{"own host is internal", "https://example.com/other", "example.com", Referrer{}},
		{"own www host is internal", "https://www.example.com/other", "example.com", Referrer{}},
		{"own subdomain is internal", "https://docs.example.com/", "example.com", Referrer{}},
		{"look-alike is external", "https://notexample.com/", "example.com", Referrer{"notexample.com", "notexample.com"}},
		{"brand inside another domain is not the brand", "https://google.example.org/", "example.com", Referrer{"google.example.org", "google.example.org"}},
		{"android app", "android-app://com.google.android.gm", "example.com", Referrer{"Gmail", "com.google.android.gm"}},
		{"javascript scheme", "javascript:alert(1)", "example.com", Referrer{}},
		{"garbage", "::::", "example.com", Referrer{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Parse(tt.raw, tt.own); got != tt.want {
				t.Errorf("Parse(%q) = %+v, want %+v", tt.raw, got, tt.want)
			}
		})
	}
}

func TestSource(t *testing.T) {
	for in, want := range map[string]string{
		"google":     "Google",
		"Google":     "Google",
		"newsletter": "newsletter",
		"twitter":    "Twitter",
		"t.co":       "Twitter",
		" mastodon ": "Mastodon",
	} {
		if got := Source(in); got != want {
			t.Errorf("Source(%q) = %q, want %q", in, got, want)
		}
	}
}

func FuzzParse(f *testing.F) {
	f.Add("https://www.google.com/search?q=x", "example.com")
	f.Add("android-app://x", "e.com")
	f.Fuzz(func(t *testing.T, raw, own string) {
		r := Parse(raw, own)
		if strings.ContainsAny(r.URL, "?/#") {
			t.Fatalf("path, query or fragment kept in %q", r.URL)
		}
	})
}

func TestKnown(t *testing.T) {
	for in, want := range map[string]string{
		"google": "Google", "Google": "Google", "t.co": "Twitter", "www.reddit.com": "Reddit",
		"news.ycombinator.com": "news.ycombinator.com", "newsletter": "", "producthunt.com": "", "bob-referral-code": "",
	} {
		got, ok := Known(in)
		if got != want || ok != (want != "") {
			t.Errorf("Known(%q) = %q, %v; want %q", in, got, ok, want)
		}
	}
}

func TestLooksLikeHost(t *testing.T) {
	for in, want := range map[string]bool{
		"producthunt.com": true, "news.example.co.uk": true, "x-y.example": true,
		"bob-referral-code": false, "alice@example.com": false, "example": false, "a..b": false,
		"-bad.com": false, "example.c0m": false, "1.2.3.4": false, "": false,
	} {
		if got := LooksLikeHost(in); got != want {
			t.Errorf("LooksLikeHost(%q) = %v, want %v", in, got, want)
		}
	}
}
