#!/usr/bin/env bash
# Real infrastructure without Docker: a single-node Apache Kafka (KRaft) from Maven Central and
# FerretDB (from the Go module proxy) on PostgreSQL, all on 127.0.0.1.
#
#   deploy/local/infra.sh provision   fetch and build what is missing (idempotent)
#   deploy/local/infra.sh start       provision, then start what is not running; waits until ready
#   deploy/local/infra.sh stop        stop everything this script started
#   deploy/local/infra.sh status      say what runs
#   deploy/local/infra.sh reset       stop, then delete all data (topics, databases); keeps binaries
#
# Everything (binaries, data, logs, pid files) lives in .local/ at the repository root, which git
# ignores. Processes are detached from the caller's terminal and write only to .local/logs, so a
# test run never waits on a pipe they hold open.
set -euo pipefail
# Go, Maven and uv keep their caches under HOME; a bare CI environment may not set it.
export HOME="${HOME:-$(getent passwd "$(id -u)" | cut -d: -f6)}"

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
here="$root/deploy/local"
state="${DISTRICT_LOCAL_DIR:-$root/.local}"
logs="$state/logs"
run="$state/run"

KAFKA_VERSION=4.1.1        # keep in step with deploy/local/kafka/pom.xml
FERRETDB_VERSION=v1.24.2
KAFKA_PORT="${DISTRICT_KAFKA_PORT:-9092}"
KAFKA_CONTROLLER_PORT="${DISTRICT_KAFKA_CONTROLLER_PORT:-9093}"
MONGO_PORT="${DISTRICT_MONGO_PORT:-27017}"
PG_PORT="${DISTRICT_PG_PORT:-54329}"

say() { printf '[infra] %s\n' "$*"; }
die() { printf '[infra] error: %s\n' "$*" >&2; exit 1; }

need() {
  local cmd="$1" hint="$2"
  command -v "$cmd" >/dev/null 2>&1 || die "'$cmd' is missing: $hint"
}

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

wait_port() {
  local name="$1" port="$2" seconds="$3" pidfile="$4"
  for _ in $(seq 1 $((seconds * 5))); do
    port_open "$port" && return 0
    if [ -n "$pidfile" ] && ! alive "$pidfile"; then
      die "$name exited while starting; see $logs/$name.log"
    fi
    sleep 0.2
  done
  die "$name did not answer on 127.0.0.1:$port within ${seconds}s; see $logs/$name.log"
}

alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

# A pid file can outlive its process (a reboot) and the pid be reused: check it is still ours.
ours() { alive "$1" && grep -qa -- "$2" "/proc/$(cat "$1")/cmdline" 2>/dev/null; }

port_free_or_die() {
  port_open "$2" && die "127.0.0.1:$2 is taken by another process, so $1 cannot start; stop it or set DISTRICT_*_PORT"
  return 0
}

pg_bin() {
  local dir
  dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
  [ -n "$dir" ] && echo "$dir"
}

# PostgreSQL refuses to run as root; the Debian package brings a 'postgres' account for this.
as_pg() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

provision_postgres() {
  if [ -z "$(pg_bin)" ]; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
      say "installing Debian's postgresql package"
      apt-get update -qq >"$logs/apt.log" 2>&1
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >>"$logs/apt.log" 2>&1 \
        || die "apt-get install postgresql failed; see $logs/apt.log"
    else
      die "PostgreSQL server binaries are missing: install Debian's 'postgresql' package"
    fi
  fi
}

provision_kafka() {
  [ -f "$state/kafka/libs/kafka_2.13-$KAFKA_VERSION.jar" ] && return 0
  need java "install a Java 17 runtime (Debian: openjdk-17-jre-headless)"
  need mvn "install Apache Maven (Debian: maven)"
  say "fetching Apache Kafka $KAFKA_VERSION from Maven Central"
  rm -rf "$state/kafka/libs"
  mvn -q -B -f "$here/kafka/pom.xml" dependency:copy-dependencies \
    -Dkafka.libs="$state/kafka/libs" -Dmaven.repo.local="${DISTRICT_M2_REPO:-$HOME/.m2/repository}" \
    >"$logs/kafka-provision.log" 2>&1 || die "Maven could not fetch Kafka; see $logs/kafka-provision.log"
  rm -rf "$here/kafka/target"
}

