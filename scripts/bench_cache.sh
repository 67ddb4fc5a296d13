#!/usr/bin/env bash
# Every cached public answer against nginx serving the same bytes as static files.
#
#   scripts/bench_cache.sh           # needs wrk, nginx, curl, taskset (apt-get install wrk nginx-light)
#   SKIP_WRK=1 WRITES=15 scripts/bench_cache.sh   # only the write and memory figures
#   TURNOUT_BIN=/tmp/turnout-old scripts/bench_cache.sh   # another build, not rebuilt
#
# On the shared 2,000-event data set (all events in one action): the action feed, the home page,
# the action page and a 500-event JSON page, each as Turnout serves it from its cache and as
# nginx serves the same bytes (gzip_static with a copy pre-compressed at Turnout's level, 6).
# Both servers pinned to CPU 0 (one nginx worker), wrk on CPU 1; each case alternates Turnout and
# nginx ROUNDS times (default 3) and reports medians and the Turnout/nginx ratio. Then the first
# gzip answer of the action feed after a write (median of WRITES writes), and resident memory with
# 100,000 events stored after a round of pages, JSON and feeds (SKIP_RSS=1 skips it; SKIP_WRK=1
# skips the throughput table). The write figure is given twice: curl's time to first byte, and the
# server's own time for the request (its request log at DEBUG, `micros`: from the request reaching
# the app to the answer being ready, so cache lookup, render, ETag and gzip, not the transfer),
# and the CPU time the server's threads spent on it (/proc/PID/task/*/schedstat, without the
# background brotli thread), which waiting for a busy core does not inflate.
# Supersedes scripts/bench_http.sh (the feed alone). Figures go to docs/PERFORMANCE.md.
set -euo pipefail
# REPO=path: the checkout to build and measure (default: the one holding this script), so a copy
# of the script can run elsewhere.
cd "${REPO:-$(dirname "$0")/..}"
root=$PWD
bench=$root/target/bench
mkdir -p "$bench"
duration=${DURATION:-10}
conns=${CONNECTIONS:-32}
rounds=${ROUNDS:-3}
writes=${WRITES:-15}
port_t=18080
port_n=18081

for tool in wrk nginx taskset python3 curl gzip; do
  command -v "$tool" >/dev/null || { echo "bench_cache: $tool is required" >&2; exit 1; }
done

# TURNOUT_BIN=path measures another build and skips the build. Note that `cargo build` builds the
# working tree as it is, uncommitted changes (and their migrations) included.
if [ -z "${TURNOUT_BIN:-}" ]; then cargo build --release --quiet; fi
bin=${TURNOUT_BIN:-$root/target/release/turnout}

# A database of COUNT events from the shared generator (built once; the same as bench_miss.sh).
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

pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT

