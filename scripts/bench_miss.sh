#!/usr/bin/env bash
# Cost of a response-cache MISS (the first request after a write) with 2,000 and 100,000 events
# stored, for the same results where the data allow it; then resident memory of the 100,000-event
# server after a round of pages, JSON and feeds (identity and gzip).
#
#   scripts/bench_miss.sh                 # needs python3 and curl; builds the release binary
#   RUNS=9 scripts/bench_miss.sh          # timings per URL (median reported; default 7)
#   COUNTS="2000 100000" scripts/bench_miss.sh
#   TURNOUT_BIN=/tmp/turnout-old scripts/bench_miss.sh   # another build, not rebuilt
#   ONLY='ics' scripts/bench_miss.sh      # only the URLs matching this regular expression
#
# The databases are built as scripts/bench_cache.sh builds them (shared/bench-data/gen_events.py →
# scripts/bench_data.py → `turnout import`) and kept in target/bench/. Every event is in the action
# "bench-action"; "ten-event-partner" endorses ten. Each timing is one GET right after a write
# through the API (PATCH of a bench online action's count, with an admin token), so the response
# cache is empty and the request pays the whole build: queries, rendering, compression for the
# cache. Feeds keep their VEVENT fragment cache (an online action's edit does not change what a
# VEVENT shows). Times are curl's time_total in milliseconds. Figures go to docs/PERFORMANCE.md.
set -euo pipefail
# REPO=path: the checkout to build and measure (default: the one holding this script), so a copy
# of the script can run elsewhere.
cd "${REPO:-$(dirname "$0")/..}"
root=$PWD
bench=${BENCH_DIR:-$root/target/bench} # BENCH_DIR: where the databases are (and are built)
mkdir -p "$bench"
runs=${RUNS:-7}
counts=${COUNTS:-2000 100000}
port=18090
base=http://127.0.0.1:$port

for tool in python3 curl; do
  command -v "$tool" >/dev/null || { echo "bench_miss: $tool is required" >&2; exit 1; }
done

# TURNOUT_BIN=path measures another build (e.g. one from before a change) and skips the build.
if [ -z "${TURNOUT_BIN:-}" ]; then cargo build --release --quiet; fi
bin=${TURNOUT_BIN:-$root/target/release/turnout}

# A database of COUNT events from the shared generator (built once; the same as bench_cache.sh).
database() {
  local count=$1 db=$bench/feeds-$1.db
  # One build at a time per database (bench_cache.sh and bench_miss.sh share them); a partial
  # file of its own, so a second run never deletes the import of another.
  exec {lock}>"$bench/feeds-$count.lock"
  flock "$lock"
  if [ ! -f "$db" ]; then
    [ -f "$bench/events-$count.json" ] ||
      python3 ../shared/bench-data/gen_events.py --count "$count" --out "$bench/events-$count.json" >/dev/null
    python3 scripts/bench_data.py "$bench/events-$count.json" "$bench/import-$count.json" >/dev/null
    rm -f "$bench/feeds-$count.partial-"* # left by a run that was stopped (we hold the lock)
    TURNOUT_DATABASE_URL=$bench/feeds-$count.partial-$$.db RUST_LOG=error "$bin" import "$bench/import-$count.json" >/dev/null
    mv "$bench/feeds-$count.partial-$$.db" "$db"
    rm -f "$bench/feeds-$count.partial-$$.db"-*
  fi
  exec {lock}>&-
  echo "$db"
}

server_pid=
cleanup() { [ -z "$server_pid" ] || kill "$server_pid" 2>/dev/null || true; }
trap cleanup EXIT

start() { # DB
  TURNOUT_DATABASE_URL=$1 TURNOUT_LISTEN=127.0.0.1:$port TURNOUT_BASE_URL=$base \
    RUST_LOG=warn "$bin" serve >"$bench/miss-server.log" 2>&1 &
  server_pid=$!
  for _ in $(seq 200); do curl -sf "$base/healthz" >/dev/null && return; sleep 0.1; done
  echo "turnout did not start" >&2; exit 1
}
stop() { kill "$server_pid"; wait "$server_pid" 2>/dev/null || true; server_pid=; }

