package weburl

import (
	"net/url"
	"strings"
	"testing"
)

var seeds = []string{
	"https://example.com/",
	"https://example.com",
	"HTTPS://Example.COM/Blog/Post-1/?utm_source=news&x=1#top",
	"http://example.com/a?b#c?d",
	"http://example.com/a#b?c",
	"https://example.com:8080/x",
	"https://user@example.com/x",
	"https:///x",
	"https://",
	"http:/example.com/x",
	"ftp://example.com/x",
	"https://example.com/caf%C3%A9",
	"https://example.com/a b",
	"https://[::1]/x",
	"https://example.com/!$&'()*+,;=:~",
	"android-app://com.google.android.gm",
	"//example.com/x",
	"https://example.com//x//",
}

// TestSplit checks a few URLs by hand; the fuzz target checks the rest
// against net/url.
func TestSplit(t *testing.T) {
	p, ok := Split("HTTPS://Example.COM/Blog/?utm_source=news#top")
	want := Parts{Scheme: "https", Host: "Example.COM", Path: "/Blog/", RawQuery: "utm_source=news", Fragment: "top"}
	if !ok || p != want {
		t.Fatalf("Split = %+v, %v; want %+v", p, ok, want)
	}
	for _, raw := range []string{"https://example.com:8080/x", "https://u@example.com/", "https:///x",
		"https://example.com/caf%C3%A9", "https://example.com/a b", "ftp://example.com/", "https://exämple.com/"} {
		if _, ok := Split(raw); ok {
			t.Errorf("Split(%q) took a URL it must leave to net/url", raw)
		}
	}
}

// FuzzSplit holds Split to url.Parse: every URL it takes, url.Parse takes
// too and splits the same way.
func FuzzSplit(f *testing.F) {
	for _, s := range seeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		p, ok := Split(raw)
		if !ok {
			return
		}
		u, err := url.Parse(raw)
		if err != nil {
			t.Fatalf("Split took %q, url.Parse rejects it: %v", raw, err)
		}
		want := Parts{Scheme: u.Scheme, Host: u.Hostname(), Path: u.Path, RawQuery: u.RawQuery, Fragment: u.Fragment}
		if p != want {
			t.Fatalf("Split(%q) = %+v, url.Parse gives %+v", raw, p, want)
		}
		if u.EscapedPath() != u.Path || u.User != nil || u.Port() != "" || strings.Contains(u.Host, ":") {
			t.Fatalf("Split took %q, whose path needs escaping or whose host has more than a name (%+v)", raw, u)
		}
	})
}

func BenchmarkSplit(b *testing.B) {
	for b.Loop() {
		Split("https://example.com/blog/post-1?utm_source=newsletter&utm_medium=email")
	}
}

func BenchmarkURLParse(b *testing.B) {
	for b.Loop() {
		url.Parse("https://example.com/blog/post-1?utm_source=newsletter&utm_medium=email")
	}
}
