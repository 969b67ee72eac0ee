// Package locale names what tally stores as codes: countries (ISO 3166-1
// alpha-2) and languages (ISO 639-1), in English, from tables compiled into
// the binary. It never looks anything up over the network, and it only
// presents: stored values stay codes, so a name can change without
// touching data.
package locale

import (
	"sort"
	"strings"
)

// CountryName is the English name of a country code ("DE" → "Germany"), or
// "" for a code it does not know.
func CountryName(code string) string { return countries[strings.ToUpper(code)] }

// CountryCodes lists every known country code, sorted.
func CountryCodes() []string {
	out := make([]string, 0, len(countries))
	for c := range countries {
		out = append(out, c)
	}
	sort.Strings(out)
	return out
}

// Flag is the flag emoji of a country code: its two letters as regional
// indicator symbols, which fonts draw as the flag. "" for anything that is
// not two ASCII letters.
func Flag(code string) string {
	if len(code) != 2 {
		return ""
	}
	var b strings.Builder
	for _, c := range strings.ToUpper(code) {
		if c < 'A' || c > 'Z' {
			return ""
		}
		b.WriteRune(0x1F1E6 + c - 'A')
	}
	return b.String()
}

// LanguageName is the English name of a language code ("de" → "German"),
// or "" for a code it does not know.
func LanguageName(code string) string { return languages[strings.ToLower(code)] }
