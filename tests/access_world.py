"""The world the access matrix walks (issue 14): a district D with school A, whose records every
route can point at, and the callers who must not reach them.

Everything is made through the services' real APIs (and their events between services), in
districts of this run's own (``d-acc-…`` and ``d-acz-…``), so ids are unique on a store shared
across runs and reporting counts nothing of other tests. ``World.markers`` holds each piece of
school A's data a caller might be shown (ids, names, phones, free text), by name; ``SEES`` says
which of them each outsider may legitimately see, so that every other one found in a 2xx answer
is a leak.

- District D: school A (classes A1, A2; a head teacher of A1; a subject teacher of A2 only; six
  A1 students with a guardian each, the first a left-behind child (三必访), the third under special
  attention; partners P1, with an active agreement and an activity, and P2, without; a class
  committee; visits planned, logged and done with a follow-up; meetings; tickets; a letter to A1;
  emergencies; a pair with school C; a monthly submission, a bulletin and a dispute), school B
  (a class B1), school C (A's pair) and school C2.
- District Z: its bureau and a school Z1.
"""

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
from bearer import bearer
from school_clock import SCHOOL_TODAY
from service_kit.auth import Role

YEAR = "2026-2027"  # the school year of the school clock (SCHOOL_TODAY): visits, plans, the registry's rows


def term_days(school_year: str, kind: str) -> tuple[date, date]:
    """The district's terms in this world: autumn 1 September–20 January, spring 1 February–15 July."""
    first = int(school_year[:4])
    if kind == "autumn":
        return date(first, 9, 1), date(first + 1, 1, 20)
    return date(first + 1, 2, 1), date(first + 1, 7, 15)


def _term_in(month: date) -> tuple[str, str] | None:
    """The term with days in this month, if any."""
    if month.month >= 9 or month.month == 1:
        first = month.year if month.month >= 9 else month.year - 1
        return f"{first}-{first + 1}", "autumn"
    if 2 <= month.month <= 7:
        return f"{month.year - 1}-{month.year}", "spring"
    return None


def _term_ahead(today: date) -> tuple[str, str]:
    """The first term with a day still to come after ``today``."""
    month = today.replace(day=1)
    while True:
        term = _term_in(month)
        if term is not None and term_days(*term)[1] > today:
            return term
        month = (month + timedelta(days=32)).replace(day=1)


# The registry dates the world on the school clock (SCHOOL_TODAY, through each event's
# effective_on), so school A exists in reporting from that day: the reporting rows read the autumn
# term, and the month of SCHOOL_TODAY once it has ended, with reporting's school clock on the 5th of
# the next month (that month's bulletin, submissions and disputes).
_MONTH = SCHOOL_TODAY.replace(day=1)
MONTH = f"{_MONTH.year}-{_MONTH.month:02d}"
REPORTING_DAY = (_MONTH + timedelta(days=32)).replace(day=5)
TERM = f"{YEAR}-autumn"
# Meetings are instants on the real clock (DESIGN: only business dates follow the school clock), so
# a recurring meeting's occurrences need a term with days still ahead of the real moment.
MEETING_YEAR, MEETING_KIND = _term_ahead(datetime.now(ZoneInfo("Asia/Shanghai")).date())


# Who each outsider is, and which of school A's markers it may legitimately see -------------------

