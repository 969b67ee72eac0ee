#!/usr/bin/env bash
# Shutdown under a flood (issue 15, attack 7): floods `tally serve` with
# distinct paths for SECONDS, sends SIGTERM while the flood goes on, reports
# how long the process took to exit, restarts it and compares the stored
# pageviews with the events wrk saw answered 202.
#
# Usage: bench/ingest/shutdown.sh [seconds] [connections] [binary] [extra serve flags…]
# (needs wrk). binary defaults to a build of this tree; pass another build
# (e.g. of main) to compare.
set -euo pipefail
cd "$(dirname "$0")/../.."
secs=${1:-20}
conns=${2:-64}
bin=${3:-}
shift $(( $# < 3 ? $# : 3 ))
tmp=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$tmp"' EXIT
if [ -z "$bin" ]; then
	bin="$tmp/tally"
	go build -o "$bin" ./cmd/tally
fi
data="$tmp/data"
"$bin" site add example.com --data "$data" >/dev/null
key=$("$bin" apikey create --data "$data" | tail -n 1)
serve() {
	"$bin" serve --data "$data" --listen 127.0.0.1:18100 --trusted-proxies 127.0.0.1/32 "$@" >>"$tmp/log" 2>&1 &
	pid=$!
	for _ in $(seq 600); do curl -sf http://127.0.0.1:18100/api/health >/dev/null && return; sleep 0.1; done
	echo "not healthy"; cat "$tmp/log"; exit 1
}
serve "$@"
wrk -t1 -c"$conns" -d"$((secs + 5))s" -s bench/ingest/flood.lua http://127.0.0.1:18100 >"$tmp/wrk.out" &
wrk_pid=$!
sleep "$secs"
rss=$(grep VmRSS /proc/$pid/status | awk '{print $2 " " $3}')
start=$(date +%s.%N)
kill -TERM $pid
while kill -0 $pid 2>/dev/null; do sleep 0.05; done
end=$(date +%s.%N)
wait $pid || true
wait $wrk_pid || true
took=$(awk -v a="$start" -v b="$end" 'BEGIN {printf "%.2f", b-a}')
reqs=$(awk '/requests in/ {print $1}' "$tmp/wrk.out")
non2xx=$(awk '/Non-2xx/ {print $5}' "$tmp/wrk.out")
acked=$((reqs - ${non2xx:-0}))
serve "$@"
counted=$(curl -s http://127.0.0.1:18100/api/v2/query -H "Authorization: Bearer $key" \
	-d '{"site_id":"example.com","metrics":["pageviews"],"date_range":"day"}' | grep -o '"metrics":\[[0-9]*' | grep -o '[0-9]*$')
kill $pid; wait $pid 2>/dev/null || true
echo "flood ${secs}s, RSS at SIGTERM $rss; exit took ${took}s after SIGTERM"
echo "wrk: $reqs requests, ${non2xx:-0} not 2xx (answered 202: $acked, incl. any in flight at the end); counted after restart: $counted"
grep -E "shutting down|final checkpoint|journal|replayed" "$tmp/log" | cut -c1-400
