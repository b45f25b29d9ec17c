"""No input answers 500 (issue 10): what the fuzzer found, and the rules that keep it from coming back.

Every request is sent in process to the real app of each service (``create_app``, lifespan not
run: nothing connects), so each one must be refused at the edge, before a route reaches the store:
a 422 problem+json naming the field. The last tests read the OpenAPI documents: every request
body refuses unknown fields, and every string in it is typed ``contracts.inputs.Text`` or
``FreeText`` (its schema says ``x-control-characters``).
"""

import importlib
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from functools import cache
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from service_kit.auth import Role, mint_token

SERVICES = ("registry", "scheduling", "notifications", "reporting")


@cache
def app_of(service: str) -> FastAPI:
    app: FastAPI = importlib.import_module(f"{service}.app").create_app()
    return app


def token(service: str, role: Role, **scope: Any) -> dict[str, str]:
    settings = app_of(service).state.settings
    minted = mint_token(settings, subject="stf-1", role=role, district_id="d-yecheng", **scope)
    return {"authorization": f"Bearer {minted}"}


ADMIN = {"school_id": "sch-yecheng-9"}
TEACHER = {"school_id": "sch-yecheng-9", "class_ids": ["cls-3-2"]}


async def send(service: str, method: str, path: str, **kwargs: Any) -> httpx.Response:
    transport = httpx.ASGITransport(app=app_of(service), raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        return await client.request(method, path, **kwargs)


def refused(answer: httpx.Response) -> dict[str, dict[str, str]]:
    """The 422 problem's errors by field."""
    assert answer.status_code == 422, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    return {error["field"]: error for error in answer.json()["errors"]}


# What the fuzzer found ----------------------------------------------------------------------------


async def test_a_class_id_with_a_nul_is_refused_when_staff_is_registered():
    staff = {"name": "阿依古丽", "roles": ["subject_teacher"], "class_ids": ["cls-3-2\x00"]}

    answer = await send(
        "registry",
        "POST",
        "/v1/schools/sch-yecheng-9/staff",
        json=staff,
        headers=token("registry", Role.school_admin, **ADMIN),
    )

    assert "body.class_ids.0" in refused(answer)


async def test_a_name_with_a_control_character_is_refused_with_a_message_in_chinese():
    staff = {"name": "阿依\x1b古丽", "roles": ["subject_teacher"]}

    answer = await send(
        "registry",
        "POST",
        "/v1/schools/sch-yecheng-9/staff",
        json=staff,
        headers=token("registry", Role.school_admin, **ADMIN),
    )

    error = refused(answer)["body.name"]
    assert error["code"] == "control_character"
    assert "控制字符 U+001B" in error["message"]


async def test_a_term_plan_with_an_empty_student_id_is_refused_naming_it():
    visit = {"student_id": "", "planned_on": "2026-10-12", "visiting_staff_ids": ["stf-1"], "mandatory": True}

    answer = await send(
        "scheduling",
        "POST",
        "/v1/classes/cls-3-2/term-plan",
        json={"visits": [visit]},
        headers=token("scheduling", Role.teacher, **TEACHER),
    )

    assert "body.visits.0.student_id" in refused(answer)


async def test_a_term_plan_is_refused_where_the_planned_visit_it_becomes_would_be():
    staff = [f"stf-{n}" for n in range(11)]  # a planned visit takes at most 10
    visit = {
        "student_id": "stu-1",
        "planned_on": "2026-10-12",
        "visiting_staff_ids": staff,
        "mandatory": False,
    }

    answer = await send(
        "scheduling",
        "POST",
        "/v1/classes/cls-3-2/term-plan",
        json={"visits": [visit]},
        headers=token("scheduling", Role.teacher, **TEACHER),
    )

    assert "body.visits.0.visiting_staff_ids" in refused(answer)


@pytest.mark.parametrize(
    "school_year", ["0000-0000", "0000-0001", "9998-9999", "2026-2028", "２０２６-２０２７"]
)
async def test_trends_of_no_real_school_year_are_refused(school_year: str):
    answer = await send(
        "reporting",
        "GET",
        "/v1/trends",
        params={"school_year": school_year},
        headers=token("reporting", Role.bureau),
    )

    assert refused(answer)["query.school_year"]["code"] == "bad_period"


# Periods, wherever they are accepted --------------------------------------------------------------


@pytest.mark.parametrize(
    ("service", "method", "path", "body", "field"),
    [
        ("registry", "GET", "/v1/policy/0000-0000", None, "path.school_year"),
        ("registry", "PUT", "/v1/policy/2026-2028", {"targets": {}}, "path.school_year"),
        ("registry", "GET", "/v1/terms/0000-0001", None, "path.school_year"),
        (
            "registry",
            "PUT",
            "/v1/terms/9998-9999/autumn",
            {"starts_on": "2026-09-01", "ends_on": "2027-01-20"},
            "path.school_year",
        ),
        (
            "scheduling",
            "POST",
            "/v1/classes/cls-3-2/term-plan/proposal",
            {"school_year": "0000-0001", "term": "autumn", "teacher_ids": ["stf-1"]},
            "body.school_year",
        ),
        (
            "scheduling",
            "POST",
            "/v1/recurring-meetings",
            {
                "title": "校长接待日",
                "rrule": "FREQ=MONTHLY;BYDAY=1FR",
                "start_time": "09:00",
                "duration_minutes": 60,
                "school_year": "2026-2028",
                "term": "autumn",
            },
            "body.school_year",
        ),
        ("reporting", "GET", "/v1/overview?term=0000-0001-autumn", None, "query.term"),
        ("reporting", "GET", "/v1/rankings?term=1999-2000-spring", None, "query.term"),
        ("reporting", "GET", "/v1/completeness?month=0000-01", None, "query.month"),
        ("reporting", "POST", "/v1/bulletins/0000-12", None, "path.month"),
    ],
)
async def test_a_period_that_is_no_real_period_is_refused_naming_the_field(
    service: str, method: str, path: str, body: Any, field: str
):
    headers = (
        token(service, Role.bureau) | token(service, Role.teacher, **TEACHER)
        if service == "scheduling"
        else {}
    )
    headers = headers or token(service, Role.bureau)

    answer = await send(service, method, path, json=body, headers=headers)

    assert field in refused(answer)


# Path and query parameters ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("service", "path", "field"),
    [
        ("registry", "/v1/students/stu-1%00", "path.student_id"),
        ("scheduling", "/v1/home-visits/vis-1%00", "path.visit_id"),
        ("notifications", "/v1/messages/msg-%001", "path.message_id"),
        ("reporting", "/v1/schools/sch-1%00/report?term=2026-2027-autumn", "path.school_id"),
        ("reporting", "/v1/trends?school_year=2026-2027&school_id=sch%00", "query.school_id"),
    ],
)
async def test_every_service_refuses_a_nul_in_a_path_or_query_parameter(service: str, path: str, field: str):
    answer = await send(service, "GET", path, headers=token(service, Role.bureau))

    assert refused(answer)[field]["code"] == "control_character"


