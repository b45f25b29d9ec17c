"""docker-compose.yml is checked by compose-go, the Compose specification's own parser, which
needs no Docker engine."""

import os
import subprocess
from pathlib import Path

import pytest
import yaml

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
        },
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
