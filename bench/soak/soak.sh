#!/usr/bin/env bash
# Soak run: tally serve on a throwaway ClickHouse, a fixed event rate for
# MINUTES, ClickHouse stopped for OUTAGE seconds in the middle, then every
# acknowledged event must be counted. Loopback only; everything lives in a
# temporary directory that is removed at the end (kept with KEEP=1).
#
#   bench/soak/soak.sh [MINUTES=6] [RATE=1000] [OUTAGE=60]
#
# Prints the per-interval CSV (RSS, p50/p99 latency), the health answers
# during the outage, and the final comparison. See docs/soak.md.
set -euo pipefail
MINUTES=${1:-6}
RATE=${2:-1000}
OUTAGE=${3:-60}
cd "$(dirname "$0")/../.."
W=$(mktemp -d /tmp/tally-soak.XXXXXX)
CH_PID= TALLY_PID= SOAK_PID=
cleanup() {
	for p in $SOAK_PID $TALLY_PID $CH_PID; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	[ "${KEEP:-0}" = 1 ] && echo "kept $W" || rm -rf "$W"
}
trap cleanup EXIT

freeport() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
CH_TCP=$(freeport) CH_HTTP=$(freeport) CH_OTHER=$(freeport) PORT=$(freeport) MPORT=$(freeport)

go build -o "$W/tally" ./cmd/tally
go build -o "$W/soak" ./bench/soak

mkdir -p "$W/ch/log" "$W/data"

start_ch() {
	bash bench/clickhouse.sh "$W/ch" "$CH_TCP" "$CH_HTTP" "$CH_OTHER" >>"$W/ch/log/stdout.log" 2>&1 &
	CH_PID=$!
	for _ in $(seq 600); do
		[ "$(curl -s "http://127.0.0.1:$CH_HTTP/?query=SELECT%201" || true)" = 1 ] && return 0
		sleep 0.1
	done
	echo "clickhouse-server did not start" >&2; exit 1
}
stop_ch() { kill -TERM "$CH_PID"; wait "$CH_PID" 2>/dev/null || true; CH_PID=; }

start_ch
DSN="clickhouse://default@127.0.0.1:$CH_TCP/tally_soak"
"$W/tally" site add example.com --clickhouse "$DSN" --data "$W/data" >/dev/null
KEY=$("$W/tally" apikey create --clickhouse "$DSN" --data "$W/data" | tail -1)

"$W/tally" serve --listen "127.0.0.1:$PORT" --clickhouse "$DSN" --data "$W/data" \
	--trusted-proxies 127.0.0.1/32 --metrics-listen "127.0.0.1:$MPORT" --log-format json >"$W/tally.log" 2>&1 &
TALLY_PID=$!
for _ in $(seq 200); do curl -sf "http://127.0.0.1:$PORT/api/health" >/dev/null && break; sleep 0.1; done

echo "soak: ${MINUTES} min at ${RATE}/s, ClickHouse stopped for ${OUTAGE}s in the middle; load average: $(cut -d' ' -f1-3 /proc/loadavg), $(nproc) cores"
"$W/soak" --url "http://127.0.0.1:$PORT" --rate "$RATE" --duration "${MINUTES}m" --pid "$TALLY_PID" >"$W/soak.csv" 2>"$W/soak.err" &
SOAK_PID=$!

sleep $(( MINUTES * 60 / 2 - OUTAGE / 2 ))
echo "t=$(( MINUTES * 60 / 2 - OUTAGE / 2 ))s: stopping ClickHouse"
stop_ch
sleep 5
echo "health during the outage: $(curl -s -w ' (%{http_code})' "http://127.0.0.1:$PORT/api/health")"
sleep $(( OUTAGE - 5 ))
echo "metrics before ClickHouse returns: $(curl -s "http://127.0.0.1:$MPORT/metrics" | grep -E '^tally_(open_cells|spilled_records|checkpoint_failing|spills_total) ' | tr '\n' ' ')"
start_ch
echo "ClickHouse is back"
wait "$SOAK_PID"; SOAK_PID=
sleep 12 # a checkpoint or two, and any backoff
echo "health after: $(curl -s -w ' (%{http_code})' "http://127.0.0.1:$PORT/api/health")"

cat "$W/soak.csv"
cat "$W/soak.err" | grep -v '^ACKED'
ACKED=$(sed -n 's/^ACKED //p' "$W/soak.err")
COUNTED=$(curl -s -X POST "http://127.0.0.1:$PORT/api/v2/query" -H "Authorization: Bearer $KEY" \
	-d '{"site_id":"example.com","metrics":["pageviews"],"date_range":"7d"}' | python3 -c 'import json,sys; print(int(json.load(sys.stdin)["results"][0]["metrics"][0]))')
curl -s "http://127.0.0.1:$MPORT/metrics" | grep -E '^tally_(hits_accepted_total|hits_dropped_total|spills_total|spill_replays_total|checkpoint_failures_total|open_cells) ' || true
curl -s "http://127.0.0.1:$MPORT/metrics" | grep -E '^tally_hits_dropped_total\{reason="(overload|cells_full|error)"\}' || true
echo "log lines about the outage:"
grep -E 'checkpoint failed|spilled|replayed|succeeded again|overload' "$W/tally.log" | head -3
grep -cE 'checkpoint failed' "$W/tally.log" | sed 's/^/  checkpoint failed lines: /'
grep -E 'spilled|replayed|succeeded again|overload' "$W/tally.log" | tail -3
echo "acknowledged $ACKED, counted $COUNTED, lost $(( ACKED - COUNTED ))"
[ "$ACKED" = "$COUNTED" ]
