"""The first slice on the real broker and store: a teacher logs a home visit in scheduling and
reporting's API counts it for that school."""

import asyncio
import uuid
from datetime import date, timedelta

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from contracts.events.visits import VisitLogged, VisitLoggedV1, VisitMode
from contracts.topics import VISITS_V1, dead_letter_topic
from opentelemetry.trace import SpanKind
from pymongo import AsyncMongoClient
from school_clock import SCHOOL_TODAY
from service_kit.auth import Role, mint_token
from service_kit.changes import Change, ChangeLog, ChangeRelay
from service_kit.settings import ServiceSettings

pytestmark = pytest.mark.infra


def visit_body(pupil, **changes) -> dict:
    body = {
        "student_id": pupil.student_id,
        "class_id": pupil.class_id,
        "visited_on": (SCHOOL_TODAY - timedelta(days=1)).isoformat(),
        "mode": "in_person",
        "topics": ["学习习惯"],
        "findings": "孩子由祖父母照看，作业完成情况良好。",
    }
    return body | changes


def teacher(platform, pupil, class_ids=None) -> dict:
    token = platform.token(
        Role.teacher, pupil.school_id, list(class_ids or [pupil.class_id]), subject="stf-0012"
    )
    return {"authorization": f"Bearer {token}"}


async def visits_counted(platform, school_id: str) -> int:
    bureau = {"authorization": f"Bearer {platform.token(Role.bureau, None)}"}
    answer = await platform.reporting.get(f"/v1/schools/{school_id}/home-visits", headers=bureau)
    if answer.status_code == 404:  # reporting knows of the school from no registry event or visit yet
        return 0
    assert answer.status_code == 200, answer.text
    return answer.json()["visits_logged"]


async def test_logged_visit_is_counted_by_reporting(platform, pupil, eventually):
    school_id = pupil.school_id
    answer = await platform.scheduling.post(
        "/v1/home-visits", json=visit_body(pupil), headers=teacher(platform, pupil)
    )

    assert answer.status_code == 201, answer.text
    visit = answer.json()
    assert visit["school_id"] == school_id
    assert visit["visiting_staff_ids"] == ["stf-0012"]

    async def counted() -> bool:
        return await visits_counted(platform, school_id) == 1

    await eventually(counted)
    summary = await platform.reporting.get(
        f"/v1/schools/{school_id}/home-visits", headers=teacher(platform, pupil)
    )
    assert summary.json() == {
        "district_id": "d-e2e",
        "school_id": school_id,
        "visits_logged": 1,
        "students_visited": 1,
        "two_staff_visits": 0,
        "guardian_confirmed": 0,
    }
    stored = await platform.scheduling.get(
        f"/v1/home-visits/{visit['visit_id']}", headers=teacher(platform, pupil)
    )
    assert stored.json()["findings"] == visit_body(pupil)["findings"]


async def _publish(infrastructure, *messages: bytes, key: bytes) -> None:
    producer = AIOKafkaProducer(**infrastructure.kafka_options(), acks="all")
    await producer.start()
    try:
        for message in messages:
            await producer.send_and_wait(VISITS_V1, message, key=key)
    finally:
        await producer.stop()


def _visit_event(school_id: str) -> VisitLoggedV1:
    return VisitLoggedV1(
        producer="scheduling",
        district_id="d-e2e",
        school_id=school_id,
        payload=VisitLogged(
            visit_id=f"v-{uuid.uuid4().hex[:8]}",
            student_id="stu-000481",
            class_id="cls-3-2",
            visiting_staff_ids=["stf-0012"],
            visited_on=date(2026, 10, 13),
            mode=VisitMode.phone,
        ),
    )


async def test_same_event_delivered_twice_counts_once(platform, infrastructure, school_id, eventually):
    event, marker = _visit_event(school_id), _visit_event(school_id)

    # The marker, sent after the duplicate on the same partition (same key), proves the
    # duplicate has been consumed by the time the marker is counted.
    await _publish(infrastructure, event.to_json(), event.to_json(), marker.to_json(), key=school_id.encode())

    async def marker_counted() -> bool:
        return await platform.reporting_has_visit(marker.payload.visit_id)

    await eventually(marker_counted)
    assert await visits_counted(platform, school_id) == 2


async def test_malformed_body_answers_422_naming_the_field(platform, pupil):
    answer = await platform.scheduling.post(
        "/v1/home-visits", json=visit_body(pupil, mode="by_pigeon"), headers=teacher(platform, pupil)
    )

    assert answer.status_code == 422
    assert answer.headers["content-type"] == "application/problem+json"
    problem = answer.json()
    assert problem["status"] == 422
    assert [e["field"] for e in problem["errors"]] == ["body.mode"]


