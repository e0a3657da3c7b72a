#!/usr/bin/env bash
# Load on the routing feed: GET /v1/routing/staffing from wrk (Debian package `wrk`) against the
# release server on the embedded SQLite store, with the sample roster published.
#   scripts/load_staffing.sh [ROSTER_DIR] [SECONDS] [CONNECTIONS]
# ROSTER_DIR is a folder `peakplan schedule --out` wrote (default: out/roster, scheduled first when
# missing). Prints wrk's report with latency percentiles.
set -euo pipefail
cd "$(dirname "$0")/.."
roster="${1:-out/roster}"
seconds="${2:-20}"
connections="${3:-64}"
command -v wrk >/dev/null || { echo "install wrk first: apt-get install wrk" >&2; exit 1; }
cargo build --release --locked --bin peakplan
bin="${CARGO_TARGET_DIR:-target}/release/peakplan"
[ -f "$roster/plan.json" ] || "$bin" schedule --scenario models/promo-peak.toml --out "$roster"

work="$(mktemp -d)"
trap 'kill "$server" 2>/dev/null || true; rm -rf "$work"' EXIT
export DATABASE_URL="sqlite://$work/load.sqlite"
"$bin" publish "$roster"
token="$("$bin" token create --role routing 2>/dev/null)"
"$bin" serve --listen 127.0.0.1:18088 > "$work/serve.out" 2>&1 &
server=$!
sleep 1
at="$(python3 -c "import json,sys,datetime;p=json.load(open(sys.argv[1]));t=datetime.datetime.fromisoformat(p['start'].replace('Z','+00:00'))+datetime.timedelta(days=8,hours=3,minutes=7);print(t.strftime('%Y-%m-%dT%H:%M:%SZ'))" "$roster/plan.json")"
curl -sf -H "Authorization: Bearer $token" "http://127.0.0.1:18088/v1/routing/staffing?at=$at" > /dev/null
wrk -t 2 -c "$connections" -d "${seconds}s" --latency \
    -H "Authorization: Bearer $token" "http://127.0.0.1:18088/v1/routing/staffing?at=$at"
