#!/usr/bin/env bash
# The whole test suite: lint, types, then unit, integration and end-to-end tests on the real
# broker and store. Infrastructure this script starts, it stops again, on failure too, and deletes
# what the tests wrote: `make up` afterwards starts on a clean store and broker, as on a new machine
# (its consumer groups would otherwise replay every event the suite published first).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$root"
started_at=$(date +%s)

deploy/local/python.sh

infra_was_running=yes
deploy/local/infra.sh status >/dev/null 2>&1 || infra_was_running=no
stop_infra() { [ "$infra_was_running" = no ] && deploy/local/infra.sh reset || true; }
trap stop_infra EXIT

provision_from=$(date +%s)
deploy/local/infra.sh start
echo "[test] infrastructure ready in $(( $(date +%s) - provision_from ))s"

deploy/local/web.sh check
deploy/local/browser.sh
deploy/local/kcat.sh
.venv/bin/ruff check .
.venv/bin/ruff format --check .
.venv/bin/mypy
.venv/bin/python -m pytest "$@"
echo "[test] whole suite took $(( $(date +%s) - started_at ))s"