async def test_visit_date_in_the_future_answers_422_and_stores_nothing(platform, pupil):
    school_id = pupil.school_id
    tomorrow = (SCHOOL_TODAY + timedelta(days=2)).isoformat()
    answer = await platform.scheduling.post(
        "/v1/home-visits", json=visit_body(pupil, visited_on=tomorrow), headers=teacher(platform, pupil)
    )

    assert answer.status_code == 422
    assert answer.json()["errors"][0]["field"] == "body.visited_on"
    db = platform.scheduling_app.state.store.visits
    assert await db.count_documents({"school_id": school_id}) == 0


async def test_missing_token_answers_401(platform):
    body = {"student_id": "stu-1", "class_id": "cls-1", "visited_on": "2026-11-01", "mode": "phone"}
    answer = await platform.scheduling.post("/v1/home-visits", json=body)

    assert answer.status_code == 401
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.headers["www-authenticate"] == "Bearer"


async def test_token_of_another_school_gets_404_not_403(platform, pupil):
    school_id = pupil.school_id
    logged = await platform.scheduling.post(
        "/v1/home-visits", json=visit_body(pupil), headers=teacher(platform, pupil)
    )
    other_token = platform.token(Role.teacher, "sch-liangshe", [pupil.class_id], subject="stf-9")
    other_school = {"authorization": f"Bearer {other_token}"}

    read = await platform.scheduling.get(f"/v1/home-visits/{logged.json()['visit_id']}", headers=other_school)
    report = await platform.reporting.get(f"/v1/schools/{school_id}/home-visits", headers=other_school)
    missing = await platform.scheduling.get("/v1/home-visits/v-does-not-exist", headers=other_school)

    assert read.status_code == report.status_code == missing.status_code == 404
    assert read.json()["type"] == missing.json()["type"]


async def test_visit_for_a_student_not_enrolled_in_the_named_class_is_404(platform, pupil, registry_api):
    other_class = await registry_api.new_class(pupil.school_id, "三年级3班")

    answer = await platform.scheduling.post(
        "/v1/home-visits",
        json=visit_body(pupil, class_id=other_class),
        headers=teacher(platform, pupil, class_ids=[other_class]),
    )

    assert answer.status_code == 404
    assert (
        await platform.scheduling_app.state.store.visits.count_documents({"school_id": pupil.school_id}) == 0
    )


async def test_teacher_cannot_log_a_visit_for_a_class_they_do_not_teach(platform, pupil):
    school_id = pupil.school_id
    answer = await platform.scheduling.post(
        "/v1/home-visits", json=visit_body(pupil, class_id="cls-6-1"), headers=teacher(platform, pupil)
    )

    assert answer.status_code == 404
    db = platform.scheduling_app.state.store.visits
    assert await db.count_documents({"school_id": school_id}) == 0


class CrashAfterPublish(ChangeRelay):
    """A relay that dies after publishing, before it can mark the change as published."""

    async def mark_published(self, change_ids) -> None:
        raise ConnectionError("relay process killed")


async def test_relay_crash_after_publish_republishes_and_consumer_ignores_duplicate(
    platform, infrastructure, school_id, eventually
):
    client = AsyncMongoClient(infrastructure.mongodb_url)
    db = client[f"{platform.scheduling_settings.mongodb_database}_relay_crash"]
    event = _visit_event(school_id)
    await ChangeLog(db).record(
        Change("visits", event.payload.visit_id, 1, {"school_id": school_id}, (event,))
    )
    broker = platform.scheduling_app.state.runtime.broker

    with pytest.raises(ConnectionError):
        await CrashAfterPublish(db, broker).relay_once()
    restarted = ChangeRelay(db, broker)
    assert await restarted.pending_count() == 1
    assert await restarted.relay_once() == 1  # the same event, published a second time
    assert await restarted.pending_count() == 0

    async def counted() -> bool:
        return await visits_counted(platform, school_id) >= 1

    await eventually(counted)
    marker = _visit_event(school_id)
    await _publish(infrastructure, marker.to_json(), key=school_id.encode())

    async def marker_counted() -> bool:
        return await platform.reporting_has_visit(marker.payload.visit_id)

    await eventually(marker_counted)
    assert await visits_counted(platform, school_id) == 2
    await client.close()


