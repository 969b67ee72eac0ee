#!/usr/bin/env bash
# Hit latency while a published site's share page is read by 8 clients at
# once (docs/operations.md, "Public pages under load").
#
# Usage: bench/share/run.sh [pageviews] [seconds]   (needs wrk and curl)
#
# Fills a store with PAGEVIEWS over 60 days (bench/dashboard), publishes the
# site, then measures POST /api/event with bench/ingest's load for SECONDS
# twice: alone, and with 8 connections reading the share page (its four
# ranges in turn) as fast as they can. Prints p50/p99 of both runs and the
# readers' request rate.
set -euo pipefail
cd "$(dirname "$0")/../.."
pageviews=${1:-300000}
secs=${2:-15}
tmp=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$tmp"' EXIT
go build -o "$tmp/tally" ./cmd/tally
go run ./bench/dashboard -dir "$tmp/data" -pageviews "$pageviews" -days 60 -runs 0 >/dev/null
share=$("$tmp/tally" site publish bench.example --data "$tmp/data" | tail -n 1)
share=/share/${share##*/share/}
"$tmp/tally" site add example.com --data "$tmp/data" >/dev/null
"$tmp/tally" serve --data "$tmp/data" --listen 127.0.0.1:18020 --trusted-proxies 127.0.0.1/32 --log-level warn &
for _ in $(seq 100); do curl -sf http://127.0.0.1:18020/api/health >/dev/null && break; sleep 0.1; done
[ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:18020$share")" = 200 ] || { echo "FAIL: share page $share not served" >&2; exit 1; }

# The first view of each range builds it (seconds, on this much data);
# readers afterwards are served what was built, for five minutes.
for r in last_month 30d month 12mo; do curl -s -o /dev/null --max-time 120 "http://127.0.0.1:18020$share?range=$r"; done

hits() { wrk -t1 -c16 -d"${secs}s" -s bench/ingest/event.lua http://127.0.0.1:18020 | grep -o 'requests=.*'; }
echo "hits alone:            $(hits)"
SHARE=$share wrk -t1 -c8 --timeout 30s -d"$((secs + 2))s" -s bench/share/readers.lua http://127.0.0.1:18020 >"$tmp/readers.out" &
readers=$!
sleep 1
echo "hits with 8 readers:   $(hits)"
wait $readers
echo "share readers: $(awk '/Requests\/sec/ {print $2}' "$tmp/readers.out") pages/s; $(grep -E 'Non-2xx|Socket errors' "$tmp/readers.out" || echo 'no errors')"
