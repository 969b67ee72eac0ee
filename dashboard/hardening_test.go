package dashboard

import (
	"fmt"
	"html"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// loginFrom signs in from a client address (as the trusted proxy says).
func (b *browser) loginFrom(ip, email, pw string) response {
	b.f.t.Helper()
	form := url.Values{"email": {email}, "password": {pw}, "csrf": {b.token("/login")}}
	return b.do(http.MethodPost, "/login", form, "X-Forwarded-For", ip)
}

// An attacker's own successful sign-ins do not buy more guesses at
// another account (the bypass: 45 guesses, no 429).
func TestLoginLimitSurvivesOtherSuccess(t *testing.T) {
	f := newFixture(t)
	f.addUser("victim@example.com", pw, false)
	f.addUser("attacker@example.com", pw, false)
	limited := 0
	for i := range 45 {
		b := f.browser()
		if i%5 == 4 {
			b.loginFrom("198.51.100.7", "attacker@example.com", pw)
		}
		if res := f.browser().loginFrom("198.51.100.7", "victim@example.com", fmt.Sprintf("guess %d", i)); res.code == http.StatusTooManyRequests {
			limited++
		}
	}
	if limited == 0 {
		t.Fatal("45 guesses at one account, interleaved with the attacker's own sign-ins, were never limited")
	}
	if res := f.browser().loginFrom("192.0.2.1", "victim@example.com", pw); res.code != http.StatusTooManyRequests {
		t.Fatalf("the guessed-at account from another network = %d, want 429 until the window ends", res.code)
	}
	f.clock.Add(loginWindow)
	if res := f.browser().loginFrom("192.0.2.1", "victim@example.com", pw); res.code != http.StatusSeeOther {
		t.Fatalf("after the window the right password = %d, want 303", res.code)
	}
}

// Guesses spread over many addresses of one network and many accounts are
// limited per network: /64 for IPv6, /24 for IPv4.
func TestLoginLimitPerNetwork(t *testing.T) {
	for _, c := range []struct{ name, addr, other string }{
		{"IPv6 /64", "2001:db8:1:2::%x", "2001:db8:1:3::1"},
		{"IPv4 /24", "203.0.113.%d", "203.0.114.1"},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := newFixture(t)
			f.addUser("someone@example.com", pw, false)
			first := -1
			for i := range 40 {
				res := f.browser().loginFrom(fmt.Sprintf(c.addr, i+1), fmt.Sprintf("user%d@example.com", i), "guess")
				if res.code == http.StatusTooManyRequests && first < 0 {
					first = i
				}
			}
			if first < 0 || first > networkAttempts {
				t.Fatalf("40 guesses from 40 addresses of one network: first 429 at %d, want by %d", first, networkAttempts)
			}
			if res := f.browser().loginFrom(c.other, "someone@example.com", pw); res.code != http.StatusSeeOther {
				t.Fatalf("sign-in from another network = %d, want 303", res.code)
			}
		})
	}
}

func TestNextStaysOnSite(t *testing.T) {
	f := newFixture(t)
	f.addUser("owner@example.com", pw, true)
	for _, next := range []string{"/\t/evil.com", "/\\evil.com", "//evil.com", "https:evil.com", "https://evil.com",
		"/\r\n/evil.com", "\\\\evil.com", "/\x00/evil.com", "evil.com", " //evil.com"} {
		t.Run(fmt.Sprintf("%q", next), func(t *testing.T) {
			b := f.browser()
			page := b.get("/login?next=" + url.QueryEscape(next))
			if !strings.Contains(page.body, `name="next" value="/"`) {
				t.Errorf("GET /login?next=%q: the form carries another next:\n%s", next, page.body)
			}
			form := url.Values{"email": {"owner@example.com"}, "password": {pw}, "next": {next}, "csrf": {b.token("/login")}}
			if res := b.do(http.MethodPost, "/login", form); res.header.Get("Location") != "/" {
				t.Errorf("sign-in with next=%q redirects to %q, want /", next, res.header.Get("Location"))
			}
		})
	}
	b := f.browser()
	res := b.post("/login", "/login", url.Values{"email": {"owner@example.com"}, "password": {pw}, "next": {"/example.com?period=7d"}})
	if res.header.Get("Location") != "/example.com?period=7d" {
		t.Fatalf("a same-site next was dropped: %q", res.header.Get("Location"))
	}
}

