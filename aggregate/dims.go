// Package aggregate folds privacy-safe hits into summable hour cells, keeps the
// in-memory visit (session) table, and answers queries by merging cells and
// HyperLogLog sketches. It never sees an IP address or a user-agent string, and
// it never lets a visitor key reach a store: keys exist only inside sketches
// and the in-memory session table.
package aggregate

import "fmt"

// Dim names one dimension a cell is keyed by.
type Dim int

// The dimensions, grouped as DESIGN.md groups them. The order is part of the
// stored cell key encoding: append new dimensions at the end, never reorder.
// The hit-level ones come first: the dimensions after Event belong to the
// visit or the visitor, so they rarely change between hits of one visit.
const (
	// hit-level
	Hostname Dim = iota
	Page
	Event
	// visit-level (copied from the visit's first hit onto every hit of the visit)
	Source
	Referrer
	UTMSource
	UTMMedium
	UTMCampaign
	UTMContent
	UTMTerm
	EntryPage
	ExitPage
	// visitor-level
	Country
	Region
	Browser
	BrowserVersion
	OS
	OSVersion
	Device
	Language

	NumDims int = iota
)

// hitDims is the number of hit-level dimensions, the first ones.
const hitDims = int(Event) + 1

// dimNames are the Stats API names (Plausible's, plus visit:language).
var dimNames = [NumDims]string{
	Hostname:       "event:hostname",
	Page:           "event:page",
	Event:          "event:name",
	Source:         "visit:source",
	Referrer:       "visit:referrer",
	UTMSource:      "visit:utm_source",
	UTMMedium:      "visit:utm_medium",
	UTMCampaign:    "visit:utm_campaign",
	UTMContent:     "visit:utm_content",
	UTMTerm:        "visit:utm_term",
	EntryPage:      "visit:entry_page",
	ExitPage:       "visit:exit_page",
	Country:        "visit:country",
	Region:         "visit:region",
	Browser:        "visit:browser",
	BrowserVersion: "visit:browser_version",
	OS:             "visit:os",
	OSVersion:      "visit:os_version",
	Device:         "visit:device",
	Language:       "visit:language",
}

func (d Dim) String() string {
	if d < 0 || int(d) >= NumDims {
		return fmt.Sprintf("Dim(%d)", int(d))
	}
	return dimNames[d]
}

// ParseDim maps a Stats API name such as "visit:country" to its Dim.
func ParseDim(name string) (Dim, bool) {
	for d, n := range dimNames {
		if n == name {
			return Dim(d), true
		}
	}
	return 0, false
}

// Key holds the value of every dimension of a cell. An empty string means
// "none" (no referrer, unknown country, …). Key is comparable, so it serves
// directly as a map key.
type Key [NumDims]string
