// Package worldmap draws the dashboard's world map: one SVG path per
// country, shaded by its visitors. The shapes are embedded (countries.txt,
// made at refresh time by gen from Natural Earth's public-domain data;
// refresh.sh), so the map needs no script, no network and no run-time
// conversion. The package knows shapes and shades only; what a country
// links to and how it is named come from the caller.
package worldmap

import (
	_ "embed"
	"fmt"
	"math"
	"strings"
)

//go:embed countries.txt
var countriesTxt string

// Attribution credits the shapes; shown wherever the map is.
const Attribution = "Map shapes: Natural Earth (public domain)."

// shape is one country's outline.
type shape struct {
	code, d string
}

// viewBox and shapes are read once from the embedded file and never changed.
var viewBox, shapes = parse(countriesTxt)

func parse(txt string) (string, []shape) {
	var vb string
	var out []shape
	for _, line := range strings.Split(txt, "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		k, v, ok := strings.Cut(line, "\t")
		if !ok {
			panic(fmt.Sprintf("worldmap: bad line %.40q in countries.txt", line))
		}
		if k == "viewbox" {
			vb = "0 0 " + v
			continue
		}
		out = append(out, shape{code: k, d: v})
	}
	if vb == "" || len(out) == 0 {
		panic("worldmap: countries.txt has no view box or no shapes")
	}
	return vb, out
}

// Map is one rendered map: plain data for a template.
type Map struct {
	ViewBox   string
	Countries []Country
	Max       int64 // the most visitors of any country on the map
}

// Country is one shape. Href is empty for a country without visitors,
// which is drawn but not a link (so the keyboard visits only countries
// that have something to show).
type Country struct {
	Code     string
	D        string
	Visitors int64
	Level    float64 // 0 (none) … 1 (the most); the template shades by it
	Title    string  // "Germany: 12 visitors"; the name alone without visitors
	Href     string
}

// Build shades the map by visitors per ISO 3166-1 alpha-2 code. Codes the
// map has no shape for (small states, "(not set)", anything unknown) are
// left out: the table beside the map lists them. href and name give a
// country's link and name; visitors are formatted by label.
func Build(visitors map[string]int64, href, name func(code string) string, label func(n int64) string) Map {
	m := Map{ViewBox: viewBox, Countries: make([]Country, len(shapes))}
	for _, s := range shapes {
		m.Max = max(m.Max, visitors[s.code])
	}
	for i, s := range shapes {
		c := Country{Code: s.code, D: s.d, Visitors: visitors[s.code], Title: name(s.code)}
		if c.Visitors > 0 {
			// A square root spreads the shades: one country with most of
			// the visitors would otherwise leave every other one pale.
			c.Level = math.Round(100*(0.15+0.85*math.Sqrt(float64(c.Visitors)/float64(m.Max)))) / 100
			c.Href = href(s.code)
			c.Title += ": " + label(c.Visitors)
		}
		m.Countries[i] = c
	}
	return m
}
