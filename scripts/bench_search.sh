#!/usr/bin/env bash
# Time of `GET /api/v1/events?q=…` (and the feed and page with q) at 100,000 events.
#
#   scripts/bench_search.sh                      # release build of this checkout
#   BIN=path/to/turnout scripts/bench_search.sh  # another build (e.g. the LIKE search before FTS)
#
# Loads the shared data set (../shared/bench-data/gen_events.py --count 100000, converted by
# scripts/bench_data.py) once into target/bench/search-100000.db, copies it, lets the binary
# migrate the copy, serves it pinned to CPU 0 and asks each URL REPEAT times with curl pinned to
# CPU 1, one request at a time. Prints curl's total time of the first request, the median and
# p90 of the REPEAT after it, in ms, and the number of events on the API page or in the feed.
# Figures go to docs/PERFORMANCE.md.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
bench=$root/target/bench
mkdir -p "$bench"
repeat=${REPEAT:-41}
port=18090
count=100000

for tool in taskset python3 curl; do
  command -v "$tool" >/dev/null || { echo "bench_search: $tool is required" >&2; exit 1; }
done
if [ -z "${BIN:-}" ]; then
  cargo build --release --quiet
  BIN=$root/target/release/turnout
fi

src=$bench/search-$count.db
if [ ! -f "$src" ]; then
  python3 ../shared/bench-data/gen_events.py --count "$count" --out "$bench/events-$count.json" >/dev/null
  python3 scripts/bench_data.py "$bench/events-$count.json" "$bench/import-$count.json" >/dev/null
  rm -f "$src.partial"*
  start=$(date +%s.%N)
  TURNOUT_DATABASE_URL=$src.partial RUST_LOG=error "$BIN" import "$bench/import-$count.json" >/dev/null
  echo "import of $count events: $(python3 -c "print(f'{$(date +%s.%N) - $start:.1f}')") s"
  mv "$src.partial" "$src"
fi
db=$bench/search-run.db
rm -f "$db"*
cp "$src" "$db"
start=$(date +%s.%N)
TURNOUT_DATABASE_URL=$db RUST_LOG=error "$BIN" migrate >/dev/null
echo "migrate: $(python3 -c "print(f'{$(date +%s.%N) - $start:.1f}')") s; database $(du -m "$db" | cut -f1) MB"

TURNOUT_DATABASE_URL=$db TURNOUT_LISTEN=127.0.0.1:$port TURNOUT_BASE_URL=http://127.0.0.1:$port \
  RUST_LOG=warn taskset -c 0 "$BIN" serve >"$bench/search-serve.log" 2>&1 &
pid=$!
trap 'kill "$pid" 2>/dev/null || true' EXIT
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.1; done
base=http://127.0.0.1:$port

# Milliseconds of one request: "first median p90 events". The first (kept in $bench/search-body)
# is a cache miss for a feed; the REPEAT after it are hits there.
timing() {
  local first
  first=$(taskset -c 1 curl -sf -o "$bench/search-body" -w '%{time_total}' "$1")
  for _ in $(seq "$repeat"); do
    taskset -c 1 curl -sf -o /dev/null -w '%{time_total}\n' "$1"
  done | sort -g | awk -v first="$first" '{a[NR]=$1*1000} END {printf "%.1f %.1f %.1f ", first*1000, a[int((NR+1)/2)], a[int(NR*0.9+0.5)]}'
  python3 -c 'import json,sys
body = open(sys.argv[1], "rb").read()
if body.startswith(b"BEGIN:VCALENDAR"): print(body.count(b"BEGIN:VEVENT"))
else:
    try: print(len(json.loads(body)["events"]))
    except Exception: print("-")' "$bench/search-body"
}

printf '| %-40s | %7s | %8s | %9s | %7s |\n' "request" "events" "first ms" "median ms" "p90 ms"
printf '|%s|%s|%s|%s|%s|\n' "------------------------------------------" "---------:" "---------:" "----------:" "--------:"
for path in \
  "/api/v1/events" \
  "/api/v1/events?q=community" \
  "/api/v1/events?q=welcome" \
  "/api/v1/events?q=cheyenne" \
  "/api/v1/events?q=chess%20boise" \
  "/api/v1/events?q=zeppelin" \
  "/api/v1/events?q=pot" \
  "/api/v1/events?q=c" \
  "/api/v1/events?q=community&limit=500" \
  "/calendar.ics?q=cheyenne" \
  "/" \
  "/?q=community" \
  "/?q=cheyenne"; do
  read -r first med p90 n < <(timing "$base$path")
  printf '| %-40s | %7s | %8s | %9s | %7s |\n' "\`${path//%20/ }\`" "$n" "$first" "$med" "$p90"
done