OUTSIDERS = [
    "school-B-admin",
    "school-B-teacher",
    "district-Z-bureau",
    "district-Z-admin",
    "district-Z-forged",  # a guardian token of Z naming A's school, an A1 guardian, A1's students
    "district-Z-forged-partner",  # a partner token of Z naming A's school and partner P1
    "A1-other-family",  # the guardian of another A1 child
    "partner-P2",  # another partner of school A
    "A2-subject-teacher",  # a teacher of another class of school A
]
RIGHTFUL = ["A-admin", "A1-head-teacher", "A1-guardian", "partner-P1", "district-D-bureau"]
# The role each caller's token carries: with a route's rule, it decides the kind of refusal (403 for
# a role the rule does not name, 404 for a record outside the caller's reach).
ROLES: dict[str, str] = {
    "A-admin": "school_admin",
    "A1-head-teacher": "teacher",
    "A1-guardian": "guardian",
    "partner-P1": "partner",
    "district-D-bureau": "bureau",
    "school-B-admin": "school_admin",
    "school-B-teacher": "teacher",
    "district-Z-bureau": "bureau",
    "district-Z-admin": "school_admin",
    "district-Z-forged": "guardian",
    "district-Z-forged-partner": "partner",
    "A1-other-family": "guardian",
    "partner-P2": "partner",
    "A2-subject-teacher": "teacher",
}

# Markers every caller of district D may see: the district's own schools and terms.
_DISTRICT = {"school.A", "school.A.name", "policy.target", "term.holiday"}
_SCHOOL = _DISTRICT | {
    "class.A1",
    "class.A2",
    "staff.head",
    "staff.sub",
    "partner.P1",
    "partner.P2",
    "pair.PR1",
}
SEES: dict[str, set[str]] = {
    "school-B-admin": {"policy.target", "term.holiday"},
    "school-B-teacher": {"policy.target", "term.holiday"},
    "district-Z-bureau": set(),
    "district-Z-admin": set(),
    "district-Z-forged": set(),
    "district-Z-forged-partner": set(),
    # their own child and family, their class's and school's meetings and letter, the school's
    # partners by name and its public activities; no other family, no contact of a partner, no
    # committee, no visit of another child
    "A1-other-family": _SCHOOL
    | {
        "student.s2",
        "student.s2.name",
        "guardian.g2",
        "guardian.g2.phone",
        "guardian.g2.phone.masked",
        "meeting.M1",
        "meeting.reception",
        "announcement.AN1",
        "activity.ACT1",
    },
    # its own partner record and contact; the school's classes and staff by id
    "partner-P2": _SCHOOL | {"partner.P2.contact", "partner.P2.phone"},
    # school staff: partners with their contacts, agreements, activities, the school's meetings
    # (the school calendar); not the students, families, visits or letters of a class it does
    # not teach
    "A2-subject-teacher": _SCHOOL
    | {
        "staff.sub.phone",  # its own
        "staff.sub.email",
        "partner.P1.contact",
        "partner.P1.phone",
        "partner.P2.contact",
        "partner.P2.phone",
        "agreement.AG1",
        "activity.ACT1",
        "meeting.M1",
        "meeting.reception",
        "committee.C1",
    },
}


@dataclass
class World:
    run: str
    district: str
    other_district: str
    http: dict[str, httpx.AsyncClient]
    ids: dict[str, str] = field(default_factory=dict)  # what the route table fills paths with
    markers: dict[str, str] = field(default_factory=dict)  # name → text that must not leak
    headers: dict[str, dict[str, str]] = field(default_factory=dict)  # caller name → auth header
    subjects: dict[str, str] = field(default_factory=dict)  # caller name → token subject
    # caller name → the ids its own token names (a forged token names A's: echoing them is no leak)
    claims: dict[str, set[str]] = field(default_factory=dict)

    def fresh(self, prefix: str = "") -> str:
        return f"{prefix}{uuid.uuid4().hex[:8]}"

    def forbidden(self, caller: str, allow: set[str] = frozenset()) -> dict[str, str]:  # type: ignore[assignment]
        """The markers this outsider must not be shown, by name."""
        seen = SEES[caller] | allow
        return {name: text for name, text in self.markers.items() if name not in seen}


Check = Callable[[], Awaitable[bool]]


async def eventually(check: Check, seconds: float = 60.0, what: str = "") -> None:
    deadline = asyncio.get_running_loop().time() + seconds
    while not await check():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"the world was not ready within {seconds}s: {what}")
        await asyncio.sleep(0.2)


