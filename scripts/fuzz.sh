#!/usr/bin/env bash
# Schema-driven fuzzing of the running service with schemathesis, against the served
# /openapi.json: every operation, with an admin token for the authenticated ones.
# Fails on any 5xx, any response that does not match its documented schema, status,
# content type or headers, and any wrong answer to an undocumented method.
#
#   scripts/fuzz.sh [examples-per-operation]     # default 25; CI runs a bounded count
#
# Uses the debug build (cargo build first) unless REGISTRY_BIN names another binary.
# Runs on SQLite, or on PostgreSQL when DATABASE_URL is set.
set -euo pipefail
cd "$(dirname "$0")/.."
examples="${1:-25}"
bin="${REGISTRY_BIN:-$(realpath "${CARGO_TARGET_DIR:-target}")/debug/pledge-registry}"
command -v schemathesis >/dev/null || python3 -m pip install -q "schemathesis>=4,<5"
work="$(mktemp -d)"
port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
export REGISTRY_DATA_DIR="$work" REGISTRY_BIND="127.0.0.1:$port" REGISTRY_CHECK_INTERVAL=off
export REGISTRY_RATE_LIMIT_READS=off REGISTRY_RATE_LIMIT_REGISTRATIONS=off RUST_LOG=warn
export PYTHONPATH="$PWD/scripts${PYTHONPATH:+:$PYTHONPATH}" SCHEMATHESIS_HOOKS=fuzz_hooks
"$bin" seed-demo --count 30 >/dev/null
admin="$("$bin" token issue --role admin 2>/dev/null | tail -n1)"
"$bin" serve >"$work/service.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true; rm -rf "$work"' EXIT
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$port/readyz" >/dev/null && break; sleep 0.1; done
schemathesis run "http://127.0.0.1:$port/openapi.json" \
  --url "http://127.0.0.1:$port" \
  --header "Authorization: Bearer $admin" \
  --max-examples "$examples" \
  --checks not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance,response_headers_conformance,unsupported_method \
  --seed 20261127
