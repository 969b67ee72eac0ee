package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
)

// generate turns Natural Earth's country shapes, as TopoJSON (the npm
// package world-atlas, countries-110m.json), into the compact file this
// package embeds (countries.txt). numeric is the ISO 3166-1 numeric →
// alpha-2 table (lines "840<TAB>US"; # starts a comment).
//
// It runs when the shapes are refreshed (refresh.sh), never in tally: the
// shapes are projected (Natural Earth I), scaled to the map's view box,
// rounded to whole units and written as relative SVG path data, so the
// server only copies strings. Antarctica is left out (nobody browses from
// it, and it would take a fifth of the height); a ring smaller than a
// unit square is dropped unless it is its country's largest.
func generate(topo, numeric []byte) ([]byte, error) {
	codes, err := parseNumeric(numeric)
	if err != nil {
		return nil, err
	}
	var t topology
	if err := json.Unmarshal(topo, &t); err != nil {
		return nil, fmt.Errorf("read topojson: %w", err)
	}
	obj, ok := t.Objects["countries"]
	if !ok {
		return nil, fmt.Errorf("read topojson: no object \"countries\"")
	}
	arcs := t.decodeArcs()
	rings := map[string][][][2]float64{} // code → rings in projected units
	for _, g := range obj.Geometries {
		code := codes[g.ID]
		if g.ID == "" {
			code = unnumbered[g.Properties.Name]
		}
		if g.ID == antarctica {
			continue
		}
		if code == "" {
			return nil, fmt.Errorf("country %q (id %q) has no alpha-2 code", g.Properties.Name, g.ID)
		}
		var polys [][][]int
		switch g.Type {
		case "Polygon":
			var p [][]int
			if err := json.Unmarshal(g.Arcs, &p); err != nil {
				return nil, fmt.Errorf("%s: %w", code, err)
			}
			polys = [][][]int{p}
		case "MultiPolygon":
			if err := json.Unmarshal(g.Arcs, &polys); err != nil {
				return nil, fmt.Errorf("%s: %w", code, err)
			}
		default:
			return nil, fmt.Errorf("%s: unexpected geometry %q", code, g.Type)
		}
		for _, p := range polys {
			for _, r := range p {
				rings[code] = append(rings[code], project(unwrap(ring(arcs, r))))
			}
		}
	}
	// The view box: the projected extent, scaled to Width.
	minX, minY, maxX, maxY := math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)
	for _, rs := range rings {
		for _, r := range rs {
			for _, p := range r {
				minX, maxX = math.Min(minX, p[0]), math.Max(maxX, p[0])
				minY, maxY = math.Min(minY, p[1]), math.Max(maxY, p[1])
			}
		}
	}
	scale := Width / (maxX - minX)
	height := int(math.Ceil((maxY - minY) * scale))
	var out bytes.Buffer
	fmt.Fprintf(&out, "# Country shapes of tally's world map, made by dashboard/worldmap/gen (refresh.sh) from\n")
	fmt.Fprintf(&out, "# Natural Earth 1:110m countries (public domain) as packaged by world-atlas (ISC).\n")
	fmt.Fprintf(&out, "# Natural Earth I projection. One line per country: ISO 3166-1 alpha-2, tab, SVG path data.\n")
	fmt.Fprintf(&out, "viewbox\t%d %d\n", int(Width), height)
	keys := make([]string, 0, len(rings))
	for k := range rings {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, code := range keys {
		d := pathData(rings[code], minX, maxY, scale)
		if d == "" {
			continue
		}
		fmt.Fprintf(&out, "%s\t%s\n", code, d)
	}
	return out.Bytes(), nil
}

// Width is the width of the map's view box, in the units of the path data.
const Width = 1000.0

// antarctica is its ISO numeric code.
const antarctica = "010"

// unnumbered names the shapes Natural Earth gives no ISO number, by the
// code the location databases use for the visitors there.
var unnumbered = map[string]string{
	"Kosovo":     "XK", // user-assigned code, used by MaxMind and the RIRs
	"N. Cyprus":  "CY",
	"Somaliland": "SO",
}

type topology struct {
	Transform struct {
		Scale     [2]float64 `json:"scale"`
		Translate [2]float64 `json:"translate"`
	} `json:"transform"`
	Arcs    [][][2]float64 `json:"arcs"`
	Objects map[string]struct {
		Geometries []struct {
			Type       string          `json:"type"`
			ID         string          `json:"id"`
			Arcs       json.RawMessage `json:"arcs"`
			Properties struct {
				Name string `json:"name"`
			} `json:"properties"`
		} `json:"geometries"`
	} `json:"objects"`
}

// decodeArcs undoes TopoJSON's quantization and delta encoding: each arc
// becomes its points in degrees (longitude, latitude).
func (t topology) decodeArcs() [][][2]float64 {
	out := make([][][2]float64, len(t.Arcs))
	for i, a := range t.Arcs {
		var x, y float64
		pts := make([][2]float64, len(a))
		for j, p := range a {
			x, y = x+p[0], y+p[1]
			pts[j] = [2]float64{x*t.Transform.Scale[0] + t.Transform.Translate[0], y*t.Transform.Scale[1] + t.Transform.Translate[1]}
		}
		out[i] = pts
	}
	return out
}

