#!/usr/bin/env bash
# The Python workspace: a pinned uv installs every service and lib, editable, from uv.lock.
set -euo pipefail
# Go, Maven and uv keep their caches under HOME; a bare CI environment may not set it.
export HOME="${HOME:-$(getent passwd "$(id -u)" | cut -d: -f6)}"
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
UV_VERSION=0.13.8
tools="$root/.local/tools"

python=$(command -v python3.11 || true)
[ -n "$python" ] || { echo "[python] error: Python 3.11 is missing (python3.11 not on PATH)" >&2; exit 1; }
if [ ! -x "$tools/bin/uv" ] || ! "$tools/bin/uv" --version | grep -q "$UV_VERSION"; then
  echo "[python] installing uv $UV_VERSION"
  "$python" -m venv "$tools"
  "$tools/bin/pip" install -q --disable-pip-version-check "uv==$UV_VERSION"
fi
export UV_PYTHON="$python" UV_PYTHON_DOWNLOADS=never
"$tools/bin/uv" sync --locked --quiet --project "$root"
