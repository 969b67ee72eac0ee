#!/usr/bin/env bash
# A flood of made-up paths on one site, as an attacker would post it, while
# another site is visited normally (docs/operations.md, "Floods of made-up
# values").
#
# Usage: bench/flood/run.sh [seconds] [connections]   (needs wrk and curl)
#
# Checks, and fails unless: every event answered 202 is counted; the
# flooded site's total equals the sum of its hours and the sum of its page
# rows ((other) included); the other site's 300 events are counted exactly,
# page by page; health is ok afterwards. Prints the peak RSS, the rows and
# what reached (other).
set -euo pipefail
cd "$(dirname "$0")/../.."
secs=${1:-25}
conns=${2:-32}
tmp=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$tmp"' EXIT
go build -o "$tmp/tally" ./cmd/tally
data="$tmp/data"
"$tmp/tally" site add flooded.example --data "$data" >/dev/null
"$tmp/tally" site add other.example --data "$data" >/dev/null
key=$("$tmp/tally" apikey create --data "$data" | tail -n 1)
"$tmp/tally" serve --data "$data" --listen 127.0.0.1:18010 --metrics-listen 127.0.0.1:18011 \
	--trusted-proxies 127.0.0.1/32 --log-level warn 2>"$tmp/log" &
pid=$!
for _ in $(seq 50); do curl -sf http://127.0.0.1:18010/api/health >/dev/null && break; sleep 0.1; done

q() { # site metric dimension -> sum of the metric over all rows, and the row count
	local dims="" offset=0
	[ -z "$3" ] || dims=",\"dimensions\":[\"$3\"]"
	while :; do
		curl -s http://127.0.0.1:18010/api/v2/query -H "Authorization: Bearer $key" \
			-d "{\"site_id\":\"$1\",\"metrics\":[\"$2\"],\"date_range\":\"day\"$dims,\"pagination\":{\"limit\":10000,\"offset\":$offset}}" |
			grep -o '"metrics":\[[0-9.]*' | grep -o '[0-9.]*$' >"$tmp/rows"
		cat "$tmp/rows"
		[ "$(wc -l <"$tmp/rows")" = 10000 ] || break
		offset=$((offset + 10000))
	done | awk '{s+=$1; n++} END {printf "%d %d\n", s, n}'
}

echo 0 >"$tmp/peak"
watch_rss() {
	while kill -0 $pid 2>/dev/null; do
		r=$(awk '/VmRSS/ {print $2}' /proc/$pid/status 2>/dev/null || true)
		r=${r:-0}
		[ "$r" -gt "$(cat "$tmp/peak")" ] && echo "$r" >"$tmp/peak"
		sleep 0.5
	done
}
watch_rss &
idle=$(awk '/VmRSS/ {print $2}' /proc/$pid/status)

# The other site: 300 events on 10 pages, sent during the flood.
(
	sleep 2
	for i in $(seq 300); do
		curl -s -o /dev/null -w '%{http_code}\n' http://127.0.0.1:18010/api/event -H 'Content-Type: text/plain' \
			-H "User-Agent: Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36" \
			-H "X-Forwarded-For: 192.0.2.$((i % 30))" \
			-d "{\"n\":\"pageview\",\"u\":\"https://other.example/page-$((i % 10))\",\"d\":\"other.example\"}"
	done >"$tmp/other.codes"
) &
other=$!
wrk -t1 -c"$conns" -d"${secs}s" -s bench/flood/flood.lua http://127.0.0.1:18010 >"$tmp/wrk.out"
wait $other
sleep 2 # one checkpoint

sent=$(grep -o 'requests=[0-9]*' "$tmp/wrk.out" | cut -d= -f2)
rejected=$(grep -o 'non2xx_or_3xx=[0-9]*' "$tmp/wrk.out" | cut -d= -f2)
read -r total _ < <(q flooded.example pageviews "")
read -r hours _ < <(q flooded.example pageviews time:hour)
read -r pages prow < <(q flooded.example pageviews event:page)
read -r other_total _ < <(q other.example pageviews "")
read -r other_pages orow < <(q other.example pageviews event:page)
other_ok=$(grep -c '^202$' "$tmp/other.codes" || true)
health=$(curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1:18010/api/health)
metrics=$(curl -s http://127.0.0.1:18011/metrics | grep -E '^tally_(other_total|hits_dropped_total\{reason="cells_full"\}|open_cells|checkpoint_failures_total)' || true)
echo "flood: $sent events in ${secs}s, $rejected not 202; $(grep -o 'p50_us=[0-9]* p99_us=[0-9]*' "$tmp/wrk.out")"
echo "flooded site: total $total, sum of hours $hours, sum of $prow page rows $pages"
echo "other site: $other_ok of 300 answered 202; total $other_total, $orow page rows adding up to $other_pages"
echo "RSS: idle $((idle / 1024)) MB, peak $(($(cat "$tmp/peak") / 1024)) MB; health $health"
echo "$metrics"
echo "log lines at warn and above: $(wc -l <"$tmp/log")"; grep -m3 -o 'msg="[^"]*".\{0,160\}' "$tmp/log" || true
kill $pid
wait $pid 2>/dev/null || true
fail=0
[ "$rejected" = 0 ] || { echo "FAIL: events refused" >&2; fail=1; }
[ "$total" -ge "$sent" ] || { echo "FAIL: flooded site counted $total of $sent" >&2; fail=1; }
[ "$total" = "$hours" ] && [ "$total" = "$pages" ] || { echo "FAIL: rows do not add up to the total" >&2; fail=1; }
[ "$other_ok" = 300 ] && [ "$other_total" = 300 ] && [ "$other_pages" = 300 ] && [ "$orow" = 10 ] || { echo "FAIL: the other site's counts are not exact" >&2; fail=1; }
[ "$health" = 200 ] || { echo "FAIL: health $health" >&2; fail=1; }
[ $fail = 0 ] || { echo "-- log:"; tail -20 "$tmp/log"; }
exit $fail
