#!/usr/bin/env bash
# Compare the dashboard views of two revisions on identically generated data.
#
#   bench/dashboard/compare.sh BEFORE_REV AFTER_REV STORE PAGEVIEWS [DAYS=90] [RUNS=5]
#
#   STORE      sqlite or clickhouse
#   e.g.       bench/dashboard/compare.sh main~3 HEAD sqlite 300000
#              VIEWS=page,filter-page bench/dashboard/compare.sh ae10e0a HEAD clickhouse 1000000 90 5
#
# For each revision it checks the revision out in a temporary git worktree,
# overlays bench/dashboard/*.go and bench/synth/synth.go from AFTER_REV (so
# both run the same views on the same generated traffic: they use only the
# aggregate API the redesign keeps), builds the bench,
# fills a fresh store through that revision's own aggregator with the same
# synth parameters (fixed seed, same -end day), runs the views and removes
# the data. The revisions run one after the other, never at once. At the end
# it prints a side-by-side table (view, before ms, after ms, after/before)
# and the fill times and stored bytes per pageview of both.
#
# ClickHouse: one throwaway server (bench/clickhouse.sh of this checkout) in
# the temporary directory on free ports, a database per revision
# (bench_before, bench_after; each dropped after its run so its merges do not
# run beside the other's), stopped at exit. Needs clickhouse-server and
# clickhouse-client (Debian's 18.16 works).
#
# Environment:
#   VIEWS=a,b     views to run (default all; see bench/dashboard/views.go)
#   BUDGET=60s    stop repeating a view once its runs took this long (default: always RUNS)
#   CONCURRENT=1  run each page step's queries at once, as the dashboard does
#   RUN_TIMEOUT=  seconds one bench run (fill + views) may take (default 3600)
#   OUT=dir       also copy the raw outputs (before.out/.err, after.out/.err) there
#
# Everything else lives in one mktemp directory that is removed, with the
# worktrees and the server, on exit, error or interrupt.
set -euo pipefail

usage() { sed -n '2,4p' "$0" >&2; exit 2; }
[ $# -ge 4 ] && [ $# -le 6 ] || usage
BEFORE_REV=$1 AFTER_REV=$2 STORE=$3 PAGEVIEWS=$4 DAYS=${5:-90} RUNS=${6:-5}
case $STORE in sqlite | clickhouse) ;; *) usage ;; esac
VIEWS=${VIEWS:-all} BUDGET=${BUDGET:-0} RUN_TIMEOUT=${RUN_TIMEOUT:-3600}
EXTRA=()
[ "${CONCURRENT:-0}" = 1 ] && EXTRA+=(-concurrent)

HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(git -C "$HERE" rev-parse --show-toplevel)
BEFORE=$(git -C "$REPO" rev-parse --verify "$BEFORE_REV^{commit}")
AFTER=$(git -C "$REPO" rev-parse --verify "$AFTER_REV^{commit}")
END=$(date -u +%F) # both revisions' traffic ends at the start of this UTC day

TMP=$(mktemp -d "${TMPDIR:-/tmp}/tally-compare.XXXXXX")
CH_PID=""
cleanup() {
	set +e
	if [ -n "$CH_PID" ] && kill -0 "$CH_PID" 2>/dev/null; then
		kill "$CH_PID"
		for _ in $(seq 60); do kill -0 "$CH_PID" 2>/dev/null || break; sleep 0.5; done
		kill -0 "$CH_PID" 2>/dev/null && kill -9 "$CH_PID"
	fi
	for tag in before after; do
		[ -d "$TMP/src-$tag" ] && git -C "$REPO" worktree remove --force "$TMP/src-$tag"
	done
	rm -rf "$TMP"
	git -C "$REPO" worktree prune
}
trap cleanup EXIT
trap 'exit 130' INT TERM

echo "before: $BEFORE ($BEFORE_REV)"
echo "after:  $AFTER ($AFTER_REV)"
echo "store $STORE, $PAGEVIEWS pageviews over $DAYS days ending $END, $RUNS runs, views $VIEWS ${EXTRA[*]}"

