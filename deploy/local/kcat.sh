#!/usr/bin/env bash
# kcat, the librdkafka command-line client the broker-access tests subscribe with as an integrator
# would: Debian's package, run by .local/bin/kcat with a newer librdkafka. Debian 12's librdkafka
# (2.0.2) cannot log in to Kafka 4 with SCRAM: it repeats the client nonce in its final message,
# which Kafka 4 refuses as RFC 5802 requires (fixed in librdkafka 2.6.1), so the wrapper loads the
# librdkafka of the pinned confluent-kafka wheel in .venv instead (same ABI, soname .so.1).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
if [ ! -x /usr/bin/kcat ]; then
  echo "[kcat] installing Debian's kcat"
  if [ "$(id -u)" -eq 0 ]; then sudo=""; else sudo="sudo"; fi
  $sudo apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq kcat >/dev/null 2>&1 \
    || { echo "[kcat] error: could not install kcat (apt-get install kcat)" >&2; exit 1; }
fi
[ -x "$root/.venv/bin/python" ] || "$root/deploy/local/python.sh"
library=$(ls "$root"/.venv/lib/python3.11/site-packages/confluent_kafka.libs/librdkafka-*.so.1 2>/dev/null | head -n 1)
[ -n "$library" ] || { echo "[kcat] error: no librdkafka in .venv's confluent-kafka (run deploy/local/python.sh)" >&2; exit 1; }
mkdir -p "$root/.local/kcat/lib" "$root/.local/bin"
ln -sf "$library" "$root/.local/kcat/lib/librdkafka.so.1"
# kcat is the integrator's client, outside the platform: it runs on the machine's real clock even
# under make test-dates. Under faketime's LD_PRELOAD librdkafka never gets its metadata ("Failed to
# acquire metadata: Local: Timed out", probably its timed waits on the faked clock).
cat >"$root/.local/bin/kcat" <<WRAPPER
#!/bin/sh
unset LD_PRELOAD FAKETIME
LD_LIBRARY_PATH="$root/.local/kcat/lib" exec /usr/bin/kcat "\$@"
WRAPPER
chmod +x "$root/.local/bin/kcat"
"$root/.local/bin/kcat" -V | grep -o 'Version .*librdkafka [0-9.]*'
