"""The API behind the teacher's phone (issue 15), on the real platform: the registry's class
teachers and guardians; scheduling's term plan confirmed by the head teacher only, visits logged
with follow-ups and a summary for the guardian, refused when dated in the future or before the
term, recorded once when sent twice with one Idempotency-Key; the 三必访 students still to visit,
the class's visits of the term and a meeting's roster.

Everything happens in a district of this module's own, whose autumn term 2026-2027 (1 September
to 20 January) holds the school clock's day: no other test's term or visit mixes in."""

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

import httpx
import pytest
from bearer import bearer
from school_clock import SCHOOL_TODAY
from service_kit.auth import Role
from service_kit.idempotency import IDEMPOTENCY, _digest

pytestmark = pytest.mark.infra

YEAR, STARTS, ENDS = "2026-2027", "2026-09-01", "2027-01-20"
# the class's five students: the first three carry a 三必访 care category
CARE = [["left_behind"], ["hardship", "single_parent"], ["special_attention"], [], ["single_parent"]]
S_PLANNED, S_LOGGED_TWICE, S_VISITED, S_REFUSED, S_LISTED = range(5)


async def until(check: Callable[[], Awaitable[bool]], seconds: float = 60, what: str = "") -> None:
    deadline = asyncio.get_running_loop().time() + seconds
    while not await check():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"not reached within {seconds}s: {what}")
        await asyncio.sleep(0.2)


async def ok(answer: httpx.Response) -> dict:
    assert answer.status_code in (200, 201), f"{answer.request.url}: {answer.text}"
    return dict(answer.json())


def day(days: int) -> str:
    return (SCHOOL_TODAY + timedelta(days=days)).isoformat()


@dataclass
class World:
    district: str
    school: str
    class_id: str
    other_class: str  # another class of the same school
    elsewhere_class: str  # a class of another school of the district
    head: str
    math: str
    students: list[str] = field(default_factory=list)
    guardians: list[str] = field(default_factory=list)
    phones: list[str] = field(default_factory=list)
    elsewhere_school: str = ""

    def teacher(self, subject: str, classes: list[str] | None = None) -> dict[str, str]:
        return bearer(Role.teacher, self.district, subject, self.school, classes or [self.class_id])

    @property
    def head_h(self) -> dict[str, str]:
        return self.teacher(self.head)

    @property
    def math_h(self) -> dict[str, str]:
        return self.teacher(self.math)

    @property
    def admin(self) -> dict[str, str]:
        return bearer(Role.school_admin, self.district, f"admin-{self.school}", self.school)

    @property
    def other_class_teacher(self) -> dict[str, str]:
        return self.teacher("stf-other-class", [self.other_class])

    @property
    def elsewhere_admin(self) -> dict[str, str]:
        return bearer(Role.school_admin, self.district, "admin-elsewhere", self.elsewhere_school)

    @property
    def bureau(self) -> dict[str, str]:
        return bearer(Role.bureau, self.district, "bureau-b1")

    def guardian(self, n: int) -> dict[str, str]:
        return bearer(
            Role.guardian, self.district, self.guardians[n], self.school, student_ids=[self.students[n]]
        )


def phone() -> str:
    return "137" + str(uuid.uuid4().int)[:8]