async def test_malformed_event_is_dead_lettered_with_reason_and_consumer_keeps_going(
    platform, infrastructure, school_id, eventually
):
    garbage = f'{{"event_type": "visit-logged", "school_id": "{school_id}", "broken": '.encode()
    wrong_shape = b'{"event_type": "visit-logged", "event_id": "x-' + school_id.encode() + b'"}'
    good = _visit_event(school_id)

    await _publish(infrastructure, garbage, wrong_shape, good.to_json(), key=school_id.encode())

    async def good_counted() -> bool:
        return await visits_counted(platform, school_id) == 1

    await eventually(good_counted)
    # every consumer of the topic parks what it cannot read: here reporting's entries
    parked = await _read_dead_letters(infrastructure, {garbage, wrong_shape}, "reporting")
    assert set(parked) == {garbage, wrong_shape}
    assert parked[garbage]["dlt-reason"].startswith("malformed: not JSON")
    assert "payload" in parked[wrong_shape]["dlt-reason"]
    assert parked[garbage]["dlt-original-topic"] == VISITS_V1
    assert parked[garbage]["dlt-consumer"] == "reporting"


async def _read_dead_letters(
    infrastructure, wanted: set[bytes], consumer_name: str
) -> dict[bytes, dict[str, str]]:
    consumer = AIOKafkaConsumer(
        dead_letter_topic(VISITS_V1),
        **infrastructure.kafka_options(),
        group_id=f"test-dlt-{uuid.uuid4().hex}",
        auto_offset_reset="earliest",
    )
    await consumer.start()
    found: dict[bytes, dict[str, str]] = {}
    try:
        async with asyncio.timeout(30):
            while set(found) != wanted:
                batch = await consumer.getmany(timeout_ms=500)
                for records in batch.values():
                    for record in records:
                        headers = {k: v.decode() for k, v in record.headers}
                        if record.value in wanted and headers.get("dlt-consumer") == consumer_name:
                            found[record.value] = headers
    finally:
        await consumer.stop()
    return found


async def test_one_trace_spans_the_scheduling_request_and_the_reporting_consumer(
    platform, pupil, span_exporter, eventually
):
    school_id = pupil.school_id
    span_exporter.clear()
    answer = await platform.scheduling.post(
        "/v1/home-visits", json=visit_body(pupil), headers=teacher(platform, pupil)
    )
    assert answer.status_code == 201

    async def counted() -> bool:
        return await visits_counted(platform, school_id) == 1

    await eventually(counted)
    [request_span] = [
        s
        for s in span_exporter.get_finished_spans()
        if s.kind is SpanKind.SERVER and s.attributes.get("http.route") == "/v1/home-visits"
    ]
    trace_id = request_span.context.trace_id

    async def consumed_in_same_trace() -> bool:
        return any(
            s.kind is SpanKind.CONSUMER and s.context.trace_id == trace_id and VISITS_V1 in s.name
            for s in span_exporter.get_finished_spans()
        )

    await eventually(consumed_in_same_trace, 30)
    in_trace = [s for s in span_exporter.get_finished_spans() if s.context.trace_id == trace_id]
    names = [s.name for s in in_trace]
    assert any("insert" in name for name in names), names  # scheduling stored the visit (PyMongo)
    assert any(VISITS_V1 in s.name and s.kind is SpanKind.PRODUCER for s in in_trace), names


async def test_a_retried_post_with_the_same_idempotency_key_logs_one_visit(
    platform, infrastructure, pupil, eventually
):
    headers = teacher(platform, pupil) | {"idempotency-key": f"visit-{uuid.uuid4()}"}
    body = visit_body(pupil)

    first = await platform.scheduling.post("/v1/home-visits", json=body, headers=headers)
    retried = await platform.scheduling.post("/v1/home-visits", json=body, headers=headers)
    other_body = await platform.scheduling.post(
        "/v1/home-visits", json=body | {"mode": "phone"}, headers=headers
    )
    without_key = await platform.scheduling.post(
        "/v1/home-visits", json=body, headers=teacher(platform, pupil)
    )

    assert first.status_code == retried.status_code == 201
    assert retried.json() == first.json()
    assert retried.headers["idempotent-replayed"] == "true"
    assert other_body.status_code == 422
    assert other_body.json()["errors"][0]["field"] == "header.Idempotency-Key"
    assert without_key.json()["visit_id"] != first.json()["visit_id"]

    assert (
        await platform.scheduling_app.state.store.visits.count_documents({"school_id": pupil.school_id}) == 2
    )

    async def both_counted() -> bool:
        return await visits_counted(platform, pupil.school_id) >= 2

    await eventually(both_counted)
    marker = _visit_event(pupil.school_id)  # published after both visits, on the school's partition
    await _publish(infrastructure, marker.to_json(), key=pupil.school_id.encode())

    async def marker_counted() -> bool:
        return await platform.reporting_has_visit(marker.payload.visit_id)

    await eventually(marker_counted)
    assert await visits_counted(platform, pupil.school_id) == 3  # two visits and the marker


