package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// tallyIn runs a command with stdin and returns stdout and the error.
func tallyIn(t *testing.T, stdin string, args ...string) (string, error) {
	t.Helper()
	var out, errb bytes.Buffer
	err := runIO(context.Background(), args, strings.NewReader(stdin), &out, &errb)
	return out.String(), err
}

func TestHelpEverywhere(t *testing.T) {
	out, err := tallyIn(t, "", "--help")
	if err != nil {
		t.Fatalf("tally --help: %v", err)
	}
	for _, c := range []string{"serve", "site", "goal", "funnel", "user", "apikey", "report", "privacy-notice", "version"} {
		if !strings.Contains(out, "  "+c+" ") {
			t.Errorf("tally --help does not list %s:\n%s", c, out)
		}
	}
	helps := [][]string{{"help"}, {"-h"}, {"serve", "--help"}, {"version", "--help"}, {"report", "--help"}, {"privacy-notice", "--help"}}
	for _, c := range commands(nil) {
		helps = append(helps, []string{c.name, "--help"})
	}
	for _, g := range []struct {
		name string
		subs []sub
	}{{"site", siteCommands()}, {"goal", goalCommands()}, {"funnel", funnelCommands()}, {"user", userCommands(nil)}, {"apikey", apikeyCommands()}} {
		for _, s := range g.subs {
			helps = append(helps, []string{g.name, s.name, "--help"}, []string{g.name, s.name, "-h"})
		}
	}
	for _, args := range helps {
		if _, err := tallyIn(t, "", args...); err != nil && !errors.Is(err, flag.ErrHelp) {
			t.Errorf("tally %s: %v, want exit 0", strings.Join(args, " "), err)
		}
	}
}

func TestUnknownArgumentsAreErrors(t *testing.T) {
	dir := t.TempDir()
	for _, args := range [][]string{
		{"serve", "extra-arg", "--data", dir},
		{"frobnicate"},
		{"site"},
		{"site", "frob", "--data", dir},
		{"site", "list", "extra", "--data", dir},
		{"user", "list", "extra", "--data", dir},
		{"user", "add", "--data", dir},
		{"apikey", "revoke", "--data", dir},
		{"apikey", "revoke", "not-a-number", "--data", dir},
		{"version", "extra"},
		{"site", "list", "--no-such-flag"},
	} {
		if _, err := tallyIn(t, "", args...); err == nil || errors.Is(err, flag.ErrHelp) {
			t.Errorf("tally %s: no error", strings.Join(args, " "))
		}
	}
}

func TestVersion(t *testing.T) {
	out, err := tallyIn(t, "", "version")
	if err != nil || !strings.HasPrefix(out, "tally ") || !strings.Contains(out, "go1") {
		t.Fatalf("tally version = %q, %v", out, err)
	}
}

// A data directory that cannot be opened: the error names the file.
func TestStoreErrorNamesThePath(t *testing.T) {
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "tally.db"), 0o700); err != nil { // a directory where the file goes
		t.Fatal(err)
	}
	_, err := tallyIn(t, "", "site", "list", "--data", dir)
	if err == nil || !strings.Contains(err.Error(), filepath.Join(dir, "tally.db")) {
		t.Fatalf("error %v does not name %s", err, filepath.Join(dir, "tally.db"))
	}
}

func TestSiteDomainsOneRule(t *testing.T) {
	dir := t.TempDir()
	for _, bad := range []string{"not a domain", "a..b", "<script>.com", "http://Foo.Example:8080/x", "example.com:8080"} {
		if _, err := tallyIn(t, "", "site", "add", bad, "--data", dir); err == nil || !strings.Contains(err.Error(), "domain:") {
			t.Errorf("site add %q: %v, want a domain error", bad, err)
		}
	}
	out := tally(t, "site", "add", "Bücher.Example", "--data", dir)
	if !strings.Contains(out, "added xn--bcher-kva.example") {
		t.Fatalf("site add of an IDN: %s", out)
	}
	if out := tally(t, "site", "list", "--data", dir); strings.Count(out, "\n") != 1 {
		t.Fatalf("refused domains were stored:\n%s", out)
	}
	tally(t, "site", "delete", "bücher.example", "--data", dir)
}