@pytest.fixture(scope="module")
async def world(platform) -> World:
    reg, store = platform.all_services["registry"], platform.scheduling_app.state.store
    district = f"d-b1-{uuid.uuid4().hex[:8]}"
    bureau = bearer(Role.bureau, district, "bureau-b1")
    await ok(
        await reg.put(f"/v1/terms/{YEAR}/autumn", json={"starts_on": STARTS, "ends_on": ENDS}, headers=bureau)
    )

    async def school(name: str) -> str:
        body = {"name": name, "level": "primary", "setting": "rural"}
        return str((await ok(await reg.post("/v1/schools", json=body, headers=bureau)))["school_id"])

    school_id, elsewhere = await school("叶城县第九小学"), await school("良舍小学")
    admin = bearer(Role.school_admin, district, f"admin-{school_id}", school_id)

    async def hire(name: str, role: str, class_ids: list[str]) -> str:
        body = {"name": name, "roles": [role], "class_ids": class_ids, "phone": phone()}
        return str(
            (await ok(await reg.post(f"/v1/schools/{school_id}/staff", json=body, headers=admin)))["staff_id"]
        )

    head = await hire("王老师", "head_teacher", [])
    klass = await ok(
        await reg.post(
            f"/v1/schools/{school_id}/classes",
            json={"grade": 3, "name": "三年级2班", "head_teacher_id": head},
            headers=admin,
        )
    )
    other = await ok(
        await reg.post(
            f"/v1/schools/{school_id}/classes", json={"grade": 3, "name": "三年级3班"}, headers=admin
        )
    )
    math = await hire("李老师", "subject_teacher", [klass["class_id"]])
    elsewhere_admin = bearer(Role.school_admin, district, "admin-elsewhere", elsewhere)
    far = await ok(
        await reg.post(
            f"/v1/schools/{elsewhere}/classes",
            json={"grade": 3, "name": "三年级1班"},
            headers=elsewhere_admin,
        )
    )
    w = World(district, school_id, klass["class_id"], other["class_id"], far["class_id"], head, math)
    w.elsewhere_school = elsewhere
    for n, care in enumerate(CARE):
        body = {"name": f"学生{n}", "gender": "女", "student_number": f"B1-{n}", "care_categories": care}
        student = await ok(await reg.post(f"/v1/classes/{w.class_id}/students", json=body, headers=admin))
        number = phone()
        guardian = await ok(
            await reg.post(
                f"/v1/students/{student['student_id']}/guardians",
                json={"name": f"家长{n}", "relationship": "母亲", "phone": number},
                headers=admin,
            )
        )
        w.students.append(student["student_id"])
        w.guardians.append(guardian["guardian_id"])
        w.phones.append(number)

    async def projected() -> bool:
        klass = await store.class_(w.class_id)
        return (
            len(await store.students_of_class(w.class_id)) == len(CARE)
            and await store.term(district, YEAR, "autumn") is not None
            and klass is not None
            and klass.get("head_teacher_id") == head
            and math in await store.class_teacher_ids(klass)
            and await store.class_(w.elsewhere_class) is not None
            and await store.class_(w.other_class) is not None
            and set(await store.invitees(district, school_id, [w.class_id])) == set(w.guardians)
        )

    await until(projected, 60, "scheduling knows the class, its head teacher, students, guardians and term")
    return w


# Registry: the class's teachers and guardians -----------------------------------------------------


async def test_the_class_teachers_are_its_head_teacher_and_subject_teacher_for_them_and_the_school_admin(
    platform, world
):
    reg = platform.all_services["registry"]
    path = f"/v1/classes/{world.class_id}/teachers"

    by_head = await reg.get(path, headers=world.head_h)
    by_admin = await reg.get(path, headers=world.admin)

    assert by_head.status_code == 200, by_head.text
    assert by_head.json() == [
        {"staff_id": world.head, "name": "王老师", "roles": ["head_teacher"], "head_teacher": True},
        {"staff_id": world.math, "name": "李老师", "roles": ["subject_teacher"], "head_teacher": False},
    ]
    assert by_admin.json() == by_head.json()
    refusals = {
        "teacher of another class": (await reg.get(path, headers=world.other_class_teacher)).status_code,
        "admin of another school": (await reg.get(path, headers=world.elsewhere_admin)).status_code,
        "bureau": (await reg.get(path, headers=world.bureau)).status_code,
        "guardian": (await reg.get(path, headers=world.guardian(0))).status_code,
        "unknown class": (await reg.get("/v1/classes/cls-nowhere/teachers", headers=world.admin)).status_code,
    }
    assert refusals == {
        "teacher of another class": 404,
        "admin of another school": 404,
        "bureau": 403,
        "guardian": 403,
        "unknown class": 404,
    }


async def test_the_class_guardians_are_listed_with_phones_masked_for_its_teachers_only(platform, world):
    reg = platform.all_services["registry"]
    path = f"/v1/classes/{world.class_id}/guardians"

    listed = await reg.get(path, headers=world.math_h)

    assert listed.status_code == 200, listed.text
    assert {g["guardian_id"] for g in listed.json()} == set(world.guardians)
    assert {g["phone"] for g in listed.json()} == {f"{p[:3]}****{p[-4:]}" for p in world.phones}
    assert not any(p in listed.text for p in world.phones)
    assert (await reg.get(path, headers=world.other_class_teacher)).status_code == 404
    assert (await reg.get(path, headers=world.elsewhere_admin)).status_code == 404
    assert (await reg.get(path, headers=world.bureau)).status_code == 403


