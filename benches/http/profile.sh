#!/usr/bin/env bash
# Where a running service spends its CPU under one load (docs/benchmarks.md, "Profiles").
#
#   benches/http/profile.sh PID [wrk arguments...]
#   benches/http/profile.sh "$(pgrep -f 'pledge-registry serve')" \
#       -s benches/http/random_supplier.lua http://127.0.0.1:18400     # with SLUGS set
#
# Samples the process with perf (Debian's linux-perf, installed when missing) for 10 s
# while wrk drives it at 32 connections, then prints the functions holding the most CPU,
# callers included. It samples the CPU clock, as virtual machines often have no hardware
# counters, and unwinds with DWARF, as release builds keep no frame pointers.
set -euo pipefail
pid="$1"; shift
command -v perf >/dev/null || { apt-get update -qq && apt-get install -y -qq linux-perf; }
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk; }
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
perf record -q -F 499 -e cpu-clock --call-graph dwarf,16384 -p "$pid" -o "$out/perf.data" \
  -- sleep 10 >/dev/null 2>&1 &
recorder=$!
wrk -t2 -c32 -d10s "$@" | grep 'Requests/sec'
wait "$recorder"
perf report -i "$out/perf.data" --children --sort symbol --stdio -g none --percent-limit 2 \
  2>/dev/null | grep -E '^ +[0-9]' | sed -E 's/ {3,}/ /g' | cut -c1-160 |
  grep -vE 'tokio::runtime|core::ops::function|backtrace|thread::local|clone3|start_thread|thread_start|0xffff'
