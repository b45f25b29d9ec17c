"""The README's two commands exist as make targets, and CI runs the test command and nothing else."""

import importlib
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[2]


def test_ci_runs_the_readme_test_command_only():
    commands = [
        line.strip()
        for line in (ROOT / ".ci/run").read_text().splitlines()
        if line.strip() and not line.lstrip().startswith("#") and not line.startswith(("set ", "cd "))
    ]
    assert commands == ["exec make test"]


def test_readme_names_both_commands_and_make_defines_them():
    readme = (ROOT / "README.md").read_text()
    makefile = (ROOT / "Makefile").read_text()

    assert "make up" in readme
    assert "make test" in readme
    assert re.search(r"^up:", makefile, re.M)
    assert re.search(r"^test:", makefile, re.M)


@pytest.mark.parametrize("service", ["notifications", "portal", "reporting"])
def test_every_setting_is_in_the_readme_table(service):
    settings = importlib.import_module(f"{service}.settings").Settings

    readme = (ROOT / "README.md").read_text()
    for name, field in settings.model_fields.items():  # the shared ones and its own
        env = "OTEL_EXPORTER_OTLP_ENDPOINT" if field.validation_alias else f"DISTRICT_{name.upper()}"
        assert f"`{env}`" in readme, f"{env} is missing from the README's configuration table"