async def test_a_retry_with_a_fresh_token_for_the_same_teacher_logs_one_visit(platform, pupil):
    """The portal mints a new token for each request it forwards: a phone's retry of a visit comes
    with the same Idempotency-Key but another token of the same teacher, and must not log it twice;
    another teacher's request with the same key is their own."""

    def bearer(subject: str, lifetime: timedelta) -> dict:
        token = mint_token(
            ServiceSettings(),
            subject=subject,
            role=Role.teacher,
            district_id="d-e2e",
            school_id=pupil.school_id,
            class_ids=[pupil.class_id],
            lifetime=lifetime,
        )
        return {"authorization": f"Bearer {token}"}

    key = {"idempotency-key": f"visit-{uuid.uuid4()}"}
    first = await platform.scheduling.post(
        "/v1/home-visits", json=visit_body(pupil), headers=bearer("stf-0012", timedelta(minutes=5)) | key
    )
    retried = await platform.scheduling.post(
        "/v1/home-visits", json=visit_body(pupil), headers=bearer("stf-0012", timedelta(minutes=6)) | key
    )
    colleague = await platform.scheduling.post(
        "/v1/home-visits", json=visit_body(pupil), headers=bearer("stf-0013", timedelta(minutes=5)) | key
    )

    assert first.status_code == retried.status_code == colleague.status_code == 201
    assert retried.headers["idempotent-replayed"] == "true"
    assert retried.json()["visit_id"] == first.json()["visit_id"]
    assert colleague.json()["visit_id"] != first.json()["visit_id"]
    assert (
        await platform.scheduling_app.state.store.visits.count_documents({"school_id": pupil.school_id}) == 2
    )


async def test_planned_visit_is_counted_only_once_done_and_takes_one_outcome(
    platform, infrastructure, pupil, read_topic, eventually
):
    headers = teacher(platform, pupil)
    plan = {
        "student_id": pupil.student_id,
        "class_id": pupil.class_id,
        "mode": "in_person",
        "planned_on": (SCHOOL_TODAY + timedelta(days=7)).isoformat(),
    }

    planned = await platform.scheduling.post("/v1/home-visits/plans", json=plan, headers=headers)
    visit_id = planned.json()["visit_id"]
    no_reason = await platform.scheduling.post(
        f"/v1/home-visits/{visit_id}/outcome", json={"outcome": "rescheduled"}, headers=headers
    )
    moved = await platform.scheduling.post(
        f"/v1/home-visits/{visit_id}/outcome",
        json={
            "outcome": "rescheduled",
            "reason": "家长出差",
            "new_date": (SCHOOL_TODAY + timedelta(days=9)).isoformat(),
        },
        headers=headers,
    )
    done = await platform.scheduling.post(
        f"/v1/home-visits/{visit_id}/outcome",
        json={
            "outcome": "done",
            "topics": ["学习习惯"],
            "findings": "与奶奶沟通作业情况",
            "follow_ups": [
                {"action": "每周电话联系", "owner_id": "stf-0012", "due_on": SCHOOL_TODAY.isoformat()}
            ],
        },
        headers=headers,
    )
    again = await platform.scheduling.post(
        f"/v1/home-visits/{visit_id}/outcome", json={"outcome": "cancelled", "reason": "x"}, headers=headers
    )

    assert planned.status_code == 201, planned.text
    assert planned.json()["status"] == "planned"
    assert no_reason.status_code == 422
    assert no_reason.json()["errors"][0]["field"] == "body.reason"
    assert moved.json()["version"] == 2
    assert done.json()["status"] == "done"
    assert done.json()["visited_on"] == platform.scheduling_settings.school_today().isoformat()
    assert again.status_code == 409

    async def counted() -> bool:
        return await visits_counted(platform, pupil.school_id) == 1

    await eventually(counted)

    def lifecycle(messages):
        return [
            (m["event_type"], m["payload"].get("version"))
            for m in messages
            if m.get("payload", {}).get("visit_id") == visit_id
        ]

    events = lifecycle(await read_topic(VISITS_V1, lambda ms: len(lifecycle(ms)) >= 4))
    # the done outcome agreed follow-ups: their due dates follow the visit-logged
    assert events == [
        ("visit-planned", 1),
        ("visit-planned", 2),
        ("visit-logged", None),
        ("follow-ups-changed", 3),
    ]


