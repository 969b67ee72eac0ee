#!/usr/bin/env bash
# Rebuilds regions.txt — English names of ISO 3166-2 subdivisions — from
# Unicode CLDR's subdivision names (npm package cldr-subdivisions-full,
# Unicode Licence v3: keep LICENSE-CLDR.txt beside the table and the credit
# in the README). Needs npm and node at refresh time only; tally never does.
set -euo pipefail
cd "$(dirname "$0")"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack --silent cldr-subdivisions-full@48 >/dev/null && tar xzf ./*.tgz)
cp "$tmp/package/LICENSE" LICENSE-CLDR.txt
node - "$tmp/package" >regions.txt <<'JS'
const dir = process.argv[2];
const pkg = require(dir + "/package.json");
const names = require(dir + "/subdivisions/en/en.json").subdivisions.localeDisplayNames.subdivisions;
console.log(`# ISO 3166-2 subdivision code, tab, English name: Unicode CLDR ${pkg.cldrVersion} (npm cldr-subdivisions-full ${pkg.version}).`);
console.log("# Copyright © 2004-2026 Unicode, Inc. Unicode Licence v3: see LICENSE-CLDR.txt. Made by refresh-regions.sh.");
for (const key of Object.keys(names).sort()) {
  // CLDR writes "deby" for DE-BY: the country's two letters, then the rest.
  if (!/^[a-z]{2}[a-z0-9]{1,3}$/.test(key)) continue;
  const code = key.slice(0, 2).toUpperCase() + "-" + key.slice(2).toUpperCase();
  // A trailing superscript digit tells CLDR's same-named entries apart
  // ("Île-de-France²"); shown beside a flag it would read as a footnote.
  console.log(code + "\t" + names[key].replace(/[\t\n]/g, " ").replace(/[¹²³⁰⁴-⁹]+$/u, ""));
}
JS
go test -run TestRegionName .
echo "regions.txt: $(wc -l <regions.txt) lines, $(wc -c <regions.txt) bytes"
