// Package geo looks up the country (and, with a City database, the region)
// of an IP address in a MaxMind-format database. The address is only looked
// up, never kept.
package geo

import (
	"fmt"
	"net"
	"net/netip"

	"github.com/oschwald/geoip2-golang"
	"github.com/oschwald/maxminddb-golang"
)

// Location is what tally keeps of where a visitor is.
type Location struct {
	Country string // ISO 3166-1 alpha-2, e.g. "DE"; "" when unknown
	Region  string // ISO 3166-2, e.g. "DE-BY"; "" when unknown
}

// DB is an open database: a MaxMind-format one (r), or the embedded
// country database (flat). A nil *DB knows nothing, so tally runs without
// one.
type DB struct {
	r    *geoip2.Reader
	flat *maxminddb.Reader
}

// Open opens a .mmdb file (GeoLite2/GeoIP2 Country or City, or a compatible
// database such as DB-IP's).
func Open(path string) (*DB, error) {
	r, err := geoip2.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open geoip database %s: %w", path, err)
	}
	return &DB{r: r}, nil
}

// Lookup returns the location of ip, or the zero Location.
func (db *DB) Lookup(ip netip.Addr) Location {
	// Private and special addresses are nowhere (some databases place
	// 192.168.0.0/16 in a country).
	if db == nil || !ip.IsValid() || !ip.IsGlobalUnicast() || ip.IsPrivate() {
		return Location{}
	}
	if db.flat != nil {
		return db.lookupFlat(ip)
	}
	city, err := db.r.City(net.IP(ip.AsSlice()))
	if err != nil {
		return Location{}
	}
	loc := Location{Country: city.Country.IsoCode}
	if loc.Country != "" && len(city.Subdivisions) > 0 && city.Subdivisions[0].IsoCode != "" {
		loc.Region = loc.Country + "-" + city.Subdivisions[0].IsoCode
	}
	return loc
}

// Close releases the database.
func (db *DB) Close() error {
	if db == nil || db.r == nil {
		return nil
	}
	return db.r.Close()
}
