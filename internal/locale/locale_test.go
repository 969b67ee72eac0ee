package locale

import (
	"regexp"
	"testing"
)

func TestNames(t *testing.T) {
	tests := []struct{ got, want string }{
		{CountryName("DE"), "Germany"},
		{CountryName("us"), "United States"},
		{CountryName("GB"), "United Kingdom"},
		{CountryName("ZZ"), ""},
		{CountryName(""), ""},
		{LanguageName("en"), "English"},
		{LanguageName("ES"), "Spanish"},
		{LanguageName("xx"), ""},
		{Flag("DE"), "🇩🇪"},
		{Flag("jp"), "🇯🇵"},
		{Flag("D"), ""},
		{Flag("D1"), ""},
		{Flag("(not set)"), ""},
	}
	for i, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("case %d: got %q, want %q", i, tt.got, tt.want)
		}
	}
}

// The tables are keyed by the codes the stores hold: upper-case alpha-2
// for countries, lower-case ISO 639-1 (or a three-letter code) for
// languages; a mistyped key would never be found.
func TestTableKeys(t *testing.T) {
	cc := regexp.MustCompile(`^[A-Z]{2}$`)
	names := map[string]string{}
	for code, name := range countries {
		if !cc.MatchString(code) || name == "" {
			t.Errorf("country %q: %q", code, name)
		}
		if other, dup := names[name]; dup {
			t.Errorf("%s and %s are both %q", code, other, name)
		}
		names[name] = code
	}
	if len(countries) < 245 {
		t.Errorf("%d countries, want every ISO 3166-1 code", len(countries))
	}
	lc := regexp.MustCompile(`^[a-z]{2,3}$`)
	for code, name := range languages {
		if !lc.MatchString(code) || name == "" {
			t.Errorf("language %q: %q", code, name)
		}
	}
}

// TestRegionName: the codes the location databases give (country, dash,
// the subdivision's own code) find their CLDR names.
func TestRegionName(t *testing.T) {
	for code, want := range map[string]string{
		"DE-BY": "Bavaria", "de-by": "Bavaria", "US-CA": "California", "IT-62": "Lazio",
		"GB-ENG": "England", "JP-13": "Tokyo", "FR-IDF": "Île-de-France", "AU-NSW": "New South Wales",
		"DE-ZZ": "", "DE": "", "": "", "(not set)": "",
	} {
		if got := RegionName(code); got != want {
			t.Errorf("RegionName(%q) = %q, want %q", code, got, want)
		}
	}
	if len(regions) < 4000 {
		t.Errorf("%d regions, want CLDR's 5000 or so", len(regions))
	}
}