# Scheduling: the term plan is the head teacher's to confirm ---------------------------------------


async def test_only_the_head_teacher_confirms_the_term_plan_and_a_subject_teacher_is_refused_with_403(
    platform, world
):
    sch = platform.scheduling
    plan = {
        "visits": [
            {
                "student_id": world.students[S_REFUSED],
                "planned_on": day(6),
                "visiting_staff_ids": [world.math],
                "mandatory": False,
            }
        ]
    }
    path = f"/v1/classes/{world.class_id}/term-plan"

    by_subject_teacher = await sch.post(path, json=plan, headers=world.math_h)
    by_admin = await sch.post(path, json=plan, headers=world.admin)
    by_other_school = await sch.post(path, json=plan, headers=world.elsewhere_admin)
    planned_meanwhile = await sch.get(
        f"/v1/classes/{world.class_id}/home-visits", params={"status": "planned"}, headers=world.head_h
    )
    by_head_teacher = await sch.post(path, json=plan, headers=world.head_h)

    for refused in (by_subject_teacher, by_admin):
        assert refused.status_code == 403, refused.text
        assert refused.headers["content-type"] == "application/problem+json"
        assert refused.json()["type"].endswith("/not-head-teacher")
        assert refused.json()["detail"] == "只有本班班主任可以确认学期家访计划"
    assert by_other_school.status_code == 404
    assert world.students[S_REFUSED] not in planned_meanwhile.text  # nothing recorded by the refused
    assert by_head_teacher.status_code == 201, by_head_teacher.text
    [visit] = by_head_teacher.json()
    assert (visit["status"], visit["visiting_staff_ids"]) == ("planned", [world.math])


# Scheduling: logging a visit ----------------------------------------------------------------------


def visit_body(world: World, n: int, **changes) -> dict:
    return {
        "student_id": world.students[n],
        "class_id": world.class_id,
        "visited_on": day(-1),
        "mode": "in_person",
    } | changes


async def test_a_visit_in_the_future_before_the_term_or_followed_up_before_it_is_refused_naming_the_field(
    platform, world
):
    sch = platform.scheduling
    follow_up = {"action": "送学习资料", "owner_id": world.head, "due_on": day(-2)}

    future = await sch.post(
        "/v1/home-visits", json=visit_body(world, S_REFUSED, visited_on=day(1)), headers=world.head_h
    )
    before = await sch.post(
        "/v1/home-visits", json=visit_body(world, S_REFUSED, visited_on="2026-08-31"), headers=world.head_h
    )
    early_follow_up = await sch.post(
        "/v1/home-visits", json=visit_body(world, S_REFUSED, follow_ups=[follow_up]), headers=world.head_h
    )
    planned = await ok(
        await sch.post(
            "/v1/home-visits/plans",
            json={
                "student_id": world.students[S_REFUSED],
                "class_id": world.class_id,
                "planned_on": day(0),
                "mode": "phone",
            },
            headers=world.head_h,
        )
    )
    done_before = await sch.post(
        f"/v1/home-visits/{planned['visit_id']}/outcome",
        json={"outcome": "done", "visited_on": "2026-08-20"},
        headers=world.head_h,
    )

    fields = {
        name: [e["field"] for e in answer.json()["errors"]]
        for name, answer in {
            "future": future,
            "before": before,
            "early_follow_up": early_follow_up,
            "done_before": done_before,
        }.items()
    }
    assert {a.status_code for a in (future, before, early_follow_up, done_before)} == {422}
    assert fields == {
        "future": ["body.visited_on"],
        "before": ["body.visited_on"],
        "early_follow_up": ["body.follow_ups.0.due_on"],
        "done_before": ["body.visited_on"],
    }
    assert "家访日期早于本学期开始" in before.json()["detail"]
    assert "家访日期早于本学期开始" in done_before.json()["detail"]
    still = await sch.get(f"/v1/home-visits/{planned['visit_id']}", headers=world.head_h)
    assert still.json()["status"] == "planned"
    done = await sch.get(
        f"/v1/classes/{world.class_id}/home-visits", params={"status": "done"}, headers=world.head_h
    )
    assert world.students[S_REFUSED] not in done.text  # none of the refused visits was recorded


