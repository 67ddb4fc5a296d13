#!/usr/bin/env bash
# Load test of the cached feed path against nginx serving the same bytes as a static file.
#
#   scripts/bench_http.sh            # needs wrk and nginx (apt-get install wrk nginx-light)
#
# Turnout and nginx (one worker) each run pinned to CPU 0, wrk to CPU 1, one after the other in
# the same run, on the shared 2,000-event data set (all events in one action). Reports requests/s
# for 200 and 304 answers, identity and gzip, and the Turnout/nginx ratio. Then measures resident
# memory with 100,000 events stored. Figures go to docs/PERFORMANCE.md.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
bench=$root/target/bench
mkdir -p "$bench"
duration=${DURATION:-10}
conns=${CONNECTIONS:-32}
port_t=18080
port_n=18081

for tool in wrk nginx taskset python3 curl; do
  command -v "$tool" >/dev/null || { echo "bench_http: $tool is required" >&2; exit 1; }
done

cargo build --release --quiet
bin=$root/target/release/turnout

# A database of COUNT events from the shared generator (built once).
database() {
  local count=$1 db=$bench/feeds-$1.db
  if [ ! -f "$db" ]; then
    python3 ../shared/bench-data/gen_events.py --count "$count" --out "$bench/events-$count.json" >/dev/null
    python3 scripts/bench_data.py "$bench/events-$count.json" "$bench/import-$count.json" >/dev/null
    rm -f "$bench/feeds-$count.partial.db"*
    TURNOUT_DATABASE_URL=$bench/feeds-$count.partial.db RUST_LOG=error "$bin" import "$bench/import-$count.json" >/dev/null
    mv "$bench/feeds-$count.partial.db" "$db"
  fi
  echo "$db"
}

pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT

start_turnout() {
  TURNOUT_DATABASE_URL=$1 TURNOUT_LISTEN=127.0.0.1:$port_t TURNOUT_BASE_URL=http://127.0.0.1:$port_t \
    RUST_LOG=warn taskset -c 0 "$bin" serve >"$bench/turnout.log" 2>&1 &
  pids+=($!)
  turnout_pid=$!
  for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port_t/healthz" >/dev/null && return; sleep 0.1; done
  echo "turnout did not start" >&2; exit 1
}

rps() { # URL [header...]
  local url=$1; shift
  local args=()
  for h in "$@"; do args+=(-H "$h"); done
  taskset -c 1 wrk -t1 -c"$conns" -d"${duration}s" "${args[@]}" "$url" | awk '/Requests\/sec/ {print $2}'
}

if [ "${SKIP_THROUGHPUT:-}" != 1 ]; then
db=$(database 2000)
start_turnout "$db"
feed=http://127.0.0.1:$port_t/actions/bench-action.ics
curl -sf "$feed" -o "$bench/www-feed.ics"
etag=$(curl -sfI "$feed" | awk 'tolower($1)=="etag:" {print $2}' | tr -d '\r')
etag_gz=$(curl -sfI -H 'Accept-Encoding: gzip' "$feed" | awk 'tolower($1)=="etag:" {print $2}' | tr -d '\r')
bytes=$(stat -c %s "$bench/www-feed.ics")
gz_bytes=$(curl -sf -H 'Accept-Encoding: gzip' "$feed" | wc -c)

# nginx: the same bytes as a static file, gzip_static with a pre-compressed copy (as Turnout keeps).
www=$bench/www; rm -rf "$www"; mkdir -p "$www"
cp "$bench/www-feed.ics" "$www/feed.ics"
gzip -6 -k "$www/feed.ics"
cat >"$bench/nginx.conf" <<CONF
worker_processes 1;
daemon off;
pid $bench/nginx.pid;
error_log $bench/nginx-error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  sendfile on;
  tcp_nopush on;
  types { text/calendar ics; }
  server {
    listen 127.0.0.1:$port_n;
    root $www;
    gzip_static on;
    gzip_vary on;
  }
}
CONF
taskset -c 0 nginx -c "$bench/nginx.conf" -p "$bench" &
pids+=($!)
nginx_pid=$!
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port_n/feed.ics" -o /dev/null && break; sleep 0.1; done
static=http://127.0.0.1:$port_n/feed.ics
n_etag=$(curl -sfI "$static" | awk 'tolower($1)=="etag:" {print $2}' | tr -d '\r')
n_etag_gz=$(curl -sfI -H 'Accept-Encoding: gzip' "$static" | awk 'tolower($1)=="etag:" {print $2}' | tr -d '\r')
cmp -s <(curl -sf "$static") "$bench/www-feed.ics" || { echo "nginx serves other bytes" >&2; exit 1; }

