#!/usr/bin/env bash
# docker-compose's Kafka (apache/kafka image): the local broker's configuration
# (deploy/local/kafka/server.properties: SASL SCRAM-SHA-512, ACLs, no anonymous access) on the
# compose network. The storage is formatted with the SCRAM admin; once the broker answers, each
# service's user is set to the password the environment gives it and the ACLs of
# libs/service_kit/service_kit/broker_access.py are applied (kafka-acls.sh, generated); the
# healthcheck waits for that. The admin's password is the one the volume was first formatted with.
set -euo pipefail
: "${ADMIN_PASSWORD:?set DISTRICT_KAFKA_ADMIN_PASSWORD}"
kafka=/opt/kafka/bin config=/tmp/server.properties admin=/tmp/admin.properties data=/var/lib/kafka/data
sed -e 's#^listeners=.*#listeners=BROKER://:9092,CONTROLLER://:9093#' -e 's#127\.0\.0\.1#kafka#g' \
  -e "s#@ADMIN_PASSWORD@#${ADMIN_PASSWORD}#g" /district/local/kafka/server.properties >"$config"
echo "log.dirs=$data" >>"$config"
cat >"$admin" <<PROPERTIES
security.protocol=SASL_PLAINTEXT
sasl.mechanism=SCRAM-SHA-512
sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="admin" password="${ADMIN_PASSWORD}";
PROPERTIES
# shellcheck source=kafka-acls.sh
. /district/compose/kafka-acls.sh  # PRINCIPALS and apply_acls
for principal in "${PRINCIPALS[@]}"; do
  variable="${principal^^}_PASSWORD"
  [ -n "${!variable:-}" ] || { echo "[kafka] set the password of '$principal' (DISTRICT_KAFKA_${variable})" >&2; exit 1; }
done
# a volume formatted before the broker required SASL has no SCRAM admin, and this broker could not
# even log in to itself: such a volume is formatted again (its topics and records are lost)
if [ -f "$data/meta.properties" ] && [ ! -f "$data/district-scram-admin" ]; then
  echo "[kafka] $data was formatted without the SCRAM admin: formatting it again"
  find "$data" -mindepth 1 -delete
fi
if [ ! -f "$data/meta.properties" ]; then
  "$kafka/kafka-storage.sh" format -t "$("$kafka/kafka-storage.sh" random-uuid)" -c "$config" \
    --add-scram "SCRAM-SHA-512=[name=admin,password=${ADMIN_PASSWORD}]"
  touch "$data/district-scram-admin"
fi
acl() { "$kafka/kafka-acls.sh" --bootstrap-server kafka:9092 --command-config "$admin" --add "$@" >/dev/null; }
(
  until "$kafka/kafka-topics.sh" --bootstrap-server kafka:9092 --command-config "$admin" --list >/dev/null 2>&1; do
    sleep 2
  done
  for principal in "${PRINCIPALS[@]}"; do
    variable="${principal^^}_PASSWORD"
    "$kafka/kafka-configs.sh" --bootstrap-server kafka:9092 --command-config "$admin" --alter \
      --entity-type users --entity-name "$principal" --add-config "SCRAM-SHA-512=[password=${!variable}]" >/dev/null
  done
  apply_acls
  touch /tmp/access-granted
  echo "[kafka] the services' users and ACLs are in place"
) &
exec "$kafka/kafka-server-start.sh" "$config"