async def test_the_same_visit_sent_twice_with_one_idempotency_key_is_recorded_once(platform, world):
    sch = platform.scheduling
    body = visit_body(
        world,
        S_LOGGED_TWICE,
        topics=["学习习惯"],
        findings="祖父母照看",
        follow_ups=[{"action": "每周电话联系", "owner_id": world.math, "due_on": day(7)}],
        report="书面报告",
        shareable_summary="孩子学习认真，请家长每天陪伴阅读。",
        guardian_confirmation=True,
    )
    headers = world.head_h | {"idempotency-key": f"offline-{uuid.uuid4()}"}

    first = await sch.post("/v1/home-visits", json=body, headers=headers)
    again = await sch.post("/v1/home-visits", json=body, headers=headers)

    assert first.status_code == again.status_code == 201, again.text
    assert again.headers.get("idempotent-replayed") == "true"
    assert again.json()["visit_id"] == first.json()["visit_id"]
    done = await sch.get(
        f"/v1/classes/{world.class_id}/home-visits", params={"status": "done"}, headers=world.head_h
    )
    assert [v["visit_id"] for v in done.json() if v["student_id"] == world.students[S_LOGGED_TWICE]] == [
        first.json()["visit_id"]
    ]
    stored = await platform.scheduling_app.state.store.visits_of_students(
        world.district, [world.students[S_LOGGED_TWICE]]
    )
    assert len(stored) == 1


async def test_a_logged_visit_keeps_its_follow_ups_report_and_summary_and_asks_the_guardian_to_confirm(
    platform, world, provider
):
    sch = platform.scheduling
    body = visit_body(
        world,
        S_LISTED,
        visited_on=day(-3),
        follow_ups=[{"action": "联系心理老师", "owner_id": world.math, "due_on": day(-3)}],
        report="书面报告",
        shareable_summary="孩子在家表现良好。",
        guardian_confirmation=True,
    )

    logged = await ok(await sch.post("/v1/home-visits", json=body, headers=world.math_h))
    seen_by_guardian = await sch.get(
        f"/v1/home-visits/{logged['visit_id']}", headers=world.guardian(S_LISTED)
    )
    follow_ups = await sch.get(
        f"/v1/classes/{world.class_id}/follow-ups", params={"mine": "true"}, headers=world.math_h
    )
    confirmed = await sch.post(
        f"/v1/home-visits/{logged['visit_id']}/confirmation", headers=world.guardian(S_LISTED)
    )

    assert (logged["report"], logged["shareable_summary"], logged["guardian_confirmation"]) == (
        "书面报告",
        "孩子在家表现良好。",
        True,
    )
    assert logged["follow_ups"] == [
        {"action": "联系心理老师", "owner_id": world.math, "due_on": day(-3), "done": False}
    ]
    assert seen_by_guardian.status_code == 200, seen_by_guardian.text
    assert seen_by_guardian.json()["guardian_confirmation"] is True
    assert "findings" not in seen_by_guardian.json()
    assert [f["index"] for f in follow_ups.json() if f["visit_id"] == logged["visit_id"]] == [0]
    assert confirmed.status_code == 200, confirmed.text

    async def summary_sent() -> bool:
        return any(
            "家访小结" in (m.get("subject") or "") for m in provider[0].to("sms", world.phones[S_LISTED])
        )

    await until(summary_sent, 30, "the guardian's SMS with the summary")
    sms = next(
        m for m in provider[0].to("sms", world.phones[S_LISTED]) if "家访小结" in (m.get("subject") or "")
    )
    assert "孩子在家表现良好。" in sms["text"]
    assert "查看并确认家访：" in sms["text"]  # the teacher asked the guardian to confirm


# Scheduling: what the teacher still has to do this term -------------------------------------------


