"""The fuzz stage: schemathesis sends generated requests to each running service, with a token of
every role, and fails on any 500 and on any answer its OpenAPI document does not describe.

Each operation gets a few examples per role, derandomized so a run repeats the last one exactly:
valid requests on a real school, class and student of the district ``d-fuzz`` (so the routes reach
their rules and stored records, not only their 404s), valid requests with generated ids, and
invalid requests (which must be refused with a documented 4xx). Records the fuzzer creates stay in
``d-fuzz``, away from the district the other end-to-end tests count in.

The servers run on this test's event loop; schemathesis calls them with blocking requests, so it
runs in a worker thread. Every failure is gathered before the test fails, one line per operation,
role and kind of request, with schemathesis' description and the curl command that reproduces it.
"""

import asyncio
import time
from dataclasses import dataclass
from typing import Any

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from service_kit.auth import Role

pytestmark = [
    pytest.mark.infra,
    pytest.mark.timeout(600),
    # schemathesis' own strategies draw from `random`; nothing this test can change
    pytest.mark.filterwarnings("ignore::hypothesis.errors.HypothesisDeprecationWarning"),
]

DISTRICT = "d-fuzz"
EXAMPLES = 4  # per operation, role and kind of request: the stage stays within a few minutes
REQUEST_SECONDS = 10  # the deadline of one request; a slower answer fails the case
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


@dataclass(frozen=True)
class Records:
    """A school, one of its classes and a student in it, registered in ``d-fuzz``."""

    school_id: str
    class_id: str
    student_id: str

    def path_parameters(self, operation: Any) -> dict[str, str]:
        known = {"school_id": self.school_id, "class_id": self.class_id, "student_id": self.student_id}
        names = {parameter.name for parameter in operation.path_parameters}
        return {name: value for name, value in known.items() if name in names}


@pytest.fixture(scope="module")
async def records(platform) -> Records:
    registry = platform.all_services["registry"]
    bureau = {"authorization": f"Bearer {platform.token(Role.bureau, None, district_id=DISTRICT)}"}
    body = {"name": "叶城县模糊测试小学", "level": "primary", "setting": "rural"}
    school = await registry.post("/v1/schools", json=body, headers=bureau)
    assert school.status_code == 201, school.text
    school_id = school.json()["school_id"]
    admin = {"authorization": f"Bearer {platform.token(Role.school_admin, school_id, district_id=DISTRICT)}"}
    klass = await registry.post(
        f"/v1/schools/{school_id}/classes", json={"grade": 4, "name": "四年级1班"}, headers=admin
    )
    assert klass.status_code == 201, klass.text
    class_id = klass.json()["class_id"]
    student = await registry.post(
        f"/v1/classes/{class_id}/students",
        json={"name": "古丽娜", "gender": "女", "student_number": "F1", "care_categories": ["left_behind"]},
        headers=admin,
    )
    assert student.status_code == 201, student.text
    return Records(school_id, class_id, student.json()["student_id"])


def role_tokens(platform, records: Records) -> dict[Role, str]:
    scope = {"district_id": DISTRICT, "subject": "fuzz"}
    return {
        Role.bureau: platform.token(Role.bureau, None, **scope),
        Role.school_admin: platform.token(Role.school_admin, records.school_id, **scope),
        Role.teacher: platform.token(Role.teacher, records.school_id, [records.class_id], **scope),
        Role.guardian: platform.token(
            Role.guardian, records.school_id, student_ids=[records.student_id], **scope
        ),
        Role.partner: platform.token(Role.partner, records.school_id, **scope),
    }


def fuzz(document: dict[str, Any], base_url: str, tokens: dict[Role, str], records: Records) -> list[str]:
    """Run every operation of ``document`` against ``base_url``; the failures found, described."""
    schema = schemathesis.openapi.from_dict(document)
    failures: list[str] = []
    with requests.Session() as session:
        for result in schema.get_all_operations():
            operation = result.ok()
            known = records.path_parameters(operation)
            kinds: list[tuple[str, GenerationMode, dict[str, str]]] = [
                ("valid, generated ids", GenerationMode.POSITIVE, {}),
                ("invalid", GenerationMode.NEGATIVE, {}),
            ]
            if known:
                kinds.insert(0, ("valid, known records", GenerationMode.POSITIVE, known))
            for role, token in tokens.items():
                headers = {"authorization": f"Bearer {token}"}
                for kind, mode, path_parameters in kinds:
                    strategy = operation.as_strategy(generation_mode=mode, path_parameters=path_parameters)
                    failure = _first_failure(strategy, base_url, session, headers)
                    if failure:
                        failures.append(f"{operation.label} as {role.value} ({kind}):\n{failure}")
    return failures


def _first_failure(strategy: Any, base_url: str, session: requests.Session, headers: dict) -> str | None:
    @settings(
        max_examples=EXAMPLES,
        derandomize=True,
        database=None,
        deadline=None,  # REQUEST_SECONDS bounds each call; hypothesis' own timing would be flaky here
        phases=[Phase.explicit, Phase.generate],  # no shrinking: the stage stays bounded when it fails
        suppress_health_check=list(HealthCheck),
        print_blob=False,
    )
    @given(case=strategy)
    def check(case: schemathesis.Case) -> None:
        case.call_and_validate(
            base_url=base_url, session=session, headers=headers, checks=CHECKS, timeout=REQUEST_SECONDS
        )

    try:
        check()
    except Unsatisfiable:
        return None  # nothing to send: an invalid request to an operation that takes no input
    except (Exception, BaseExceptionGroup) as exc:  # a check's failure, a group of them, a transport error
        return str(exc)
    return None


@pytest.mark.parametrize("service", ["registry", "scheduling", "notifications", "reporting"])
async def test_service_answers_every_role_as_its_document_says(platform, records, service):
    client = platform.all_services[service]
    document = (await client.get("/openapi.json")).json()
    tokens = role_tokens(platform, records)

    started = time.monotonic()
    failures = await asyncio.to_thread(fuzz, document, str(client.base_url).rstrip("/"), tokens, records)
    print(f"fuzzed {service} in {time.monotonic() - started:.1f}s")

    assert not failures, f"{len(failures)} failures:\n\n" + "\n\n".join(failures)