// The open-redirect payload as a browser sends it: percent-encoded in the
// query of the login page.
func TestNextEncodedTab(t *testing.T) {
	f := newFixture(t)
	f.addUser("owner@example.com", pw, true)
	b := f.browser()
	page := b.get("/login?next=/%09/evil.com")
	m := strings.Index(page.body, `name="next" value="`)
	if m < 0 {
		t.Fatal("no next field")
	}
	v := page.body[m+len(`name="next" value="`):]
	next := html.UnescapeString(v[:strings.IndexByte(v, '"')])
	form := url.Values{"email": {"owner@example.com"}, "password": {pw}, "next": {next}, "csrf": {b.token("/login")}}
	if res := b.do(http.MethodPost, "/login", form); res.header.Get("Location") != "/" {
		t.Fatalf("Location %q, want /", res.header.Get("Location"))
	}
}

func TestCSRFBoundToSession(t *testing.T) {
	f := newFixture(t)
	f.addUser("ann@example.com", pw, true)
	f.addUser("bob@example.com", pw, false)
	ann, bob := f.browser(), f.browser()
	before := ann.token("/login") // the signed-out token
	ann.login("ann@example.com", pw)
	bob.login("bob@example.com", pw)
	annTok := ann.token("/")
	if annTok == before {
		t.Fatal("the form token did not change at sign-in")
	}
	if bob.token("/") == annTok {
		t.Fatal("two sessions share a form token")
	}
	add := func(b *browser, tok, domain string) int {
		return b.do(http.MethodPost, "/sites", url.Values{"domain": {domain}, "timezone": {"UTC"}, "csrf": {tok}}).code
	}
	if code := add(ann, before, "a.example"); code != http.StatusForbidden {
		t.Errorf("signed in, POST with the pre-sign-in token = %d, want 403", code)
	}
	if code := add(bob, annTok, "b.example"); code != http.StatusForbidden {
		t.Errorf("bob's POST with ann's token = %d, want 403", code)
	}
	if code := add(ann, annTok, "c.example"); code != http.StatusSeeOther {
		t.Errorf("ann's POST with her token = %d, want 303", code)
	}
}

func TestSecureCookieBehindForwarded(t *testing.T) {
	f := newFixture(t)
	f.addUser("owner@example.com", pw, true)
	for _, h := range []string{`proto=https`, `for=192.0.2.60;proto=https;by=203.0.113.43`, `for="[2001:db8::1]";Proto="HTTPS"`} {
		b := f.browser()
		form := url.Values{"email": {"owner@example.com"}, "password": {pw}, "csrf": {b.token("/login")}}
		res := b.do(http.MethodPost, "/login", form, "Forwarded", h)
		var secure *http.Cookie
		for _, c := range res.cookies {
			if c.Name == sessionCookie {
				secure = c
			}
		}
		if secure == nil || !secure.Secure {
			t.Errorf("Forwarded: %s: session cookie %+v, want Secure", h, secure)
		}
	}
	b := f.browser()
	form := url.Values{"email": {"owner@example.com"}, "password": {pw}, "csrf": {b.token("/login")}}
	res := b.do(http.MethodPost, "/login", form, "Forwarded", "proto=http")
	for _, c := range res.cookies {
		if c.Name == sessionCookie && c.Secure {
			t.Error("Forwarded: proto=http made the cookie Secure")
		}
	}
}

func TestPagesRefuseFraming(t *testing.T) {
	f := newFixture(t)
	f.addUser("owner@example.com", pw, true)
	out, in := f.browser(), f.browser()
	in.login("owner@example.com", pw)
	for _, c := range []struct {
		b    *browser
		path string
	}{{out, "/login"}, {out, "/setup"}, {in, "/"}, {in, "/account"}, {in, "/users"}, {in, "/nosuch.example/settings"}} {
		p := c.path
		res := c.b.get(p)
		if csp := res.header.Get("Content-Security-Policy"); !strings.Contains(csp, "frame-ancestors 'none'") {
			t.Errorf("GET %s (%d): CSP %q lacks frame-ancestors 'none'", p, res.code, csp)
		}
	}
}
