import copy
import json

import jsonschema
import pytest
from contracts.events import VisitLoggedV1
from contracts.schemas import (
    all_events,
    breaking_changes,
    example_dir,
    generate,
    render,
    schema_path,
)

EVENTS = all_events()


@pytest.mark.parametrize("event", EVENTS, ids=lambda e: e.__name__)
def test_committed_schema_matches_the_model(event):
    committed = schema_path(event)
    assert committed.exists(), f"{committed} is missing: run `make schemas`"
    assert committed.read_text() == render(generate(event)), (
        f"{committed.name} has drifted from {event.__name__}: run `make schemas` and commit"
    )


@pytest.mark.parametrize("event", EVENTS, ids=lambda e: e.__name__)
def test_every_example_validates_against_schema_and_model(event):
    schema = json.loads(schema_path(event).read_text())
    examples = sorted(example_dir(event).glob("*.json"))
    assert examples, f"no example messages for {event.__name__}"
    for example in examples:
        message = json.loads(example.read_text())
        jsonschema.validate(message, schema, format_checker=jsonschema.FormatChecker())
        assert event.model_validate(message).event_type == message["event_type"]


def test_schema_rejects_an_example_with_a_missing_required_field():
    schema = json.loads(schema_path(VisitLoggedV1).read_text())
    message = json.loads(next(example_dir(VisitLoggedV1).glob("*.json")).read_text())
    del message["payload"]["student_id"]
    with pytest.raises(jsonschema.ValidationError, match="student_id"):
        jsonschema.validate(message, schema)


def _visit_schema():
    return generate(VisitLoggedV1)


def test_adding_an_optional_field_is_compatible():
    new = _visit_schema()
    new["$defs"]["VisitLogged"]["properties"]["holiday"] = {"type": "boolean", "default": False}
    assert breaking_changes(_visit_schema(), new) == []


def test_removing_a_field_is_breaking():
    new = _visit_schema()
    del new["$defs"]["VisitLogged"]["properties"]["mode"]
    new["$defs"]["VisitLogged"]["required"].remove("mode")
    assert breaking_changes(_visit_schema(), new) == ["$.payload.mode: property removed"]


def test_a_new_required_field_is_breaking():
    new = _visit_schema()
    new["$defs"]["VisitLogged"]["properties"]["term_id"] = {"type": "string"}
    new["$defs"]["VisitLogged"]["required"].append("term_id")
    assert breaking_changes(_visit_schema(), new) == ["$.payload.term_id: property is now required"]


def test_changing_a_type_is_breaking():
    new = _visit_schema()
    new["$defs"]["VisitLogged"]["properties"]["class_id"]["type"] = "integer"
    assert breaking_changes(_visit_schema(), new) == [
        "$.payload.class_id: type changed from ('string',) to ('integer',)"
    ]


def test_removing_an_enum_value_is_breaking():
    old = _visit_schema()
    new = copy.deepcopy(old)
    new["$defs"]["VisitMode"]["enum"].remove("video")
    assert breaking_changes(old, new) == ["$.payload.mode: enum values removed: ['video']"]


def test_regenerating_refuses_to_overwrite_with_a_breaking_change(monkeypatch, tmp_path):
    import contracts.schemas as schemas

    monkeypatch.setattr(schemas, "SCHEMA_DIR", tmp_path)
    committed = generate(VisitLoggedV1)
    committed["$defs"]["VisitLogged"]["properties"]["term_id"] = {"type": "string"}
    path = schema_path(VisitLoggedV1)
    path.parent.mkdir(parents=True)
    path.write_text(render(committed))

    refusals = schemas.write_all()

    assert refusals == ["visit-logged.v1.json: $.payload.term_id: property removed"]
    assert json.loads(path.read_text()) == committed
    assert schema_path(next(e for e in EVENTS if e is not VisitLoggedV1)).exists()
