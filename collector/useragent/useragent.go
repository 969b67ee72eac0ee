// Package useragent reduces a User-Agent header to coarse, non-identifying
// classes — browser, major version, OS, OS major version, device class — and
// recognises bots. Callers drop the header once it is parsed; nothing here
// keeps it.
package useragent

import (
	"strings"

	ua "github.com/mileusna/useragent"

	"tally/internal/safetext"
)

// Device classes.
const (
	Desktop = "Desktop"
	Mobile  = "Mobile"
	Tablet  = "Tablet"
)

// clean drops control characters and invalid UTF-8 from a value taken from
// the header: an unknown browser's name passes through as the client sent
// it. The result is a copy: the header may share a request buffer that is
// reused once the request is answered, while the classes are cached and
// become cell keys. Once per distinct header: results are cached.
func clean(s string) string { return strings.Clone(strings.ToValidUTF8(safetext.StripControl(s), "")) }

// Info is what tally keeps of a user agent.
type Info struct {
	Browser, BrowserVersion string
	OS, OSVersion           string
	Device                  string
	Bot                     bool
}

// Parse classifies a User-Agent header. screenWidth (CSS pixels, 0 when
// unknown) refines the device class the way layouts do: below 576 is a
// phone, below 992 a tablet.
func Parse(header string, screenWidth int) Info { return refine(classify(header), screenWidth) }

func refine(info Info, screenWidth int) Info {
	switch {
	case info.Bot:
	case screenWidth > 0 && screenWidth < 576:
		info.Device = Mobile
	case screenWidth > 0 && screenWidth < 992:
		info.Device = Tablet
	case screenWidth > 0:
		info.Device = Desktop
	}
	return info
}

// classify parses a header without the screen width.
func classify(header string) Info {
	if IsBot(header) {
		return Info{Bot: true}
	}
	p := ua.Parse(header)
	if p.Bot {
		return Info{Bot: true}
	}
	info := Info{
		Browser:        clean(browserName(p)),
		BrowserVersion: clean(major(p.Version)),
		OS:             clean(osName(p.OS)),
		OSVersion:      clean(major(p.OSVersion)),
	}
	switch {
	case p.Tablet:
		info.Device = Tablet
	case p.Mobile:
		info.Device = Mobile
	case p.Desktop:
		info.Device = Desktop
	}
	if info.Browser == "" {
		info.BrowserVersion = ""
	}
	if info.OS == "" {
		info.OSVersion = ""
	}
	return info
}

// botMarkers are substrings (lower case) of automated clients that the
// parser does not flag: headless browsers, HTTP libraries, monitors.
var botMarkers = []string{
	"bot", "crawl", "spider", "slurp", "headless", "phantomjs", "lighthouse",
	"pagespeed", "curl/", "wget/", "python-", "go-http-client", "java/", "okhttp",
	"axios/", "node-fetch", "undici", "httpclient", "scrapy", "puppeteer",
	"playwright", "selenium", "cypress", "uptime", "pingdom", "monitor",
	"preview", "facebookexternalhit", "whatsapp", "embedly", "quora link",
	"bitlybot", "feedfetcher", "mediapartners", "adsbot", "apis-google",
	"chrome-lighthouse", "gtmetrix", "electron/",
}

// IsBot reports whether the header is empty, implausibly short, or names an
// automated client.
func IsBot(header string) bool {
	if len(header) < 12 {
		return true
	}
	l := strings.ToLower(header)
	for _, m := range botMarkers {
		if strings.Contains(l, m) {
			return true
		}
	}
	return false
}

func browserName(p ua.UserAgent) string {
	switch p.Name {
	case "":
		return ""
	case ua.Chrome, "Chromium":
		return "Chrome"
	case ua.Safari:
		return "Safari"
	case ua.Firefox, "Firefox Focus", "Firefox iOS":
		return "Firefox"
	case ua.Edge:
		return "Microsoft Edge"
	case ua.InternetExplorer:
		return "Internet Explorer"
	case ua.Opera, ua.OperaMini, ua.OperaTouch:
		return "Opera"
	}
	if strings.HasPrefix(p.Name, "Samsung") {
		return "Samsung Browser"
	}
	return p.Name
}

func osName(os string) string {
	switch os {
	case ua.WindowsPhone, ua.WindowsPhoneOS:
		return "Windows Phone"
	case ua.CrOS:
		return ua.ChromeOS
	}
	return os
}

// major keeps the first component of a version: "120.0.6099.71" → "120".
// Minor versions split visitors into groups small enough to matter.
// A "version" that is not a number (Linux's "x86_64") is no version.
func major(v string) string {
	if i := strings.IndexAny(v, "._"); i >= 0 {
		v = v[:i]
	}
	for _, r := range v {
		if r < '0' || r > '9' {
			return ""
		}
	}
	if len(v) > 8 {
		v = v[:8]
	}
	return v
}
