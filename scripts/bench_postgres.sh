#!/usr/bin/env bash
# PostgreSQL beside SQLite, and two instances against one, on the shared 2,000-event data set.
#
#   scripts/bench_postgres.sh        # needs wrk, curl, python3, taskset and PostgreSQL's server
#                                    # binaries (PG_BIN, default /usr/lib/postgresql/15/bin)
#
# End to end: builds the release binary, starts a throwaway PostgreSQL cluster of its own (initdb
# in a temporary directory, port PG_PORT, trust authentication, run as the `postgres` user when
# started as root), imports the same data set into it and into a fresh SQLite file, measures, and
# on exit stops its servers and the cluster and removes the cluster's directory.
#
# Part 1, SQLite against PostgreSQL: one `turnout serve` per backend, each pinned to CPU 0, wrk
# pinned to CPU 1 (wrk -t1 -cCONNECTIONS -dDURATION). PostgreSQL has no core of its own on a
# 2-core machine: it is pinned to CPU 0 with the servers (PG_CPUS), so both backends get the same
# single core (SQLite runs inside the server process). For each answer, ROUNDS rounds alternating
# SQLite and PostgreSQL; medians and the PostgreSQL/SQLite ratio, of requests/s and of the CPU time
# the serving side spent per request (the server's process, plus every process of the cluster for
# PostgreSQL; read from /proc around each wrk run), which other load on the machine moves less:
#   - the 2,000-event action feed, 200 with gzip, and 304 (gzip, If-None-Match)
#   - GET /api/v1/events?action=bench-action&limit=500
#   - the home page /
#   - the cache miss: the first request of the feed (identity, and gzip) after one event changed
#     through the API, curl's total time, MISSES per backend per round.
# Part 2, two instances against one, on one PostgreSQL database, nothing pinned (servers,
# PostgreSQL and wrk share both cores): two wrk processes (-c CONNECTIONS/2 each) run at once,
# both against instance A, or one against A and one against B; requests/s summed, and CPU per
# request of both servers and the cluster together.
#
#   ROUNDS=3 DURATION=10 MISSES=3 CONNECTIONS=32 PG_PORT=15432 PG_CPUS=0  (the defaults)
# Figures go to docs/PERFORMANCE.md.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
bench=$root/target/bench
mkdir -p "$bench"
duration=${DURATION:-10}
conns=${CONNECTIONS:-32}
rounds=${ROUNDS:-3}
misses=${MISSES:-3}
pg_bin=${PG_BIN:-/usr/lib/postgresql/15/bin}
pg_port=${PG_PORT:-15432}
pg_cpus=${PG_CPUS:-0}
port_s=18110 # SQLite
port_p=18111 # PostgreSQL (part 1), instance A (part 2)
port_q=18112 # PostgreSQL instance B (part 2)

for tool in wrk taskset python3 curl "$pg_bin/initdb" "$pg_bin/pg_ctl" "$pg_bin/createdb" "$pg_bin/psql"; do
  command -v "$tool" >/dev/null || { echo "bench_postgres: $tool is required" >&2; exit 1; }
done

cargo build --release --quiet
bin=$root/target/release/turnout

# The cluster runs as `postgres` when we are root (initdb refuses root).
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
pgdir=$(mktemp -d /tmp/turnout-bench-pg.XXXXXX)
[ "$(id -u)" = 0 ] && chown postgres: "$pgdir"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  as_pg "$pg_bin/pg_ctl" -D "$pgdir/data" -m fast stop >/dev/null 2>&1 || true
  rm -rf "$pgdir"
}
trap cleanup EXIT