async def test_must_visit_lists_the_mandatory_students_not_visited_this_term_with_their_planned_visit(
    platform, world
):
    sch = platform.scheduling
    path = f"/v1/classes/{world.class_id}/must-visit"

    before = await sch.get(path, headers=world.math_h)
    planned = await ok(
        await sch.post(
            "/v1/home-visits/plans",
            json={
                "student_id": world.students[S_PLANNED],
                "class_id": world.class_id,
                "planned_on": day(3),
                "mode": "in_person",
                "visiting_staff_ids": [world.math],
            },
            headers=world.head_h,
        )
    )
    await ok(
        await sch.post(
            "/v1/home-visits", json=visit_body(world, S_VISITED, visited_on=day(-2)), headers=world.head_h
        )
    )
    after = await sch.get(path, headers=world.head_h)

    assert before.status_code == 200, before.text
    listed_before = {s["student_id"] for s in before.json()["students"]}
    assert {world.students[S_PLANNED], world.students[S_VISITED]} <= listed_before
    assert not {world.students[S_REFUSED], world.students[S_LISTED]} & listed_before  # no 三必访 category
    assert after.status_code == 200, after.text
    answer = after.json()
    assert (answer["school_year"], answer["term"], answer["starts_on"], answer["ends_on"]) == (
        YEAR,
        "autumn",
        STARTS,
        ENDS,
    )
    by_student = {s["student_id"]: s for s in answer["students"]}
    assert world.students[S_VISITED] not in by_student
    assert by_student[world.students[S_PLANNED]] == {
        "student_id": world.students[S_PLANNED],
        "care_categories": ["left_behind"],
        "planned": {
            "visit_id": planned["visit_id"],
            "planned_on": day(3),
            "visiting_staff_ids": [world.head, world.math],
        },
    }


async def test_the_class_visits_of_the_term_come_soonest_first_by_status_and_by_the_callers_own(
    platform, world
):
    sch = platform.scheduling
    path = f"/v1/classes/{world.class_id}/home-visits"
    mine = await ok(
        await sch.post(
            "/v1/home-visits", json=visit_body(world, S_LISTED, visited_on=day(-5)), headers=world.math_h
        )
    )

    every = (await sch.get(path, headers=world.admin)).json()
    planned = (await sch.get(path, params={"status": "planned"}, headers=world.head_h)).json()
    math_done = (await sch.get(path, params={"status": "done", "mine": "true"}, headers=world.math_h)).json()
    head_done = (await sch.get(path, params={"status": "done", "mine": "true"}, headers=world.head_h)).json()

    days = [v["visited_on"] or v["planned_on"] for v in every]
    assert days == sorted(days)
    assert len(every) >= 2
    assert planned
    assert {v["status"] for v in planned} == {"planned"}
    assert [v["planned_on"] for v in planned] == sorted(v["planned_on"] for v in planned)
    assert mine["visit_id"] in [v["visit_id"] for v in math_done]
    assert all(world.math in v["visiting_staff_ids"] and v["status"] == "done" for v in math_done)
    assert mine["visit_id"] not in [v["visit_id"] for v in head_done]


async def test_a_class_of_another_school_answers_404_on_every_class_route(platform, world):
    sch, reg = platform.scheduling, platform.all_services["registry"]
    reads = {
        ("scheduling", f"/v1/classes/{world.class_id}/must-visit"),
        ("scheduling", f"/v1/classes/{world.class_id}/home-visits"),
        ("registry", f"/v1/classes/{world.class_id}/teachers"),
        ("registry", f"/v1/classes/{world.class_id}/guardians"),
    }
    http = {"scheduling": sch, "registry": reg}

    # school B's admin on A's class; A's admin on school B's class; a teacher naming it in the token
    answers = {
        (who, service, path): (
            await http[service].get(path.replace(world.class_id, klass), headers=headers)
        ).status_code
        for who, klass, headers in (
            ("B's admin", world.class_id, world.elsewhere_admin),
            ("A's admin", world.elsewhere_class, world.admin),
            (
                "A's teacher naming B's class",
                world.elsewhere_class,
                world.teacher(world.head, [world.elsewhere_class]),
            ),
        )
        for service, path in reads
    }

    assert answers == dict.fromkeys(answers, 404)


