#!/usr/bin/env bash
# Crash safety under kill -9: syncs a simulated site cleanly into one database,
# then into another with `analyzer sync` killed by SIGKILL at random moments
# until a run completes, and compares the tables (checksums of every synced
# table, leaving out the columns that record when a row was written).
# Usage: scripts/killloop.sh [ISSUES] [TEAMS] [MODE]    e.g. scripts/killloop.sh 20000 8 cloud
# Needs a PostgreSQL at $BENCH_DATABASE_ADMIN_URL (default the local server).
set -euo pipefail
cd "$(dirname "$0")/.."
issues=${1:-20000}
teams=${2:-8}
mode=${3:-cloud}
admin=${BENCH_DATABASE_ADMIN_URL:-postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable}
work=$(mktemp -d)
clean=analyzer_kill_clean_$$
killed=analyzer_kill_killed_$$
trap 'kill $sim_pid 2>/dev/null || true; psql "$admin" -qc "DROP DATABASE IF EXISTS $clean" -qc "DROP DATABASE IF EXISTS $killed" >/dev/null 2>&1 || true; rm -rf "$work"' EXIT

go build -o "$work/analyzer" ./cmd/analyzer
go build -o "$work/jirasim" ./cmd/jirasim
port=$((21000 + $$ % 10000))
"$work/jirasim" --mode "$mode" --issues "$issues" --teams "$teams" --addr "127.0.0.1:$port" >"$work/sim.log" 2>&1 &
sim_pid=$!
sleep 1
if [ "$mode" = dc ]; then cred="pat: sim-pat"; else cred=$'email: sim@example.com\n      token: sim-token'; fi
cat >"$work/c.yaml" <<YAML
jira:
  sites:
    - id: sim
      url: http://127.0.0.1:$port
      flavor: $mode
      $cred
YAML
url() { echo "${admin%/*}/$1?sslmode=disable"; }
psql "$admin" -qc "CREATE DATABASE $clean" -qc "CREATE DATABASE $killed"
DATABASE_URL=$(url $clean) "$work/analyzer" --log-level warn sync --config "$work/c.yaml" >/dev/null

kills=0
while :; do
	DATABASE_URL=$(url $killed) "$work/analyzer" --log-level warn sync --config "$work/c.yaml" >"$work/out" 2>&1 &
	pid=$!
	sleep "$(awk -v r=$RANDOM 'BEGIN { printf "%.2f", 0.3 + (r % 250) / 100 }')"
	if kill -9 "$pid" 2>/dev/null; then
		wait "$pid" 2>/dev/null || true
		kills=$((kills + 1))
		stored=$(psql -At "$(url $killed)" -c "SELECT count(*) FROM issues" 2>/dev/null || echo 0)
		echo "kill $kills: $stored issues stored"
		continue
	fi
	wait "$pid" || { cat "$work/out"; exit 1; }
	echo "run $((kills + 1)) completed: $(tail -1 "$work/out")"
	break
done

sum() {
	psql -At "$(url "$1")" <<'SQL'
SELECT 'boards', count(*) || ':' || md5(string_agg(t::text, '|' ORDER BY t::text)) FROM (SELECT site_id, board_id, name, board_type, project_key, columns::text, estimation_field, estimation_source FROM boards) t
UNION ALL SELECT 'sprints', count(*) || ':' || md5(string_agg(t::text, '|' ORDER BY t::text)) FROM (SELECT * FROM sprints) t
UNION ALL SELECT 'issues', count(*) || ':' || md5(string_agg(t::text, '|' ORDER BY t::text)) FROM (SELECT site_id, issue_id, issue_key, summary, issue_type, status_id, estimate, labels, sprint_ids, created_at, updated_at, resolved_at, changelog_complete, changelog_dropped, raw::text FROM issues) t
UNION ALL SELECT 'changelog_items', count(*) || ':' || md5(string_agg(t::text, '|' ORDER BY t::text)) FROM (SELECT * FROM changelog_items) t
UNION ALL SELECT 'sprint_events', count(*) || ':' || md5(string_agg(t::text, '|' ORDER BY t::text)) FROM (SELECT * FROM sprint_events) t
UNION ALL SELECT 'board_issues', count(*) || ':' || md5(string_agg(t::text, '|' ORDER BY t::text)) FROM (SELECT site_id, board_id, issue_id, removed_at IS NULL FROM board_issues) t;
SQL
}
sum $clean >"$work/clean.sum"
sum $killed >"$work/killed.sum"
echo "== $kills kill -9 before a run completed; table checksums (clean | killed and resumed):"
paste -d'|' "$work/clean.sum" "$work/killed.sum"
if cmp -s "$work/clean.sum" "$work/killed.sum"; then echo "identical"; else echo "DIFFERENT"; exit 1; fi
