package main

import (
	"bytes"
	"os"
	"testing"
)

// TestCommittedShapes checks that the embedded countries.txt is what the
// generator makes of the committed sources: nobody edited it by hand, and
// a change to the generator was followed by a refresh.
func TestCommittedShapes(t *testing.T) {
	topo, err := os.ReadFile("../source/countries-110m.json")
	if err != nil {
		t.Fatal(err)
	}
	numeric, err := os.ReadFile("../source/iso-numeric.tsv")
	if err != nil {
		t.Fatal(err)
	}
	want, err := generate(topo, numeric)
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile("../countries.txt")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("countries.txt (%d bytes) differs from what gen makes of source/ (%d bytes): run dashboard/worldmap/refresh.sh or go run ./gen in dashboard/worldmap", len(got), len(want))
	}
}

// TestGenerateRejectsUnknownCountry: a shape whose number has no alpha-2
// code is an error, not a country silently missing from the map.
func TestGenerateRejectsUnknownCountry(t *testing.T) {
	topo := []byte(`{"transform":{"scale":[1,1],"translate":[0,0]},"arcs":[[[0,0],[10,0],[0,10],[-10,-10]]],
		"objects":{"countries":{"geometries":[{"type":"Polygon","id":"999","arcs":[[0]],"properties":{"name":"Nowhere"}}]}}}`)
	if _, err := generate(topo, []byte("840\tUS\n")); err == nil {
		t.Fatal("generate accepted a country without an alpha-2 code")
	}
	out, err := generate(topo, []byte("999\tZZ\n"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(out, []byte("\nZZ\tM")) {
		t.Fatalf("generated file has no path for ZZ:\n%s", out)
	}
}