async def _ok(answer: httpx.Response, *codes: int) -> Any:
    assert answer.status_code in (codes or (200, 201)), f"{answer.request.url}: {answer.text}"
    return answer.json() if answer.content else None


def _phone() -> str:
    return "139" + str(uuid.uuid4().int)[:8]


async def build_world(platform: Any) -> World:
    """Seed district D and district Z through the APIs; wait until every service has caught up."""
    run = uuid.uuid4().hex[:8]
    w = World(run, f"d-acc-{run}", f"d-acz-{run}", platform.all_services)
    reg, sch, ntf, rep = (w.http[s] for s in ("registry", "scheduling", "notifications", "reporting"))
    d, z = w.district, w.other_district
    bureau = bearer(Role.bureau, d, f"bureau-d-{run}")
    w.headers["district-D-bureau"] = bureau
    w.subjects["district-D-bureau"] = f"bureau-d-{run}"

    # the district: its term (a holiday named for this run), its policy, its schools
    holiday = f"矩阵校庆{run}"
    await _ok(
        await reg.put(
            f"/v1/terms/{YEAR}/autumn",
            json={
                "starts_on": term_days(YEAR, "autumn")[0].isoformat(),
                "ends_on": term_days(YEAR, "autumn")[1].isoformat(),
                "holidays": [{"name": holiday, "starts_on": "2026-10-01", "ends_on": "2026-10-07"}],
            },
            headers=bureau,
        )
    )
    await _ok(
        await reg.put(f"/v1/policy/{YEAR}", json={"targets": {"home_visit_coverage": 0.6173}}, headers=bureau)
    )
    if (MEETING_YEAR, MEETING_KIND) != (YEAR, "autumn"):
        starts, ends = term_days(MEETING_YEAR, MEETING_KIND)
        await _ok(
            await reg.put(
                f"/v1/terms/{MEETING_YEAR}/{MEETING_KIND}",
                json={"starts_on": starts.isoformat(), "ends_on": ends.isoformat()},
                headers=bureau,
            )
        )
    w.markers["term.holiday"] = holiday
    w.markers["policy.target"] = "0.6173"

    async def school(name: str, headers: dict[str, str]) -> str:
        body = {"name": name, "level": "primary", "setting": "rural"}
        return str((await _ok(await reg.post("/v1/schools", json=body, headers=headers)))["school_id"])

    a_name = f"矩阵甲校{run}"
    a, b, c, c2 = (
        await school(a_name, bureau),
        await school(f"矩阵乙校{run}", bureau),
        await school(f"矩阵丙校{run}", bureau),
        await school(f"矩阵丁校{run}", bureau),
    )
    w.ids |= {"school.A": a, "school.B": b, "school.C": c, "school.C2": c2}
    w.markers |= {"school.A": a, "school.A.name": a_name}
    admin = bearer(Role.school_admin, d, f"admin-a-{run}", a)
    w.headers["A-admin"] = admin
    w.subjects["A-admin"] = f"admin-a-{run}"

    async def klass(school_id: str, name: str, headers: dict[str, str], head: str | None = None) -> str:
        body = {"grade": 3, "name": name} | ({"head_teacher_id": head} if head else {})
        answer = await reg.post(f"/v1/schools/{school_id}/classes", json=body, headers=headers)
        return str((await _ok(answer))["class_id"])

    async def staff(name: str, roles: list[str], class_ids: list[str]) -> tuple[str, str]:
        phone = _phone()
        body = {"name": name, "roles": roles, "class_ids": class_ids, "phone": phone}
        body["email"] = f"t{phone}@school.example.cn"
        answer = await reg.post(f"/v1/schools/{a}/staff", json=body, headers=admin)
        return str((await _ok(answer))["staff_id"]), phone

    # staff contacts are for the bureau and the school admin (registry STAFF): a teacher reading a
    # colleague's phone or email is a leak
    head, head_phone = await staff(f"班主任{run}", ["head_teacher"], [])
    a1 = await klass(a, "三年级1班", admin, head)
    a2 = await klass(a, "三年级2班", admin)
    await _ok(await reg.patch(f"/v1/staff/{head}", json={"class_ids": [a1]}, headers=admin))
    sub, sub_phone = await staff(f"科任{run}", ["subject_teacher"], [a2])
    extra_staff, _ = await staff(f"职员{run}", ["subject_teacher"], [])
    w.ids |= {
        "class.A1": a1,
        "class.A2": a2,
        "staff.head": head,
        "staff.sub": sub,
        "staff.extra": extra_staff,
    }
    w.markers |= {"class.A1": a1, "class.A2": a2, "staff.head": head, "staff.sub": sub}
    w.markers |= {
        "staff.head.phone": head_phone,
        "staff.head.email": f"t{head_phone}@school.example.cn",
        "staff.sub.phone": sub_phone,
        "staff.sub.email": f"t{sub_phone}@school.example.cn",
    }
    head_h = bearer(Role.teacher, d, head, a, [a1])
    w.headers["A1-head-teacher"], w.subjects["A1-head-teacher"] = head_h, head

    # six A1 students, a guardian each (s1 left behind, s3 under special attention), and two more
    # students the writes move or change
    care = {1: ["left_behind"], 3: ["special_attention"]}
    for n in range(1, 9):
        name = f"学生{n}号{run}"
        body = {
            "name": name,
            "gender": "女",
            "student_number": f"M{run}{n}",
            "care_categories": care.get(n, []),
        }
        student = (await _ok(await reg.post(f"/v1/classes/{a1}/students", json=body, headers=admin)))[
            "student_id"
        ]
        w.ids[f"student.s{n}"] = student
        if n > 6:
            continue
        w.markers |= {f"student.s{n}": student, f"student.s{n}.name": name}
        phone = _phone()
        guardian = await _ok(
            await reg.post(
                f"/v1/students/{student}/guardians",
                json={"name": f"家长{n}号{run}", "relationship": "母亲", "phone": phone},
                headers=admin,
            )
        )
        w.ids[f"guardian.g{n}"] = guardian["guardian_id"]
        w.markers |= {f"guardian.g{n}": guardian["guardian_id"], f"guardian.g{n}.phone": phone}
        # the form lists show it in (registry domain.mask_phone): still only for those who call
        w.markers[f"guardian.g{n}.phone.masked"] = f"{phone[:3]}****{phone[-4:]}"
    w.markers["guardian.g1.name"] = f"家长1号{run}"
    students = [w.ids[f"student.s{n}"] for n in range(1, 7)]
    g1, g2 = w.ids["guardian.g1"], w.ids["guardian.g2"]
    s1, s2 = w.ids["student.s1"], w.ids["student.s2"]
    g1_h = bearer(Role.guardian, d, g1, a, student_ids=[s1])
    w.headers["A1-guardian"], w.subjects["A1-guardian"] = g1_h, g1

    # partners, an agreement, a committee, a pair
    async def partner(name: str, kind: str) -> tuple[str, str, str]:
        contact, phone = f"联系人{name}{run}", _phone()
        body = {"name": f"{name}{run}", "kind": kind, "contact_person": contact, "contact_phone": phone}
        answer = await reg.post(f"/v1/schools/{a}/partners", json=body, headers=admin)
        return str((await _ok(answer))["partner_id"]), contact, phone

    p1, p1_contact, p1_phone = await partner("文化路派出所", "police_station")
    p2, p2_contact, p2_phone = await partner("社区卫生服务中心", "health_centre")
    w.ids |= {"partner.P1": p1, "partner.P2": p2}
    w.markers |= {
        "partner.P1": p1,
        "partner.P2": p2,
        "partner.P1.contact": p1_contact,
        "partner.P1.phone": p1_phone,
        "partner.P2.contact": p2_contact,
        "partner.P2.phone": p2_phone,
    }
    p1_h = bearer(Role.partner, d, p1, a)
    w.headers["partner-P1"], w.subjects["partner-P1"] = p1_h, p1
    agreement = await _ok(
        await reg.post(
            f"/v1/partners/{p1}/agreements",
            json={
                "title": f"警校共建协议书{run}",
                "starts_on": "2026-09-01",
                "ends_on": "2027-07-15",
                "commitments": ["法制讲座每学期一次"],
                "signed_on": "2026-09-10",
            },
            headers=admin,
        )
    )
    w.ids["agreement.AG1"] = w.markers["agreement.AG1"] = agreement["agreement_id"]
    committee = await _ok(
        await reg.post(
            f"/v1/schools/{a}/committees",
            json={
                "level": "class",
                "class_id": a1,
                "members": [{"guardian_id": w.ids[f"guardian.g{n}"]} for n in range(1, 6)],
            },
            headers=admin,
        )
    )
    w.ids["committee.C1"] = w.markers["committee.C1"] = committee["committee_id"]
    pair = await _ok(
        await reg.post(
            "/v1/pairs",
            json={"supporting_school_id": a, "supported_school_ids": [c], "starts_on": "2026-09-01"},
            headers=bureau,
        )
    )
    w.ids["pair.PR1"] = w.markers["pair.PR1"] = pair["pair_id"]

    # school B (a class, a student with a guardian, a teacher: B's own records its admin names
    # beside A's in a body), district Z
    b_admin = bearer(Role.school_admin, d, f"admin-b-{run}", b)
    b1 = await klass(b, "三年级1班", b_admin)
    w.ids["class.B1"] = b1
    b_student = await _ok(
        await reg.post(
            f"/v1/classes/{b1}/students",
            json={"name": "乙校学生", "gender": "男", "student_number": f"B{run}"},
            headers=b_admin,
        )
    )
    w.ids["student.B"] = b_student["student_id"]
    b_guardian = await _ok(
        await reg.post(
            f"/v1/students/{b_student['student_id']}/guardians",
            json={"name": "乙校家长", "relationship": "父亲", "phone": _phone()},
            headers=b_admin,
        )
    )
    w.ids["guardian.B"] = b_guardian["guardian_id"]
    b_staff = await _ok(
        await reg.post(
            f"/v1/schools/{b}/staff", json={"name": "乙校教师", "roles": ["subject_teacher"]}, headers=b_admin
        )
    )
    w.ids["staff.B"] = b_staff["staff_id"]
    b_partner = await _ok(
        await reg.post(
            f"/v1/schools/{b}/partners",
            json={"name": f"乙校共建{run}", "kind": "village", "contact_person": "乙校联系人"},
            headers=b_admin,
        )
    )
    b_agreement = await _ok(
        await reg.post(
            f"/v1/partners/{b_partner['partner_id']}/agreements",
            json={
                "title": "乙校共建",
                "starts_on": "2026-09-01",
                "ends_on": "2027-07-15",
                "signed_on": "2026-09-02",
            },
            headers=b_admin,
        )
    )
    w.ids["agreement.B"] = b_agreement["agreement_id"]
    z_bureau = bearer(Role.bureau, z, f"bureau-z-{run}")
    z1 = await school(f"矩阵外区校{run}", z_bureau)
    w.ids["school.Z1"] = z1
    outsiders = {
        "school-B-admin": bearer(Role.school_admin, d, f"admin-b-{run}", b),
        "school-B-teacher": bearer(Role.teacher, d, f"teacher-b-{run}", b, [b1]),
        "district-Z-bureau": z_bureau,
        "district-Z-admin": bearer(Role.school_admin, z, f"admin-z-{run}", z1),
        "district-Z-forged": bearer(Role.guardian, z, g1, a, [a1], students),
        "district-Z-forged-partner": bearer(Role.partner, z, p1, a),
        "A1-other-family": bearer(Role.guardian, d, g2, a, student_ids=[s2]),
        "partner-P2": bearer(Role.partner, d, p2, a),
        "A2-subject-teacher": bearer(Role.teacher, d, sub, a, [a2]),
    }
    w.headers |= outsiders
    w.claims = {
        "district-Z-forged": {g1, a, a1, *students},
        "district-Z-forged-partner": {p1, a},
        "A1-other-family": {g2, a, s2},
        "partner-P2": {p2, a},
        "A2-subject-teacher": {sub, a, a2},
    }
    w.subjects |= {
        "school-B-admin": f"admin-b-{run}",
        "school-B-teacher": f"teacher-b-{run}",
        "district-Z-bureau": f"bureau-z-{run}",
        "district-Z-admin": f"admin-z-{run}",
        "district-Z-forged": g1,
        "district-Z-forged-partner": p1,
        "A1-other-family": g2,
        "partner-P2": p2,
        "A2-subject-teacher": sub,
    }

    # scheduling and notifications follow the registry over Kafka
    scheduling = platform.scheduling_app.state.store
    notifications = platform.notifications_app.state.store

    async def projected() -> bool:
        return (
            len(await scheduling.students_of_class(a1)) == 8
            and set(await scheduling.invitees(d, a, [a1])) >= {w.ids[f"guardian.g{n}"] for n in range(1, 7)}
            and await scheduling.projected("agreements", agreement["agreement_id"]) is not None
            and await scheduling.projected("pairs", pair["pair_id"]) is not None
            and await scheduling.projected("agreements", w.ids["agreement.B"]) is not None
            and await scheduling.term(d, YEAR, "autumn") is not None
            # only the head teacher the registry announced with A1 confirms its term plan
            and (await scheduling.class_(a1) or {}).get("head_teacher_id") == head
            and await scheduling.term(d, MEETING_YEAR, MEETING_KIND) is not None
            and len(await notifications.find("guardians", {"school_id": a})) == 6
            and await notifications.get("classes", a1) is not None
            and await notifications.get("staff", head) is not None
        )

    await eventually(projected, 120, "scheduling and notifications know school A")

    # visits: planned, logged, done with a follow-up; and one of each for the writes
    today = SCHOOL_TODAY

    async def plan(student: str, days: int) -> str:
        body = {
            "student_id": student,
            "class_id": a1,
            "mode": "in_person",
            "planned_on": (today + timedelta(days=days)).isoformat(),
        }
        return str(
            (await _ok(await sch.post("/v1/home-visits/plans", json=body, headers=head_h)))["visit_id"]
        )

    findings = f"祖父母照看{run}"
    follow_up = f"每周电话联系{run}"

    async def log(student: str) -> str:
        body = {
            "student_id": student,
            "class_id": a1,
            "visited_on": (today - timedelta(days=1)).isoformat(),
            "mode": "in_person",
            "topics": ["学习习惯"],
            "findings": findings,
        }
        return str((await _ok(await sch.post("/v1/home-visits", json=body, headers=head_h)))["visit_id"])

    async def done(visit: str) -> None:
        body = {
            "outcome": "done",
            "findings": findings,
            "shareable_summary": f"孩子学习认真{run}",
            "follow_ups": [{"action": follow_up, "owner_id": head, "due_on": "2026-11-01"}],
        }
        await _ok(await sch.post(f"/v1/home-visits/{visit}/outcome", json=body, headers=head_h))

    w.ids["visit.planned"] = await plan(s1, 7)
    w.ids["visit.logged"] = await log(s1)
    w.ids["visit.done"] = await plan(s1, 0)
    await done(w.ids["visit.done"])
    w.ids["visit.for-outcome"] = await plan(s1, 8)
    w.ids["visit.for-confirmation"] = await log(s1)
    w.ids["visit.for-follow-up"] = await plan(s1, 0)
    await done(w.ids["visit.for-follow-up"])
    for name in ("visit.planned", "visit.logged", "visit.done"):
        w.markers[name] = w.ids[name]
    w.markers |= {"visit.findings": findings, "visit.follow-up": follow_up}

    async def b_known() -> bool:
        return await scheduling.student(w.ids["student.B"]) is not None

    await eventually(b_known, 60, "scheduling knows school B's student")

    # meetings: a class meeting of A1, a reception day, one to cancel, one that starts at once;
    # one of school B's
    now = datetime.now(UTC).replace(microsecond=0)

    async def meeting(title: str, starts: datetime, headers: dict[str, str], **body: Any) -> str:
        body = {
            "kind": "parent_meeting",
            "level": "class",
            "class_ids": [a1],
            "title": title,
            "starts_at": starts.isoformat(),
            "ends_at": (starts + timedelta(minutes=50)).isoformat(),
            "place": "三年级1班教室",
        } | body
        return str((await _ok(await sch.post("/v1/meetings", json=body, headers=headers)))["meeting_id"])

    w.ids["meeting.M1"] = await meeting(f"期中家长会{run}", now + timedelta(days=2), head_h)
    w.ids["meeting.cancel"] = await meeting("待取消的家长会", now + timedelta(days=3), head_h)
    w.ids["meeting.started"] = await meeting("已开始的家长会", now + timedelta(seconds=4), head_h)
    w.ids["meeting.reception"] = await meeting(
        "校长接待日",
        now + timedelta(days=4),
        admin,
        kind="reception_day",
        level="school",
        class_ids=[],
    )
    w.markers |= {"meeting.M1": w.ids["meeting.M1"], "meeting.reception": w.ids["meeting.reception"]}
    w.ids["meeting.B"] = await meeting(
        "乙校家长会", now + timedelta(days=5), outsiders["school-B-admin"], class_ids=[b1]
    )
    w.ids["meeting.B.started"] = await meeting(
        "乙校已开始的家长会", now + timedelta(seconds=4), outsiders["school-B-admin"], class_ids=[b1]
    )

    # tickets: one a guardian raised (the mailbox), one staff recorded at the meeting
    question = f"校车时间能否调整{run}"
    ticket = await _ok(await sch.post("/v1/tickets", json={"question": question}, headers=g1_h))
    w.ids["ticket.T1"] = w.markers["ticket.T1"] = ticket["ticket_id"]
    w.markers["ticket.question"] = question
    recorded = await _ok(
        await sch.post(
            f"/v1/meetings/{w.ids['meeting.M1']}/tickets",
            json={
                "question": "食堂菜单",
                "owner_id": head,
                "due_on": (today + timedelta(days=5)).isoformat(),
                "raised_by_guardian_id": g1,
            },
            headers=head_h,
        )
    )
    w.ids["ticket.for-reply"] = recorded["ticket_id"]

    # partner activities (under P1's agreement), an exchange of the pair
    activity = {
        "agreement_id": agreement["agreement_id"],
        "kind": "legal_education",
        "title": f"禁毒宣传{run}",
        "held_on": today.replace(day=2).isoformat(),
        "class_ids": [a1],
        "students_count": 40,
        "participant_times": 42,
    }
    act1 = await _ok(await sch.post("/v1/partner-activities", json=activity, headers=admin))
    act2 = await _ok(await sch.post("/v1/partner-activities", json=activity, headers=admin))
    w.ids["activity.ACT1"] = w.markers["activity.ACT1"] = act1["activity_id"]
    w.ids["activity.for-confirmation"] = act2["activity_id"]
    await _ok(
        await sch.post(
            "/v1/pairing-exchanges",
            json={
                "pair_id": pair["pair_id"],
                "kind": "demonstration_lesson",
                "held_on": "2026-10-20",
                "teachers_benefiting": 3,
                "students_benefiting": 30,
            },
            headers=admin,
        )
    )

    # notifications: a letter to A1 to confirm, emergencies for s1, g1's preferences
    letter = await _ok(
        await ntf.post(
            "/v1/announcements",
            json={
                "school_id": a,
                "audience": {"kind": "class", "class_ids": [a1]},
                "variables": {"title": f"秋游安全告知书{run}", "body": "请阅读并确认。"},
                "confirmation": "every_guardian",
            },
            headers=admin,
        )
    )
    w.ids["announcement.AN1"] = w.markers["announcement.AN1"] = letter["announcement_id"]
    summary = f"孩子发烧{run}"
    for name in ("emergency.E1", "emergency.for-ack"):
        raised = await _ok(
            await ntf.post(
                "/v1/emergencies",
                json={"student_id": s1, "summary": summary, "ack_within_seconds": 3600},
                headers=head_h,
            )
        )
        w.ids[name] = raised["emergency_id"]
    w.markers |= {"emergency.E1": w.ids["emergency.E1"], "emergency.summary": summary}
    preferences = {"quiet_hours": True, "quiet_start": "21:13", "quiet_end": "06:47", "language": "zh-CN"}
    await _ok(await ntf.put("/v1/preferences", json=preferences, headers=g1_h))
    w.markers["preferences.g1"] = "21:13"

    async def letters_out() -> bool:
        mine = [
            m
            for m in await notifications.find("messages", {"recipient_id": g1})
            if m["status"] not in ("queued", "cancelled")
        ]
        letter_sent = [m for m in mine if m.get("source_id") == letter["announcement_id"]]
        others = [m for m in mine if m.get("source_id") != letter["announcement_id"]]
        if letter_sent and others:
            w.ids["message.g1"] = letter_sent[0]["_id"]
            w.ids["message.g1.other"] = others[0]["_id"]
            return True
        return False

    await eventually(letters_out, 60, "g1's letter and another message went out")
    w.markers["message.g1"] = w.ids["message.g1"]
    w.ids["channel"] = "sms"

    # reporting: a submission, the month's bulletin and a dispute, on reporting's clock moved on
    platform.reporting_app.state.settings.school_date = REPORTING_DAY
    await _ok(
        await rep.put(f"/v1/schools/{a}/submissions/2026-09", json={"kind": "confirmed"}, headers=admin), 201
    )

    last: list[str] = []

    async def reported() -> bool:
        answer = await rep.get(f"/v1/classes/{a1}/report", params={"term": TERM}, headers=head_h)
        visits = await rep.get(f"/v1/schools/{a}/home-visits", headers=bureau)
        last[:] = [f"class report {answer.status_code} {answer.text[:200]}", f"visits {visits.text[:200]}"]
        return visits.status_code == 200 and visits.json()["visits_logged"] >= 2

    try:
        await eventually(reported, 60, "reporting knows school A and its visits")
    except AssertionError as exc:
        raise AssertionError(f"{exc}: {last}") from None
    await _ok(await rep.post(f"/v1/bulletins/{MONTH}", headers=bureau), 200, 201)
    dispute = await _ok(
        await rep.post(
            f"/v1/bulletins/{MONTH}/disputes",
            json={"school_id": a, "figure": "home_visit_coverage", "reason": "有两次家访漏录"},
            headers=admin,
        ),
        201,
    )
    w.ids["dispute"] = dispute["dispute_id"]
    rejectable = await _ok(  # a second one, for the bureau to reject (the first it accepts)
        await rep.post(
            f"/v1/bulletins/{MONTH}/disputes",
            json={"school_id": a, "figure": "mandatory_visit_coverage", "reason": "三必访名单有误"},
            headers=admin,
        ),
        201,
    )
    w.ids["dispute.rejectable"] = rejectable["dispute_id"]
    # a rebuild on record for the status route, without replaying every topic in the seeding
    from reporting.rebuild import Rebuild

    rebuild = Rebuild(f"rb-acc-{run}", "unused", status="done", finished_at=datetime.now(UTC))
    platform.reporting_app.state.rebuilder.runs[rebuild.rebuild_id] = rebuild
    w.ids["rebuild"] = rebuild.rebuild_id

    async def started() -> bool:
        return datetime.now(UTC) > now + timedelta(seconds=5)

    await eventually(started, 20, "the started meeting has begun")
    return w
