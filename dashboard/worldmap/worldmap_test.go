package worldmap

import (
	"strconv"
	"strings"
	"testing"
)

func build(visitors map[string]int64) Map {
	return Build(visitors,
		func(code string) string { return "/x?f=country," + code },
		func(code string) string { return "name of " + code },
		func(n int64) string { return strconv.FormatInt(n, 10) + " visitors" })
}

func find(t *testing.T, m Map, code string) Country {
	t.Helper()
	for _, c := range m.Countries {
		if c.Code == code {
			return c
		}
	}
	t.Fatalf("the map has no shape for %s", code)
	return Country{}
}

func TestBuildShadesAndLinks(t *testing.T) {
	m := build(map[string]int64{"DE": 100, "FR": 25, "US": 1, "ZZ": 5000, "(not set)": 7, "": 3, "SG": 9})
	if m.Max != 100 {
		t.Errorf("Max = %d, want 100: codes without a shape (ZZ, (not set), SG) must not set the scale", m.Max)
	}
	de, fr, us, jp := find(t, m, "DE"), find(t, m, "FR"), find(t, m, "US"), find(t, m, "JP")
	if de.Level != 1 || !(fr.Level < de.Level && us.Level < fr.Level && us.Level > 0) {
		t.Errorf("levels DE %v, FR %v, US %v: want 1 > FR > US > 0", de.Level, fr.Level, us.Level)
	}
	if de.Href != "/x?f=country,DE" || de.Title != "name of DE: 100 visitors" || de.Visitors != 100 {
		t.Errorf("DE = %+v", de)
	}
	if jp.Href != "" || jp.Level != 0 || jp.Title != "name of JP" {
		t.Errorf("a country without visitors is a link or shaded: %+v", jp)
	}
	for _, c := range m.Countries {
		switch c.Code {
		case "ZZ", "(not set)", "", "SG":
			t.Errorf("a code without a shape is on the map: %+v", c)
		}
		if c.D == "" {
			t.Errorf("%s has no path", c.Code)
		}
	}
}

func TestBuildEmpty(t *testing.T) {
	m := build(nil)
	if len(m.Countries) < 150 || !strings.HasPrefix(m.ViewBox, "0 0 1000 ") {
		t.Fatalf("%d countries, view box %q", len(m.Countries), m.ViewBox)
	}
	for _, c := range m.Countries {
		if c.Href != "" || c.Level != 0 {
			t.Errorf("an empty map links or shades %s", c.Code)
		}
	}
}