provision_ferretdb() {
  [ -x "$state/bin/ferretdb" ] && [[ "$("$state/bin/ferretdb" --version 2>/dev/null)" == *"$FERRETDB_VERSION"* ]] && return 0
  need go "install Go 1.22 or newer"
  say "building FerretDB $FERRETDB_VERSION from the Go module proxy"
  mkdir -p "$state/bin"
  "$here/ferretdb/build.sh" "$FERRETDB_VERSION" "$state/bin/ferretdb" "$state/build/ferretdb" \
    >"$logs/ferretdb-provision.log" 2>&1 || die "FerretDB build failed; see $logs/ferretdb-provision.log"
}

# Validates docker-compose.yml with the Compose specification's own Go parser (no engine needed).
provision_compose_check() {
  [ -x "$state/bin/compose-check" ] && [ "$state/bin/compose-check" -nt "$here/compose-check/main.go" ] && return 0
  need go "install Go 1.22 or newer"
  mkdir -p "$state/bin"
  (cd "$here/compose-check" && go build -o "$state/bin/compose-check" .) \
    >"$logs/compose-check-provision.log" 2>&1 || die "compose-check build failed; see $logs/compose-check-provision.log"
}

provision() {
  mkdir -p "$logs" "$run"
  provision_postgres
  provision_kafka
  provision_ferretdb
  provision_compose_check
}

start_postgres() {
  local data="$state/postgres" bin
  bin=$(pg_bin)
  if [ -f "$run/postgres.pid" ] && as_pg "$bin/pg_ctl" -D "$data" status >/dev/null 2>&1; then return 0; fi
  mkdir -p "$data" "$state/pg-socket"
  [ "$(id -u)" = 0 ] && chown postgres "$data" "$state/pg-socket" && chmod 700 "$data"
  if [ ! -f "$data/PG_VERSION" ]; then
    say "initialising PostgreSQL data in $data"
    as_pg "$bin/initdb" -D "$data" -U ferretdb --auth=trust -E UTF8 --locale=C.UTF-8 \
      >"$logs/postgres-init.log" 2>&1 || die "initdb failed; see $logs/postgres-init.log"
  fi
  touch "$logs/postgres.log" && [ "$(id -u)" = 0 ] && chown postgres "$logs/postgres.log"
  as_pg "$bin/pg_ctl" -D "$data" -l "$logs/postgres.log" -w -t 60 \
    -o "-p $PG_PORT -c listen_addresses=127.0.0.1 -k $state/pg-socket -c fsync=off -c max_connections=200 -c plan_cache_mode=force_custom_plan" \
    start </dev/null >>"$logs/postgres.log" 2>&1 || die "PostgreSQL did not start; see $logs/postgres.log"
  head -n 1 "$data/postmaster.pid" >"$run/postgres.pid"
  "$bin/psql" -h 127.0.0.1 -p "$PG_PORT" -U ferretdb -d postgres -tAc \
    "SELECT 1 FROM pg_database WHERE datname='ferretdb'" | grep -q 1 \
    || "$bin/createdb" -h 127.0.0.1 -p "$PG_PORT" -U ferretdb ferretdb
}

# FerretDB's lookups served by indexes (the file says how); at every start, running or not.
install_index_companion() {
  "$(pg_bin)/psql" -h 127.0.0.1 -p "$PG_PORT" -U ferretdb -d ferretdb -q -v ON_ERROR_STOP=1 \
    -f "$here/ferretdb/indexes.sql" >>"$logs/postgres.log" 2>&1 \
    || die "the store's index companion was not installed; see $logs/postgres.log"
}

