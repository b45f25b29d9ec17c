#!/usr/bin/env bash
# The whole suite with the machine's clock moved (Debian's faketime, LD_PRELOAD): it must pass on
# any day of the year, since every business date comes from the school clock the suite pins.
#   deploy/local/test-at-dates.sh                      2026-12-01, 2027-01-31 and 2027-08-15
#   deploy/local/test-at-dates.sh 2027-02-29T09:00     any other moments (UTC)
# The infrastructure runs under the moved clock too (started here, stopped after each run), so
# Kafka, PostgreSQL, Chromium and the suite all agree on the time; FerretDB (Go) keeps the real one.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$root"
if ! command -v faketime >/dev/null; then
  echo "[dates] installing Debian's faketime"
  if [ "$(id -u)" -eq 0 ]; then sudo=""; else sudo="sudo"; fi
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq faketime >/dev/null
fi
deploy/local/infra.sh status >/dev/null 2>&1 && { echo "[dates] stop the running infrastructure first (make down)" >&2; exit 1; }
moments=("$@")
[ ${#moments[@]} -gt 0 ] || moments=(2026-12-01T10:00 2027-01-31T10:00 2027-08-15T10:00)
for moment in "${moments[@]}"; do
  echo "[dates] make test with the clock at ${moment} UTC"
  TZ=UTC faketime "${moment/T/ }:00" make test
done