pg_start() { # [cpus to pin the cluster to]
  local cmd=("$pg_bin/pg_ctl" -D "$pgdir/data" -l "$pgdir/log" -w
    -o "-p $pg_port -k $pgdir -c listen_addresses=127.0.0.1" start)
  [ "$(id -u)" = 0 ] && cmd=(runuser -u postgres -- "${cmd[@]}")
  [ -n "${1:-}" ] && cmd=(taskset -c "$1" "${cmd[@]}")
  "${cmd[@]}" >/dev/null
}
pg_stop() { as_pg "$pg_bin/pg_ctl" -D "$pgdir/data" -m fast -w stop >/dev/null; }

as_pg "$pg_bin/initdb" -D "$pgdir/data" -A trust -U postgres >/dev/null
pg_start "$pg_cpus"
as_pg "$pg_bin/createdb" -h "$pgdir" -p "$pg_port" -U postgres bench
pg_url=postgres://postgres@127.0.0.1:$pg_port/bench

# The shared data set, converted once; imported fresh into both backends.
json=$bench/import-2000.json
if [ ! -f "$json" ]; then
  python3 ../shared/bench-data/gen_events.py --count 2000 --out "$bench/events-2000.json" >/dev/null
  python3 scripts/bench_data.py "$bench/events-2000.json" "$json" >/dev/null
fi
sqlite_db=$bench/pg-compare.db
rm -f "$sqlite_db"*
secs() { python3 -c "import sys; print(f'{float(sys.argv[2]) - float(sys.argv[1]):.1f}')" "$1" "$(date +%s.%N)"; }
for url in "$sqlite_db" "$pg_url"; do
  t0=$(date +%s.%N)
  TURNOUT_DATABASE_URL=$url RUST_LOG=error "$bin" import "$json" >/dev/null
  echo "import into ${url%%:*}: $(secs "$t0") s"
done
# Statistics and a checkpoint now, so that autovacuum's analyze of the fresh import and the
# checkpoint after it do not land in a measurement (on CPU 0, beside the servers).
as_pg "$pg_bin/psql" -q -h "$pgdir" -p "$pg_port" -U postgres -d bench -c 'VACUUM ANALYZE' -c 'CHECKPOINT'
token_s=$(TURNOUT_DATABASE_URL=$sqlite_db RUST_LOG=error "$bin" token create --name bench | tail -1)
token_p=$(TURNOUT_DATABASE_URL=$pg_url RUST_LOG=error "$bin" token create --name bench | tail -1)

start_server() { # name url port [cpus]; sets server_pid
  local name=$1 url=$2 port=$3 pin=()
  [ -n "${4:-}" ] && pin=(taskset -c "$4")
  TURNOUT_DATABASE_URL=$url TURNOUT_LISTEN=127.0.0.1:$port TURNOUT_BASE_URL=http://127.0.0.1:$port \
    RUST_LOG=warn "${pin[@]}" "$bin" serve >"$bench/pg-$name.log" 2>&1 &
  server_pid=$!
  pids+=("$server_pid")
  for _ in $(seq 150); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && return; sleep 0.1; done
  echo "turnout ($name) did not start; see $bench/pg-$name.log" >&2; exit 1
}
stop_server() { kill "$1"; wait "$1" 2>/dev/null || true; }

