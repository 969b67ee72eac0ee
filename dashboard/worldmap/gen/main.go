// Command gen writes the world map's embedded shapes (../countries.txt)
// from the committed sources in ../source; refresh.sh runs it after
// fetching new sources.
package main

import (
	"log"
	"os"
)

func main() {
	topo, err := os.ReadFile("source/countries-110m.json")
	if err != nil {
		log.Fatal(err)
	}
	numeric, err := os.ReadFile("source/iso-numeric.tsv")
	if err != nil {
		log.Fatal(err)
	}
	out, err := generate(topo, numeric)
	if err != nil {
		log.Fatal(err)
	}
	if err := os.WriteFile("countries.txt", out, 0o644); err != nil {
		log.Fatal(err)
	}
}