// Goals from the command line: the account rules (shared with the site
// settings page), listing, deleting by name or id.
func TestGoalsFromTheCommandLine(t *testing.T) {
	dir := t.TempDir()
	tally(t, "site", "add", "example.com", "--data", dir)
	if out := tally(t, "goal", "add", "example.com", "--event", "Signup", "--data", dir); !strings.Contains(out, `added goal "Signup"`) {
		t.Fatalf("goal add --event: %s", out)
	}
	if out := tally(t, "goal", "add", "example.com", "--page", "/docs/**", "--data", dir); !strings.Contains(out, `added goal "Visit /docs/**"`) {
		t.Fatalf("goal add --page: %s", out)
	}
	for _, bad := range [][]string{{"--event", "Signup"}, {"--page", "docs"}, {}, {"--event", "a", "--page", "/b"}} {
		args := append([]string{"goal", "add", "example.com", "--data", dir}, bad...)
		if _, err := tallyIn(t, "", args...); err == nil {
			t.Errorf("tally %s: no error", strings.Join(args, " "))
		}
	}
	if _, err := tallyIn(t, "", "goal", "add", "nope.example", "--event", "x", "--data", dir); err == nil || !strings.Contains(err.Error(), "nope.example") {
		t.Errorf("a goal of an unknown site: %v", err)
	}
	out := tally(t, "goal", "list", "example.com", "--data", dir)
	if strings.Count(out, "\n") != 2 || !strings.Contains(out, "\tSignup\t") || !strings.Contains(out, "\tVisit /docs/**\t") {
		t.Fatalf("goal list:\n%s", out)
	}
	tally(t, "goal", "delete", "example.com", "Visit /docs/**", "--data", dir)
	id := strings.SplitN(out, "\t", 2)[0]
	tally(t, "goal", "delete", "example.com", id, "--data", dir)
	if out := tally(t, "goal", "list", "example.com", "--data", dir); out != "" {
		t.Fatalf("after deleting both goals:\n%s", out)
	}
	if _, err := tallyIn(t, "", "goal", "delete", "example.com", "Signup", "--data", dir); err == nil {
		t.Error("deleting a deleted goal: no error")
	}
}

func TestUsersRolesAndKeysFromTheCommandLine(t *testing.T) {
	dir := t.TempDir()
	d := []string{"--data", dir}
	with := func(args ...string) []string { return append(args, d...) }
	out := tally(t, with("user", "add", "admin@example.com")...)
	if !strings.Contains(out, "(admin)") {
		t.Fatalf("the first user is not an admin: %s", out)
	}
	if _, err := tallyIn(t, "12345678\n", with("user", "add", "weak@example.com", "--password-stdin")...); err == nil || !strings.Contains(err.Error(), "password") {
		t.Fatalf("user add with 12345678: %v, want a password error", err)
	}
	if _, err := tallyIn(t, "a long enough passphrase\n", with("user", "add", "ann@example.com", "--password-stdin")...); err != nil {
		t.Fatal(err)
	}
	if out := tally(t, with("user", "list")...); !strings.Contains(out, "admin@example.com\tadmin") || !strings.Contains(out, "ann@example.com\tuser") {
		t.Fatalf("user list:\n%s", out)
	}
	if _, err := tallyIn(t, "another long passphrase\n", with("user", "passwd", "ann@example.com", "--password-stdin")...); err != nil {
		t.Fatal(err)
	}
	tally(t, with("site", "add", "example.com")...)
	tally(t, with("site", "add", "other.example")...)
	if _, err := tallyIn(t, "", with("site", "grant", "example.com", "ann@example.com", "--role", "boss")...); err == nil {
		t.Fatal("site grant --role boss succeeded")
	}
	if out := tally(t, with("site", "grant", "example.com", "ann@example.com", "--role", "viewer")...); !strings.Contains(out, "viewer of example.com") {
		t.Fatalf("site grant: %s", out)
	}
	if _, err := tallyIn(t, "", with("apikey", "create", "--user", "ann@example.com", "--site", "other.example")...); err == nil {
		t.Fatal("a key of ann on a site she may not read was made")
	}
	out = tally(t, with("apikey", "create", "--user", "ann@example.com", "--site", "example.com", "--name", "ann's report")...)
	if key := lastLine(out); len(key) < 40 || strings.Contains(key, " ") {
		t.Fatalf("the key is not alone on the last line:\n%s", out)
	}
	wide := lastLine(tally(t, with("apikey", "create")...))
	if len(wide) < 40 {
		t.Fatalf("apikey create without --user: %q", wide)
	}
	list := tally(t, with("apikey", "list")...)
	lines := strings.Split(strings.TrimSpace(list), "\n")
	if len(lines) != 2 || !strings.Contains(list, "ann's report\tann@example.com\texample.com") || !strings.Contains(list, "default\tinstance-wide\tall sites") {
		t.Fatalf("apikey list:\n%s", list)
	}
	id := strings.SplitN(lines[0], "\t", 2)[0]
	if out := tally(t, with("apikey", "revoke", id)...); !strings.Contains(out, "revoked API key "+id) {
		t.Fatalf("apikey revoke: %s", out)
	}
	if _, err := tallyIn(t, "", with("apikey", "revoke", id)...); err == nil {
		t.Fatal("revoking a revoked key succeeded")
	}
	tally(t, with("site", "revoke", "example.com", "ann@example.com")...)
	if _, err := tallyIn(t, "", with("user", "delete", "admin@example.com")...); err == nil {
		t.Fatal("the last admin was deleted")
	}
	tally(t, with("user", "delete", "ann@example.com")...)
	if out := tally(t, with("user", "list")...); strings.Contains(out, "ann@") {
		t.Fatalf("ann is still listed:\n%s", out)
	}
}
