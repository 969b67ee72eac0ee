package useragent

import (
	"strings"
	"testing"
	"unsafe"
)

const (
	chromeWin  = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.6099.71 Safari/537.36"
	firefoxLin = "Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0"
	safariIOS  = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1.2 Mobile/15E148 Safari/604.1"
	safariIPad = "Mozilla/5.0 (iPad; CPU OS 16_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/16.6 Mobile/15E148 Safari/604.1"
	edgeMac    = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36 Edg/120.0.2210.61"
	chromeAnd  = "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.6099.43 Mobile Safari/537.36"
	operaWin   = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/119.0.0.0 Safari/537.36 OPR/105.0.0.0"
)

func TestParse(t *testing.T) {
	tests := []struct {
		name  string
		ua    string
		width int
		want  Info
	}{
		{"Chrome on Windows", chromeWin, 0, Info{Browser: "Chrome", BrowserVersion: "120", OS: "Windows", OSVersion: "10", Device: Desktop}},
		{"Firefox on Linux", firefoxLin, 0, Info{Browser: "Firefox", BrowserVersion: "121", OS: "Linux", Device: Desktop}},
		{"Safari on iPhone", safariIOS, 0, Info{Browser: "Safari", BrowserVersion: "17", OS: "iOS", OSVersion: "17", Device: Mobile}},
		{"Safari on iPad", safariIPad, 0, Info{Browser: "Safari", BrowserVersion: "16", OS: "iOS", OSVersion: "16", Device: Tablet}},
		{"Edge on macOS", edgeMac, 0, Info{Browser: "Microsoft Edge", BrowserVersion: "120", OS: "macOS", OSVersion: "10", Device: Desktop}},
		{"Chrome on Android", chromeAnd, 0, Info{Browser: "Chrome", BrowserVersion: "120", OS: "Android", OSVersion: "14", Device: Mobile}},
		{"Opera", operaWin, 0, Info{Browser: "Opera", BrowserVersion: "105", OS: "Windows", OSVersion: "10", Device: Desktop}},
		{"narrow screen refines to mobile", chromeWin, 390, Info{Browser: "Chrome", BrowserVersion: "120", OS: "Windows", OSVersion: "10", Device: Mobile}},
		{"mid screen refines to tablet", chromeAnd, 800, Info{Browser: "Chrome", BrowserVersion: "120", OS: "Android", OSVersion: "14", Device: Tablet}},
		{"wide screen is desktop", safariIPad, 1366, Info{Browser: "Safari", BrowserVersion: "16", OS: "iOS", OSVersion: "16", Device: Desktop}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Parse(tt.ua, tt.width); got != tt.want {
				t.Errorf("Parse = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestBots(t *testing.T) {
	for _, ua := range []string{
		"",
		"curl/8.4.0",
		"Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
		"Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)",
		"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/120.0.0.0 Safari/537.36",
		"python-requests/2.31.0",
		"Go-http-client/1.1",
		"Wget/1.21.4",
		"facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
		"Mozilla/5.0 (compatible; AhrefsBot/7.0; +http://ahrefs.com/robot/)",
		"Mozilla/5.0 (Linux; Android 11; moto g power (2022)) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/109.0.0.0 Mobile Safari/537.36 Chrome-Lighthouse",
	} {
		if !Parse(ua, 0).Bot {
			t.Errorf("not a bot: %q", ua)
		}
	}
	for _, ua := range []string{chromeWin, firefoxLin, safariIOS, edgeMac, chromeAnd} {
		if Parse(ua, 0).Bot {
			t.Errorf("a browser taken for a bot: %q", ua)
		}
	}
}

func TestCacheAgreesWithParse(t *testing.T) {
	c := NewCache(2)
	for round := 0; round < 3; round++ {
		for _, ua := range []string{chromeWin, firefoxLin, safariIOS, "curl/8.4.0"} {
			for _, w := range []int{0, 390, 800, 1440} {
				if got, want := c.Parse(ua, w), Parse(ua, w); got != want {
					t.Fatalf("cache %+v, parse %+v for %q at %d", got, want, ua, w)
				}
			}
		}
	}
	if len(c.entries) > 2 {
		t.Fatalf("cache grew past its bound: %d", len(c.entries))
	}
}

// An unknown browser's name comes from the header as sent; a control
// character in it (the aggregator's key separator is one) must not pass.
func TestControlCharactersDropped(t *testing.T) {
	for _, header := range []string{
		"Mozilla/5.0 (Windows NT 10.0; Win64; x64) Foo\x1fBar/1.0",
		"Mozilla/5.0 (Windows NT 10.0; Win64; x64) Foo\x1fBar/1\x1f2.0",
		"Mozilla/5.0 (X11; Li\x1fnux x86_64) Foo\x00Bar/3.0",
	} {
		got := Parse(header, 0)
		for _, v := range []string{got.Browser, got.BrowserVersion, got.OS, got.OSVersion, got.Device} {
			if strings.ContainsFunc(v, func(r rune) bool { return r < 0x20 }) {
				t.Errorf("%q: %+v keeps a control character", header, got)
			}
		}
		if got.Browser == "" {
			t.Errorf("%q: no browser at all (%+v): the test no longer reaches the pass-through", header, got)
		}
	}
}

// TestResultsOwnTheirMemory: the collector passes the header as it sits in
// the request buffer, which the server reuses for the next request; the
// classes are cached and become cell keys, so they must not point into it.
// (The parser library builds its own strings today; clean's copy keeps
// this true whatever a later version of it returns.)
func TestResultsOwnTheirMemory(t *testing.T) {
	// An unknown browser: its name is taken from the header as sent.
	const ua = "Zorgbrowser/7.2 (X11; Linux x86_64)"
	buf := []byte(ua)
	header := unsafe.String(&buf[0], len(buf))
	c := NewCache(10)
	got := c.Parse(header, 0)
	want := got
	want.Browser, want.BrowserVersion = strings.Clone(want.Browser), strings.Clone(want.BrowserVersion)
	want.OS, want.OSVersion = strings.Clone(want.OS), strings.Clone(want.OSVersion)
	for i := range buf {
		buf[i] = 'x' // the next request's bytes
	}
	if got != want || c.Parse(ua, 0) != want {
		t.Fatalf("classes changed with the buffer: %+v, want %+v", got, want)
	}
	if want.Browser != "Zorgbrowser" || want.BrowserVersion != "7" {
		t.Fatalf("classes = %+v", want)
	}
}
