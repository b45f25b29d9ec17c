#!/usr/bin/env bash
# The browser the end-to-end tests drive: Debian's Chromium (Playwright cannot download its own here).
set -euo pipefail
# A Chinese font too, so that pages and their screenshots show characters rather than boxes.
chromium=/usr/bin/chromium
if [ ! -x "$chromium" ] || ! fc-list :lang=zh 2>/dev/null | grep -q .; then
  echo "[browser] installing Debian's chromium and fonts-wqy-microhei"
  if [ "$(id -u)" -eq 0 ]; then sudo=""; else sudo="sudo"; fi
  $sudo apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium fonts-wqy-microhei >/dev/null \
    || { echo "[browser] error: could not install chromium (apt-get install chromium fonts-wqy-microhei)" >&2; exit 1; }
fi
"$chromium" --version