// ring joins a ring's arcs; index ~i is arc i reversed. Consecutive arcs
// share their joining point, kept once.
func ring(arcs [][][2]float64, idx []int) [][2]float64 {
	var out [][2]float64
	for _, i := range idx {
		var a [][2]float64
		if i < 0 {
			src := arcs[^i]
			a = make([][2]float64, len(src))
			for j := range src {
				a[j] = src[len(src)-1-j]
			}
		} else {
			a = arcs[i]
		}
		if len(out) > 0 {
			a = a[1:]
		}
		out = append(out, a...)
	}
	return out
}

// unwrap keeps a ring that crosses the antimeridian (Russia's east, Fiji)
// on one side of the map: longitudes are made continuous, then whatever
// lies beyond ±180° is pressed onto the map's edge. The source leaves
// such rings whole, for a renderer to cut; a straight projection would
// draw them as bands across the whole map.
func unwrap(r [][2]float64) [][2]float64 {
	out := make([][2]float64, len(r))
	var shift, sum float64
	for i, p := range r {
		if i > 0 {
			switch d := p[0] + shift - out[i-1][0]; {
			case d > 180:
				shift -= 360
			case d < -180:
				shift += 360
			}
		}
		out[i] = [2]float64{p[0] + shift, p[1]}
		sum += out[i][0]
	}
	var back float64
	switch mean := sum / float64(len(out)); {
	case mean > 180:
		back = -360
	case mean < -180:
		back = 360
	}
	for i := range out {
		out[i][0] = math.Max(-180, math.Min(180, out[i][0]+back))
	}
	return out
}

// project maps degrees to Natural Earth I coordinates (Šavrič, Jenny,
// Patterson, Petrovič and Hurni, 2011): y grows northwards here.
func project(r [][2]float64) [][2]float64 {
	out := make([][2]float64, len(r))
	for i, p := range r {
		lam, phi := p[0]*math.Pi/180, p[1]*math.Pi/180
		phi2 := phi * phi
		phi4 := phi2 * phi2
		x := lam * (0.8707 - 0.131979*phi2 + phi4*(-0.013791+phi4*(0.003971*phi2-0.001529*phi4)))
		y := phi * (1.007226 + phi2*(0.015085+phi4*(-0.044475+0.028874*phi2-0.005916*phi4)))
		out[i] = [2]float64{x, y}
	}
	return out
}

// pathData writes rings as "M x y l dx dy … z" in whole units, leaving out
// points that round onto the previous one and rings smaller than a unit
// square (except the largest, so every country keeps a shape).
func pathData(rings [][][2]float64, minX, maxY, scale float64) string {
	type iring struct {
		pts  [][2]int
		area float64
	}
	var rs []iring
	for _, r := range rings {
		var pts [][2]int
		for _, p := range r {
			q := [2]int{int(math.Round((p[0] - minX) * scale)), int(math.Round((maxY - p[1]) * scale))}
			if len(pts) > 0 && pts[len(pts)-1] == q {
				continue
			}
			pts = append(pts, q)
		}
		if len(pts) > 1 && pts[0] == pts[len(pts)-1] {
			pts = pts[:len(pts)-1]
		}
		rs = append(rs, iring{pts: pts, area: math.Abs(shoelace(pts))})
	}
	largest := 0
	for i, r := range rs {
		if r.area > rs[largest].area {
			largest = i
		}
	}
	var b strings.Builder
	for i, r := range rs {
		if len(r.pts) < 3 || (r.area < 1 && i != largest) {
			continue
		}
		fmt.Fprintf(&b, "M%d %d", r.pts[0][0], r.pts[0][1])
		b.WriteString("l")
		for j := 1; j < len(r.pts); j++ {
			dx, dy := r.pts[j][0]-r.pts[j-1][0], r.pts[j][1]-r.pts[j-1][1]
			if j > 1 && dx >= 0 {
				b.WriteByte(' ')
			}
			b.WriteString(strconv.Itoa(dx))
			if dy >= 0 {
				b.WriteByte(' ')
			}
			b.WriteString(strconv.Itoa(dy))
		}
		b.WriteString("z")
	}
	return b.String()
}

func shoelace(pts [][2]int) float64 {
	var s int
	for i := range pts {
		j := (i + 1) % len(pts)
		s += pts[i][0]*pts[j][1] - pts[j][0]*pts[i][1]
	}
	return float64(s) / 2
}

func parseNumeric(b []byte) (map[string]string, error) {
	out := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		n, a2, ok := strings.Cut(line, "\t")
		if !ok || len(a2) != 2 {
			return nil, fmt.Errorf("numeric codes: bad line %q", line)
		}
		out[n] = a2
	}
	return out, sc.Err()
}
