package main

import (
	"net"
	"net/http"
	"regexp"
	"strings"
	"testing"
)

var setupLinkInLog = regexp.MustCompile(`/setup\?token=([A-Za-z0-9_-]{43})`)

// A fresh server prints a setup link to its log; /setup answers only with
// its token. Once an account exists, no link is printed.
func TestFirstRunLink(t *testing.T) {
	dir := t.TempDir()
	log := &syncBuffer{}
	s := startServer(t, dir, log)
	m := setupLinkInLog.FindStringSubmatch(log.String())
	if m == nil {
		t.Fatalf("no setup link in the log:\n%s", log.String())
	}
	for path, want := range map[string]int{"/setup": 403, "/setup?token=guess": 403, "/setup?token=" + m[1]: 200} {
		resp, err := http.Get("http://" + s.addr + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("GET %s = %d, want %d", strings.Replace(path, m[1], "TOKEN", 1), resp.StatusCode, want)
		}
	}
	s.stop()

	tally(t, "user", "add", "admin@example.com", "--data", dir)
	log2 := &syncBuffer{}
	startServer(t, dir, log2)
	if setupLinkInLog.MatchString(log2.String()) {
		t.Fatalf("a server with an account printed a setup link:\n%s", log2.String())
	}
}

// --hsts sends Strict-Transport-Security on answers over HTTPS only.
func TestHSTS(t *testing.T) {
	s := startServer(t, t.TempDir(), &syncBuffer{}, "--hsts", "8760h")
	for _, c := range []struct {
		header, value, want string
	}{
		{"X-Forwarded-Proto", "https", "max-age=31536000"},
		{"Forwarded", "for=192.0.2.1;proto=https", "max-age=31536000"},
		{"X-Forwarded-Proto", "http", ""},
	} {
		req, _ := http.NewRequest("GET", "http://"+s.addr+"/login", nil)
		req.Header.Set(c.header, c.value)
		resp, err := http.DefaultTransport.RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if got := resp.Header.Get("Strict-Transport-Security"); got != c.want {
			t.Errorf("%s: %s → Strict-Transport-Security %q, want %q", c.header, c.value, got, c.want)
		}
	}
}

func TestSetupLinkHost(t *testing.T) {
	for addr, want := range map[string]string{
		"127.0.0.1:8000": "http://127.0.0.1:8000/setup?token=T",
		"0.0.0.0:8000":   "http://localhost:8000/setup?token=T",
		"[::]:9000":      "http://localhost:9000/setup?token=T",
		"[::1]:8000":     "http://[::1]:8000/setup?token=T",
	} {
		tcp, err := net.ResolveTCPAddr("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		if got := setupLink(tcp, "T"); got != want {
			t.Errorf("setupLink(%s) = %s, want %s", addr, got, want)
		}
	}
}
