// Package aggregate folds privacy-safe hits into summable hour cells of
// counters, keeps the in-memory visit (session) table and the day's
// first-occurrence state that decides unique visitors, and answers queries by
// compiling them into one store-side query. It never sees an IP address or a
// user-agent string, and nothing it hands a store carries a visitor key, a
// hash or any other per-visitor value: keys live only in memory, for the
// current UTC day (docs/design.md, "What is stored").
package aggregate

import "fmt"

// Dim names one dimension a cell is keyed by.
type Dim int

// The dimensions, grouped as DESIGN.md groups them. The numbers are stored
// (spill files index keys by them; TestStoredCodes pins them): append new
// dimensions at the end, never reorder.
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

// dimColumns are the stores' column names, pinned by TestStoredCodes.
var dimColumns = [NumDims]string{
	Hostname:       "hostname",
	Page:           "page",
	Event:          "event",
	Source:         "source",
	Referrer:       "referrer",
	UTMSource:      "utm_source",
	UTMMedium:      "utm_medium",
	UTMCampaign:    "utm_campaign",
	UTMContent:     "utm_content",
	UTMTerm:        "utm_term",
	EntryPage:      "entry_page",
	ExitPage:       "exit_page",
	Country:        "country",
	Region:         "region",
	Browser:        "browser",
	BrowserVersion: "browser_version",
	OS:             "os",
	OSVersion:      "os_version",
	Device:         "device",
	Language:       "language",
}

// PropValue is the query dimension event:props:KEY: the values of one custom
// property (props.go). It is not a cell dimension and never indexes a Key;
// Dimension.Prop and Filter.Prop name the property's key.
const PropValue Dim = 1000

// PropKey groups property cells by their key, for a breakdown of every
// property of an event (PropValue then with no Prop). Query-only, like
// PropValue.
const PropKey Dim = 1001

// GoalDim is the query dimension event:goal (goals.go): the engine answers
// it by asking one question of the counters per goal. Query-only.
const GoalDim Dim = 1002

// Column is the dimension's column in both stores.
func (d Dim) Column() string {
	switch d {
	case PropValue:
		return "prop_value"
	case PropKey:
		return "prop_key"
	}
	return dimColumns[d]
}

// Level says how often a dimension's value can change for one visitor.
type Level int

const (
	HitLevel     Level = iota // any hit: page, hostname, event name
	VisitLevel                // fixed for a visit: its source, campaign, entry and exit page
	VisitorLevel              // fixed for a visitor's day, nearly: location, browser, device, language
)

// Level returns d's level.
func (d Dim) Level() Level {
	switch {
	case d <= Event || d == PropValue || d == PropKey || d == GoalDim:
		return HitLevel
	case d <= ExitPage:
		return VisitLevel
	}
	return VisitorLevel
}

func (d Dim) String() string {
	if d == PropValue {
		return PropPrefix + "*"
	}
	if d == PropKey {
		return "event:props"
	}
	if d == GoalDim {
		return GoalDimName
	}
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
