"""The Kubernetes manifests keep the promises DESIGN.md section 9 makes of them."""

from pathlib import Path

import pytest
import yaml
from service_kit.broker_access import service_principal, subscriber_principal

K8S = Path(__file__).parents[2] / "deploy/k8s"
SERVICES = ("registry", "scheduling", "notifications", "reporting", "portal")


def documents(name: str) -> list[dict]:
    return [d for d in yaml.safe_load_all((K8S / f"{name}.yaml").read_text()) if d]


@pytest.mark.parametrize("service", SERVICES)
def test_service_deployment_is_probed_limited_and_unprivileged(service):
    deployment = next(d for d in documents(service) if d["kind"] == "Deployment")
    pod = deployment["spec"]["template"]["spec"]
    [container] = pod["containers"]

    assert pod["securityContext"]["runAsNonRoot"] is True
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert set(container["resources"]) == {"requests", "limits"}
    assert {"name": "DISTRICT_SERVICE_NAME", "value": service} in container["env"]


def test_replicas_never_exceed_the_partitions_a_consumer_group_can_use():
    config = documents("config")[0]["data"]
    partitions = int(config["DISTRICT_KAFKA_TOPIC_PARTITIONS"])

    for service in SERVICES:
        deployment = next(d for d in documents(service) if d["kind"] == "Deployment")
        assert deployment["spec"]["replicas"] <= partitions


def test_kafka_cluster_replicates_three_times():
    kafka = next(d for d in documents("kafka") if d["kind"] == "Kafka")
    pool = next(d for d in documents("kafka") if d["kind"] == "KafkaNodePool")

    assert pool["spec"]["replicas"] == 3
    assert kafka["spec"]["kafka"]["config"]["default.replication.factor"] == 3
    assert documents("config")[0]["data"]["DISTRICT_KAFKA_REPLICATION_FACTOR"] == "3"


def kafka_users() -> dict[str, dict]:
    return {d["metadata"]["name"]: d for d in documents("kafka") if d["kind"] == "KafkaUser"}


def test_kafka_listener_authenticates_every_client_and_authorizes_by_acl():
    kafka = next(d for d in documents("kafka") if d["kind"] == "Kafka")["spec"]["kafka"]

    assert [listener["authentication"]["type"] for listener in kafka["listeners"]] == ["scram-sha-512"]
    assert kafka["authorization"]["type"] == "simple"
    assert "allow.everyone.if.no.acl.found" not in kafka["config"]  # Strimzi's default: false


@pytest.mark.parametrize("service", SERVICES)
def test_each_service_has_a_kafka_user_with_exactly_its_acls(service):
    user = kafka_users()[service]

    assert user["metadata"]["namespace"] == "district-platform"
    assert user["metadata"]["labels"]["strimzi.io/cluster"] == "district-kafka"
    assert user["spec"]["authentication"]["type"] == "scram-sha-512"
    assert user["spec"]["authorization"]["type"] == "simple"
    assert user["spec"]["authorization"]["acls"] == [acl.strimzi() for acl in service_principal(service).acls]


def test_the_example_subscriber_reads_public_topics_only():
    users = kafka_users()
    [subscriber] = set(users) - set(SERVICES)

    assert users[subscriber]["spec"]["authentication"]["type"] == "scram-sha-512"
    assert users[subscriber]["spec"]["authorization"]["acls"] == [
        acl.strimzi() for acl in subscriber_principal(subscriber).acls
    ]


def test_user_operator_writes_the_passwords_where_the_services_run():
    kafka = next(d for d in documents("kafka") if d["kind"] == "Kafka")
    deployments = [d for s in SERVICES for d in documents(s) if d["kind"] == "Deployment"]
    namespaces = {d["metadata"]["namespace"] for d in deployments}

    assert namespaces == {kafka["spec"]["entityOperator"]["userOperator"]["watchedNamespace"]}


@pytest.mark.parametrize("service", SERVICES)
def test_each_service_logs_in_as_its_own_kafka_user(service):
    deployment = next(d for d in documents(service) if d["kind"] == "Deployment")
    [container] = deployment["spec"]["template"]["spec"]["containers"]

    assert {"name": "DISTRICT_KAFKA_USERNAME", "value": service} in container["env"]
    assert {
        "name": "DISTRICT_KAFKA_PASSWORD",
        "valueFrom": {"secretKeyRef": {"name": service, "key": "password"}},
    } in container["env"]
