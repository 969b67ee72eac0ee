package main

import (
	"strings"
	"testing"
)

// Funnels from the command line: steps by goal name or id, the account
// rules (shared with the site settings page), listing, deleting, and a
// goal that a funnel uses refused deletion.
func TestFunnelsFromTheCommandLine(t *testing.T) {
	dir := t.TempDir()
	d := func(args ...string) []string { return append(args, "--data", dir) }
	tally(t, d("site", "add", "example.com")...)
	tally(t, d("goal", "add", "example.com", "--page", "/pricing")...)
	tally(t, d("goal", "add", "example.com", "--event", "Signup")...)
	goals := tally(t, d("goal", "list", "example.com")...)
	signupID := strings.SplitN(strings.Split(goals, "\n")[1], "\t", 2)[0]

	out := tally(t, d("funnel", "add", "example.com", "Signup flow", "--step", "Visit /pricing", "--step", signupID)...)
	if !strings.Contains(out, `added funnel "Signup flow" of 2 steps to example.com`) {
		t.Fatalf("funnel add: %s", out)
	}
	for _, bad := range [][]string{
		{"funnel", "add", "example.com", "One step", "--step", "Signup"},
		{"funnel", "add", "example.com", "Unknown", "--step", "Signup", "--step", "Nope"},
		{"funnel", "add", "example.com", "Twice", "--step", "Signup", "--step", "Signup"},
		{"funnel", "add", "example.com", "Signup flow", "--step", "Signup", "--step", "Visit /pricing"},
		{"funnel", "add", "nope.example", "X", "--step", "Signup", "--step", "Visit /pricing"},
		{"funnel", "add", "example.com", "--step", "Signup", "--step", "Visit /pricing"},
	} {
		if _, err := tallyIn(t, "", d(bad...)...); err == nil {
			t.Errorf("tally %s: no error", strings.Join(bad, " "))
		}
	}
	out = tally(t, d("funnel", "list", "example.com")...)
	if strings.Count(out, "\n") != 1 || !strings.Contains(out, "\tSignup flow\tVisit /pricing → Signup\tsince ") {
		t.Fatalf("funnel list:\n%s", out)
	}
	_, err := tallyIn(t, "", d("goal", "delete", "example.com", "Signup")...)
	if err == nil || !strings.Contains(err.Error(), `funnel "Signup flow"`) {
		t.Errorf("deleting a goal a funnel uses: %v, want an error naming the funnel", err)
	}
	if out := tally(t, d("funnel", "delete", "example.com", "Signup flow")...); !strings.Contains(out, `deleted funnel "Signup flow"`) {
		t.Fatalf("funnel delete: %s", out)
	}
	if out := tally(t, d("funnel", "list", "example.com")...); out != "" {
		t.Fatalf("after deleting the funnel:\n%s", out)
	}
	tally(t, d("goal", "delete", "example.com", "Signup")...)
}
