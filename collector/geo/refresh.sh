#!/usr/bin/env bash
# Replaces the embedded country database (country.mmdb) with the latest copy
# published on npm by the ip-location-db project, then checks it: a few
# well-known addresses must resolve to their countries (go test). Needs npm.
#
# The data is the regional internet registries' (CC BY 4.0, NRO); keep the
# attribution in geo.Attribution, the dashboard and the README.
set -euo pipefail
cd "$(dirname "$0")"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack --silent @ip-location-db/geo-whois-asn-country-mmdb >/dev/null && tar xzf ./*.tgz)
cp "$tmp/package/geo-whois-asn-country.mmdb" country.mmdb
go test -run TestEmbeddedCountries .
echo "country.mmdb: $(du -h country.mmdb | cut -f1), from $(grep -o '"version": *"[^"]*"' "$tmp/package/package.json")"
