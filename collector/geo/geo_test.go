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
