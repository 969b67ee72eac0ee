// Package geotest writes small MaxMind-format databases for tests, so the
// geo step runs against a real .mmdb file rather than a fake.
package geotest

import (
	"net"
	"os"
	"path/filepath"
	"testing"

	"github.com/maxmind/mmdbwriter"
	"github.com/maxmind/mmdbwriter/mmdbtype"
)

// Place is the location recorded for one network.
type Place struct {
	Country string // ISO code, e.g. "DE"
	Region  string // subdivision ISO code without the country, e.g. "BY"; may be empty
}

// Write writes a GeoIP2-City-shaped database mapping each CIDR to its place
// and returns its path.
func Write(t testing.TB, networks map[string]Place) string {
	t.Helper()
	tree, err := mmdbwriter.New(mmdbwriter.Options{
		DatabaseType:            "GeoIP2-City",
		IncludeReservedNetworks: true, // the tests use documentation ranges
		RecordSize:              28,
	})
	if err != nil {
		t.Fatal(err)
	}
	for cidr, p := range networks {
		_, network, err := net.ParseCIDR(cidr)
		if err != nil {
			t.Fatal(err)
		}
		rec := mmdbtype.Map{"country": mmdbtype.Map{"iso_code": mmdbtype.String(p.Country)}}
		if p.Region != "" {
			rec["subdivisions"] = mmdbtype.Slice{mmdbtype.Map{"iso_code": mmdbtype.String(p.Region)}}
		}
		if err := tree.Insert(network, rec); err != nil {
			t.Fatal(err)
		}
	}
	path := filepath.Join(t.TempDir(), "test-city.mmdb")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := tree.WriteTo(f); err != nil {
		t.Fatal(err)
	}
	return path
}
