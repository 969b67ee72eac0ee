package locale

import (
	_ "embed"
	"sort"
	"strings"
)

// regionsTxt names ISO 3166-2 subdivisions in English: Unicode CLDR's
// names (Unicode Licence v3, LICENSE-CLDR.txt), made by refresh-regions.sh.
//
//go:embed regions.txt
var regionsTxt string

// RegionAttribution credits the region names where they are shown.
const RegionAttribution = "Region names: Unicode CLDR (Unicode Licence v3)."

// regions maps "DE-BY" to "Bavaria"; read once at start-up, never changed.
var regions = parseRegions(regionsTxt)

func parseRegions(txt string) map[string]string {
	out := make(map[string]string, 5500)
	for _, line := range strings.Split(txt, "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if code, name, ok := strings.Cut(line, "\t"); ok {
			out[code] = name
		}
	}
	return out
}

// RegionName is the English name of an ISO 3166-2 subdivision code as the
// stores hold it ("DE-BY" → "Bavaria", "IT-62" → "Lazio"), or "" for a
// code it does not know.
func RegionName(code string) string { return regions[strings.ToUpper(code)] }

// RegionCodes lists every region code with a name, sorted.
func RegionCodes() []string {
	out := make([]string, 0, len(regions))
	for c := range regions {
		out = append(out, c)
	}
	sort.Strings(out)
	return out
}