async def test_between_terms_or_without_one_must_visit_and_the_terms_visits_answer_404(platform):
    reg, store = platform.all_services["registry"], platform.scheduling_app.state.store
    district = f"d-b1-noterm-{uuid.uuid4().hex[:8]}"
    bureau = bearer(Role.bureau, district, "bureau-noterm")
    school = (
        await ok(
            await reg.post(
                "/v1/schools",
                json={"name": "无学期小学", "level": "primary", "setting": "rural"},
                headers=bureau,
            )
        )
    )["school_id"]
    admin = bearer(Role.school_admin, district, "admin-noterm", school)
    klass = (
        await ok(
            await reg.post(
                f"/v1/schools/{school}/classes", json={"grade": 1, "name": "一年级1班"}, headers=admin
            )
        )
    )["class_id"]

    async def known() -> bool:
        return await store.class_(klass) is not None

    await until(known, 60, "scheduling knows the class")
    must = await platform.scheduling.get(f"/v1/classes/{klass}/must-visit", headers=admin)
    visits = await platform.scheduling.get(f"/v1/classes/{klass}/home-visits", headers=admin)

    assert (must.status_code, visits.status_code) == (404, 404)
    assert "学期" in must.json()["detail"]


# Scheduling: a meeting's roster -------------------------------------------------------------------


async def test_the_roster_shows_each_invited_guardian_with_their_answer_and_attendance(platform, world):
    sch = platform.scheduling
    starts = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=5)
    meeting = await ok(
        await sch.post(
            "/v1/meetings",
            json={
                "kind": "parent_meeting",
                "level": "class",
                "class_ids": [world.class_id],
                "title": "期中家长会",
                "starts_at": starts.isoformat(),
                "ends_at": (starts + timedelta(hours=1)).isoformat(),
                "place": "三年级2班教室",
            },
            headers=world.head_h,
        )
    )
    meeting_id = meeting["meeting_id"]
    path = f"/v1/meetings/{meeting_id}/roster"
    await ok(
        await sch.put(f"/v1/meetings/{meeting_id}/rsvp", json={"answer": "yes"}, headers=world.guardian(0))
    )
    await ok(
        await sch.put(f"/v1/meetings/{meeting_id}/rsvp", json={"answer": "no"}, headers=world.guardian(1))
    )
    held: list[httpx.Response] = []

    async def recorded() -> bool:  # attendance is taken once the meeting has started (409 before)
        answer = await sch.post(
            f"/v1/meetings/{meeting_id}/held",
            json={"attended_guardian_ids": [world.guardians[0], world.guardians[2]], "minutes": "纪要"},
            headers=world.head_h,
        )
        held[:] = [answer]
        return answer.status_code != 409

    await until(recorded, 30, "the meeting started")
    assert held[0].status_code == 200, held[0].text

    roster = await sch.get(path, headers=world.math_h)  # a teacher of the invited class

    assert roster.status_code == 200, roster.text
    by_guardian = {e["guardian_id"]: e for e in roster.json()}
    assert set(by_guardian) == set(world.guardians)
    assert by_guardian[world.guardians[0]] == {
        "guardian_id": world.guardians[0],
        "student_ids": [world.students[0]],
        "answer": "yes",
        "attended": True,
    }
    assert (by_guardian[world.guardians[1]]["answer"], by_guardian[world.guardians[1]]["attended"]) == (
        "no",
        False,
    )
    assert (by_guardian[world.guardians[2]]["answer"], by_guardian[world.guardians[2]]["attended"]) == (
        None,
        True,
    )
    assert (by_guardian[world.guardians[3]]["answer"], by_guardian[world.guardians[3]]["attended"]) == (
        None,
        False,
    )
    refusals = {
        "admin": (await sch.get(path, headers=world.admin)).status_code,
        "teacher of another class": (await sch.get(path, headers=world.other_class_teacher)).status_code,
        "admin of another school": (await sch.get(path, headers=world.elsewhere_admin)).status_code,
        "guardian": (await sch.get(path, headers=world.guardian(0))).status_code,
        "bureau": (await sch.get(path, headers=world.bureau)).status_code,
    }
    assert refusals == {
        "admin": 200,
        "teacher of another class": 404,
        "admin of another school": 404,
        "guardian": 403,
        "bureau": 403,
    }


def test_the_school_clock_day_lies_in_this_modules_term():
    # the refusals above are before the term, not merely in the past: the clock must be inside it
    assert date.fromisoformat(STARTS) < SCHOOL_TODAY < date.fromisoformat(ENDS)


# Scheduling: a term plan confirmed again, a retry after a failure half-way ------------------------


