package geo

import (
	_ "embed"
	"fmt"
	"net"
	"net/netip"
	"time"

	"github.com/oschwald/maxminddb-golang"
)

// country.mmdb maps every public address block to its country: the
// "geo-whois-asn-country" database of the ip-location-db project, built
// from the five regional internet registries' data (CC BY 4.0, Number
// Resource Organization, nro.net). Its records are flat ({"country_code":
// "DE"}), not MaxMind's layout. refresh.sh replaces it with the latest
// published copy.
//
//go:embed country.mmdb
var countryDB []byte

// Attribution is what the licence of the embedded database asks to be shown
// where locations are.
const Attribution = "Countries from the regional internet registries' data (NRO, CC BY 4.0), via ip-location-db"

// Embedded opens the country database built into tally: countries without
// any setup, no regions.
func Embedded() (*DB, error) {
	r, err := maxminddb.FromBytes(countryDB)
	if err != nil {
		return nil, fmt.Errorf("open the embedded country database: %w", err)
	}
	return &DB{flat: r}, nil
}

// Built is when the database was built.
func (db *DB) Built() time.Time {
	switch {
	case db == nil:
		return time.Time{}
	case db.flat != nil:
		return time.Unix(int64(db.flat.Metadata.BuildEpoch), 0).UTC()
	}
	return time.Unix(int64(db.r.Metadata().BuildEpoch), 0).UTC()
}

// lookupFlat reads a flat country record.
func (db *DB) lookupFlat(ip netip.Addr) Location {
	var rec struct {
		Country string `maxminddb:"country_code"`
	}
	if err := db.flat.Lookup(net.IP(ip.AsSlice()), &rec); err != nil || len(rec.Country) != 2 {
		return Location{}
	}
	return Location{Country: rec.Country}
}
