package geo_test

import (
	"net/netip"
	"testing"

	"tally/collector/geo"
	"tally/collector/geo/geotest"
)

func TestLookup(t *testing.T) {
	path := geotest.Write(t, map[string]geotest.Place{
		"203.0.113.0/24":  {Country: "DE", Region: "BY"},
		"198.51.100.0/24": {Country: "FR"},
		"2001:db8::/32":   {Country: "JP", Region: "13"},
	})
	db, err := geo.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	tests := []struct {
		ip   string
		want geo.Location
	}{
		{"203.0.113.77", geo.Location{Country: "DE", Region: "DE-BY"}},
		{"198.51.100.1", geo.Location{Country: "FR"}},
		{"2001:db8:1::1", geo.Location{Country: "JP", Region: "JP-13"}},
		{"192.0.2.1", geo.Location{}},
	}
	for _, tt := range tests {
		if got := db.Lookup(netip.MustParseAddr(tt.ip)); got != tt.want {
			t.Errorf("Lookup(%s) = %+v, want %+v", tt.ip, got, tt.want)
		}
	}
	var none *geo.DB
	if got := none.Lookup(netip.MustParseAddr("203.0.113.77")); got != (geo.Location{}) {
		t.Errorf("no database: %+v", got)
	}
	if _, err := geo.Open(t.TempDir() + "/missing.mmdb"); err == nil {
		t.Error("opening a missing file succeeded")
	}
}

// TestEmbeddedCountries: the database built into tally places well-known
// public addresses (resolvers and registries whose location is public) in
// their countries, and private ones nowhere.
func TestEmbeddedCountries(t *testing.T) {
	db, err := geo.Embedded()
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for ip, want := range map[string]string{
		"8.8.8.8":         "US", // Google's resolver
		"1.1.1.1":         "AU", // APNIC's block, lent to Cloudflare
		"193.0.6.139":     "NL", // RIPE NCC, Amsterdam
		"2001:67c:2e8::1": "NL", // RIPE NCC over IPv6
		"200.160.2.3":     "BR", // NIC.br
		"210.130.1.1":     "JP",
		"81.2.69.160":     "GB",
		"10.1.2.3":        "",
		"127.0.0.1":       "",
		"192.168.1.1":     "",
	} {
		got := db.Lookup(netip.MustParseAddr(ip))
		if got.Country != want || got.Region != "" {
			t.Errorf("Lookup(%s) = %+v, want country %q", ip, got, want)
		}
	}
	if built := db.Built(); built.Year() < 2025 {
		t.Errorf("built %v: an old or unreadable database", built)
	}
}