# Unknown fields ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "body"),
    [
        (
            "/v1/announcements",
            {"school_id": "sch-yecheng-9", "audience": {"kind": "school"}, "variables": {}, "urgent": True},
        ),
        (
            "/v1/announcements/preview",
            {"school_id": "sch-yecheng-9", "audience": {"kind": "school", "everyone": True}},
        ),
        ("/v1/emergencies", {"student_id": "stu-1", "summary": "扭伤脚踝", "escalate_to": "bureau"}),
        ("/v1/templates/preview", {"template": "announcement", "lang": "en"}),
    ],
)
async def test_notifications_refuse_unknown_fields_instead_of_dropping_them(path: str, body: dict[str, Any]):
    answer = await send(
        "notifications", "POST", path, json=body, headers=token("notifications", Role.school_admin, **ADMIN)
    )

    errors = refused(answer)
    assert [e["code"] for e in errors.values()] == ["extra_forbidden"]


async def test_template_variables_that_do_not_fit_the_template_are_a_422_not_a_500():
    variables = {
        "school_name": "良舍小学",
        "title": "家长会",
        "place": "教室",
        "rsvp_url": "https://x.example",
    }
    preview = {"template": "meeting_invitation", "variables": variables | {"starts_at": "下周五"}}

    answer = await send(
        "notifications",
        "POST",
        "/v1/templates/preview",
        json=preview,
        headers=token("notifications", Role.teacher),
    )

    assert "body.variables" in refused(answer)


async def test_a_signed_receipt_that_is_not_a_receipt_is_a_422():
    from channels_standin import DEV_KEYS
    from notifications.channels import signature

    key, secret = DEV_KEYS["sms"]
    raw = json.dumps({"message_id": "msg-1\x00", "status": "delivered", "extra": 1}).encode()
    stamp = str(int(datetime.now(UTC).timestamp()))
    headers = {"x-api-key": key, "x-timestamp": stamp, "x-signature": signature(secret, stamp, raw)}

    answer = await send("notifications", "POST", "/v1/providers/sms/receipts", content=raw, headers=headers)

    assert set(refused(answer)) == {"body.message_id", "body.extra"}


# The documents: every request body, every string in it --------------------------------------------


def request_bodies(document: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            for content in operation.get("requestBody", {}).get("content", {}).values():
                yield f"{method.upper()} {path}", content["schema"]


def walk(document: dict[str, Any], schema: dict[str, Any], where: str, seen: set[str]) -> Iterator[str]:
    """Every place in a request schema that would let an unknown field or an unchecked string in."""
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        if name not in seen:
            seen.add(name)
            yield from walk(document, document["components"]["schemas"][name], name, seen)
        return
    for key in ("anyOf", "oneOf", "allOf"):
        for option in schema.get(key, []):
            yield from walk(document, option, where, seen)
    kind = schema.get("type")
    if kind == "object":
        if "properties" in schema and schema.get("additionalProperties") is not False:
            yield f"{where}: unknown fields are not refused"
        for name, inner in schema.get("properties", {}).items():
            yield from walk(document, inner, f"{where}.{name}", seen)
        if isinstance(schema.get("additionalProperties"), dict):
            yield from walk(document, schema["additionalProperties"], f"{where}.*", seen)
        if "propertyNames" in schema:
            yield from walk(document, schema["propertyNames"] | {"type": "string"}, f"{where}.[key]", seen)
    elif kind == "array" and "items" in schema:
        yield from walk(document, schema["items"], f"{where}[]", seen)
    elif kind == "string" and not ({"enum", "const", "format", "x-control-characters"} & set(schema)):
        yield f"{where}: a string that is not Text or FreeText"


@pytest.mark.parametrize("service", SERVICES)
def test_every_request_body_refuses_unknown_fields_and_checks_every_string(service: str):
    document = app_of(service).openapi()
    seen: set[str] = set()

    gaps = [
        gap
        for operation, schema in request_bodies(document)
        for gap in walk(document, schema, operation, seen)
    ]

    assert gaps == []