# build TAG REV: the bench of REV with bench/dashboard/*.go and the traffic
# generator (bench/synth/synth.go) from AFTER, so both get the same hits.
build() {
	local tag=$1 rev=$2 src=$TMP/src-$1
	git -C "$REPO" worktree add --detach -q "$src" "$rev"
	rm -f "$src"/bench/dashboard/*.go
	git -C "$REPO" ls-tree --name-only "$AFTER" bench/dashboard/ | grep '\.go$' | while read -r f; do
		git -C "$REPO" show "$AFTER:$f" >"$src/$f"
	done
	git -C "$REPO" show "$AFTER:bench/synth/synth.go" >"$src/bench/synth/synth.go"
	# Revisions before the account package kept Site in aggregate.
	if [ ! -d "$src/account" ]; then
		sed -i -e '/"tally\/account"/d' -e 's/\baccount\./aggregate./g' "$src"/bench/dashboard/*.go
	fi
	(cd "$src" && go build -o "$TMP/bench-$tag" ./bench/dashboard)
}
build before "$BEFORE"
build after "$AFTER"

if [ "$STORE" = clickhouse ]; then
	export PATH="$PATH:/usr/sbin"
	command -v clickhouse-server >/dev/null && command -v clickhouse-client >/dev/null ||
		{ echo "clickhouse-server and clickhouse-client are needed (apt-get install clickhouse-server clickhouse-client)" >&2; exit 1; }
	# Free ports: a TCP port whose next two (HTTP, interserver) are free too.
	free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
	PORT=""
	for _ in $(seq 50); do
		p=$((20000 + RANDOM % 40000))
		if free "$p" && free $((p + 1)) && free $((p + 2)); then PORT=$p; break; fi
	done
	[ -n "$PORT" ] || { echo "no free ports found" >&2; exit 1; }
	bash "$HERE/../clickhouse.sh" "$TMP/ch" "$PORT" >"$TMP/ch.log" 2>&1 &
	CH_PID=$!
	for _ in $(seq 120); do
		clickhouse-client --port "$PORT" -q 'SELECT 1' >/dev/null 2>&1 && break
		kill -0 "$CH_PID" 2>/dev/null || { cat "$TMP/ch.log" >&2; echo "clickhouse-server died" >&2; exit 1; }
		sleep 0.5
	done
	clickhouse-client --port "$PORT" -q 'SELECT 1' >/dev/null || { echo "clickhouse-server did not answer in 60 s" >&2; exit 1; }
	echo "clickhouse-server $(clickhouse-client --port "$PORT" -q 'SELECT version()') on port $PORT"
fi

# run TAG: fill a fresh store and run the views.
run() {
	local tag=$1 args
	if [ "$STORE" = sqlite ]; then
		args=(-store sqlite -dir "$TMP/data-$tag")
	else
		args=(-store clickhouse -dsn "clickhouse://127.0.0.1:$PORT/bench_$tag")
	fi
	echo "running $tag ($(cut -d' ' -f1-3 /proc/loadavg) load average)"
	if ! timeout "$RUN_TIMEOUT" "$TMP/bench-$tag" "${args[@]}" -pageviews "$PAGEVIEWS" -days "$DAYS" -end "$END" \
		-runs "$RUNS" -views "$VIEWS" -budget "$BUDGET" "${EXTRA[@]}" >"$TMP/$tag.out" 2>"$TMP/$tag.err"; then
		tail -20 "$TMP/$tag.err" >&2
		echo "$tag failed (or took over $RUN_TIMEOUT s)" >&2
		exit 1
	fi
	if [ -n "${OUT:-}" ]; then mkdir -p "$OUT" && cp "$TMP/$tag.out" "$TMP/$tag.err" "$OUT/"; fi
	if [ "$STORE" = sqlite ]; then
		rm -rf "$TMP/data-$tag"
	else
		clickhouse-client --port "$PORT" -q "DROP DATABASE bench_$tag"
	fi
}
run before
run after

echo
awk '
FNR == 1 { file++ }
$1 == "VIEW" { ms[file, $2] = ($3 == "median") ? $4 : "error"; if (!($2 in seen)) { seen[$2] = 1; order[++n] = $2 } }
$1 == "FILL" { fill[file] = $9; pv[file] = $3 }
$1 == "STORED" && $2 == "bytes_per_pageview" { bpp[file] = $3 }
END {
	printf "%-22s %12s %12s %8s\n", "view", "before ms", "after ms", "ratio"
	for (i = 1; i <= n; i++) {
		v = order[i]; r = "-"
		if ((1, v) in ms && (2, v) in ms && ms[1, v] != "error" && ms[2, v] != "error" && ms[1, v] > 0) r = sprintf("%.2f", ms[2, v] / ms[1, v])
		printf "%-22s %12s %12s %8s\n", v, ((1, v) in ms) ? ms[1, v] : "-", ((2, v) in ms) ? ms[2, v] : "-", r
	}
	printf "%-22s %12s %12s\n", "fill seconds", fill[1], fill[2]
	printf "%-22s %12s %12s\n", "pageviews generated", pv[1], pv[2]
	printf "%-22s %12s %12s\n", "bytes per pageview", bpp[1], bpp[2]
	if (pv[1] != pv[2]) print "warning: the revisions generated different traffic"
}' "$TMP/before.out" "$TMP/after.out"
echo "(medians of up to $RUNS runs; ratio = after / before, below 1 is faster)"
