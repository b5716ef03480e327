#!/usr/bin/env bash
# HTTP benchmarks of the registry on SQLite and PostgreSQL (see docs/benchmarks.md).
#
#   benches/http/run.sh [seconds-per-run]      # default 10
#   REGISTRY_BIN=/path/to/pledge-registry benches/http/run.sh 10   # an existing build
#   REGISTRY_READ_CACHE=256MiB benches/http/run.sh 10   # another read cache budget
#
# Builds in release mode, loads `seed-demo --count 10000`, starts the service on
# 127.0.0.1 and drives it with wrk (Debian's package; installed when missing) at 32
# connections: the ceiling (/healthz), one supplier over random slugs (plain and asked
# for gzip, as browsers and most clients ask), the supplier pages over random slugs (as
# browsers ask), a list page, a search, the export, and a write mix. Prints requests per
# second, p50/p99 latency, each read's throughput as a share of the ceiling in the same
# run, and the service's peak memory against the read cache's budget; and the peak
# memory of `pledge-registry export` at 2,500 and at 10,000 suppliers, to show it does
# not grow with the count. Then starts a second instance on the same database and
# measures how far behind it serves writes made on the first (staleness.py), idle and
# while wrk reads from it. Everything talks to 127.0.0.1 only.
set -euo pipefail
cd "$(dirname "$0")/../.."
secs="${1:-10}"
conns=32
here="benches/http"
if ! command -v wrk >/dev/null || [[ ! -x /usr/bin/time ]]; then
  apt-get update -qq && apt-get install -y -qq wrk time
fi
if [[ -n "${REGISTRY_BIN:-}" ]]; then
  bin="$(realpath "$REGISTRY_BIN")"
else
  cargo build --release --locked -q
  bin="$(realpath "${CARGO_TARGET_DIR:-target}")/release/pledge-registry"
fi
work="$(mktemp -d)"
trap 'kill "${server:-0}" 2>/dev/null || true; rm -rf "$work"' EXIT

peak_kib() { awk '/VmHWM/ {print $2}' "/proc/$1/status"; }

export_peak_kib() { # the peak RSS of the command-line export, in KiB
  /usr/bin/time -f '%M' -o "$work/time" "$bin" export >/dev/null
  cat "$work/time"
}

wrk_run() { # name path-or-script...
  local name="$1"; shift
  local out
  out="$(wrk -t2 -c"$conns" -d"${secs}s" --latency "$@")"
  local rps p50 p99
  rps="$(awk '/Requests\/sec/ {print $2}' <<<"$out")"
  p50="$(awk '$1=="50%" {print $2}' <<<"$out")"
  p99="$(awk '$1=="99%" {print $2}' <<<"$out")"
  local errors
  errors="$(awk '/Non-2xx or 3xx responses/ {print $5}' <<<"$out")"
  printf '%s\t%s\t%s\t%s\t%s\n' "$name" "$rps" "$p50" "$p99" "${errors:-0}"
}

