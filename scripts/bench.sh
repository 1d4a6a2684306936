#!/usr/bin/env bash
# Measures a full and a no-change incremental sync of a simulated Jira site
# (Cloud and Data Center, with and without latency per request), then
# `analyzer compute`, against a local PostgreSQL. Usage:
#
#   scripts/bench.sh [ISSUES] [TEAMS] [LATENCIES] [MODES]
#   scripts/bench.sh 100000 72 0s,50ms cloud,dc
#
# Per run it prints: wall time, requests, the ratio of wall time to the
# latency bound (requests x latency / jira.concurrency), the analyzer's CPU
# per synced issue (GNU time: user + system), PostgreSQL's CPU per issue (the
# run's own backends: utime + stime from /proc, sampled until they exit) and
# the analyzer's peak RSS.
#
# Environment:
#   BENCH_BASE=<commit>    also build that commit (git worktree, read-only) and
#                          measure it in the same run, before each "after" run,
#                          so the two can be compared as ratios
#   BENCH_CONCURRENCY=N    jira.concurrency (default 4)
#   BENCH_COMPUTE=0        skip compute (default: compute twice after the first
#                          mode's first latency)
#   BENCH_DATABASE_ADMIN_URL  the PostgreSQL to create scratch databases on
set -euo pipefail
cd "$(dirname "$0")/.."
issues=${1:-100000}
teams=${2:-72}
latencies=${3:-0s,50ms}
modes=${4:-cloud,dc}
conc=${BENCH_CONCURRENCY:-4}
admin=${BENCH_DATABASE_ADMIN_URL:-postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable}
work=$(mktemp -d)
sim_pid=
dbs=()
cleanup() {
	[ -n "$sim_pid" ] && kill "$sim_pid" 2>/dev/null || true
	for d in "${dbs[@]}"; do psql "$admin" -qc "DROP DATABASE IF EXISTS $d" >/dev/null 2>&1 || true; done
	if [ -d "$work/base" ]; then git worktree remove --force "$work/base" >/dev/null 2>&1 || true; fi
	rm -rf "$work"
}
trap cleanup EXIT

go build -o "$work/after" ./cmd/analyzer
go build -o "$work/jirasim" ./cmd/jirasim
builds=(after)
if [ -n "${BENCH_BASE:-}" ]; then
	git worktree add --detach "$work/base" "$BENCH_BASE" >/dev/null 2>&1
	(cd "$work/base" && go build -o "$work/before" ./cmd/analyzer)
	builds=(before after)
fi
tck=$(getconf CLK_TCK)

# pgcpu DB PID: samples the CPU ticks of DB's backends until PID exits and
# prints their sum in seconds (each backend's last sample).
pgcpu() {
	local db=$1 pid=$2 out=$work/pgcpu
	: >"$out"
	while kill -0 "$pid" 2>/dev/null; do
		for p in $(pgrep -f "postgres: .* $db " || true); do
			awk -v p="$p" '{print p, $14 + $15}' "/proc/$p/stat" 2>/dev/null >>"$out" || true
		done
		sleep 0.1
	done
	awk -v tck="$tck" '{ if ($2 > m[$1]) m[$1] = $2 } END { s = 0; for (p in m) s += m[p]; printf "%.2f", s / tck }' "$out"
}

# run BIN DB LABEL LATENCY ARGS...: one analyzer command under GNU time.
run() {
	local bin=$1 db=$2 label=$3 lat=$4; shift 4
	/usr/bin/time -f "%e %U %S %M" -o "$work/time" "$work/$bin" --log-level warn "$@" --config "$work/bench.yaml" \
		>"$work/out" 2>"$work/err" &
	local apid=$!
	local pg
	pg=$(pgcpu "$db" "$apid")
	wait "$apid" || { cat "$work/err"; exit 1; }
	read -r wall usr sys rss <"$work/time"
	local line reqs n
	line=$(tail -1 "$work/out")
	reqs=$(sed -n 's/.* \([0-9]*\) request(s).*/\1/p' <<<"$line")
	n=$(sed -n 's/^synced [0-9]* board(s), [0-9]* sprint(s), \([0-9]*\) issue(s).*/\1/p' <<<"$line")
	awk -v label="$label" -v bin="$bin" -v wall="$wall" -v usr="$usr" -v sys="$sys" -v rss="$rss" -v pg="$pg" \
		-v reqs="${reqs:-0}" -v n="${n:-0}" -v lat="$lat" -v conc="$conc" 'BEGIN {
		ms = lat; if (ms ~ /ms$/) { sub(/ms$/, "", ms) } else { sub(/s$/, "", ms); ms *= 1000 }
		bound = reqs * ms / 1000 / conc
		ratio = bound > 0 ? sprintf("%.2f", wall / bound) : "-"
		cpu = (usr + sys)
		per = n > 0 ? sprintf("%.0f", cpu / n * 1e6) : "-"
		pgper = n > 0 ? sprintf("%.0f", pg / n * 1e6) : "-"
		printf "%-7s %-34s %8.1fs %6d req %7s x bound %6.1fs cpu %6s us/issue  pg %6.1fs %6s us/issue %6.0f MB\n",
			bin, label, wall, reqs, ratio, cpu, per, pg, pgper, rss / 1024
	}'
}

port=$((20000 + $$ % 10000))
echo "== $issues issues, $teams teams, jira.concurrency $conc, $(nproc) cores; columns: wall, requests, wall / latency bound, analyzer CPU, per issue, PostgreSQL CPU, per issue, peak RSS"
first=1
for mode in ${modes//,/ }; do
	for lat in ${latencies//,/ }; do
		"$work/jirasim" --mode "$mode" --issues "$issues" --teams "$teams" --latency "$lat" --addr "127.0.0.1:$port" >"$work/sim.log" 2>&1 &
		sim_pid=$!
		sleep 1
		if [ "$mode" = dc ]; then auth="pat: sim-pat"; else auth=$'email: sim@example.com\n      token: sim-token'; fi
		cat >"$work/bench.yaml" <<YAML
jira:
  concurrency: $conc
  sites:
    - id: sim
      url: http://127.0.0.1:$port
      flavor: $mode
      $auth
YAML
		for bin in "${builds[@]}"; do
			db=analyzer_bench_$$_${bin}_${mode}_${lat//[^a-z0-9]/_}
			dbs+=("$db")
			psql "$admin" -qc "CREATE DATABASE $db"
			export DATABASE_URL="${admin%/*}/$db?sslmode=disable"
			"$work/$bin" --log-level warn migrate --config "$work/bench.yaml" >/dev/null
			run "$bin" "$db" "$mode $lat full sync" "$lat" sync
			run "$bin" "$db" "$mode $lat no-change sync" "$lat" sync
			if [ "$first" = 1 ] && [ "${BENCH_COMPUTE:-1}" != 0 ]; then
				run "$bin" "$db" "compute" 0s compute
				run "$bin" "$db" "compute again (week snapshots kept)" 0s compute
			fi
			psql "$admin" -qc "DROP DATABASE IF EXISTS $db"
		done
		first=0
		kill "$sim_pid" 2>/dev/null || true
		wait "$sim_pid" 2>/dev/null || true
		sim_pid=
	done
done
