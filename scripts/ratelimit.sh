#!/usr/bin/env bash
# A full sync of a simulated Cloud site that answers 429 beyond N requests per
# second, with each 429 header variant: wall time, requests, 429s and retries.
# Usage: scripts/ratelimit.sh [ISSUES] [TEAMS] [PER_SECOND]    e.g. scripts/ratelimit.sh 2000 4 3
set -euo pipefail
cd "$(dirname "$0")/.."
issues=${1:-2000}
teams=${2:-4}
rate=${3:-3}
admin=${BENCH_DATABASE_ADMIN_URL:-postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable}
work=$(mktemp -d)
db=analyzer_rl_$$
trap 'kill $sim_pid 2>/dev/null || true; psql "$admin" -qc "DROP DATABASE IF EXISTS $db" >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
go build -o "$work/analyzer" ./cmd/analyzer
go build -o "$work/jirasim" ./cmd/jirasim
for header in retry-after x-ratelimit-reset; do
	port=$((22000 + RANDOM % 10000))
	"$work/jirasim" --issues "$issues" --teams "$teams" --rate-limit "$rate" --rate-limit-header "$header" --addr "127.0.0.1:$port" >"$work/sim.log" 2>&1 &
	sim_pid=$!
	sleep 1
	psql "$admin" -qc "DROP DATABASE IF EXISTS $db" -qc "CREATE DATABASE $db"
	cat >"$work/c.yaml" <<YAML
jira:
  sites:
    - id: sim
      url: http://127.0.0.1:$port
      flavor: cloud
      email: sim@example.com
      token: sim-token
YAML
	/usr/bin/time -f "%e s wall, %U s user" -o "$work/time" env DATABASE_URL="${admin%/*}/$db?sslmode=disable" \
		"$work/analyzer" --log-level warn sync --config "$work/c.yaml" >"$work/out"
	kill -INT $sim_pid; wait $sim_pid 2>/dev/null || true
	echo "== --rate-limit $rate, $header: $(cat "$work/time")"
	echo "   analyzer: $(tail -1 "$work/out")"
	echo "   jirasim:  $(grep -o 'requests=[0-9]* rate_limited=[0-9]*' "$work/sim.log")"
done
