"""Every service's OpenAPI document is valid OpenAPI: client generators and validators accept it.

Both the live document (``app.openapi()``) and the committed snapshot are checked, so neither a
route nor a stale snapshot can publish a ``$ref`` that points nowhere."""

import importlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from openapi_spec_validator import validate

ROOT = Path(__file__).parents[2]
SERVICES = ("registry", "scheduling", "notifications", "reporting")


def live_document(service: str) -> dict[str, Any]:
    document: dict[str, Any] = importlib.import_module(f"{service}.app").create_app().openapi()
    return document


def committed_document(service: str) -> dict[str, Any]:
    document: dict[str, Any] = json.loads((ROOT / "services" / service / "openapi.json").read_text())
    return document


def references(node: object) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                yield value
            else:
                yield from references(value)
    elif isinstance(node, list):
        for item in node:
            yield from references(item)


def resolves(document: dict[str, Any], ref: str) -> bool:
    """A local JSON pointer (``#/components/schemas/X``) names something in the document."""
    if not ref.startswith("#/"):
        return False
    node: object = document
    for part in ref[2:].split("/"):
        part = part.replace("~1", "/").replace("~0", "~")
        if not isinstance(node, dict) or part not in node:
            return False
        node = node[part]
    return True


DOCUMENTS = {
    f"{service}-{kind}": (load, service)
    for service in SERVICES
    for kind, load in (("live", live_document), ("committed", committed_document))
}


@pytest.mark.parametrize("name", sorted(DOCUMENTS))
def test_openapi_document_is_valid(name: str):
    load, service = DOCUMENTS[name]
    document = load(service)

    unresolved = sorted({ref for ref in references(document) if not resolves(document, ref)})
    assert unresolved == [], f"{name}: $refs that resolve nowhere: {unresolved}"
    validate(document)


def test_problem_answers_share_one_component():
    document = live_document("scheduling")

    answer = document["paths"]["/v1/home-visits"]["post"]["responses"]["422"]
    schema = answer["content"]["application/problem+json"]["schema"]
    assert schema == {"$ref": "#/components/schemas/ProblemDetails"}
    problem = document["components"]["schemas"]["ProblemDetails"]
    assert problem["properties"]["errors"]["anyOf"][0]["items"] == {"$ref": "#/components/schemas/FieldError"}


def test_writes_document_unreadable_bodies_and_conflicts_and_reads_do_not():
    document = live_document("registry")

    write = document["paths"]["/v1/schools"]["post"]["responses"]
    read = document["paths"]["/v1/schools"]["get"]["responses"]
    assert {"400", "401", "403", "404", "409", "422"} <= set(write)
    assert {"400", "409"}.isdisjoint(read)
    assert "403" in read


def test_roster_import_documents_the_files_it_reads():
    document = live_document("registry")

    roster = document["paths"]["/v1/schools/{school_id}/roster"]["post"]
    assert roster["requestBody"]["required"] is True
    assert {"text/csv", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"} <= set(
        roster["requestBody"]["content"]
    )
    assert "415" in roster["responses"]