start_ferretdb() {
  ours "$run/ferretdb.pid" ferretdb && { wait_port ferretdb "$MONGO_PORT" 60 "$run/ferretdb.pid"; return 0; }
  port_free_or_die ferretdb "$MONGO_PORT"
  mkdir -p "$state/ferretdb"
  setsid "$state/bin/ferretdb" --handler=postgresql \
    --postgresql-url="postgres://ferretdb@127.0.0.1:$PG_PORT/ferretdb?pool_max_conns=150" \
    --listen-addr="127.0.0.1:$MONGO_PORT" --debug-addr="127.0.0.1:$((MONGO_PORT + 1000))" \
    --state-dir="$state/ferretdb" --telemetry=disable --log-level=warn \
    </dev/null >>"$logs/ferretdb.log" 2>&1 &
  echo $! >"$run/ferretdb.pid"
  wait_port ferretdb "$MONGO_PORT" 60 "$run/ferretdb.pid"
}

# The local broker's principals and their ACLs (libs/service_kit/service_kit/broker_access.py), with
# development passwords derived from a secret in .local/kafka/dev-secret. It runs on the machine's
# real clock under make test-dates: its admin client is librdkafka's (confluent-kafka), which under
# faketime's LD_PRELOAD hung (as kcat timed out, see kcat.sh); the broker keeps the moved clock.
broker_access() {
  # python.sh's progress goes to stderr: callers take this function's output as the answer.
  [ -x "$root/.venv/bin/python" ] || "$here/python.sh" >&2
  env -u LD_PRELOAD -u FAKETIME -u DISTRICT_KAFKA_USERNAME -u DISTRICT_KAFKA_PASSWORD DISTRICT_LOCAL_DIR="$state" \
    DISTRICT_KAFKA_BOOTSTRAP_SERVERS="127.0.0.1:$KAFKA_PORT" \
    "$root/.venv/bin/python" -m service_kit.broker_access "$@" </dev/null
}

start_kafka() {
  if ours "$run/kafka.pid" kafka.Kafka && ! grep -q '^sasl.enabled.mechanisms=SCRAM-SHA-512' "$state/kafka/server.properties"; then
    say "the running Kafka was started before the broker required SASL: restarting it"
    stop_pid kafka kafka.Kafka
  fi
  ours "$run/kafka.pid" kafka.Kafka && { wait_port kafka "$KAFKA_PORT" 120 "$run/kafka.pid"; return 0; }
  port_free_or_die kafka "$KAFKA_PORT"
  need java "install a Java 17 runtime (Debian: openjdk-17-jre-headless)"
  local data="$state/kafka/data" config="$state/kafka/server.properties" marker="$state/kafka/scram-admin.sha256"
  local admin_password fingerprint
  admin_password=$(broker_access password admin)
  fingerprint=$(printf '%s' "$admin_password" | sha256sum | cut -d' ' -f1)
  mkdir -p "$state/kafka"
  (umask 077 && sed -e "s#127.0.0.1:9092#127.0.0.1:$KAFKA_PORT#g" -e "s#127.0.0.1:9093#127.0.0.1:$KAFKA_CONTROLLER_PORT#g" \
    -e "s#@ADMIN_PASSWORD@#$admin_password#g" "$here/kafka/server.properties" >"$config")
  echo "log.dirs=$data" >>"$config"
  local java_cmd=(java -Xms256m -Xmx768m -XX:+UseG1GC -Djava.awt.headless=true
    "-Dlog4j2.configurationFile=$here/kafka/log4j2.properties" -cp "$state/kafka/libs/*")
  # The broker refuses unauthenticated clients, and its admin is a SCRAM user written into the
  # storage when it is formatted: data formatted before (without it) cannot be used, nor data
  # whose admin has another password (a deleted .local/kafka/dev-secret).
  if [ -f "$data/meta.properties" ] && [ "$(cat "$marker" 2>/dev/null)" != "$fingerprint" ]; then
    say "the Kafka data in $data was formatted without this broker's SCRAM admin (made before the broker required SASL, or with another dev secret): reformatting the local dev broker; its topics and records are deleted"
    rm -rf "$data"
  fi
  if [ ! -f "$data/meta.properties" ]; then
    say "formatting Kafka storage in $data (SCRAM-SHA-512 user 'admin')"
    local cluster_id
    cluster_id=$("${java_cmd[@]}" kafka.tools.StorageTool random-uuid 2>>"$logs/kafka.log" | tail -n 1)
    "${java_cmd[@]}" kafka.tools.StorageTool format -t "$cluster_id" -c "$config" \
      --add-scram "SCRAM-SHA-512=[name=admin,password=$admin_password]" \
      </dev/null >>"$logs/kafka.log" 2>&1 || die "formatting Kafka storage failed; see $logs/kafka.log"
    echo "$fingerprint" >"$marker"
  fi
  setsid "${java_cmd[@]}" kafka.Kafka "$config" </dev/null >>"$logs/kafka.log" 2>&1 &
  echo $! >"$run/kafka.pid"
  wait_port kafka "$KAFKA_PORT" 120 "$run/kafka.pid"
}