feed_path=/actions/bench-action.ics
api_path="/api/v1/events?action=bench-action&limit=500"
gz="Accept-Encoding: gzip"
header() { # base path header-name [request header]
  curl -sfI ${4:+-H "$4"} "$1$2" | awk -v h="$3" 'tolower($1)==h":" {print $2}' | tr -d '\r'
}
wrk_rps() { # cpu url [header...]: prints "requests/s requests"
  local cpu=$1 url=$2; shift 2
  local args=() pin=()
  for h in "$@"; do args+=(-H "$h"); done
  [ -n "$cpu" ] && pin=(taskset -c "$cpu")
  "${pin[@]}" wrk -t1 -c"$wrk_conns" -d"${duration}s" "${args[@]}" "$url" |
    awk '/Requests\/sec/ {r=$2} / requests in / {n=$1} END {print r, n}'
}
# CPU time the serving side spent (clock ticks): the given processes, and with "pg" the cluster's
# processes too (postmaster and its children: the backends of the pools, background workers).
cpu_ticks() {
  local t=0 p ps=()
  for p in "$@"; do
    if [ "$p" = pg ]; then
      local pm; pm=$(head -1 "$pgdir/data/postmaster.pid")
      ps+=("$pm" $(ps -o pid= --ppid "$pm"))
    else ps+=("$p"); fi
  done
  for p in "${ps[@]}"; do
    [ -r "/proc/$p/stat" ] && t=$((t + $(awk '{print $14 + $15}' "/proc/$p/stat" 2>/dev/null || echo 0)))
  done
  echo "$t"
}
tick_us=$((1000000 / $(getconf CLK_TCK)))
# measure KEY "pids" cpu url [header...]: appends requests/s to runs[KEY] and µs of serving-side
# CPU per request to runs[cpu.KEY]; robust to other load on the machine, unlike requests/s.
measure() {
  local key=$1 who=$2; shift 2
  local t0 t1 out
  t0=$(cpu_ticks $who)
  out=$(wrk_rps "$@")
  t1=$(cpu_ticks $who)
  runs[$key]+="${out% *} "
  runs[cpu.$key]+="$(python3 -c "import sys; print(f'{(int(sys.argv[2]) - int(sys.argv[1])) * int(sys.argv[3]) / int(sys.argv[4]):.1f}')" "$t0" "$t1" "$tick_us" "${out#* }") "
}
median() { tr ' ' '\n' | grep . | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
ratio() { python3 -c "import sys; print(f'{float(sys.argv[1])/float(sys.argv[2]):.2f}')" "$1" "$2"; }
declare -A runs

# One event of the action (the first), changed by PATCH (its title) before each cache miss.
first_event() { curl -sf "$1/api/v1/events?action=bench-action&limit=1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["events"][0]["id"])'; }
change() { # base token n
  curl -sf -X PATCH -H "Authorization: Bearer $2" -H 'Content-Type: application/json' \
    -d "{\"title\": \"Bench change $3\"}" "$1/api/v1/events/$(first_event "$1")" -o /dev/null
}
miss_ms() { # base token n [request header]: ms of the first feed request after a change
  change "$1" "$2" "$3"
  taskset -c 1 curl -sf ${4:+-H "$4"} -o /dev/null -w '%{time_total}' "$1$feed_path" |
    awk '{printf "%.1f", $1 * 1000}'
}

# ---- Part 1: SQLite against PostgreSQL, servers and PostgreSQL on CPU 0, wrk on CPU 1 ----
start_server sqlite "$sqlite_db" "$port_s" 0; pid_s=$server_pid
start_server postgres "$pg_url" "$port_p" 0; pid_p=$server_pid
base_s=http://127.0.0.1:$port_s
base_p=http://127.0.0.1:$port_p
for b in "$base_s" "$base_p"; do
  for p in "$feed_path" "$api_path" /; do curl -sf -H "$gz" "$b$p" -o /dev/null; done
done
n_s=$(curl -sf "$base_s$feed_path" | grep -c '^BEGIN:VEVENT'); n_p=$(curl -sf "$base_p$feed_path" | grep -c '^BEGIN:VEVENT')
[ "$n_s" = "$n_p" ] || { echo "the feeds differ: $n_s events in SQLite, $n_p in PostgreSQL" >&2; exit 1; }
echo "feed: $n_s events, $(curl -sf "$base_s$feed_path" | wc -c) bytes, $(curl -sf -H "$gz" "$base_s$feed_path" | wc -c) gzipped;" \
  "API page: $(curl -sf "$base_s$api_path" | wc -c) bytes; home page: $(curl -sf -H "$gz" "$base_s/" | wc -c) bytes gzipped"

echo "load average before part 1: $(cut -d' ' -f1-3 /proc/loadavg)"
wrk_conns=$conns
for r in $(seq "$rounds"); do
  for be in s p; do
    [ "$be" = s ] && { base=$base_s; who=$pid_s; } || { base=$base_p; who="$pid_p pg"; }
    curl -sf -H "$gz" "$base$feed_path" -o /dev/null # render after the last round's changes
    measure "feed.$be" "$who" 1 "$base$feed_path" "$gz"
    etag=$(header "$base" "$feed_path" etag "$gz")
    measure "304.$be" "$who" 1 "$base$feed_path" "$gz" "If-None-Match: $etag"
    measure "api.$be" "$who" 1 "$base$api_path" "$gz"
    measure "home.$be" "$who" 1 "$base/" "$gz"
  done
  for be in s p; do
    [ "$be" = s ] && { base=$base_s; tok=$token_s; } || { base=$base_p; tok=$token_p; }
    for m in $(seq "$misses"); do
      runs[miss.$be]+="$(miss_ms "$base" "$tok" "$r.$m") "
      runs[missgz.$be]+="$(miss_ms "$base" "$tok" "$r.$m.gz" "$gz") "
    done
  done
done
stop_server "$pid_s"; stop_server "$pid_p"
echo "load average after part 1: $(cut -d' ' -f1-3 /proc/loadavg)"

echo
echo "Part 1: servers and PostgreSQL on CPU 0, wrk -t1 -c$conns -d${duration}s on CPU 1; medians of $rounds alternating rounds"
printf '| %-44s | %10s | %10s | %16s |\n' "answer" "SQLite" "PostgreSQL" "PostgreSQL/SQLite"
printf '|%s|%s|%s|%s|\n' "----------------------------------------------" "-----------:" "-----------:" "------------------:"
for case in "feed 200 gzip (r/s):feed" "feed 304 gzip (r/s):304" "API, 500 events (r/s):api" "home page / gzip (r/s):home" \
  "cache miss, identity (ms, curl total):miss" "cache miss, gzip (ms, curl total):missgz"; do
  label=${case%%:*}; key=${case##*:}
  s=$(echo "${runs[$key.s]}" | median); p=$(echo "${runs[$key.p]}" | median)
  printf '| %-44s | %10s | %10s | %16s |\n' "$label" "$s" "$p" "$(ratio "$p" "$s")"
done
for key in feed 304 api home miss missgz; do
  echo "  all $key — SQLite: ${runs[$key.s]}| PostgreSQL: ${runs[$key.p]}"
done
echo
echo "Part 1, CPU per request: µs of CPU time of the server (SQLite: the server alone; PostgreSQL: the server and every process of the cluster) over the wrk run, divided by its requests; medians"
printf '| %-44s | %10s | %10s | %16s |\n' "answer" "SQLite" "PostgreSQL" "PostgreSQL/SQLite"
printf '|%s|%s|%s|%s|\n' "----------------------------------------------" "-----------:" "-----------:" "------------------:"
for case in "feed 200 gzip (us CPU/request):feed" "feed 304 gzip (us CPU/request):304" "API, 500 events (us CPU/request):api" "home page / gzip (us CPU/request):home"; do
  label=${case%%:*}; key=${case##*:}
  s=$(echo "${runs[cpu.$key.s]}" | median); p=$(echo "${runs[cpu.$key.p]}" | median)
  printf '| %-44s | %10s | %10s | %16s |\n' "$label" "$s" "$p" "$(ratio "$p" "$s")"
done
for key in feed 304 api home; do
  echo "  all CPU $key — SQLite: ${runs[cpu.$key.s]}| PostgreSQL: ${runs[cpu.$key.p]}"
done

# ---- Part 2: two instances against one, one PostgreSQL database, nothing pinned ----
pg_stop
pg_start ""
start_server a "$pg_url" "$port_p"; pid_a=$server_pid
start_server b "$pg_url" "$port_q"; pid_b=$server_pid
base_a=http://127.0.0.1:$port_p
base_b=http://127.0.0.1:$port_q
for b in "$base_a" "$base_b"; do
  for p in "$feed_path" "$api_path" /; do curl -sf -H "$gz" "$b$p" -o /dev/null; done
done
wrk_conns=$((conns / 2))
pair() { # key url-1 url-2 [header...]: two wrk processes at once; summed r/s, CPU per request
  local key=$1 u1=$2 u2=$3 f1 f2 t0 t1; shift 3
  f1=$(mktemp); f2=$(mktemp)
  t0=$(cpu_ticks "$pid_a" "$pid_b" pg)
  wrk_rps "" "$u1" "$@" >"$f1" & local w1=$!
  wrk_rps "" "$u2" "$@" >"$f2" & local w2=$!
  wait "$w1" "$w2"
  t1=$(cpu_ticks "$pid_a" "$pid_b" pg)
  read -r r1 n1 <"$f1"; read -r r2 n2 <"$f2"
  runs[$key]+="$(python3 -c "import sys; print(f'{float(sys.argv[1]) + float(sys.argv[2]):.0f}')" "$r1" "$r2") "
  runs[cpu.$key]+="$(python3 -c "import sys; print(f'{(int(sys.argv[2]) - int(sys.argv[1])) * int(sys.argv[3]) / (int(sys.argv[4]) + int(sys.argv[5])):.1f}')" "$t0" "$t1" "$tick_us" "$n1" "$n2") "
  rm -f "$f1" "$f2"
}
for r in $(seq "$rounds"); do
  for p in feed api home; do
    case $p in feed) path=$feed_path ;; api) path=$api_path ;; home) path=/ ;; esac
    pair "two1.$p" "$base_a$path" "$base_a$path" "$gz"
    pair "two2.$p" "$base_a$path" "$base_b$path" "$gz"
  done
done
stop_server "$pid_a"; stop_server "$pid_b"
echo "load average after part 2: $(cut -d' ' -f1-3 /proc/loadavg)"

echo
echo "Part 2: one PostgreSQL database, nothing pinned; two wrk -t1 -c$wrk_conns -d${duration}s at once, summed; medians of $rounds alternating rounds"
printf '| %-28s | %12s | %13s | %6s |\n' "answer" "one instance" "two instances" "ratio"
printf '|%s|%s|%s|%s|\n' "------------------------------" "-------------:" "--------------:" "-------:"
for case in "feed 200 gzip (r/s):feed" "API, 500 events (r/s):api" "home page / gzip (r/s):home"; do
  label=${case%%:*}; key=${case##*:}
  one=$(echo "${runs[two1.$key]}" | median); two=$(echo "${runs[two2.$key]}" | median)
  printf '| %-28s | %12s | %13s | %6s |\n' "$label" "$one" "$two" "$(ratio "$two" "$one")"
done
for key in feed api home; do
  echo "  all $key — one: ${runs[two1.$key]}| two: ${runs[two2.$key]}"
done
echo
echo "Part 2, CPU per request (µs; both servers and the cluster), medians"
printf '| %-28s | %12s | %13s | %6s |\n' "answer" "one instance" "two instances" "ratio"
printf '|%s|%s|%s|%s|\n' "------------------------------" "-------------:" "--------------:" "-------:"
for case in "feed 200 gzip:feed" "API, 500 events:api" "home page / gzip:home"; do
  label=${case%%:*}; key=${case##*:}
  one=$(echo "${runs[cpu.two1.$key]}" | median); two=$(echo "${runs[cpu.two2.$key]}" | median)
  printf '| %-28s | %12s | %13s | %6s |\n' "$label" "$one" "$two" "$(ratio "$two" "$one")"
done
for key in feed api home; do
  echo "  all CPU $key — one: ${runs[cpu.two1.$key]}| two: ${runs[cpu.two2.$key]}"
done
