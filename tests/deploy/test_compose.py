"""docker-compose.yml is checked by compose-go, the Compose specification's own parser, which
needs no Docker engine."""

import os
import re
import subprocess
from pathlib import Path

import pytest
import yaml
from service_kit.broker_access import compose_script

ROOT = Path(__file__).parents[2]
CHECKER = ROOT / ".local/bin/compose-check"
SERVICES = ("registry", "scheduling", "notifications", "reporting", "portal")


@pytest.fixture(scope="module")
def compose_check() -> Path:
    if not CHECKER.exists():
        subprocess.run(
            ["go", "build", "-o", str(CHECKER), "."],
            cwd=ROOT / "deploy/local/compose-check",
            check=True,
            stdin=subprocess.DEVNULL,
            capture_output=True,
        )
    return CHECKER


def run_check(checker: Path, compose_file: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(checker), str(compose_file)],
        env=os.environ
        | {
            "DISTRICT_TOKEN_SIGNING_KEY": "compose-check-key",
            "DISTRICT_LINK_SIGNING_KEY": "compose-check-key",
        }
        | {f"DISTRICT_KAFKA_{name.upper()}_PASSWORD": f"{name}-check" for name in ("admin", *SERVICES)},
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        check=False,
    )


def test_compose_file_is_valid_and_names_the_whole_platform(compose_check):
    result = run_check(compose_check, ROOT / "docker-compose.yml")

    assert result.returncode == 0, result.stderr
    assert set(result.stdout.split()) >= {*SERVICES, "kafka", "mongodb", "otel-collector", "jaeger"}


def test_compose_check_fails_on_a_broken_file(compose_check, tmp_path):
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    compose["services"]["reporting"]["depends_on"] = {"warehouse": {"condition": "service_healthy"}}
    compose["services"]["scheduling"]["restart"] = 3
    broken = tmp_path / "docker-compose.yml"
    broken.write_text(yaml.safe_dump(compose))

    result = run_check(compose_check, broken)

    assert result.returncode == 1
    assert "restart" in result.stderr or "warehouse" in result.stderr


@pytest.mark.parametrize("service", SERVICES)
def test_each_service_image_builds_its_own_package(service):
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    build = compose["services"][service]["build"]
    dockerfile = ROOT / build["context"] / build["dockerfile"]
    text = dockerfile.read_text()

    assert f"--package district-{service}" in text
    assert f'"-m", "{service}"' in text
    assert (ROOT / "services" / service / service / "__main__.py").exists()


def test_compose_check_refuses_to_run_kafka_without_its_passwords(compose_check):
    result = subprocess.run(
        [str(compose_check), str(ROOT / "docker-compose.yml")],
        env={k: v for k, v in os.environ.items() if not k.startswith("DISTRICT_KAFKA_")}
        | {"DISTRICT_TOKEN_SIGNING_KEY": "k", "DISTRICT_LINK_SIGNING_KEY": "k"},
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        check=False,
    )

    assert result.returncode == 1
    assert re.search(r"required variable DISTRICT_KAFKA_[A-Z]+_PASSWORD is missing a value", result.stderr)


def test_kafka_runs_the_local_brokers_sasl_configuration_and_the_generated_acls():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    kafka = compose["services"]["kafka"]
    start = (ROOT / "deploy/compose/kafka-start.sh").read_text()

    assert kafka["command"] == ["/bin/bash", "/district/compose/kafka-start.sh"]
    assert "./deploy:/district:ro" in kafka["volumes"]
    assert "/district/local/kafka/server.properties" in start
    assert "/district/compose/kafka-acls.sh" in start
    assert (ROOT / "deploy/compose/kafka-acls.sh").read_text() == compose_script(), (
        "deploy/compose/kafka-acls.sh is stale: python -m service_kit.broker_access compose-script"
    )


@pytest.mark.parametrize("service", SERVICES)
def test_each_service_logs_in_to_kafka_as_its_own_principal(service):
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    environment = compose["services"][service]["environment"]
    kafka = compose["services"]["kafka"]["environment"]
    variable = f"DISTRICT_KAFKA_{service.upper()}_PASSWORD"

    assert environment["DISTRICT_KAFKA_USERNAME"] == service
    assert environment["DISTRICT_KAFKA_PASSWORD"].startswith(f"${{{variable}:?")
    assert kafka[f"{service.upper()}_PASSWORD"].startswith(f"${{{variable}:?")
    assert environment["DISTRICT_KAFKA_SASL_MECHANISM"] == "SCRAM-SHA-512"