async def enrol(platform, world: World, label: str) -> str:
    """A student of no care category joining the class, once scheduling knows them."""
    reg, store = platform.all_services["registry"], platform.scheduling_app.state.store
    body = {"name": f"插班生{label}", "gender": "男", "student_number": f"BX-{uuid.uuid4().hex[:8]}"}
    student_id = str(
        (await ok(await reg.post(f"/v1/classes/{world.class_id}/students", json=body, headers=world.admin)))[
            "student_id"
        ]
    )

    async def known() -> bool:
        return await store.student(student_id) is not None

    await until(known, 60, f"scheduling knows the student {label}")
    return student_id


def plan_visit(student_id: str, planned_on: str, staff_id: str) -> dict:
    return {
        "student_id": student_id,
        "planned_on": planned_on,
        "visiting_staff_ids": [staff_id],
        "mandatory": False,
    }


async def test_a_term_plan_confirmed_again_plans_no_student_twice_and_a_retry_completes_it(platform, world):
    sch, store = platform.scheduling, platform.scheduling_app.state.store
    a, b, c, d = await asyncio.gather(*(enrol(platform, world, label) for label in "甲乙丙丁"))
    path = f"/v1/classes/{world.class_id}/term-plan"
    visit_a, visit_b = plan_visit(a, day(8), world.head), plan_visit(b, day(9), world.math)
    # c has a visit planned this term already, outside any plan
    await ok(
        await sch.post(
            "/v1/home-visits/plans",
            json={"student_id": c, "class_id": world.class_id, "planned_on": day(4), "mode": "phone"},
            headers=world.head_h,
        )
    )

    # a first attempt that stopped after recording its first visit leaves what confirming it alone does
    half = await sch.post(path, json={"visits": [visit_a]}, headers=world.head_h)
    retry = await sch.post(path, json={"visits": [visit_a, visit_b]}, headers=world.head_h)
    moved = await sch.post(path, json={"visits": [visit_a | {"planned_on": day(10)}]}, headers=world.head_h)
    already = await sch.post(
        path,
        json={"visits": [plan_visit(d, day(5), world.head), plan_visit(c, day(6), world.head)]},
        headers=world.head_h,
    )
    twice = await sch.post(
        path,
        json={"visits": [plan_visit(d, day(5), world.head), plan_visit(d, day(7), world.head)]},
        headers=world.head_h,
    )
    proposal = await sch.post(
        f"{path}/proposal",
        json={"school_year": YEAR, "term": "autumn", "teacher_ids": [world.head, world.math]},
        headers=world.head_h,
    )

    assert half.status_code == retry.status_code == 201, retry.text
    assert [v["student_id"] for v in retry.json()] == [a, b]
    assert retry.json()[0] == half.json()[0]  # the visit recorded before is answered as it stands
    stored = await store.visits_of_students(world.district, [a, b, d])
    assert sorted(v["student_id"] for v in stored) == sorted([a, b])  # one each, none for d
    for refused, named in (
        (moved, "body.visits.0.student_id"),
        (already, "body.visits.1.student_id"),
        (twice, "body.visits.1.student_id"),
    ):
        assert refused.status_code == 422, refused.text
        assert [e["field"] for e in refused.json()["errors"]] == [named]
        assert refused.json()["detail"] == "该学生本学期已有计划家访"
    assert proposal.status_code == 200, proposal.text
    assert {a, b, c} <= set(proposal.json()["already_planned"])
    assert not {a, b, c} & {v["student_id"] for v in proposal.json()["visits"]}


async def test_a_visit_sent_again_after_its_key_was_released_by_a_5xx_answer_is_still_recorded_once(
    platform, world
):
    sch, store = platform.scheduling, platform.scheduling_app.state.store
    keys = platform.scheduling_app.state.runtime.db[IDEMPOTENCY]
    logged_student, planned_student = await asyncio.gather(
        enrol(platform, world, "戊"), enrol(platform, world, "己")
    )
    caller = _digest(b"caller", b"teacher", world.district.encode(), world.head.encode())
    sent = {
        "/v1/home-visits": visit_body(world, 0, student_id=logged_student, topics=["安全教育"]),
        "/v1/home-visits/plans": {
            "student_id": planned_student,
            "class_id": world.class_id,
            "planned_on": day(3),
            "mode": "video",
        },
    }
    for path, body in sent.items():
        key = f"offline-{uuid.uuid4()}"
        headers = world.head_h | {"idempotency-key": key}
        first = await sch.post(path, json=body, headers=headers)
        # the answer was a 5xx after the visit was recorded: the middleware released the key
        assert (await keys.delete_one({"_id": f"{caller}:{key}"})).deleted_count == 1
        again = await sch.post(path, json=body, headers=headers)

        assert first.status_code == again.status_code == 201, again.text
        assert "idempotent-replayed" not in again.headers  # answered by the route, not replayed
        assert again.json() == first.json()
    stored = await store.visits_of_students(world.district, [logged_student, planned_student])
    assert sorted(v["student_id"] for v in stored) == sorted([logged_student, planned_student])


