"""The Kubernetes manifests keep the promises DESIGN.md section 9 makes of them."""

from pathlib import Path

import pytest
import yaml

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
