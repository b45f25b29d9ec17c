#!/usr/bin/env bash
# The portal's web app (services/portal/web): installed from its committed package-lock.json with
# the machine's Node.js, and built into services/portal/web/dist, which the portal serves.
#
#   deploy/local/web.sh build    install (npm ci) when the lock changed, build when a source changed
#   deploy/local/web.sh check    build, then lint, type-check and unit-test it (make test)
set -euo pipefail
export HOME="${HOME:-$(getent passwd "$(id -u)" | cut -d: -f6)}"
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
web="$root/services/portal/web"
stamp="$root/.local/web/lock.sha256"

command -v node >/dev/null || { echo "[web] error: Node.js 20.19 or later is missing (Debian: nodejs)" >&2; exit 1; }
command -v npm >/dev/null || { echo "[web] error: npm is missing" >&2; exit 1; }
node -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a>20||(a===20&&b>=19)?0:1)' \
  || { echo "[web] error: Node.js $(node --version) is too old; 20.19 or later is needed" >&2; exit 1; }

install() {
  local sum
  sum=$(sha256sum "$web/package-lock.json" | cut -d' ' -f1)
  if [ ! -d "$web/node_modules" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$sum" ]; then
    echo "[web] npm ci (services/portal/web, from package-lock.json)"
    (cd "$web" && npm ci --no-audit --no-fund --loglevel=error)
    mkdir -p "$(dirname "$stamp")" && echo "$sum" >"$stamp"
  fi
}

build() {
  install
  local newest
  newest=$(find "$web/src" "$web/public" "$web/index.html" "$web/vite.config.ts" "$web/package-lock.json" -type f -newer "$web/dist/index.html" 2>/dev/null | head -1 || true)
  if [ ! -f "$web/dist/index.html" ] || [ -n "$newest" ]; then
    echo "[web] building the web app"
    (cd "$web" && npm run --silent build)
  fi
}

case "${1:-build}" in
  build) build ;;
  check)
    build
    (cd "$web" && npm run --silent lint && npm run --silent typecheck && npm run --silent test)
    ;;
  *) echo "usage: $0 build|check" >&2; exit 2 ;;
esac