# Scheduling: staff named on a visit teach the class -----------------------------------------------


async def test_staff_named_on_a_visit_or_a_plan_who_do_not_teach_the_class_are_refused_naming_the_field(
    platform, world
):
    sch, reg, store = (
        platform.scheduling,
        platform.all_services["registry"],
        platform.scheduling_app.state.store,
    )
    body = {
        "name": "赵老师",
        "roles": ["subject_teacher"],
        "class_ids": [world.other_class],
        "phone": phone(),
    }
    hired = await ok(await reg.post(f"/v1/schools/{world.school}/staff", json=body, headers=world.admin))
    other = str(hired["staff_id"])  # a real teacher of the school, of another class

    async def known() -> bool:
        return await store.projected("staff", other) is not None

    await until(known, 60, "scheduling knows the other class's teacher")
    student = await enrol(platform, world, "庚")
    follow_up = {"action": "送学习资料", "owner_id": world.math, "due_on": day(3)}
    planned = await ok(
        await sch.post(
            "/v1/home-visits/plans",
            json={"student_id": student, "class_id": world.class_id, "planned_on": day(2), "mode": "phone"},
            headers=world.head_h,
        )
    )
    path = f"/v1/classes/{world.class_id}/term-plan"
    answers = {
        "body.visiting_staff_ids.1": await sch.post(
            "/v1/home-visits",
            json=visit_body(world, 0, student_id=student, visiting_staff_ids=[world.math, other]),
            headers=world.head_h,
        ),
        "body.follow_ups.1.owner_id": await sch.post(
            "/v1/home-visits",
            json=visit_body(
                world, 0, student_id=student, follow_ups=[follow_up, follow_up | {"owner_id": "stf-made-up"}]
            ),
            headers=world.head_h,
        ),
        "body.visiting_staff_ids.0": await sch.post(
            "/v1/home-visits/plans",
            json={
                "student_id": student,
                "class_id": world.class_id,
                "planned_on": day(5),
                "mode": "phone",
                "visiting_staff_ids": [other],
            },
            headers=world.head_h,
        ),
        "body.follow_ups.0.owner_id": await sch.post(
            f"/v1/home-visits/{planned['visit_id']}/outcome",
            json={"outcome": "done", "follow_ups": [follow_up | {"owner_id": other}]},
            headers=world.head_h,
        ),
        "body.teacher_ids.1": await sch.post(
            f"{path}/proposal",
            json={"school_year": YEAR, "term": "autumn", "teacher_ids": [world.math, other]},
            headers=world.head_h,
        ),
        "body.visits.0.visiting_staff_ids.0": await sch.post(
            path, json={"visits": [plan_visit(student, day(6), other)]}, headers=world.head_h
        ),
    }
    by_teachers = await sch.post(
        "/v1/home-visits",
        json=visit_body(
            world, 0, student_id=student, visiting_staff_ids=[world.math], follow_ups=[follow_up]
        ),
        headers=world.head_h,
    )

    for named, answer in answers.items():
        assert answer.status_code == 422, f"{named}: {answer.text}"
        assert [e["field"] for e in answer.json()["errors"]] == [named]
        assert answer.json()["detail"] == "不是本班的任课教师"
    assert by_teachers.status_code == 201, by_teachers.text
    assert by_teachers.json()["visiting_staff_ids"] == [world.head, world.math]
    still = await sch.get(f"/v1/home-visits/{planned['visit_id']}", headers=world.head_h)
    assert still.json()["status"] == "planned"  # the refused outcome recorded nothing
    stored = await store.visits_of_students(world.district, [student])
    assert len(stored) == 2  # the plan and the visit the class's teachers made
