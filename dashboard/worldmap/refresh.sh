#!/usr/bin/env bash
# Rebuilds the world map's shapes (countries.txt) from npm: Natural Earth's
# 1:110m countries (public domain) as packaged by world-atlas (ISC), and the
# ISO 3166-1 numeric → alpha-2 table of i18n-iso-countries (MIT). Both are
# kept in source/ so that `go test` can check countries.txt is what the
# generator makes of them. Needs npm at refresh time only; tally never does.
set -euo pipefail
cd "$(dirname "$0")"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack --silent world-atlas@2 i18n-iso-countries@7 >/dev/null)
mkdir -p "$tmp/wa" "$tmp/iso" source
tar xzf "$tmp"/world-atlas-*.tgz -C "$tmp/wa"
tar xzf "$tmp"/i18n-iso-countries-*.tgz -C "$tmp/iso"
cp "$tmp/wa/package/countries-110m.json" source/countries-110m.json
{
	echo "# ISO 3166-1 numeric code → alpha-2, from the npm package i18n-iso-countries (codes.json, MIT licence)."
	node -e 'for (const [a2, , n] of require(process.argv[1]).sort((a, b) => a[2].localeCompare(b[2]))) console.log(n + "\t" + a2)' "$tmp/iso/package/codes.json"
} >source/iso-numeric.tsv
go run ./gen
go test -run TestCommittedShapes ./gen
echo "countries.txt: $(wc -c <countries.txt) bytes"