async def test_follow_ups_per_class_and_the_guardians_view_on_the_real_store(platform, pupil):
    headers = teacher(platform, pupil)
    plan = {
        "student_id": pupil.student_id,
        "class_id": pupil.class_id,
        "mode": "phone",
        "planned_on": (SCHOOL_TODAY + timedelta(days=1)).isoformat(),
    }
    visit_id = (await platform.scheduling.post("/v1/home-visits/plans", json=plan, headers=headers)).json()[
        "visit_id"
    ]
    await platform.scheduling.post(
        f"/v1/home-visits/{visit_id}/outcome",
        json={
            "outcome": "done",
            "findings": "父母在外务工，由奶奶照看",
            "shareable_summary": "孩子学习认真",
            "follow_ups": [{"action": "每周电话联系", "owner_id": "stf-0012", "due_on": "2020-01-01"}],
        },
        headers=headers,
    )
    guardian_token = platform.token(Role.guardian, pupil.school_id, None, subject="gdn-1")
    guardian = {"authorization": f"Bearer {guardian_token}"}

    open_items = await platform.scheduling.get(
        f"/v1/classes/{pupil.class_id}/follow-ups?mine=true", headers=headers
    )
    completed = await platform.scheduling.post(
        f"/v1/home-visits/{visit_id}/follow-ups/0/done", headers=headers
    )
    after = await platform.scheduling.get(f"/v1/classes/{pupil.class_id}/follow-ups", headers=headers)
    not_their_child = await platform.scheduling.get(f"/v1/home-visits/{visit_id}", headers=guardian)
    parent_token = platform.token(
        Role.guardian, pupil.school_id, None, subject="gdn-2", student_ids=[pupil.student_id]
    )
    their_child = await platform.scheduling.get(
        f"/v1/home-visits/{visit_id}", headers={"authorization": f"Bearer {parent_token}"}
    )

    assert [(f["action"], f["overdue"]) for f in open_items.json()] == [("每周电话联系", True)]
    assert completed.json()["follow_ups"][0]["done"] is True
    assert after.json() == []
    assert not_their_child.status_code == 404
    assert their_child.json()["shareable_summary"] == "孩子学习认真"
    assert "findings" not in their_child.json()


async def test_guardian_confirms_a_visit_made_by_two_staff_and_reporting_counts_the_evidence(
    platform, pupil, registry_api, eventually
):
    headers = teacher(platform, pupil)
    # the second visitor is a teacher of the class the registry knows (a visit's staff read its findings)
    hired = await registry_api.http.post(
        f"/v1/schools/{pupil.school_id}/staff",
        json={"name": "李老师", "roles": ["subject_teacher"], "class_ids": [pupil.class_id]},
        headers=registry_api.auth(Role.school_admin, pupil.school_id),
    )
    assert hired.status_code == 201, hired.text
    companion = hired.json()["staff_id"]

    async def companion_known() -> bool:
        return await platform.scheduling_app.state.store.projected("staff", companion) is not None

    await eventually(companion_known)
    visit = (
        await platform.scheduling.post(
            "/v1/home-visits", json=visit_body(pupil, visiting_staff_ids=[companion]), headers=headers
        )
    ).json()
    parent = platform.token(
        Role.guardian, pupil.school_id, None, subject="gdn-1", student_ids=[pupil.student_id]
    )
    stranger = platform.token(
        Role.guardian, pupil.school_id, None, subject="gdn-9", student_ids=["stu-other"]
    )

    confirmed = await platform.scheduling.post(
        f"/v1/home-visits/{visit['visit_id']}/confirmation", headers={"authorization": f"Bearer {parent}"}
    )
    twice = await platform.scheduling.post(
        f"/v1/home-visits/{visit['visit_id']}/confirmation", headers={"authorization": f"Bearer {parent}"}
    )
    by_stranger = await platform.scheduling.post(
        f"/v1/home-visits/{visit['visit_id']}/confirmation", headers={"authorization": f"Bearer {stranger}"}
    )

    assert confirmed.status_code == 200, confirmed.text
    assert confirmed.json()["confirmed_on"] is not None
    assert twice.status_code == 409
    assert by_stranger.status_code == 404

    async def evidence_counted() -> bool:
        bureau = {"authorization": f"Bearer {platform.token(Role.bureau, None)}"}
        summary = (
            await platform.reporting.get(f"/v1/schools/{pupil.school_id}/home-visits", headers=bureau)
        ).json()
        return (summary["two_staff_visits"], summary["guardian_confirmed"]) == (1, 1)

    await eventually(evidence_counted)
