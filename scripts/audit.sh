#!/usr/bin/env bash
# The dependency audit, with cargo-deny against deny.toml (docs/operator.md,
# "Dependency audit"):
#
#   scripts/audit.sh            # licences, banned and duplicate crates, sources, and the
#                               # RustSec advisories (fetched from GitHub)
#   scripts/audit.sh --offline  # all but the advisories: what a machine without access
#                               # to GitHub can check (CI here)
#
# Installs cargo-deny from crates.io when it is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v cargo-deny >/dev/null || cargo install --locked --quiet cargo-deny@0.20.2
checks=(licenses bans sources advisories)
if [[ "${1:-}" == "--offline" ]]; then
  checks=(licenses bans sources)
fi
cargo deny --locked check --show-stats "${checks[@]}"
