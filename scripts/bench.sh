#!/usr/bin/env bash
# Measures a full and a no-change incremental sync of a simulated Jira site,
# then `analyzer compute`, against a local PostgreSQL: wall time, requests and
# peak RSS (GNU time). Usage:
#   scripts/bench.sh [ISSUES] [TEAMS] [LATENCY]      e.g. scripts/bench.sh 100000 72 0s
# Needs a PostgreSQL at $BENCH_DATABASE_ADMIN_URL (default the local server).
set -euo pipefail
cd "$(dirname "$0")/.."
issues=${1:-100000}
teams=${2:-72}
latency=${3:-0s}
admin=${BENCH_DATABASE_ADMIN_URL:-postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable}
db=analyzer_bench_$$
work=$(mktemp -d)
trap 'kill $sim_pid 2>/dev/null || true; psql "$admin" -qc "DROP DATABASE IF EXISTS $db" >/dev/null 2>&1 || true; rm -rf "$work"' EXIT

go build -o "$work/analyzer" ./cmd/analyzer
go build -o "$work/jirasim" ./cmd/jirasim
port=$((20000 + $$ % 10000))
"$work/jirasim" --issues "$issues" --teams "$teams" --latency "$latency" --addr "127.0.0.1:$port" >"$work/sim.log" 2>&1 &
sim_pid=$!
sleep 1
psql "$admin" -qc "CREATE DATABASE $db"
export DATABASE_URL="${admin%/*}/$db?sslmode=disable"
cat >"$work/bench.yaml" <<YAML
jira:
  sites:
    - id: sim
      url: http://127.0.0.1:$port
      flavor: cloud
      email: sim@example.com
      token: sim-token
YAML
"$work/analyzer" --log-level warn migrate >/dev/null

measure() { # label, command...
	local label=$1; shift
	/usr/bin/time -f "%e s wall, %M KiB peak RSS" -o "$work/time" "$@" >"$work/out" 2>"$work/err" || { cat "$work/err"; exit 1; }
	echo "$label: $(tail -1 "$work/out")"
	echo "    $(cat "$work/time")"
}
echo "== $issues issues, $teams teams, latency $latency"
measure "full sync" "$work/analyzer" --log-level warn sync --config "$work/bench.yaml"
measure "no-change incremental sync" "$work/analyzer" --log-level warn sync --config "$work/bench.yaml"
measure "compute" "$work/analyzer" --log-level warn compute --config "$work/bench.yaml"
measure "compute again (week snapshots kept)" "$work/analyzer" --log-level warn compute --config "$work/bench.yaml"
