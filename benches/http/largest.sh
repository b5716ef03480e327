#!/usr/bin/env bash
# The largest record one supplier is allowed to make, read by 32 clients at once (see
# docs/benchmarks.md): does the service stay under 64 MB, and answer in under 50 ms at
# p99?
#
#   benches/http/largest.sh [seconds-per-run]      # default 10
#   REGISTRY_BIN=/path/to/pledge-registry benches/http/largest.sh 10
#   PROFILE=1 benches/http/largest.sh     # also where the record's reads spend CPU
#
# Builds in release mode, starts a local fixture web server (127.0.0.1 only) whose every
# link redirects to an address just under the longest the registry records, and the
# service on SQLite and then PostgreSQL. Through the API, one supplier takes every
# bound to its limit, in 4-byte characters where text is counted in characters: a
# 200-character name, a 4,000-character description, 50 products of 120 characters,
# six statements as long as fit in the 64 KiB request body, and 50 live certification
# links, each with a
# 2,048-character URL, a 300-character title, a 100-character reference and every
# commitment. Four rounds of checks give each link its final address and three recent
# checks. Then wrk reads the record (JSON and its page) at 32 connections, and the
# service's peak memory is read from /proc.
set -euo pipefail
cd "$(dirname "$0")/../.."
secs="${1:-10}"
conns=32
if ! command -v wrk >/dev/null; then
  apt-get update -qq && apt-get install -y -qq wrk
fi
if [[ -n "${REGISTRY_BIN:-}" ]]; then
  bin="$(realpath "$REGISTRY_BIN")"
else
  cargo build --release --locked -q
  bin="$(realpath "${CARGO_TARGET_DIR:-target}")/release/pledge-registry"
fi
work="$(mktemp -d)"
trap 'kill "${server:-0}" "${fixture:-0}" 2>/dev/null || true; rm -rf "$work"' EXIT

fixture_port=18501
python3 - "$fixture_port" >"$work/fixture.log" 2>&1 <<'PY' &
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

FINAL = "/final/" + "f" * 1990  # with the origin, just under 2,048 characters

class Handler(BaseHTTPRequestHandler):
    def answer(self):
        if self.path.startswith("/final/"):
            self.send_response(200)
            self.send_header("Content-Length", "0")
        else:
            self.send_response(302)
            self.send_header("Location", FINAL + "?" + str(abs(hash(self.path)) % 1000))
            self.send_header("Content-Length", "0")
        self.end_headers()
    do_HEAD = answer
    do_GET = answer
    def log_message(self, *args):
        pass

ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Handler).serve_forever()
PY
fixture=$!

peak_kib() { awk '/VmHWM/ {print $2}' "/proc/$1/status"; }
rss_kib() { awk '/VmRSS/ {print $2}' "/proc/$1/status"; }

wrk_run() { # name url
  local out
  out="$(wrk -t2 -c"$conns" -d"${secs}s" --latency "$2")"
  printf '%s\t%s\t%s\t%s\t%s\n' "$1" \
    "$(awk '/Requests\/sec/ {print $2}' <<<"$out")" \
    "$(awk '$1=="50%" {print $2}' <<<"$out")" \
    "$(awk '$1=="99%" {print $2}' <<<"$out")" \
    "$(awk '/Non-2xx or 3xx responses/ {print $5}' <<<"$out" | sed 's/^$/0/')"
}

