"""OpenAPI and AsyncAPI documents are committed; they must match what the code generates."""

import importlib.util
import json
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[2]
_spec = importlib.util.spec_from_file_location("generated_docs", ROOT / "deploy/local/generated_docs.py")
generated_docs = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(generated_docs)
DOCUMENTS = generated_docs.render_all()


@pytest.mark.parametrize("path", sorted(DOCUMENTS), ids=lambda p: str(p.relative_to(ROOT)))
def test_committed_document_is_up_to_date(path: Path):
    assert path.exists(), f"{path} is missing: run `make docs`"
    assert path.read_text() == DOCUMENTS[path], f"{path.relative_to(ROOT)} is stale: run `make docs`"


def test_scheduling_asyncapi_describes_visit_logged_with_its_schema():
    document = json.loads(DOCUMENTS[ROOT / "services/scheduling/asyncapi.json"])

    assert document["asyncapi"] == "3.0.0"
    channel = document["channels"]["district.visits.v1:visit-logged"]
    assert channel["address"] == "district.visits.v1"
    assert document["operations"]["district.visits.v1:visit-logged"]["action"] == "send"
    payload = document["components"]["schemas"]["VisitLogged"]
    assert set(payload["required"]) == {
        "visit_id",
        "student_id",
        "class_id",
        "visiting_staff_ids",
        "visited_on",
        "mode",
    }


def test_reporting_asyncapi_shows_it_consumes_visits():
    document = json.loads(DOCUMENTS[ROOT / "services/reporting/asyncapi.json"])

    assert any(op["action"] == "receive" for op in document["operations"].values())
    assert any(ch["address"] == "district.visits.v1" for ch in document["channels"].values())


def test_routes_document_their_problem_answers():
    scheduling = json.loads(DOCUMENTS[ROOT / "services/scheduling/openapi.json"])

    post = scheduling["paths"]["/v1/home-visits"]["post"]
    assert post["description"].startswith("登记一次家访")
    for status in ("401", "404", "422"):
        [(media_type, content)] = post["responses"][status]["content"].items()
        assert media_type == "application/problem+json"
        assert content["schema"] == {"$ref": "#/components/schemas/ProblemDetails"}