median() { tr ' ' '\n' | grep . | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

declare -A ms size
label=()
picked=
for count in $counts; do
  db=$(database "$count")
  # An admin token for the writes that empty the cache (one per database, kept beside it).
  if [ ! -f "$db.token" ]; then
    TURNOUT_DATABASE_URL=$db RUST_LOG=error "$bin" token create --name bench-miss | tail -1 >"$db.token"
  fi
  token=$(cat "$db.token")
  start "$db"
  auth=(-H "Authorization: Bearer $token" -H 'Content-Type: application/json')
  online=$(curl -sf "$base/api/v1/online-actions?limit=500" | python3 -c '
import json, sys
items = [o for o in json.load(sys.stdin)["online_actions"] if o["title"] == "Bench miss"]
print(items[0]["id"] if items else "")')
  if [ -z "$online" ]; then
    online=$(curl -sf "${auth[@]}" -X POST "$base/api/v1/online-actions" \
      -d '{"kind": "petition", "title": "Bench miss", "url": "https://example.org/bench", "count": 0}' |
      python3 -c 'import json, sys; print(json.load(sys.stdin)["id"])')
  fi
  event=$(curl -sf "$base/api/v1/events?limit=1" | python3 -c 'import json, sys; print(json.load(sys.stdin)["events"][0]["id"])')
  city=$(curl -sf "$base/api/v1/events?limit=1" | python3 -c 'import json, sys; print(json.load(sys.stdin)["events"][0]["venue"]["city"])')
  picked+="$count events: city $city, event $event; "
  city_q=$(python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1]))' "$city")
  urls=(
    "/"
    "/archive"
    "/actions/bench-action"
    "/partners/ten-event-partner"
    "/events/$event"
    "/api/v1/events?action=bench-action&limit=500"
    "/api/v1/events?limit=50"
    "/calendar.ics?city=$city_q"
    "/partners/ten-event-partner.ics"
    "/actions/bench-action.ics"
  )
  n=0
  for i in "${!urls[@]}"; do
    url=${urls[$i]}
    [[ $url =~ ${ONLY:-.} ]] || continue
    label[$i]=${url/\/events\/[0-9]*/\/events\/\{id\}}
    label[$i]=${label[$i]/city=*/city=C}
    curl -sf "$base$url" -o /dev/null # once, so that SQLite's page cache holds what it reads
    for _ in $(seq "$runs"); do
      n=$((n + 1))
      curl -sf "${auth[@]}" -X PATCH "$base/api/v1/online-actions/$online" -d "{\"count\": $n}" -o /dev/null
      ms[$count,$i]+="$(curl -sf -o /dev/null -w '%{time_total}' "$base$url" | awk '{printf "%.1f", $1 * 1000}') "
    done
    size[$count,$i]=$(curl -sf "$base$url" | wc -c)
  done
  if [ "$count" = "${counts##* }" ]; then
    # Memory after a round of everything above, identity and gzip, each after a write.
    for url in "${urls[@]}"; do
      for enc in identity gzip; do
        n=$((n + 1))
        curl -sf "${auth[@]}" -X PATCH "$base/api/v1/online-actions/$online" -d "{\"count\": $n}" -o /dev/null
        curl -sf -H "Accept-Encoding: $enc" "$base$url" -o /dev/null
      done
    done
    sleep 3 # the server gives freed memory back every 2 s (startup.rs, TRIM_EVERY)
    rss=$(awk '/VmRSS/ {print $2}' "/proc/$server_pid/status")
    hwm=$(awk '/VmHWM/ {print $2}' "/proc/$server_pid/status")
    anon=$(awk '/RssAnon/ {print $2}' "/proc/$server_pid/status")
    file=$(awk '/RssFile/ {print $2}' "/proc/$server_pid/status")
  fi
  stop
done

first=${counts%% *} last=${counts##* }
echo "Cache misses (ms, median of $runs, each right after a write), $first vs $last events stored"
printf '| %-46s | %9s | %9s | %6s | %-22s |\n' "URL" "$first" "$last" "ratio" "bytes $first / $last"
printf '|%s|%s|%s|%s|%s|\n' "------------------------------------------------" "-----------" "-----------" "--------" "------------------------"
for i in "${!label[@]}"; do
  [ -n "${ms[$first,$i]:-}" ] && [ -n "${ms[$last,$i]:-}" ] || continue
  a=$(echo "${ms[$first,$i]}" | median); b=$(echo "${ms[$last,$i]}" | median)
  printf '| %-46s | %9s | %9s | %6s | %-22s |\n' "${label[$i]}" "$a" "$b" \
    "$(python3 -c "print(f'{$b/max($a,0.01):.2f}')")" "${size[$first,$i]} / ${size[$last,$i]}"
done
echo "($picked)"
echo "(all runs: $(for k in "${!ms[@]}"; do printf '%s: %s; ' "$k" "${ms[$k]}"; done))" >"$bench/miss-runs.txt"
echo
echo "$last events stored, after a round of the URLs above (identity and gzip, each after a write): RSS $((rss / 1024)) MiB ($rss kB), peak $((hwm / 1024)) MiB ($hwm kB); anonymous $((anon / 1024)) MiB, file-backed (the binary, libraries) $((file / 1024)) MiB"
