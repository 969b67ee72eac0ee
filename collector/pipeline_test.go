package collector

import (
	"crypto/sha256"
	"encoding/binary"
	"net/netip"
	"strings"
	"testing"
	"unsafe"
)

func TestClientIP(t *testing.T) {
	trusted := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("::1/128")}
	tests := []struct {
		name, peer, xff, xreal, want string
	}{
		{"socket peer, no headers", "203.0.113.9", "", "", "203.0.113.9"},
		{"untrusted peer's XFF is ignored", "203.0.113.9", "198.51.100.1", "", "203.0.113.9"},
		{"untrusted peer's X-Real-IP is ignored", "203.0.113.9", "", "198.51.100.1", "203.0.113.9"},
		{"trusted proxy: XFF client", "10.1.2.3", "198.51.100.1", "", "198.51.100.1"},
		{"trusted proxy chain: rightmost untrusted hop", "10.1.2.3", "1.1.1.1, 198.51.100.1, 10.9.9.9", "", "198.51.100.1"},
		{"spoofed left entry is not believed", "10.1.2.3", "6.6.6.6, 198.51.100.1", "", "198.51.100.1"},
		{"trusted proxy: X-Real-IP fallback", "10.1.2.3", "", "198.51.100.7", "198.51.100.7"},
		{"trusted proxy, junk header", "10.1.2.3", "not-an-ip", "", "10.1.2.3"},
		{"IPv6 trusted proxy", "::1", "2001:db8::1", "", "2001:db8::1"},
		{"IPv4-mapped peer", "::ffff:203.0.113.9", "", "", "203.0.113.9"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := ClientIP(netip.MustParseAddr(tt.peer), tt.xff, tt.xreal, trusted)
			if got.String() != tt.want {
				t.Errorf("ClientIP = %s, want %s", got, tt.want)
			}
		})
	}
}

func TestTruncate(t *testing.T) {
	tests := []struct{ ip, want string }{
		{"203.0.113.77", "203.0.113.0/24"},
		{"192.168.1.255", "192.168.1.0/24"},
		{"2001:db8:abcd:1234:5678::1", "2001:db8:abcd::/48"},
		{"::1", "::/48"},
	}
	for _, tt := range tests {
		if got := Truncate(netip.MustParseAddr(tt.ip)).String(); got != tt.want {
			t.Errorf("Truncate(%s) = %s, want %s", tt.ip, got, tt.want)
		}
	}
}

func TestVisitorKey(t *testing.T) {
	salt1, salt2 := []byte("salt-of-day-one-................"), []byte("salt-of-day-two-................")
	p := Truncate(netip.MustParseAddr("203.0.113.77"))
	ua := "Mozilla/5.0 Chrome/120"
	k := VisitorKey(salt1, 1, p, ua)
	if k == 0 {
		t.Fatal("key is zero, which is reserved for anonymous hits")
	}
	if k != VisitorKey(salt1, 1, Truncate(netip.MustParseAddr("203.0.113.1")), ua) {
		t.Error("same /24, same UA: keys differ")
	}
	for name, other := range map[string]uint64{
		"other salt (next day)": VisitorKey(salt2, 1, p, ua),
		"other site":            VisitorKey(salt1, 2, p, ua),
		"other network":         VisitorKey(salt1, 1, Truncate(netip.MustParseAddr("203.0.114.77")), ua),
		"other user agent":      VisitorKey(salt1, 1, p, ua+" "),
	} {
		if other == k {
			t.Errorf("%s: same key", name)
		}
	}
}

