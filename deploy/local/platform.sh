#!/usr/bin/env bash
# The whole platform on this machine: infrastructure, the four services, a small demo district.
#
#   deploy/local/platform.sh up      start everything (idempotent) and print the API docs URLs
#   deploy/local/platform.sh down    stop the services and the infrastructure
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$root"
logs="$root/.local/logs" run="$root/.local/run"
SERVICES=(registry:8001 scheduling:8002 notifications:8003 reporting:8004 portal:8000)
# Notifications sends to loopback stand-ins of the mail server and the SMS/WeChat providers
# (deploy/local/channels_standin.py): what it sends is listed at http://127.0.0.1:8025/mail and
# /sms/messages. A deployment points these at the real servers instead.
export DISTRICT_SMTP_PORT=${DISTRICT_SMTP_PORT:-2525}
export DISTRICT_SMS_ENDPOINT=${DISTRICT_SMS_ENDPOINT:-http://127.0.0.1:8025/sms/messages}
export DISTRICT_WECHAT_ENDPOINT=${DISTRICT_WECHAT_ENDPOINT:-http://127.0.0.1:8025/wechat/messages}
# The demo district lives in the autumn term of 2026-2027: the school clock of every service (and of
# the demo's own dates) is pinned inside it, whatever the machine's date. Set another day to look
# at the demo then, e.g. DISTRICT_SCHOOL_DATE=2027-01-04 make up.
export DISTRICT_SCHOOL_DATE=${DISTRICT_SCHOOL_DATE:-2026-11-20}
# The name the bureau's printed bulletin is headed with (reporting knows districts by id only).
export DISTRICT_NAMES=${DISTRICT_NAMES:-'{"d-yecheng": "叶城县教育局"}'}

alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

up() {
  command -v curl >/dev/null || { echo "[platform] error: 'curl' is missing (Debian: curl)" >&2; exit 1; }
  deploy/local/python.sh
  deploy/local/web.sh build
  deploy/local/infra.sh start
  mkdir -p "$logs" "$run"
  if ! alive "$run/channels.pid"; then
    setsid .venv/bin/python deploy/local/channels_standin.py --smtp-port 2525 --http-port 8025 \
      </dev/null >>"$logs/channels.log" 2>&1 &
    echo $! >"$run/channels.pid"
  fi
  for entry in "${SERVICES[@]}"; do
    local name=${entry%%:*} port=${entry#*:}
    alive "$run/$name.pid" && continue
    # each service logs in to the broker as its own principal (service_kit/broker_access.py)
    DISTRICT_HTTP_PORT=$port DISTRICT_KAFKA_USERNAME=$name \
      DISTRICT_KAFKA_PASSWORD=$(.venv/bin/python -m service_kit.broker_access password "$name") \
      setsid .venv/bin/python -m "$name" </dev/null >>"$logs/$name.log" 2>&1 &
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
  echo "平台已启动 (the platform is up)."
  echo "  门户 portal      http://127.0.0.1:8000   (家长: 手机号 + 短信验证码; 验证码见 http://127.0.0.1:8025/sms/messages)"
  echo "  教师 teachers    http://127.0.0.1:8000/staff/sign-in   (演示班主任的账号和密码见上方「[demo] 教师登录」)"
  echo "  学校 / 共建单位 / 教育局  http://127.0.0.1:8000/staff/sign-in   (账号和密码见上方「[demo] 学校管理员登录」「[demo] 共建单位登录」「[demo] 教育局登录」)"
  echo "API docs:"
  for entry in "${SERVICES[@]}"; do
    printf '  %-14s http://127.0.0.1:%s/docs\n' "${entry%%:*}" "${entry#*:}"
  done
  echo "  sent messages  http://127.0.0.1:8025/mail  http://127.0.0.1:8025/sms/messages"
  echo "Logs: $logs    Stop: make down"
}

down() {
  for entry in "${SERVICES[@]}"; do
    local name=${entry%%:*}
    if alive "$run/$name.pid"; then kill "$(cat "$run/$name.pid")" && echo "[platform] stopped $name"; fi
    rm -f "$run/$name.pid"
  done
  if alive "$run/channels.pid"; then kill "$(cat "$run/channels.pid")" && echo "[platform] stopped channel stand-ins"; fi
  rm -f "$run/channels.pid"
  deploy/local/infra.sh stop
}

case "${1:-}" in
  up) up ;;
  down) down ;;
  *) echo "usage: $0 up|down" >&2; exit 2 ;;
esac