start_turnout() { # DB [log filter]
  # Migrations first (a new index on 100,000 events takes a while), so the wait below is the start.
  TURNOUT_DATABASE_URL=$1 RUST_LOG=error "$bin" migrate >/dev/null
  TURNOUT_DATABASE_URL=$1 TURNOUT_LISTEN=127.0.0.1:$port_t TURNOUT_BASE_URL=http://127.0.0.1:$port_t \
    RUST_LOG=${2:-warn} TURNOUT_LOG__FORMAT=json taskset -c 0 "$bin" serve >"$bench/turnout.log" 2>&1 &
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
header_of() { # URL NAME [header...]
  local url=$1 name=$2; shift 2
  local args=()
  for h in "$@"; do args+=(-H "$h"); done
  curl -sf -o /dev/null -D - "${args[@]}" "$url" | awk -v n="$(echo "$name" | tr A-Z a-z)" 'tolower($1)==n":" {print $2}' | tr -d '\r'
}
median() { tr ' ' '\n' | grep . | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
ratio() { python3 -c "print(f'{float($1)/float($2):.2f}')"; }

db=$(database 2000)
start_turnout "$db"
base=http://127.0.0.1:$port_t
# name|path
answers=(
  "action feed|/actions/bench-action.ics"
  "home page /|/"
  "action page|/actions/bench-action"
  "JSON, 500 events|/api/v1/events?action=bench-action&limit=500"
)

if [ "${SKIP_WRK:-}" != 1 ]; then # SKIP_WRK=1: only the write and memory figures
www=$bench/www; rm -rf "$www"; mkdir -p "$www"
i=0
for a in "${answers[@]}"; do
  path=${a##*|}
  curl -sf "$base$path" -o "$www/a$i"
  gzip -6 -k "$www/a$i"
  i=$((i + 1))
done
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
  default_type application/octet-stream;
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
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port_n/a0" -o /dev/null && break; sleep 0.1; done

declare -A runs
measure() { # key turnout-url [headers] -- nginx-url [headers]
  local key=$1; shift
  local t_args=() n_args=()
  while [ "$1" != "--" ]; do t_args+=("$1"); shift; done; shift
  n_args=("$@")
  for _ in $(seq "$rounds"); do
    runs[$key.t]+="$(rps "${t_args[@]}") "
    runs[$key.n]+="$(rps "${n_args[@]}") "
  done
}

rows=()
i=0
for a in "${answers[@]}"; do
  name=${a%%|*}; path=${a##*|}
  t_url=$base$path; n_url=http://127.0.0.1:$port_n/a$i
  cmp -s <(curl -sf "$n_url") <(curl -sf "$t_url") || { echo "nginx serves other bytes for $path" >&2; exit 1; }
  bytes=$(stat -c %s "$www/a$i"); gz=$(stat -c %s "$www/a$i.gz")
  t_gz=$(curl -sf -H 'Accept-Encoding: gzip' "$t_url" | wc -c)
  measure "$i.id" "$t_url" -- "$n_url"
  measure "$i.gz" "$t_url" "Accept-Encoding: gzip" -- "$n_url" "Accept-Encoding: gzip"
  rows+=("$name ($bytes B; gzip: Turnout $t_gz B, nginx $gz B)|$i")
  if [ "$i" = 0 ]; then
    etag=$(header_of "$t_url" etag); n_etag=$(header_of "$n_url" etag)
    measure "$i.304" "$t_url" "If-None-Match: $etag" -- "$n_url" "If-None-Match: $n_etag"
  fi
  i=$((i + 1))
done

echo
echo "Cached answers on the 2,000-event set; wrk -c$conns -d${duration}s, median of $rounds alternating rounds; servers on CPU 0, wrk on CPU 1"
printf '| %-62s | %-8s | %12s | %12s | %6s |\n' "answer" "form" "Turnout r/s" "nginx r/s" "ratio"
printf '|%s|%s|%s|%s|%s|\n' "$(printf -- '-%.0s' $(seq 64))" "----------" "--------------" "--------------" "--------"
for r in "${rows[@]}"; do
  label=${r%%|*}; i=${r##*|}
  for form in id gz 304; do
    [ -n "${runs[$i.$form.t]:-}" ] || continue
    t=$(echo "${runs[$i.$form.t]}" | median); n=$(echo "${runs[$i.$form.n]}" | median)
    case $form in id) f=identity ;; gz) f=gzip ;; 304) f=304 ;; esac
    printf '| %-62s | %-8s | %12s | %12s | %6s |\n' "$label" "$f" "$t" "$n" "$(ratio "$t" "$n")"
  done
done
echo
echo "All rounds (r/s, in the order run; Turnout and nginx alternate):"
for r in "${rows[@]}"; do
  label=${r%%|*}; i=${r##*|}
  for form in id gz 304; do
    [ -n "${runs[$i.$form.t]:-}" ] || continue
    echo "  ${label%% (*} $form: Turnout ${runs[$i.$form.t]}; nginx ${runs[$i.$form.n]}"
  done
done
kill "$nginx_pid"; wait "$nginx_pid" 2>/dev/null || true
fi

# The first gzip answer of the action feed after one event changes: a PATCH through the API, then
# the feed (a miss: the write moved the generation). time_starttransfer is when the first byte of
# the answer arrived, so it holds the whole server-side build (render, hash, compression) plus
# curl's connection and request on loopback; the server's request log (successful reads at DEBUG,
# hence the restart with that filter) gives the server's own time.
kill "$turnout_pid"; wait "$turnout_pid" 2>/dev/null || true
start_turnout "$db" "warn,turnout::telemetry=debug"
token=$(TURNOUT_DATABASE_URL=$db RUST_LOG=error "$bin" token create --name "bench-$$" | tail -1)
event_id=$(curl -sf "$base/api/v1/events?action=bench-action&limit=1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["events"][0]["id"])')
feed=$base/actions/bench-action.ics
curl -sf -H 'Accept-Encoding: gzip' "$feed" -o /dev/null
# CPU time (ns) of the server's threads so far, the background brotli thread left out.
cpu_ns() {
  local sum=0 t ns
  for t in /proc/"$turnout_pid"/task/*; do
    [ "$(cat "$t/comm" 2>/dev/null)" = turnout-brotli ] && continue
    read -r ns _ <"$t/schedstat" 2>/dev/null || continue
    sum=$((sum + ns))
  done
  echo "$sum"
}
firsts=""; hits=""; cpus=""
for n in $(seq "$writes"); do
  curl -sf -X PATCH -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
    -d "{\"description\": \"Changed for the benchmark, round $n.\"}" "$base/api/v1/events/$event_id" -o /dev/null
  sleep 0.2 # let the write's own after-work (change notification, trimming) settle
  c0=$(cpu_ns)
  firsts+="$(curl -sf -H 'Accept-Encoding: gzip' -o /dev/null -w '%{time_starttransfer}' "$feed") "
  c1=$(cpu_ns)
  cpus+="$(python3 -c "print(f'{($c1 - $c0) / 1e6:.1f}')") "
  hits+="$(curl -sf -H 'Accept-Encoding: gzip' -o /dev/null -w '%{time_starttransfer}' "$feed") "
done
ms() { python3 -c "import sys; print(f'{float(sys.argv[1])*1000:.1f}')" "$1"; }
kill "$turnout_pid"; wait "$turnout_pid" 2>/dev/null || true
# The server's time per request from its JSON request log: the first GET of the feed after each
# PATCH is the miss, the next one the hit (the warm-up GET before the first write is skipped).
server=$(python3 - "$bench/turnout.log" <<'PY'
import json, sys
firsts, hits, state = [], [], None
for line in open(sys.argv[1]):
    try:
        f = json.loads(line).get("fields", {})
    except ValueError:
        continue
    if f.get("message") != "request":
        continue
    if f.get("method") == "PATCH":
        state = "write"
    elif f.get("method") == "GET" and f.get("path") == "/actions/bench-action.ics" and state:
        (firsts if state == "write" else hits).append(f["micros"] / 1000)
        state = "first" if state == "write" else None
med = lambda xs: sorted(xs)[(len(xs) - 1) // 2] if xs else float("nan")
print(f"median {med(firsts):.1f} ms (a hit: {med(hits):.2f} ms); all: " + " ".join(f"{x:.1f}" for x in firsts))
PY
)
echo
echo "First gzip answer of the action feed after a write: median $(ms "$(echo "$firsts" | median)") ms to first byte (a hit: $(ms "$(echo "$hits" | median)") ms); all: $firsts"
echo "Same, server time (request log): $server"
echo "Same, server CPU time (all threads but brotli): median $(echo "$cpus" | median) ms; all: $cpus"

if [ "${SKIP_RSS:-}" = 1 ]; then exit 0; fi
# Resident memory with 100,000 events stored, after a round of pages, JSON and feeds.
db=$(database 100000)
start_turnout "$db"
for path in / /archive /actions /actions/bench-action /partners/ten-event-partner \
  /partners/ten-event-partner.ics "/calendar.ics?city=Kansas%20City" "/api/v1/events?limit=500" \
  "/api/v1/events?action=bench-action&limit=500" /api/v1/actions /api/v1/partners; do
  for enc in identity gzip br; do curl -sf -H "Accept-Encoding: $enc" "$base$path" -o /dev/null || echo "failed: $path" >&2; done
done
sleep 4 # the trimmer gives back what the round freed 2–3 s after it (src/memory.rs)
rss() { awk '/VmRSS/ {print $2" "$3}' "/proc/$turnout_pid/status"; }
hwm() { awk '/VmHWM/ {print $2" "$3}' "/proc/$turnout_pid/status"; }
echo
echo "100,000 events stored: RSS $(rss) (peak $(hwm)) after a round of pages, JSON and feeds in three encodings"