func TestParsePage(t *testing.T) {
	tests := []struct {
		name, url string
		hash      bool
		host      string
		path      string
		utm       UTM
		ref       string
		err       bool
	}{
		{name: "query dropped", url: "https://Example.com/a/b?email=x@y.z&token=1", host: "example.com", path: "/a/b"},
		{name: "trailing slash", url: "https://example.com/docs/", host: "example.com", path: "/docs"},
		{name: "root stays", url: "https://example.com", host: "example.com", path: "/"},
		{name: "root slash", url: "https://example.com/", host: "example.com", path: "/"},
		{name: "fragment dropped", url: "https://example.com/p#section", host: "example.com", path: "/p"},
		{name: "fragment kept in hash mode", url: "https://example.com/#/app/settings", hash: true, host: "example.com", path: "/#/app/settings"},
		{name: "percent-decoded", url: "https://example.com/caf%C3%A9", host: "example.com", path: "/café"},
		{name: "UTM kept", url: "https://example.com/?utm_source=Newsletter&utm_medium=email&utm_campaign=nov&utm_content=top&utm_term=shoes&email=a@b.c",
			host: "example.com", path: "/", utm: UTM{"Newsletter", "email", "nov", "top", "shoes"}, ref: "Newsletter"},
		{name: "ref names the source", url: "https://example.com/?ref=producthunt.com", host: "example.com", path: "/", ref: "producthunt.com"},
		{name: "known source normalised", url: "https://example.com/?utm_source=google", host: "example.com", path: "/", utm: UTM{Source: "google"}, ref: "Google"},
		{name: "trailing dot host", url: "https://example.com./x", host: "example.com", path: "/x"},
		{name: "not http", url: "javascript:alert(1)", err: true},
		{name: "ftp", url: "ftp://example.com/x", err: true},
		{name: "no host", url: "https:///x", err: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := ParsePage(tt.url, tt.hash)
			if (err != nil) != tt.err {
				t.Fatalf("err = %v, want error %v", err, tt.err)
			}
			if tt.err {
				return
			}
			if p.Host != tt.host || p.Path != tt.path || p.UTM != tt.utm || p.Ref != tt.ref {
				t.Errorf("got %+v, want host %q path %q utm %+v ref %q", p, tt.host, tt.path, tt.utm, tt.ref)
			}
		})
	}
}

func TestLanguage(t *testing.T) {
	tests := []struct{ tracker, accept, want string }{
		{"", "en-GB,en;q=0.9", "en"},
		{"", "de", "de"},
		{"fr-CA", "en-US", "fr"},
		{"", "*", ""},
		{"", "", ""},
		{"", "zh_Hant_TW", "zh"},
		{"", "1234", ""},
		{"", "x-klingon", ""},
	}
	for _, tt := range tests {
		if got := Language(tt.tracker, tt.accept); got != tt.want {
			t.Errorf("Language(%q, %q) = %q, want %q", tt.tracker, tt.accept, got, tt.want)
		}
	}
}

func TestClean(t *testing.T) {
	if got := Clean("a\x1fb\x00c\n"); got != "abc" {
		t.Errorf("control characters kept: %q", got)
	}
	if got := Clean("ok\xffok"); got != "okok" {
		t.Errorf("invalid UTF-8 kept: %q", got)
	}
	long := make([]byte, 3000)
	for i := range long {
		long[i] = 'x'
	}
	if got := Clean("é" + string(long)); len(got) > maxValue {
		t.Errorf("len %d > %d", len(got), maxValue)
	}
}

// TestLanguageOwnsItsMemory: Accept-Language is read in place from a
// request buffer the server reuses; the subtag goes into a cell key.
func TestLanguageOwnsItsMemory(t *testing.T) {
	buf := []byte("de-DE,de;q=0.9")
	got := Language("", unsafe.String(&buf[0], len(buf)))
	copy(buf, "xx-XX")
	if got != "de" {
		t.Fatalf("Language = %q after the buffer was reused, want de", got)
	}
}

// TestVisitorKeyMethod recomputes a key as VisitorKeyMethod (the privacy
// notice's words) says: SHA-256 of salt ‖ site ‖ address ‖ prefix length ‖
// user agent, first 64 bits.
func TestVisitorKeyMethod(t *testing.T) {
	salt := []byte("salt-of-day-one-................")
	p := Truncate(netip.MustParseAddr("203.0.113.77"))
	ua := "Mozilla/5.0 Chrome/120"
	a := p.Addr().As16()
	in := append(append([]byte{}, salt...), binary.BigEndian.AppendUint64(nil, 7)...)
	in = append(append(append(in, a[:]...), byte(p.Bits())), ua...)
	sum := sha256.Sum256(in)
	if got, want := VisitorKey(salt, 7, p, ua), binary.BigEndian.Uint64(sum[:8]); got != want {
		t.Fatalf("VisitorKey = %x, the notice's method gives %x: change one of them", got, want)
	}
	if !strings.Contains(VisitorKeyMethod, "SHA-256") || !strings.Contains(VisitorKeyMethod, "64 bits") {
		t.Errorf("VisitorKeyMethod = %q", VisitorKeyMethod)
	}
}