# Every contract topic and its dead-letter topic, then the services' users and ACLs, as the admin.
grant_access() {
  local admin_password
  admin_password=$(broker_access password admin)
  DISTRICT_KAFKA_BOOTSTRAP_SERVERS="127.0.0.1:$KAFKA_PORT" \
    DISTRICT_KAFKA_USERNAME=admin DISTRICT_KAFKA_PASSWORD="$admin_password" \
    "$root/.venv/bin/python" -m service_kit.create_topics </dev/null >>"$logs/topics.log" 2>&1 \
    || die "creating topics failed; see $logs/topics.log"
  broker_access apply >>"$logs/topics.log" 2>&1 || die "creating the broker's users and ACLs failed; see $logs/topics.log"
}

start() {
  provision
  start_postgres
  install_index_companion
  start_ferretdb
  start_kafka
  grant_access
  say "ready: kafka 127.0.0.1:$KAFKA_PORT (SASL SCRAM-SHA-512, ACLs), mongodb://127.0.0.1:$MONGO_PORT (FerretDB on PostgreSQL :$PG_PORT); logs in $logs"
}

stop_pid() {
  local name="$1" pidfile="$run/$1.pid"
  if ours "$pidfile" "$2"; then
    kill "$(cat "$pidfile")" 2>/dev/null || true
    for _ in $(seq 1 100); do alive "$pidfile" || break; sleep 0.2; done
    alive "$pidfile" && kill -9 "$(cat "$pidfile")" 2>/dev/null || true
    say "stopped $name"
  fi
  rm -f "$pidfile"
}

stop() {
  stop_pid kafka kafka.Kafka
  stop_pid ferretdb ferretdb
  local bin data="$state/postgres"
  bin=$(pg_bin)
  if [ -n "$bin" ] && [ -f "$data/postmaster.pid" ]; then
    as_pg "$bin/pg_ctl" -D "$data" -m fast -w stop >/dev/null 2>&1 && say "stopped postgres" || true
  fi
  rm -f "$run/postgres.pid"
}

status() {
  local code=0
  for pair in "kafka:$KAFKA_PORT" "ferretdb:$MONGO_PORT" "postgres:$PG_PORT"; do
    if port_open "${pair#*:}"; then say "${pair%%:*} up on 127.0.0.1:${pair#*:}"
    else say "${pair%%:*} down"; code=3; fi
  done
  return $code
}

reset() {
  stop
  rm -rf "$state/postgres" "$state/kafka/data" "$state/ferretdb"
  say "data deleted"
}

case "${1:-}" in
  provision) provision ;;
  reset) reset ;;
  start) start ;;
  stop) stop ;;
  status) status ;;
  *) echo "usage: $0 provision|start|stop|status|reset" >&2; exit 2 ;;
esac
