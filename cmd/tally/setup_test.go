package main

import (
	"net/http"
	"regexp"
	"strings"
	"testing"
)

var setupLink = regexp.MustCompile(`/setup\?token=([A-Za-z0-9_-]{43})`)

// A fresh server prints a setup link to its log; /setup answers only with
// its token. Once an account exists, no link is printed.
func TestFirstRunLink(t *testing.T) {
	dir := t.TempDir()
	log := &syncBuffer{}
	s := startServer(t, dir, log)
	m := setupLink.FindStringSubmatch(log.String())
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
	if setupLink.MatchString(log2.String()) {
		t.Fatalf("a server with an account printed a setup link:\n%s", log2.String())
	}
}
