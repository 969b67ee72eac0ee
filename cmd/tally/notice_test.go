package main

import (
	"strings"
	"testing"
)

// TestPrivacyNoticeCommand: `tally privacy-notice` reads the settings
// `tally serve` would run with — the controller's own, the retention and
// the store — and names a ClickHouse server by host only, never with the
// credentials of its DSN.
func TestPrivacyNoticeCommand(t *testing.T) {
	dir := t.TempDir()
	tally(t, "site", "add", "--data", dir, "counted.example", "--count-dnt")
	out := tally(t, "privacy-notice", "--data", dir, "--privacy-controller", "Example Ltd, 1 Main St",
		"--privacy-contact", "privacy@example.com", "--retention", "13mo", "--checkpoint", "2s")
	for _, want := range []string{"Example Ltd, 1 Main St", "privacy@example.com", "kept for 13 months", "within 2 seconds after midnight UTC",
		"a database file on the server", "not stated by the operator", "[How: "} {
		if !strings.Contains(out, want) {
			t.Errorf("the notice does not say %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "counted.example") {
		t.Error("the instance's notice names a site")
	}
	site := tally(t, "privacy-notice", "--data", dir, "--site", "counted.example")
	if !strings.Contains(site, "counted.example counts your visit only as one anonymous page view") {
		t.Errorf("the site's notice does not state its count-dnt policy:\n%s", site)
	}

	inst := noticeInstance(Config{ClickHouse: "clickhouse://tally:s3cret@db.internal.example:9000/tally"})
	if inst.ClickHouseHost != "db.internal.example" {
		t.Errorf("ClickHouse named as %q, want its host only", inst.ClickHouseHost)
	}
}
