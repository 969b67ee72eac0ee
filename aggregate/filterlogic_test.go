package aggregate

import (
	"slices"
	"testing"
)

func TestNotAndAnyOf(t *testing.T) {
	must := func(op string, d Dim, v ...string) Filter {
		f, err := NewFilter(op, d, v)
		if err != nil {
			t.Fatal(err)
		}
		return f
	}
	for _, pair := range [][2]string{{OpIs, OpIsNot}, {OpContains, OpContainsNot}, {OpMatches, OpMatchesNot}} {
		f := must(pair[0], Page, "/a")
		if n := Not(f); n.Op != pair[1] || Not(n).Op != pair[0] {
			t.Errorf("Not(%s) = %s, Not(Not) = %s", pair[0], n.Op, Not(n).Op)
		}
		// The negation keeps what the filter drops, on any shown value.
		keeps := func(f Filter, v string) bool { return f.matchAny(v) != f.negated() }
		for _, v := range []string{"/a", "/b", NotSet} {
			if keeps(f, v) == keeps(Not(f), v) {
				t.Errorf("%s and its negation agree on %q", f.Op, v)
			}
		}
	}

	or, err := AnyOf([]Filter{must(OpIs, Country, "DE"), must(OpIs, Country, "FR", "IT")})
	if err != nil || or.Op != OpIs || !slices.Equal(or.Values, []string{"DE", "FR", "IT"}) {
		t.Errorf("or on one dimension: %+v, %v", or, err)
	}
	or, err = AnyOf([]Filter{must(OpMatches, Page, "^/a"), must(OpMatches, Page, "^/b")})
	if err != nil || !or.matchAny("/b/c") || or.matchAny("/c") {
		t.Errorf("or of patterns: %+v, %v", or, err)
	}
	for name, fs := range map[string][]Filter{
		"two dimensions": {must(OpIs, Country, "DE"), must(OpIs, Browser, "Chrome")},
		"two operators":  {must(OpIs, Page, "/a"), must(OpContains, Page, "b")},
		"negations":      {must(OpIsNot, Page, "/a"), must(OpIsNot, Page, "/b")},
		"nothing":        nil,
	} {
		if _, err := AnyOf(fs); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}
