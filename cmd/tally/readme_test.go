package main

import (
	"os"
	"strings"
	"testing"
)

// The README's configuration table is the settings table, rendered: run
// `go test ./cmd/tally -run TestREADMEConfigTable -update` after changing a setting.
func TestREADMEConfigTable(t *testing.T) {
	const path = "../../README.md"
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	readme := string(b)
	const begin, end = "<!-- settings:begin -->\n", "<!-- settings:end -->"
	i, j := strings.Index(readme, begin), strings.Index(readme, end)
	if i < 0 || j < i {
		t.Fatalf("README.md lacks the %q … %q markers", begin, end)
	}
	want := settingsTable()
	if got := readme[i+len(begin) : j]; got != want {
		if *update {
			readme = readme[:i+len(begin)] + want + readme[j:]
			if err := os.WriteFile(path, []byte(readme), 0o644); err != nil {
				t.Fatal(err)
			}
			return
		}
		t.Fatalf("README configuration table is stale; want:\n%s", want)
	}
}

func TestSettingsTableNamesEveryFlag(t *testing.T) {
	for _, s := range settings {
		if !strings.HasPrefix(s.env(), "TALLY_") || s.help == "" {
			t.Errorf("setting %s: env %s, help %q", s.name, s.env(), s.help)
		}
	}
}