# Both servers idle on CPU 0; each case alternates Turnout and nginx, ROUNDS times; medians.
rounds=${ROUNDS:-3}
declare -A runs
measure() { # name turnout-args -- nginx-args
  local name=$1; shift
  local t_args=() n_args=()
  while [ "$1" != "--" ]; do t_args+=("$1"); shift; done; shift
  n_args=("$@")
  for _ in $(seq "$rounds"); do
    runs[$name.t]+="$(rps "${t_args[@]}") "
    runs[$name.n]+="$(rps "${n_args[@]}") "
  done
}
median() { tr ' ' '\n' | grep . | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
measure 200 "$feed" -- "$static"
measure 200gz "$feed" "Accept-Encoding: gzip" -- "$static" "Accept-Encoding: gzip"
measure 304 "$feed" "If-None-Match: $etag" -- "$static" "If-None-Match: $n_etag"
measure 304gz "$feed" "Accept-Encoding: gzip" "If-None-Match: $etag_gz" -- "$static" "Accept-Encoding: gzip" "If-None-Match: $n_etag_gz"
kill "$turnout_pid" "$nginx_pid"; wait "$turnout_pid" "$nginx_pid" 2>/dev/null || true

ratio() { python3 -c "print(f'{float($1)/float($2):.2f}')"; }
echo
echo "2,000-event action feed: $bytes bytes, $gz_bytes gzipped; wrk -c$conns -d${duration}s, median of $rounds alternating rounds; servers on CPU 0, wrk on CPU 1"
printf '| %-14s | %12s | %12s | %6s |\n' "answer" "Turnout r/s" "nginx r/s" "ratio"
printf '|%s|%s|%s|%s|\n' "----------------" "--------------" "--------------" "--------"
for case in "200 identity:200" "200 gzip:200gz" "304 identity:304" "304 gzip:304gz"; do
  label=${case%%:*}; key=${case##*:}
  t=$(echo "${runs[$key.t]}" | median); n=$(echo "${runs[$key.n]}" | median)
  printf '| %-14s | %12s | %12s | %6s |\n' "$label" "$t" "$n" "$(ratio "$t" "$n")"
done
echo "(all rounds — Turnout: 200 ${runs[200.t]}| gzip ${runs[200gz.t]}| 304 ${runs[304.t]}| 304 gzip ${runs[304gz.t]})"
echo "(all rounds — nginx:   200 ${runs[200.n]}| gzip ${runs[200gz.n]}| 304 ${runs[304.n]}| 304 gzip ${runs[304gz.n]})"

fi

if [ "${SKIP_RSS:-}" = 1 ]; then exit 0; fi
# Resident memory with 100,000 events stored, after serving typical requests.
db=$(database 100000)
start_turnout "$db"
base=http://127.0.0.1:$port_t
for path in /partners/ten-event-partner.ics "/calendar.ics?city=Kansas%20City" "/api/v1/events?limit=500" /api/v1/actions /api/v1/partners; do
  for _ in 1 2 3; do curl -sf -H 'Accept-Encoding: gzip' "$base$path" -o /dev/null; done
done
rss() { awk '/VmRSS/ {print $2" "$3}' "/proc/$turnout_pid/status"; }
hwm() { awk '/VmHWM/ {print $2" "$3}' "/proc/$turnout_pid/status"; }
echo
echo "100,000 events stored: RSS $(rss) (peak $(hwm)) after feeds of a partner and a city, API pages, actions, partners"
curl -sf "$base/actions/bench-action.ics" -o /dev/null
echo "after also rendering the 100,000-event action feed (capped at 20,000 events): RSS $(rss) (peak $(hwm))"