run_backend() { # name database-url
  local backend="$1" url="$2"
  local port=18400
  export DATABASE_URL="$url" REGISTRY_DATA_DIR="$work/$backend" REGISTRY_BIND="127.0.0.1:$port"
  export REGISTRY_CHECK_INTERVAL=off REGISTRY_LAPSE_INTERVAL=off RUST_LOG=warn
  export REGISTRY_RATE_LIMIT_READS=off REGISTRY_RATE_LIMIT_REGISTRATIONS=off
  mkdir -p "$REGISTRY_DATA_DIR"
  local seed_started=$SECONDS
  "$bin" seed-demo --count 2500 >/dev/null
  local small; small="$(export_peak_kib)"
  "$bin" seed-demo --count 7500 >/dev/null
  echo "## $backend: seeded 10000 suppliers in $((SECONDS - seed_started)) s"
  echo "peak memory of \`export\`: $small KiB at 2500 suppliers, $(export_peak_kib) KiB at 10000"
  "$bin" serve >"$work/$backend.log" 2>&1 &
  server=$!
  for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$port/readyz" >/dev/null && break; sleep 0.1; done
  local base="http://127.0.0.1:$port"
  "$bin" export | python3 -c 'import sys, json; [print(json.loads(l)["slug"]) for l in sys.stdin]' >"$work/slugs.txt"
  local reg token supplier
  reg="$(curl -sf "$base/api/v1/registrations" -H 'Content-Type: application/json' \
    -d '{"name":"Bench Writer","website":"https://bench.example","contact_name":"B","contact_email":"b@bench.example"}')"
  token="$(python3 -c 'import sys, json; print(json.load(sys.stdin)["token"]["token"])' <<<"$reg")"
  supplier="$(python3 -c 'import sys, json; print(json.load(sys.stdin)["supplier"]["id"])' <<<"$reg")"

  printf 'run\treq/s\tp50\tp99\tnon-2xx\n'
  local ceiling
  ceiling="$(wrk_run healthz "$base/healthz")"; echo "$ceiling"
  local top; top="$(cut -f2 <<<"$ceiling")"
  # The first run of each kind of read starts with nothing in memory (every slug is
  # read from the database once); the next is what a warm instance serves.
  for run in supplier-cold supplier supplier-gzip page-cold page list search; do
    local line
    case "$run" in
      supplier-cold) line="$(SLUGS="$work/slugs.txt" wrk_run "supplier, from cold" -s "$here/random_supplier.lua" "$base")" ;;
      supplier) line="$(SLUGS="$work/slugs.txt" wrk_run "supplier" -s "$here/random_supplier.lua" "$base")" ;;
      # As browsers and most HTTP clients ask: compressed.
      supplier-gzip) line="$(SLUGS="$work/slugs.txt" wrk_run "supplier, gzip" -H 'Accept-Encoding: gzip' \
        -s "$here/random_supplier.lua" "$base")" ;;
      page-cold) line="$(SLUGS="$work/slugs.txt" PREFIX=/suppliers/ wrk_run "supplier page, gzip, from cold" \
        -H 'Accept-Encoding: gzip' -s "$here/random_supplier.lua" "$base")" ;;
      page) line="$(SLUGS="$work/slugs.txt" PREFIX=/suppliers/ wrk_run "supplier page, gzip" \
        -H 'Accept-Encoding: gzip' -s "$here/random_supplier.lua" "$base")" ;;
      list) line="$(wrk_run "list" "$base/api/v1/suppliers?status=active&limit=50")" ;;
      search) line="$(wrk_run "search" "$base/api/v1/suppliers?q=care&limit=50")" ;;
    esac
    local rps; rps="$(cut -f2 <<<"$line")"
    printf '%s\t(%s%% of ceiling)\n' "$line" "$(python3 -c "print(round(100 * $rps / $top))")"
  done
  echo "peak service memory after reads: $(peak_kib "$server") KiB (read cache budget ${REGISTRY_READ_CACHE:-64MiB}; $(curl -sf "$base/metrics" | awk '/^registry_read_cache_bytes\{state="used"\}/ {printf "%.1f MiB", $2 / 1048576}') used)"
  echo "read cache: $(curl -sf "$base/metrics" | awk '/^registry_read_cache_(lookups|signal_lost)/ {printf "%s ", $0}')"
  # A second instance on the same database: how far behind it serves the first's writes,
  # idle and while wrk reads from it.
  REGISTRY_BIND="127.0.0.1:$((port + 1))" "$bin" serve >"$work/$backend-b.log" 2>&1 &
  local second=$!
  for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$((port + 1))/readyz" >/dev/null && break; sleep 0.1; done
  python3 "$here/staleness.py" "$base" "http://127.0.0.1:$((port + 1))" "$token" "$supplier" 300
  SLUGS="$work/slugs.txt" wrk -t1 -c16 -d"$((secs * 2))s" -s "$here/random_supplier.lua" \
    "http://127.0.0.1:$((port + 1))" >/dev/null &
  local load=$!
  sleep 1
  printf 'under read load on the second instance: '
  python3 "$here/staleness.py" "$base" "http://127.0.0.1:$((port + 1))" "$token" "$supplier" 300
  kill "$load" 2>/dev/null || true; wait "$load" 2>/dev/null || true
  kill "$second"; wait "$second" 2>/dev/null || true
  for i in 1 2 3; do
    local t0 t1 bytes
    t0="$(date +%s.%N)"
    bytes="$(curl -sf "$base/api/v1/export" | wc -c)"
    t1="$(date +%s.%N)"
    printf 'export %d: %s bytes in %.3f s\n' "$i" "$bytes" "$(python3 -c "print($t1 - $t0)")"
  done
  echo "peak service memory after exports: $(peak_kib "$server") KiB"
  TOKEN="$token" SUPPLIER="$supplier" wrk_run "writes" -s "$here/writes.lua" "$base"
  echo "peak service memory at the end: $(peak_kib "$server") KiB"
  kill "$server"; wait "$server" 2>/dev/null || true
}

echo "# $(nproc) cores, $(date -u +%F), wrk -t2 -c$conns -d${secs}s"
run_backend sqlite "$work/sqlite/registry.sqlite3"
pg_db="bench_$$"
psql -q -h 127.0.0.1 -U postgres -d test -c "CREATE DATABASE $pg_db" >/dev/null
run_backend postgres "postgres://postgres@127.0.0.1:5432/$pg_db"
psql -q -h 127.0.0.1 -U postgres -d test -c "DROP DATABASE $pg_db WITH (FORCE)" >/dev/null
