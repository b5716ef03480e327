#!/usr/bin/env bash
# Checks what the image is built from, without Docker (docs/operator.md, "Docker"):
#  1. the files the Dockerfile's build stage copies are enough to build the registry:
#     they are copied, as the Dockerfile names them, into an empty folder, where
#     `cargo build --locked --offline` must succeed (crates come from the local cache;
#     the registry's own crate is built against the same target folder, so only it is
#     compiled again);
#  2. docker-compose.yml is well-formed YAML whose services build or name an image,
#     restart by themselves, and the registry is healthy only when `ready` says so.
set -euo pipefail
cd "$(dirname "$0")/.."
root="$PWD"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# The build stage is everything before the second FROM.
awk '/^FROM /{n++} n==1' Dockerfile >"$work/build-stage"
while read -r _ args; do
  # COPY <source>... <destination>; a destination of ./ keeps each file's name.
  read -ra parts <<<"$args"
  dest="${parts[-1]}"
  for src in "${parts[@]:0:${#parts[@]}-1}"; do
    case "$dest" in
      ./) mkdir -p "$work/src-tree" && cp -r "$src" "$work/src-tree/" ;;
      *) mkdir -p "$work/src-tree/$(dirname "$dest")" && cp -r "$src" "$work/src-tree/$dest" ;;
    esac
  done
done < <(grep -E '^COPY ' "$work/build-stage" | grep -v -- '--from=')
echo "the build stage copies: $(cd "$work/src-tree" && ls -A | tr '\n' ' ')"
# Cargo's own configuration changes what is built (the bundled SQLite's options) without
# failing a build that lacks it, so it is checked by name.
if [[ -f .cargo/config.toml && ! -f "$work/src-tree/.cargo/config.toml" ]]; then
  echo ".cargo/config.toml is not copied: the image would build SQLite without its options" >&2
  exit 1
fi
(cd "$work/src-tree" && CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$root/target}" \
  cargo build --locked --offline -q)
echo "they are enough to build the registry"

python3 - <<'PY'
import sys
try:
    import yaml
except ImportError:
    sys.exit("python3-yaml is needed to read docker-compose.yml")
with open("docker-compose.yml") as f:
    doc = yaml.safe_load(f)
services = doc.get("services") if isinstance(doc, dict) else None
if not isinstance(services, dict) or not services:
    sys.exit("docker-compose.yml names no services")
for name, svc in services.items():
    if not isinstance(svc, dict) or not ("image" in svc or "build" in svc):
        sys.exit(f"service {name} neither builds nor names an image")
    for dep in svc.get("depends_on", {}) or {}:
        if dep not in services:
            sys.exit(f"service {name} depends on {dep}, which is not a service")
    for vol in svc.get("volumes", []) or []:
        named = str(vol).split(":")[0]
        if not named.startswith((".", "/")) and named not in (doc.get("volumes") or {}):
            sys.exit(f"service {name} mounts volume {named}, which is not declared")
    # A service that stops (a crash, the host restarting) comes back by itself.
    if svc.get("restart") not in ("always", "unless-stopped"):
        sys.exit(f"service {name} has no restart policy")
# The registry is healthy when it is ready (its database answers), not when a port opens.
check = (services.get("registry", {}).get("healthcheck") or {}).get("test")
if check != ["CMD", "pledge-registry", "ready"]:
    sys.exit(f"the registry's health check must be `pledge-registry ready`, not {check}")
print("docker-compose.yml is well-formed:", ", ".join(services))
PY
