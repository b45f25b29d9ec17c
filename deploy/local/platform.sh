#!/usr/bin/env bash
# The whole platform on this machine: infrastructure, the four services, a small demo district.
#
#   deploy/local/platform.sh up      start everything (idempotent) and print the API docs URLs
#   deploy/local/platform.sh down    stop the services and the infrastructure
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$root"
logs="$root/.local/logs" run="$root/.local/run"
SERVICES=(registry:8001 scheduling:8002 notifications:8003 reporting:8004)

alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

up() {
  command -v curl >/dev/null || { echo "[platform] error: 'curl' is missing (Debian: curl)" >&2; exit 1; }
  deploy/local/python.sh
  deploy/local/infra.sh start
  mkdir -p "$logs" "$run"
  for entry in "${SERVICES[@]}"; do
    local name=${entry%%:*} port=${entry#*:}
    alive "$run/$name.pid" && continue
    DISTRICT_HTTP_PORT=$port setsid .venv/bin/python -m "$name" </dev/null >>"$logs/$name.log" 2>&1 &
    echo $! >"$run/$name.pid"
  done
  for entry in "${SERVICES[@]}"; do
    local name=${entry%%:*} port=${entry#*:}
    for _ in $(seq 1 150); do
      curl -fsS "http://127.0.0.1:$port/readyz" >/dev/null 2>&1 && break
      alive "$run/$name.pid" || { echo "[platform] $name exited; see $logs/$name.log" >&2; exit 1; }
      sleep 0.2
    done
    curl -fsS "http://127.0.0.1:$port/readyz" >/dev/null || { echo "[platform] $name not ready; see $logs/$name.log" >&2; exit 1; }
  done
  .venv/bin/python deploy/local/demo.py
  echo
  echo "平台已启动 (the platform is up). API docs:"
  for entry in "${SERVICES[@]}"; do
    printf '  %-14s http://127.0.0.1:%s/docs\n' "${entry%%:*}" "${entry#*:}"
  done
  echo "Logs: $logs    Stop: make down"
}

down() {
  for entry in "${SERVICES[@]}"; do
    local name=${entry%%:*}
    if alive "$run/$name.pid"; then kill "$(cat "$run/$name.pid")" && echo "[platform] stopped $name"; fi
    rm -f "$run/$name.pid"
  done
  deploy/local/infra.sh stop
}

case "${1:-}" in
  up) up ;;
  down) down ;;
  *) echo "usage: $0 up|down" >&2; exit 2 ;;
esac
