#!/usr/bin/env bash
# Ingest throughput: tally's full POST /api/event path against a Fiber v2
# handler that does no work, with the same wrk load in the same run.
# Usage: bench/ingest/run.sh [seconds] [connections]   (needs wrk: apt-get install wrk)
set -euo pipefail
cd "$(dirname "$0")/../.."
secs=${1:-15}
conns=${2:-64}
tmp=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$tmp"' EXIT

go build -o "$tmp/tally" ./cmd/tally
go build -o "$tmp/noop" ./bench/ingest/noop
go build -o "$tmp/tally-load" ./cmd/tally-load

"$tmp/tally" site add example.com --data "$tmp/data" >/dev/null
key=$("$tmp/tally" apikey create --data "$tmp/data" | tail -n 1)

"$tmp/noop" --listen 127.0.0.1:18001 &
noop_pid=$!
"$tmp/tally" serve --data "$tmp/data" --listen 127.0.0.1:18000 --trusted-proxies 127.0.0.1/32 --log-level warn &
tally_pid=$!
sleep 1

run() { # name url
	wrk -t1 -c"$conns" -d"${secs}s" -s bench/ingest/event.lua "$2" | tee "$tmp/$1.out" | grep -E 'Requests/sec|requests='
}
echo "== warm-up"; wrk -t1 -c"$conns" -d3s -s bench/ingest/event.lua http://127.0.0.1:18001 >/dev/null; wrk -t1 -c"$conns" -d3s -s bench/ingest/event.lua http://127.0.0.1:18000 >/dev/null
echo "== no-op Fiber handler"; run noop http://127.0.0.1:18001
count() {
	curl -s http://127.0.0.1:18000/api/v2/query -H "Authorization: Bearer $key" \
		-d '{"site_id":"example.com","metrics":["pageviews"],"date_range":"day"}' | grep -o '"metrics":\[[0-9]*' | grep -o '[0-9]*$'
}
before=$(count)
echo "== tally /api/event";    run tally http://127.0.0.1:18000
after=$(count)
echo "tally RSS: $(grep VmRSS /proc/$tally_pid/status | awk '{print $2 " " $3}')"

noop=$(awk '/Requests\/sec/ {print $2}' "$tmp/noop.out")
tl=$(awk '/Requests\/sec/ {print $2}' "$tmp/tally.out")
echo "tally / no-op = $(awk -v a="$tl" -v b="$noop" 'BEGIN {printf "%.0f%%", 100*a/b}')"

# Every 202 must be counted: compare the server's pageviews with what wrk got answered.
sent=$(grep -o 'requests=[0-9]*' "$tmp/tally.out" | cut -d= -f2)
rejected=$(grep -o 'non2xx_or_3xx=[0-9]*' "$tmp/tally.out" | cut -d= -f2)
echo "wrk requests: $sent, rejected: $rejected; pageviews counted during the run: $((after - before))"
