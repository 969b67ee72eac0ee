#!/usr/bin/env bash
# Ingest throughput: tally's full POST /api/event path against a Fiber v2
# handler that does no work, with the same wrk load in the same run.
#
# Usage: bench/ingest/run.sh [seconds] [connections] [rounds]
# (needs wrk: apt-get install wrk). CHURN=1 runs bench/ingest/event.lua's
# worst case, where every request changes browser (read by the wrk script).
#
# Each round measures the no-op server, then a fresh tally server (empty
# data directory, so every round starts from the same state), one right
# after the other, and prints their ratio. On a shared machine the no-op's
# rate alone moves by a fifth between runs, so the script reports every
# round and the median ratio. It fails if tally did not count every event
# it answered 202.
set -euo pipefail
cd "$(dirname "$0")/../.."
secs=${1:-15}
conns=${2:-64}
rounds=${3:-1}
tmp=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$tmp"' EXIT

go build -o "$tmp/tally" ./cmd/tally
go build -o "$tmp/noop" ./bench/ingest/noop

"$tmp/noop" --listen 127.0.0.1:18001 &

load() { # url seconds -> wrk's report
	wrk -t1 -c"$conns" -d"$2s" -s bench/ingest/event.lua "$1"
}
rate() { awk '/Requests\/sec/ {print $2}'; }

ratios=()
for round in $(seq "$rounds"); do
	data="$tmp/data-$round"
	"$tmp/tally" site add example.com --data "$data" >/dev/null
	key=$("$tmp/tally" apikey create --data "$data" | tail -n 1)
	"$tmp/tally" serve --data "$data" --listen 127.0.0.1:18000 --trusted-proxies 127.0.0.1/32 --log-level warn &
	tally_pid=$!
	for _ in $(seq 50); do curl -sf http://127.0.0.1:18000/api/health >/dev/null && break; sleep 0.1; done
	count() {
		curl -s http://127.0.0.1:18000/api/v2/query -H "Authorization: Bearer $key" \
			-d '{"site_id":"example.com","metrics":["pageviews"],"date_range":"day"}' | grep -o '"metrics":\[[0-9]*' | grep -o '[0-9]*$'
	}

	echo "== round $round"
	load http://127.0.0.1:18001 3 >/dev/null # warm-up
	load http://127.0.0.1:18000 3 >/dev/null
	load http://127.0.0.1:18001 "$secs" >"$tmp/noop.out"
	before=$(count)
	load http://127.0.0.1:18000 "$secs" >"$tmp/tally.out"
	after=$(count)
	rss=$(grep VmRSS /proc/$tally_pid/status | awk '{print $2 " " $3}')
	kill $tally_pid
	wait $tally_pid 2>/dev/null || true

	noop=$(rate <"$tmp/noop.out")
	tl=$(rate <"$tmp/tally.out")
	ratio=$(awk -v a="$tl" -v b="$noop" 'BEGIN {printf "%.0f", 100*a/b}')
	ratios+=("$ratio")
	echo "no-op: $noop req/s  $(grep -o 'p50_us=[0-9]* p99_us=[0-9]*' "$tmp/noop.out")"
	echo "tally: $tl req/s  $(grep -o 'p50_us=[0-9]* p99_us=[0-9]*' "$tmp/tally.out")  RSS $rss"
	echo "tally / no-op = $ratio%"

	# Every 202 must be counted: the site's pageviews grow by at least the
	# number of answers wrk reports (it does not report the few still in
	# flight when it stops, so the count can be a few dozen higher).
	sent=$(grep -o 'requests=[0-9]*' "$tmp/tally.out" | cut -d= -f2)
	rejected=$(grep -o 'non2xx_or_3xx=[0-9]*' "$tmp/tally.out" | cut -d= -f2)
	echo "wrk requests: $sent, rejected: $rejected; pageviews counted during the run: $((after - before))"
	if [ "$rejected" != 0 ] || [ $((after - before)) -lt "$sent" ]; then
		echo "FAIL: not every event was answered 202 and counted" >&2
		exit 1
	fi
done
echo "ratios: ${ratios[*]} (%); median: $(printf '%s\n' "${ratios[@]}" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')%"