run_backend() { # name database-url
  local backend="$1" url="$2" port=18502
  export DATABASE_URL="$url" REGISTRY_DATA_DIR="$work/$backend" REGISTRY_BIND="127.0.0.1:$port"
  export REGISTRY_CHECK_INTERVAL=off REGISTRY_LAPSE_INTERVAL=off RUST_LOG=warn
  export REGISTRY_RATE_LIMIT_READS=off REGISTRY_RATE_LIMIT_REGISTRATIONS=off
  export REGISTRY_CHECKER_ALLOW_LOOPBACK=true
  mkdir -p "$REGISTRY_DATA_DIR"
  "$bin" migrate >/dev/null
  "$bin" seed-demo --count 1000 >/dev/null
  "$bin" serve >"$work/$backend.log" 2>&1 &
  server=$!
  for _ in $(seq 1 300); do curl -sf "http://127.0.0.1:$port/readyz" >/dev/null && break; sleep 0.1; done
  local base="http://127.0.0.1:$port"
  local admin; admin="$("$bin" token issue --role admin 2>/dev/null | tail -n 1)"
  local slug
  slug="$(BASE="$base" ADMIN="$admin" FIXTURE="http://127.0.0.1:$fixture_port" python3 - <<'PY'
import json, os, urllib.request

base, admin, fixture = os.environ["BASE"], os.environ["ADMIN"], os.environ["FIXTURE"]
wide = "\U0001D538"  # four bytes in UTF-8, one character

def call(method, path, body=None, token=None):
    req = urllib.request.Request(base + path, method=method,
        data=None if body is None else json.dumps(body, ensure_ascii=False).encode(),
        headers={"Content-Type": "application/json", **({"Authorization": "Bearer " + token} if token else {})})
    with urllib.request.urlopen(req) as r:
        return json.load(r)

reg = call("POST", "/api/v1/registrations", {
    "name": "Largest " + wide * 192, "website": "https://largest.example",
    "description": wide * 4000, "products": [f"{i:03d}" + wide * 117 for i in range(50)],
    "contact_name": "L", "contact_email": "l@largest.example"})
sid, token = reg["supplier"]["id"], reg["token"]["token"]
codes = [c["code"] for c in call("GET", "/api/v1/pledge")["commitments"]]
# Six statements of 4,000 four-byte characters would exceed the 64 KiB body limit, so
# they are as long as fits in one request body.
per = min(4000, (65536 - 4000) // len(codes) // 4)
call("POST", f"/api/v1/suppliers/{sid}/signature", {"signatory_name": wide * 200,
    "signatory_role": wide * 200, "statements": {c: wide * per for c in codes}}, token)
call("POST", f"/api/v1/admin/suppliers/{sid}/verify", None, admin)
for i in range(50):
    prefix = f"{fixture}/doc/{i:02d}?pad="
    call("POST", f"/api/v1/suppliers/{sid}/evidence", {
        "url": prefix + "p" * (2048 - len(prefix)), "title": wide * 300,
        "kind": "certification", "scheme": "iso_iec_27001", "reference": wide * 100,
        "expires_on": "2030-01-01", "commitments": codes}, token)
print(reg["supplier"]["slug"])
PY
)"
  for _ in 1 2 3 4; do "$bin" check-evidence --supplier "$slug" >/dev/null; done
  local bytes; bytes="$(curl -sf "$base/api/v1/suppliers/$slug" | wc -c)"
  local page_bytes; page_bytes="$(curl -sf "$base/suppliers/$slug" | wc -c)"
  echo "## $backend: the largest record is $bytes bytes as JSON, $page_bytes as a page (1,000 other suppliers)"
  echo "service memory before the reads: $(rss_kib "$server") KiB"
  printf 'run\treq/s\tp50\tp99\tnon-2xx\n'
  wrk_run "record (JSON)" "$base/api/v1/suppliers/$slug"
  echo "peak service memory: $(peak_kib "$server") KiB"
  wrk_run "record (page)" "$base/suppliers/$slug"
  echo "peak service memory: $(peak_kib "$server") KiB"
  wrk_run "healthz" "$base/healthz"
  if [[ -n "${PROFILE:-}" ]]; then
    benches/http/profile.sh "$server" "$base/api/v1/suppliers/$slug"
  fi
  kill "$server"; wait "$server" 2>/dev/null || true
}

echo "# $(nproc) cores, $(date -u +%F), wrk -t2 -c$conns -d${secs}s"
run_backend sqlite "$work/sqlite/registry.sqlite3"
pg_db="bench_largest_$$"
psql -q -h 127.0.0.1 -U postgres -d test -c "CREATE DATABASE $pg_db" >/dev/null
run_backend postgres "postgres://postgres@127.0.0.1:5432/$pg_db"
psql -q -h 127.0.0.1 -U postgres -d test -c "DROP DATABASE $pg_db WITH (FORCE)" >/dev/null
