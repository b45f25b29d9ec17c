"""Who sees what, walked over every route (issue 14): each route of the four services' OpenAPI
documents, pointed at school A's records, called by school A's rightful caller and by nine
outsiders (tests/access_world.py): school B's admin and a teacher of B; district Z's bureau and a
school admin of Z; tokens of district Z naming A's school, an A1 guardian, A1's students and class
(``district-Z-forged``) or A's partner P1 (``district-Z-forged-partner``); the guardian of another
A1 child; partner P2 of school A; the subject teacher of class A2.

Each row first proves itself: the rightful caller gets a 2xx whose body holds the row's marker of
A's data (for reads, before the outsiders; for writes and reads with a side effect, after them,
with the same body shape and fresh ids, which also proves the outsiders' bodies valid, since a
422 says nothing about access). An outsider then gets 403 or 404; or, on a route legitimately
open to it (its own inbox, the district's terms, the school's partner list…) and whose rule names
its role, a 2xx showing none of A's markers it may not see (``access_world.SEES``); a marker the
caller sent itself (in the path or body) or its own token names is not counted. The kind of
refusal is checked: a row's ``roles`` are those its rule in the service's access.py names, and an
outsider of another role must get 403, one of those roles 404 (the record out of its reach); an
outsider of the rightful caller's role always 404. Writes by outsiders must change nothing: no
change in any service's change log by an outsider (the rightful case fails without the baseline
its outsiders' cases take), no answer, preference or read receipt recorded in A1's guardian's name.
Some writes are also sent from the outsider's own record with A's in the body (school B's admin
forming a committee of B from A's guardians, writing to A1 from school B, moving B's student into
A's class…). A route in the documents
without a row here, or a row for a route they lack, fails ``test_every_documented_route_has_a_row``.
Cases are named ``<METHOD> <path> by <caller>``.
"""

import asyncio
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from access_world import MEETING_KIND, MEETING_YEAR, MONTH, OUTSIDERS, ROLES, TERM, YEAR, World, build_world
from pymongo import AsyncMongoClient
from school_clock import SCHOOL_TODAY

pytestmark = [pytest.mark.infra, pytest.mark.timeout(900)]

SHANGHAI = ZoneInfo("Asia/Shanghai")
SERVICES = ("registry", "scheduling", "notifications", "reporting")
WITH_CHANGE_LOG = ("registry", "scheduling", "notifications")

Body = Callable[[World, bool], Any]  # (world, rightful?) → the JSON body


@dataclass(frozen=True)
class Row:
    service: str
    method: str
    path: str
    rightful: str  # who may: a caller of access_world.RIGHTFUL
    expect: str | None  # a marker or id name (or "=literal") the rightful answer must hold
    params: dict[str, str] = field(default_factory=dict)  # path parameter → id name (or "=literal")
    query: dict[str, str] = field(default_factory=dict)
    body: Body | None = None
    # outsiders a 2xx is legitimate for (without A's markers); with `roles`, only those of its roles
    open_to: frozenset[str] = frozenset()
    allow: dict[str, frozenset[str]] = field(default_factory=dict)  # outsider → markers also allowed
    refusals: frozenset[int] = frozenset({403, 404})
    # the roles the route's rule names (services/<svc>/<svc>/access.py), where the row states them:
    # an outsider of another role must get 403, one of these roles 404 (out of its reach). Without
    # it, only the sound half is checked: an outsider of the rightful caller's role gets 404.
    roles: frozenset[str] | None = None
    side_effect: bool = False  # a read that records something: the rightful caller goes last
    content: Callable[[World], bytes] | None = None  # a raw body (a roster file)
    content_type: str | None = None
    # more requests an outsider sends: its own record in the path (literal ids) and A's in the
    # body, e.g. school B's admin forming a committee of B from A's guardians
    variants: Callable[[World, str], list[tuple[dict[str, str], Any]]] | None = None

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.service, self.method, self.path)

    @property
    def name(self) -> str:
        return f"{self.method} {self.path}" + (f" ({self.service})" if self.path in _SHARED else "")

    @property
    def writes(self) -> bool:
        return self.method != "GET"

    @property
    def rightful_last(self) -> bool:
        return self.writes or self.side_effect


_SHARED = {"/asyncapi.json", "/healthz", "/readyz"}
EVERYONE = frozenset(OUTSIDERS)
SAME_SCHOOL = frozenset({"A1-other-family", "partner-P2", "A2-subject-teacher"})
A2_TEACHER = frozenset({"A2-subject-teacher"})
Z_BUREAU = frozenset({"district-Z-bureau"})
# the roles a rule names (the services' access.py), for a row's `roles`
BUREAU, ADMIN, TEACHER = frozenset({"bureau"}), frozenset({"school_admin"}), frozenset({"teacher"})
GUARDIAN, PARTNER = frozenset({"guardian"}), frozenset({"partner"})
BUREAU_ADMIN = BUREAU | ADMIN
SCHOOL_STAFF = ADMIN | TEACHER
STAFF_RULE = BUREAU_ADMIN | TEACHER
ALL_ROLES = STAFF_RULE | GUARDIAN | PARTNER
DISTRICT_BULLETIN = frozenset({"school.A", "school.A.name"})  # a bulletin ranks the district's schools
MEETING_HELD_FROM = datetime.combine(SCHOOL_TODAY - timedelta(days=9), datetime.min.time(), SHANGHAI)


def _id(w: World, name: str) -> str:
    return name[1:] if name.startswith("=") else w.ids[name]


def _day(days: int) -> str:
    return (SCHOOL_TODAY + timedelta(days=days)).isoformat()


def _at(days: float, hours: float = 0) -> datetime:
    return datetime.now(UTC).replace(microsecond=0) + timedelta(days=days, hours=hours)


def _meeting(w: World, rightful: bool) -> dict:
    starts = _at(6 if rightful else 7, hours=3)
    return {
        "kind": "parent_meeting",
        "level": "class",
        "class_ids": [w.ids["class.A1"]],
        "title": "矩阵家长会",
        "starts_at": starts.isoformat(),
        "ends_at": (starts + timedelta(minutes=45)).isoformat(),
        "place": "三年级1班教室",
    }


def _letter(w: World, rightful: bool) -> dict:
    return {
        "school_id": w.ids["school.A"],
        "audience": {"kind": "class", "class_ids": [w.ids["class.A1"]]},
        "variables": {"title": "矩阵通知", "body": "请阅读。"},
    }


def _activity(w: World, rightful: bool) -> dict:
    return {
        "agreement_id": w.ids["agreement.AG1"],
        "kind": "safety_drill",
        "title": "消防演练",
        "held_on": _day(-3),
        "class_ids": [w.ids["class.A1"]],
        "participant_times": 30,
    }


def _term(w: World, rightful: bool) -> dict:
    return {
        "starts_on": "2026-09-01",
        "ends_on": "2027-01-20",
        # an outsider's own district gets a holiday of its own name
        "holidays": [
            {
                "name": w.markers["term.holiday"] if rightful else "外区假期",
                "starts_on": "2026-10-01",
                "ends_on": "2026-10-07",
            }
        ],
    }


def _roster(w: World) -> bytes:
    return f"姓名,性别,学号,班级\n矩阵新生,男,R{w.fresh()},三年级1班\n".encode()


def _own_school(w: World, caller: str) -> str | None:
    """The school an outsider's school admin runs (its own path beside A's records)."""
    return {"school-B-admin": w.ids["school.B"], "district-Z-admin": w.ids["school.Z1"]}.get(caller)


def _own_school_with(
    body: Callable[[World], Any],
) -> Callable[[World, str], list[tuple[dict[str, str], Any]]]:
    def variants(w: World, caller: str) -> list[tuple[dict[str, str], Any]]:
        school = _own_school(w, caller)
        return [({"school_id": school}, body(w))] if school else []

    return variants


def _letters_from_own_school(w: World, caller: str) -> list[tuple[dict[str, str], Any]]:
    school = _own_school(w, caller)
    if not school:
        return []
    letter = {"variables": {"title": "矩阵通知", "body": "请阅读。"}, "school_id": school}
    return [
        ({}, letter | {"audience": {"kind": "class", "class_ids": [w.ids["class.A1"]]}}),
        ({}, letter | {"audience": {"kind": "guardians", "guardian_ids": [w.ids["guardian.g1"]]}}),
    ]


def _only(caller: str, params: Callable[[World], dict[str, str]], body: Callable[[World], Any]) -> Any:
    def variants(w: World, who: str) -> list[tuple[dict[str, str], Any]]:
        return [(params(w), body(w))] if who == caller else []

    return variants


R = Row
ROWS: list[Row] = [
    # registry ------------------------------------------------------------------------------------
    R("registry", "GET", "/asyncapi.json", "A-admin", "=asyncapi", open_to=EVERYONE),
    R("registry", "GET", "/healthz", "A-admin", "=ok", open_to=EVERYONE),
    R("registry", "GET", "/readyz", "A-admin", "=ok", open_to=EVERYONE),
    R(
        "registry",
        "GET",
        "/v1/agreements",
        "partner-P1",
        "agreement.AG1",
        open_to=EVERYONE,
        roles=BUREAU_ADMIN | PARTNER,  # AGREEMENTS
    ),
    R(
        "registry",
        "GET",
        "/v1/agreements/{agreement_id}",
        "partner-P1",
        "agreement.AG1",
        {"agreement_id": "agreement.AG1"},
        roles=BUREAU_ADMIN | PARTNER,  # registry AGREEMENTS
    ),
    R(
        "registry",
        "PATCH",
        "/v1/agreements/{agreement_id}",
        "A-admin",
        "agreement.AG1",
        {"agreement_id": "agreement.AG1"},
        body=lambda w, r: {"year_end_review": f"年终评议{w.fresh()}"},
        roles=ADMIN,  # PARTNER_RECORDS
    ),
    R(
        "registry",
        "GET",
        "/v1/classes/{class_id}/guardians",
        "A1-head-teacher",
        "guardian.g1.phone.masked",
        {"class_id": "class.A1"},
        roles=SCHOOL_STAFF,  # CLASS_PEOPLE
    ),
    R(
        "registry",
        "GET",
        "/v1/classes/{class_id}/students",
        "A1-head-teacher",
        "student.s1",
        {"class_id": "class.A1"},
        roles=STAFF_RULE,  # CLASSES
    ),
    R(
        "registry",
        "POST",
        "/v1/classes/{class_id}/students",
        "A-admin",
        "class.A1",
        {"class_id": "class.A1"},
        body=lambda w, r: {"name": "矩阵插班生", "gender": "男", "student_number": f"N{w.fresh()}"},
        roles=ADMIN,  # STUDENT_RECORDS
    ),
    R(
        "registry",
        "GET",
        "/v1/classes/{class_id}/teachers",
        "A1-head-teacher",
        "staff.head",
        {"class_id": "class.A1"},
        roles=SCHOOL_STAFF,  # CLASS_PEOPLE
    ),
    R(
        "registry",
        "PATCH",
        "/v1/guardians/{guardian_id}",
        "A-admin",
        "guardian.g3",
        {"guardian_id": "guardian.g3"},
        body=lambda w, r: {"consent_non_essential": True},
        roles=ADMIN,  # GUARDIAN_RECORDS
    ),
    R(
        "registry",
        "POST",
        "/v1/guardians/{guardian_id}/students/{student_id}",
        "A-admin",
        None,
        {"guardian_id": "guardian.g3", "student_id": "student.s4"},
        variants=_only("school-B-admin", lambda w: {"guardian_id": w.ids["guardian.B"]}, lambda w: None),
        roles=ADMIN,  # GUARDIAN_RECORDS
    ),
    R(
        "registry",
        "GET",
        "/v1/pairs",
        "A-admin",
        "pair.PR1",
        open_to=EVERYONE,
        roles=STAFF_RULE,  # PAIRS
    ),
    R(
        "registry",
        "POST",
        "/v1/pairs",
        "district-D-bureau",
        "school.A",
        body=lambda w, r: {
            "supporting_school_id": w.ids["school.A"],
            "supported_school_ids": [w.ids["school.C2"]],
            "starts_on": "2026-09-01",
        },
        roles=BUREAU,  # PAIR_RECORDS
    ),
    R(
        "registry",
        "POST",
        "/v1/partners/{partner_id}/agreements",
        "A-admin",
        "partner.P1",
        {"partner_id": "partner.P1"},
        body=lambda w, r: {
            "title": f"共建补充协议{w.fresh()}",
            "starts_on": "2026-09-01",
            "ends_on": "2027-07-15",
        },
        roles=ADMIN,  # PARTNER_RECORDS
    ),
    R(
        "registry",
        "GET",
        "/v1/policy/{school_year}",
        "A-admin",
        "policy.target",
        {"school_year": f"={YEAR}"},
        open_to=EVERYONE,
        roles=ALL_ROLES,  # POLICY
    ),
    R(
        "registry",
        "PUT",
        "/v1/policy/{school_year}",
        "district-D-bureau",
        "policy.target",
        {"school_year": f"={YEAR}"},
        body=lambda w, r: {"targets": {"home_visit_coverage": 0.6173 if r else 0.55}},
        open_to=Z_BUREAU,
        roles=BUREAU,  # POLICY_RECORDS
    ),
    R(
        "registry",
        "GET",
        "/v1/schools",
        "district-D-bureau",
        "school.A",
        open_to=EVERYONE,
        roles=ALL_ROLES,  # SCHOOLS
    ),
    R(
        "registry",
        "POST",
        "/v1/schools",
        "district-D-bureau",
        "=school_id",
        body=lambda w, r: {"name": f"矩阵新校{w.fresh()}", "level": "junior", "setting": "urban"},
        open_to=Z_BUREAU,
        roles=BUREAU,  # SCHOOL_RECORDS
    ),
    R(
        "registry",
        "POST",
        "/v1/bureau-staff",
        "district-D-bureau",
        "=staff_id",
        body=lambda w, r: {"name": f"矩阵科员{w.fresh()}", "email": f"k{w.fresh()}@jyj.example.gov.cn"},
        open_to=Z_BUREAU,
        roles=BUREAU,  # BUREAU_STAFF_RECORDS
    ),
    R(
        "registry",
        "GET",
        "/v1/bureau-staff",
        "district-D-bureau",
        None,
        open_to=Z_BUREAU,
        roles=BUREAU,  # BUREAU_STAFF
    ),
    R(
        "registry",
        "GET",
        "/v1/schools/{school_id}",
        "A-admin",
        "school.A",
        {"school_id": "school.A"},
        open_to=SAME_SCHOOL,
        roles=ALL_ROLES,  # SCHOOLS
    ),
    R(
        "registry",
        "PATCH",
        "/v1/schools/{school_id}",
        "district-D-bureau",
        "school.A",
        {"school_id": "school.A"},
        body=lambda w, r: {"address": f"文化路{w.fresh()}号"},
        roles=BUREAU,  # SCHOOL_RECORDS
    ),
    R(
        "registry",
        "GET",
        "/v1/schools/{school_id}/audit",
        "A-admin",
        "student.s1",
        {"school_id": "school.A"},
        roles=BUREAU_ADMIN,  # AUDIT
    ),
    R(
        "registry",
        "GET",
        "/v1/schools/{school_id}/care-counts",
        "A-admin",
        "=left_behind",
        {"school_id": "school.A"},
        roles=BUREAU_ADMIN,  # CARE_COUNTS
    ),
    R(
        "registry",
        "GET",
        "/v1/schools/{school_id}/classes",
        "A-admin",
        "class.A1",
        {"school_id": "school.A"},
        open_to=A2_TEACHER,
        roles=STAFF_RULE,  # registry CLASSES
    ),
    R(
        "registry",
        "POST",
        "/v1/schools/{school_id}/classes",
        "A-admin",
        "school.A",
        {"school_id": "school.A"},
        body=lambda w, r: {"grade": 4, "name": f"四年级{w.fresh()}班"},
        variants=_own_school_with(
            lambda w: {"grade": 4, "name": "借班", "head_teacher_id": w.ids["staff.head"]}
        ),
        roles=ADMIN,  # CLASS_RECORDS
    ),
    R(
        "registry",
        "GET",
        "/v1/schools/{school_id}/committees",
        "A-admin",
        "committee.C1",
        {"school_id": "school.A"},
        open_to=A2_TEACHER,
        roles=STAFF_RULE,  # registry COMMITTEES
        # school staff see committee membership: the A1 guardians who sit on it
        allow={"A2-subject-teacher": frozenset(f"guardian.g{n}" for n in range(1, 6))},
    ),
    R(
        "registry",
        "POST",
        "/v1/schools/{school_id}/committees",
        "A-admin",
        "school.A",
        {"school_id": "school.A"},
        body=lambda w, r: {
            "level": "class",
            "class_id": w.ids["class.A1"],
            "members": [{"guardian_id": w.ids[f"guardian.g{n}"]} for n in range(2, 7)],
        },
        variants=_own_school_with(
            lambda w: {
                "level": "class",
                "class_id": w.ids["class.A1"],
                "members": [{"guardian_id": w.ids[f"guardian.g{n}"]} for n in range(1, 6)],
            }
        ),
        roles=ADMIN,  # COMMITTEE_RECORDS
    ),
    R(
        "registry",
        "GET",
        "/v1/schools/{school_id}/partners",
        "A-admin",
        "partner.P1.phone",
        {"school_id": "school.A"},
        open_to=SAME_SCHOOL,
        roles=ALL_ROLES,  # PARTNERS
    ),
    R(
        "registry",
        "POST",
        "/v1/schools/{school_id}/partners",
        "A-admin",
        "school.A",
        {"school_id": "school.A"},
        body=lambda w, r: {"name": f"企业{w.fresh()}", "kind": "enterprise", "contact_person": "赵经理"},
        roles=ADMIN,  # PARTNER_RECORDS
    ),
    R(
        "registry",
        "POST",
        "/v1/schools/{school_id}/roster",
        "A-admin",
        "=rows",
        {"school_id": "school.A"},
        query={"dry_run": "true"},
        content=_roster,
        content_type="text/csv",
        roles=ADMIN,  # STUDENT_RECORDS
    ),
    R(
        "registry",
        "GET",
        "/v1/schools/{school_id}/staff",
        "A-admin",
        "staff.head",
        {"school_id": "school.A"},
        roles=BUREAU_ADMIN,  # registry STAFF
    ),
    R(
        "registry",
        "POST",
        "/v1/schools/{school_id}/staff",
        "A-admin",
        "school.A",
        {"school_id": "school.A"},
        body=lambda w, r: {
            "name": "矩阵新教师",
            "roles": ["subject_teacher"],
            "class_ids": [w.ids["class.A1"]],
        },
        variants=_own_school_with(
            lambda w: {"name": "借调教师", "roles": ["subject_teacher"], "class_ids": [w.ids["class.A1"]]}
        ),
        roles=ADMIN,  # STAFF_RECORDS
    ),
    R(
        "registry",
        "PATCH",
        "/v1/staff/{staff_id}",
        "A-admin",
        "staff.extra",
        {"staff_id": "staff.extra"},
        body=lambda w, r: {"email": f"m{w.fresh()}@school.example.cn"},
        variants=_only(
            "school-B-admin",
            lambda w: {"staff_id": w.ids["staff.B"]},
            lambda w: {"class_ids": [w.ids["class.A1"]]},
        ),
        roles=ADMIN,  # STAFF_RECORDS
    ),
    R(
        "registry",
        "GET",
        "/v1/students/{student_id}",
        "A1-guardian",
        "student.s1",
        {"student_id": "student.s1"},
        roles=STAFF_RULE | GUARDIAN,  # STUDENTS
    ),
    R(
        "registry",
        "PATCH",
        "/v1/students/{student_id}",
        "A-admin",
        "student.s7",
        {"student_id": "student.s7"},
        body=lambda w, r: {"care_categories": ["hardship"]},
        roles=ADMIN,  # STUDENT_RECORDS
    ),
    R(
        "registry",
        "GET",
        "/v1/students/{student_id}/guardians",
        "A-admin",
        "guardian.g1",
        {"student_id": "student.s1"},
        roles=STAFF_RULE | GUARDIAN,  # GUARDIANS
    ),
    R(
        "registry",
        "POST",
        "/v1/students/{student_id}/guardians",
        "A-admin",
        "student.s1",
        {"student_id": "student.s1"},
        body=lambda w, r: {
            "name": "矩阵外婆",
            "relationship": "外婆",
            "phone": "139" + str(int(w.fresh("1"), 16))[:8],
        },
        roles=ADMIN,  # STUDENT_RECORDS
    ),
    R(
        "registry",
        "GET",
        "/v1/students/{student_id}/guardians/{guardian_id}/contact",
        "A-admin",
        "guardian.g1.phone",
        {"student_id": "student.s1", "guardian_id": "guardian.g1"},
        roles=SCHOOL_STAFF,  # GUARDIAN_CONTACTS
    ),
    R(
        "registry",
        "POST",
        "/v1/students/{student_id}/transfer",
        "A-admin",
        "class.A2",
        {"student_id": "student.s8"},
        body=lambda w, r: {"class_id": w.ids["class.A2"]},
        variants=_only(
            "school-B-admin",
            lambda w: {"student_id": w.ids["student.B"]},
            lambda w: {"class_id": w.ids["class.A2"]},
        ),
        roles=BUREAU_ADMIN,  # TRANSFERS
    ),
    R(
        "registry",
        "GET",
        "/v1/terms/{school_year}",
        "A-admin",
        "term.holiday",
        {"school_year": f"={YEAR}"},
        open_to=EVERYONE,
        roles=ALL_ROLES,  # TERMS
    ),
    R(
        "registry",
        "PUT",
        "/v1/terms/{school_year}/{kind}",
        "district-D-bureau",
        "term.holiday",
        {"school_year": f"={YEAR}", "kind": "=autumn"},
        body=_term,
        open_to=Z_BUREAU,
        roles=BUREAU,  # TERM_RECORDS
    ),
    # scheduling ----------------------------------------------------------------------------------
    R("scheduling", "GET", "/asyncapi.json", "A-admin", "=asyncapi", open_to=EVERYONE),
    R("scheduling", "GET", "/healthz", "A-admin", "=ok", open_to=EVERYONE),
    R("scheduling", "GET", "/readyz", "A-admin", "=ok", open_to=EVERYONE),
    R(
        "scheduling",
        "GET",
        "/v1/calendars/classes/{class_id}",
        "A1-head-teacher",
        "meeting.M1",
        {"class_id": "class.A1"},
        roles=STAFF_RULE,  # scheduling CLASS_CALENDAR
    ),
    R(
        "scheduling",
        "GET",
        "/v1/calendars/classes/{class_id}.ics",
        "A1-head-teacher",
        "meeting.M1",
        {"class_id": "class.A1"},
        roles=STAFF_RULE,  # scheduling CLASS_CALENDAR
    ),
    R(
        "scheduling",
        "GET",
        "/v1/calendars/me",
        "A1-guardian",
        "visit.planned",
        open_to=EVERYONE,
        roles=SCHOOL_STAFF | GUARDIAN,  # MY_CALENDAR
    ),
    R(
        "scheduling",
        "GET",
        "/v1/calendars/me.ics",
        "A1-guardian",
        "visit.planned",
        open_to=EVERYONE,
        roles=SCHOOL_STAFF | GUARDIAN,  # MY_CALENDAR
    ),
    R(
        "scheduling",
        "GET",
        "/v1/calendars/schools/{school_id}",
        "A-admin",
        "visit.planned",
        {"school_id": "school.A"},
        open_to=A2_TEACHER,
        roles=STAFF_RULE,  # scheduling SCHOOL_CALENDAR
    ),
    R(
        "scheduling",
        "GET",
        "/v1/calendars/schools/{school_id}.ics",
        "A-admin",
        "visit.planned",
        {"school_id": "school.A"},
        open_to=A2_TEACHER,
        roles=STAFF_RULE,  # scheduling SCHOOL_CALENDAR
    ),
    R(
        "scheduling",
        "GET",
        "/v1/classes/{class_id}/follow-ups",
        "A1-head-teacher",
        "visit.follow-up",
        {"class_id": "class.A1"},
        roles=SCHOOL_STAFF,  # CLASSES
    ),
    R(
        "scheduling",
        "GET",
        "/v1/classes/{class_id}/home-visits",
        "A1-head-teacher",
        "visit.planned",
        {"class_id": "class.A1"},
        roles=SCHOOL_STAFF,  # CLASSES
    ),
    R(
        "scheduling",
        "GET",
        "/v1/classes/{class_id}/must-visit",
        "A1-head-teacher",
        "student.s3",  # under special attention, never visited (s1 was, this term)
        {"class_id": "class.A1"},
        roles=SCHOOL_STAFF,  # CLASSES
    ),
    R(
        "scheduling",
        "POST",
        "/v1/classes/{class_id}/term-plan",
        "A1-head-teacher",
        "student.s2",
        {"class_id": "class.A1"},
        body=lambda w, r: {
            "visits": [
                {
                    "student_id": w.ids["student.s2"],
                    "planned_on": _day(10 if r else 11),
                    "mode": "in_person",
                    "visiting_staff_ids": [w.ids["staff.head"]],
                    "mandatory": False,
                }
            ]
        },
        variants=_only(
            "school-B-teacher",
            lambda w: {"class_id": w.ids["class.B1"]},
            lambda w: {
                "visits": [
                    {
                        "student_id": w.ids["student.s2"],
                        "planned_on": _day(11),
                        "mode": "in_person",
                        "visiting_staff_ids": [w.subjects["school-B-teacher"]],
                        "mandatory": False,
                    }
                ]
            },
        ),
        roles=SCHOOL_STAFF,  # CLASSES
    ),
    R(
        "scheduling",
        "POST",
        "/v1/classes/{class_id}/term-plan/proposal",
        "A1-head-teacher",
        "student.s1",
        {"class_id": "class.A1"},
        body=lambda w, r: {"school_year": YEAR, "term": "autumn", "teacher_ids": [w.ids["staff.head"]]},
        roles=SCHOOL_STAFF,  # CLASSES
    ),
    R(
        "scheduling",
        "POST",
        "/v1/home-visits",
        "A1-head-teacher",
        "student.s2",
        body=lambda w, r: {
            "student_id": w.ids["student.s2"],
            "class_id": w.ids["class.A1"],
            "visited_on": _day(-2),
            "mode": "phone",
            "topics": ["学习习惯"],
        },
        # school B's teacher logs a visit to A's student in the class it teaches
        variants=_only(
            "school-B-teacher",
            lambda w: {},
            lambda w: {
                "student_id": w.ids["student.s2"],
                "class_id": w.ids["class.B1"],
                "visited_on": _day(-2),
                "mode": "phone",
            },
        ),
        roles=SCHOOL_STAFF,  # CLASSES
    ),
    R(
        "scheduling",
        "POST",
        "/v1/home-visits/plans",
        "A1-head-teacher",
        "student.s2",
        body=lambda w, r: {
            "student_id": w.ids["student.s2"],
            "class_id": w.ids["class.A1"],
            "mode": "in_person",
            "planned_on": _day(12),
        },
        variants=_only(
            "school-B-teacher",
            lambda w: {},
            lambda w: {
                "student_id": w.ids["student.s2"],
                "class_id": w.ids["class.B1"],
                "mode": "in_person",
                "planned_on": _day(12),
            },
        ),
        roles=SCHOOL_STAFF,  # CLASSES
    ),
    R(
        "scheduling",
        "GET",
        "/v1/home-visits/{visit_id}",
        "A1-head-teacher",
        "visit.findings",
        {"visit_id": "visit.done"},
        roles=SCHOOL_STAFF | GUARDIAN,  # HOME_VISITS
    ),
    R(
        "scheduling",
        "POST",
        "/v1/home-visits/{visit_id}/confirmation",
        "A1-guardian",
        "visit.for-confirmation",
        {"visit_id": "visit.for-confirmation"},
        roles=GUARDIAN,  # VISIT_CONFIRMATION
    ),
    R(
        "scheduling",
        "POST",
        "/v1/home-visits/{visit_id}/follow-ups/{index}/done",
        "A1-head-teacher",
        "visit.for-follow-up",
        {"visit_id": "visit.for-follow-up", "index": "=0"},
        roles=SCHOOL_STAFF,  # VISIT_RECORDING
    ),
    R(
        "scheduling",
        "POST",
        "/v1/home-visits/{visit_id}/outcome",
        "A1-head-teacher",
        "visit.for-outcome",
        {"visit_id": "visit.for-outcome"},
        body=lambda w, r: {"outcome": "rescheduled", "reason": "家长出差", "new_date": _day(9 if r else 10)},
        roles=SCHOOL_STAFF,  # VISIT_RECORDING
    ),
    R(
        "scheduling",
        "POST",
        "/v1/meetings",
        "A1-head-teacher",
        "class.A1",
        body=_meeting,
        roles=SCHOOL_STAFF,  # MEETING_ORGANISERS
    ),
    R(
        "scheduling",
        "POST",
        "/v1/meetings/held",
        "A1-head-teacher",
        "class.A1",
        body=lambda w, r: {
            "kind": "parent_meeting",
            "level": "class",
            "class_ids": [w.ids["class.A1"]],
            "title": "补录家长会",
            "starts_at": (MEETING_HELD_FROM.replace(hour=15 if r else 17)).isoformat(),
            "ends_at": (MEETING_HELD_FROM.replace(hour=16 if r else 18)).isoformat(),
            "place": "教室",
            "invited_count": 6,
            "rsvp_yes_count": 5,
            "attended_count": 5,
        },
        roles=SCHOOL_STAFF,  # MEETING_ORGANISERS
    ),
    R(
        "scheduling",
        "GET",
        "/v1/meetings/{meeting_id}",
        "A1-guardian",
        "meeting.M1",
        {"meeting_id": "meeting.M1"},
        open_to=frozenset({"A1-other-family"}),
        roles=STAFF_RULE | GUARDIAN,  # scheduling MEETINGS
    ),
    R(
        "scheduling",
        "POST",
        "/v1/meetings/{meeting_id}/cancellation",
        "A1-head-teacher",
        "meeting.cancel",
        {"meeting_id": "meeting.cancel"},
        roles=SCHOOL_STAFF,  # MEETING_ORGANISERS
    ),
    R(
        "scheduling",
        "POST",
        "/v1/meetings/{meeting_id}/held",
        "A1-head-teacher",
        "meeting.started",
        {"meeting_id": "meeting.started"},
        body=lambda w, r: {"attended_guardian_ids": [w.ids["guardian.g1"]], "minutes": "矩阵纪要"},
        # school B's meeting recorded with A's guardian among those who came
        variants=_only(
            "school-B-admin",
            lambda w: {"meeting_id": w.ids["meeting.B.started"]},
            lambda w: {"attended_guardian_ids": [w.ids["guardian.g1"]], "minutes": "乙校纪要"},
        ),
        roles=SCHOOL_STAFF,  # MEETING_ORGANISERS
    ),
    R(
        "scheduling",
        "POST",
        "/v1/meetings/{meeting_id}/reschedule",
        "A1-head-teacher",
        "meeting.M1",
        {"meeting_id": "meeting.M1"},
        body=lambda w, r: {
            "starts_at": _at(2, hours=5 if r else 6).isoformat(),
            "ends_at": _at(2, hours=5.5 if r else 6.5).isoformat(),
        },
        roles=SCHOOL_STAFF,  # MEETING_ORGANISERS
    ),
    R(
        "scheduling",
        "GET",
        "/v1/meetings/{meeting_id}/roster",
        "A1-head-teacher",
        "guardian.g1",
        {"meeting_id": "meeting.M1"},
        roles=SCHOOL_STAFF,  # MEETING_ROSTERS
    ),
    R(
        "scheduling",
        "PUT",
        "/v1/meetings/{meeting_id}/rsvp",
        "A1-guardian",
        "meeting.M1",
        {"meeting_id": "meeting.M1"},
        body=lambda w, r: {"answer": "yes"},
        open_to=frozenset({"A1-other-family"}),  # invited too: their own answer, roles=GUARDIAN  # ANSWERS
    ),
    R(
        "scheduling",
        "POST",
        "/v1/meetings/{meeting_id}/tickets",
        "A1-head-teacher",
        "guardian.g1",
        {"meeting_id": "meeting.M1"},
        body=lambda w, r: {
            "question": "作业量",
            "owner_id": w.ids["staff.head"],
            "due_on": _day(5),
            "raised_by_guardian_id": w.ids["guardian.g1"],
        },
        variants=_only(
            "school-B-admin",
            lambda w: {"meeting_id": w.ids["meeting.B"]},
            lambda w: {
                "question": "作业量",
                "owner_id": w.ids["staff.B"],
                "due_on": _day(5),
                "raised_by_guardian_id": w.ids["guardian.g1"],
            },
        ),
        roles=SCHOOL_STAFF,  # MEETING_ORGANISERS
    ),
    R(
        "scheduling",
        "POST",
        "/v1/pairing-exchanges",
        "A-admin",
        "=exchange_id",
        body=lambda w, r: {
            "pair_id": w.ids["pair.PR1"],
            "kind": "mutual_observation",
            "held_on": _day(-5),
            "teachers_benefiting": 2,
            "students_benefiting": 20,
        },
        roles=ADMIN,  # EXCHANGES
    ),
    R(
        "scheduling",
        "POST",
        "/v1/partner-activities",
        "A-admin",
        "agreement.AG1",
        body=_activity,
        # the school's staff record its co-building activities (scheduling's ACTIVITY_RECORDING)
        open_to=frozenset({"A2-subject-teacher"}),
        # under school B's own agreement, for A's class
        variants=_only(
            "school-B-admin",
            lambda w: {},
            lambda w: _activity(w, False) | {"agreement_id": w.ids["agreement.B"]},
        ),
        roles=SCHOOL_STAFF | PARTNER,  # ACTIVITY_RECORDING (a partner under its own agreements)
    ),
    R(
        "scheduling",
        "GET",
        "/v1/schools/{school_id}/partner-activities",
        "A-admin",
        "activity.ACT1",
        {"school_id": "school.A"},
        open_to=A2_TEACHER,  # the school's teachers read its activities too
        roles=SCHOOL_STAFF,  # SCHOOL_STAFF
    ),
    R(
        "scheduling",
        "GET",
        "/v1/partner-activities",
        "partner-P1",
        "activity.ACT1",
        query={"mine": "true"},
        # every partner lists its own (none of P1's)
        open_to=frozenset({"partner-P2", "district-Z-forged-partner"}),
        roles=PARTNER,  # MY_PARTNER_ACTIVITIES
    ),
    R(
        "scheduling",
        "GET",
        "/v1/partner-activities/{activity_id}",
        "partner-P1",
        "activity.ACT1",
        {"activity_id": "activity.ACT1"},
        # the school's public activity: its guardians and staff may read it, without contacts
        open_to=frozenset({"A1-other-family", "A2-subject-teacher"}),
        roles=ALL_ROLES,  # PARTNER_ACTIVITIES
    ),
    R(
        "scheduling",
        "POST",
        "/v1/partner-activities/{activity_id}/confirmation",
        "partner-P1",
        "activity.for-confirmation",
        {"activity_id": "activity.for-confirmation"},
        roles=ADMIN | PARTNER,  # ACTIVITY_CONFIRMATION (the school admin what a partner logged)
    ),
    R(
        "scheduling",
        "POST",
        "/v1/recurring-meetings",
        "A-admin",
        "school.A",
        body=lambda w, r: {
            "kind": "reception_day",
            "title": "校长接待日",
            "rrule": "FREQ=MONTHLY;BYDAY=1FR",
            "start_time": "16:10" if r else "16:40",
            "duration_minutes": 20,
            "school_year": MEETING_YEAR,  # meetings are instants: a term with days ahead of now
            "term": MEETING_KIND,
        },
        # names no record of A: school B's and Z's admins schedule their own school's
        open_to=frozenset({"school-B-admin", "district-Z-admin"}),
        roles=SCHOOL_STAFF,  # MEETING_ORGANISERS
    ),
    R(
        "scheduling",
        "GET",
        "/v1/schools/{school_id}/tickets",
        "A-admin",
        "ticket.T1",
        {"school_id": "school.A"},
        open_to=frozenset({"A2-subject-teacher"}),
        allow={"A2-subject-teacher": frozenset({"ticket.T1", "ticket.question", "guardian.g1"})},
        roles=SCHOOL_STAFF,  # SCHOOL_STAFF
    ),
    R(
        "scheduling",
        "POST",
        "/v1/tickets",
        "A1-guardian",
        "=ticket_id",
        body=lambda w, r: [
            {"meeting_id": w.ids["meeting.reception"], "question": f"矩阵诉求{w.fresh()}"},
            {"question": f"校长信箱{w.fresh()}"},  # the mailbox of the school the token names
        ],
        open_to=frozenset(
            {"A1-other-family"}
        ),  # invited to the reception day, a parent of the school, roles=GUARDIAN  # GUARDIAN_TICKETS
    ),
    R(
        "scheduling",
        "GET",
        "/v1/tickets/mine",
        "A1-guardian",
        "ticket.T1",
        open_to=EVERYONE,
        roles=GUARDIAN,  # GUARDIAN_TICKETS
    ),
    R(
        "scheduling",
        "GET",
        "/v1/tickets/{ticket_id}",
        "A1-guardian",
        "ticket.T1",
        {"ticket_id": "ticket.T1"},
        open_to=frozenset({"A2-subject-teacher"}),
        allow={"A2-subject-teacher": frozenset({"ticket.T1", "ticket.question", "guardian.g1"})},
        roles=SCHOOL_STAFF | GUARDIAN,  # TICKETS
    ),
    R(
        "scheduling",
        "POST",
        "/v1/tickets/{ticket_id}/reply",
        "A-admin",
        "ticket.for-reply",
        {"ticket_id": "ticket.for-reply"},
        body=lambda w, r: {"reply": "已与食堂沟通"},
        roles=SCHOOL_STAFF,  # TICKET_REPLIES
    ),
    # notifications -------------------------------------------------------------------------------
    R("notifications", "GET", "/.well-known/jwks.json", "A-admin", "=keys", open_to=EVERYONE),
    R("notifications", "GET", "/asyncapi.json", "A-admin", "=asyncapi", open_to=EVERYONE),
    R("notifications", "GET", "/healthz", "A-admin", "=ok", open_to=EVERYONE),
    R("notifications", "GET", "/readyz", "A-admin", "=ok", open_to=EVERYONE),
    R(
        "notifications",
        "POST",
        "/v1/announcements",
        "A-admin",
        "school.A",
        body=_letter,
        variants=_letters_from_own_school,
        roles=SCHOOL_STAFF,  # AUDIENCES
    ),
    R(
        "notifications",
        "POST",
        "/v1/announcements/preview",
        "A-admin",
        "=recipients",
        body=_letter,
        variants=_letters_from_own_school,
        roles=SCHOOL_STAFF,  # AUDIENCES
    ),
    R(
        "notifications",
        "GET",
        "/v1/announcements/{announcement_id}",
        "A-admin",
        "announcement.AN1",
        {"announcement_id": "announcement.AN1"},
        roles=SCHOOL_STAFF,  # ANNOUNCEMENTS
    ),
    R(
        "notifications",
        "GET",
        "/v1/announcements/{announcement_id}/confirmations",
        "A-admin",
        "student.s1",
        {"announcement_id": "announcement.AN1"},
        roles=SCHOOL_STAFF,  # ANNOUNCEMENTS
    ),
    R(
        "notifications",
        "GET",
        "/v1/announcements/{announcement_id}/messages",
        "A-admin",
        "guardian.g1",
        {"announcement_id": "announcement.AN1"},
        roles=SCHOOL_STAFF,  # ANNOUNCEMENTS
    ),
    R(
        "notifications",
        "POST",
        "/v1/announcements/{announcement_id}/reminders",
        "A-admin",
        "guardian.g1",
        {"announcement_id": "announcement.AN1"},
        roles=SCHOOL_STAFF,  # ANNOUNCEMENTS
    ),
    R(
        "notifications",
        "POST",
        "/v1/emergencies",
        "A1-head-teacher",
        "student.s1",
        body=lambda w, r: {
            "student_id": w.ids["student.s1"],
            "summary": "摔伤膝盖",
            "ack_within_seconds": 3600,
        },
        roles=SCHOOL_STAFF,  # EMERGENCY_STUDENT
    ),
    R(
        "notifications",
        "GET",
        "/v1/emergencies/{emergency_id}",
        "A-admin",
        "emergency.E1",
        {"emergency_id": "emergency.E1"},
        roles=SCHOOL_STAFF | GUARDIAN,  # EMERGENCIES
    ),
    R(
        "notifications",
        "POST",
        "/v1/emergencies/{emergency_id}/acknowledgement",
        "A1-guardian",
        "emergency.for-ack",
        {"emergency_id": "emergency.for-ack"},
        roles=SCHOOL_STAFF | GUARDIAN,  # EMERGENCIES
    ),
    R(
        "notifications",
        "GET",
        "/v1/inbox",
        "A1-guardian",
        "message.g1",
        open_to=EVERYONE,
        roles=SCHOOL_STAFF | GUARDIAN,  # INBOX
    ),
    R(
        "notifications",
        "GET",
        "/v1/inbox/{message_id}",
        "A1-guardian",
        "message.g1",
        {"message_id": "message.g1"},
        side_effect=True,  # reading records the read receipt, roles=SCHOOL_STAFF | GUARDIAN  # INBOX
    ),
    R(
        "notifications",
        "POST",
        "/v1/inbox/{message_id}/confirmation",
        "A1-guardian",
        "message.g1.other",
        {"message_id": "message.g1.other"},
        roles=SCHOOL_STAFF | GUARDIAN,  # INBOX
    ),
    R(
        "notifications",
        "GET",
        "/v1/messages/{message_id}",
        "A-admin",
        "message.g1",
        {"message_id": "message.g1"},
        roles=SCHOOL_STAFF | GUARDIAN,  # DELIVERY
    ),
    R(
        "notifications",
        "GET",
        "/v1/preferences",
        "A1-guardian",
        "preferences.g1",
        open_to=EVERYONE,
        roles=GUARDIAN,  # PREFERENCES
    ),
    R(
        "notifications",
        "PUT",
        "/v1/preferences",
        "A1-guardian",
        "preferences.g1",
        body=lambda w, r: {
            "quiet_hours": True,
            "quiet_start": "21:13" if r else "22:01",
            "quiet_end": "06:47",
            "language": "zh-CN",
        },
        # a guardian sets their own; a token of Z naming A1's guardian sets Z's person's, never hers
        open_to=frozenset({"A1-other-family", "district-Z-forged"}),
        roles=GUARDIAN,  # PREFERENCES
    ),
    R(
        "notifications",
        "POST",
        "/v1/providers/{channel}/receipts",
        "sms-provider",
        None,
        {"channel": "=sms"},
        body=lambda w, r: {"message_id": w.ids["message.g1"], "status": "delivered"},
        refusals=frozenset({401, 403, 404}),  # the provider's signature, not a bearer token
    ),
    R(
        "notifications",
        "GET",
        "/v1/schools/{school_id}/announcements",
        "A-admin",
        "announcement.AN1",
        {"school_id": "school.A"},
        roles=BUREAU_ADMIN,  # SCHOOL_LETTERS
    ),
    R(
        "notifications",
        "GET",
        "/v1/schools/{school_id}/messages",
        "A-admin",
        "message.g1",
        {"school_id": "school.A"},
        roles=ADMIN,  # SCHOOL_MESSAGES
    ),
    R(
        "notifications",
        "GET",
        "/v1/templates",
        "A-admin",
        "=announcement",
        open_to=EVERYONE,
        roles=STAFF_RULE,  # TEMPLATES
    ),
    R(
        "notifications",
        "POST",
        "/v1/templates/preview",
        "A-admin",
        "=subject",
        body=lambda w, r: {"template": "announcement"},
        open_to=EVERYONE,
        roles=STAFF_RULE,  # TEMPLATES
    ),
    # reporting -----------------------------------------------------------------------------------
    R("reporting", "GET", "/asyncapi.json", "A-admin", "=asyncapi", open_to=EVERYONE),
    R("reporting", "GET", "/healthz", "A-admin", "=ok", open_to=EVERYONE),
    R("reporting", "GET", "/readyz", "A-admin", "=ok", open_to=EVERYONE),
    R(
        "reporting",
        "GET",
        "/v1/bulletins/{month}",
        "district-D-bureau",
        "school.A",
        {"month": f"={MONTH}"},
        open_to=frozenset({"school-B-admin", "district-Z-bureau", "district-Z-admin"}),
        allow={"school-B-admin": DISTRICT_BULLETIN},
        roles=BUREAU_ADMIN,  # reporting BULLETIN
    ),
    R(
        "reporting",
        "POST",
        "/v1/bulletins/{month}",
        "district-D-bureau",
        "school.A",  # publishing again answers the revision published
        {"month": f"={MONTH}"},
        open_to=Z_BUREAU,
        roles=BUREAU,  # PUBLISH_BULLETIN
    ),
    R(
        "reporting",
        "POST",
        "/v1/bulletins/{month}/disputes",
        "A-admin",
        "school.A",
        {"month": f"={MONTH}"},
        body=lambda w, r: {
            "school_id": w.ids["school.A"],
            "figure": f"coverage-{w.fresh()}",
            "reason": "漏录",
        },
        roles=ADMIN,  # DISPUTE
    ),
    R(
        "reporting",
        "POST",
        "/v1/bulletins/{month}/disputes/{dispute_id}/acceptance",
        "district-D-bureau",
        "school.A",
        {"month": f"={MONTH}", "dispute_id": "dispute"},
        body=lambda w, r: {"note": "补录迟到数据"},
        roles=BUREAU,  # ACCEPT_DISPUTE
    ),
    R(
        "reporting",
        "GET",
        "/v1/bulletins/{month}/disputes",
        "district-D-bureau",
        "dispute",
        {"month": f"={MONTH}"},
        # a school admin of B and the bureau and an admin of Z read their own (none): an empty list
        open_to=frozenset({"school-B-admin", "district-Z-bureau", "district-Z-admin"}),
        roles=BUREAU_ADMIN,  # reporting DISPUTES
    ),
    R(
        "reporting",
        "POST",
        "/v1/bulletins/{month}/disputes/{dispute_id}/rejection",
        "district-D-bureau",
        "school.A",
        {"month": f"={MONTH}", "dispute_id": "dispute.rejectable"},
        body=lambda w, r: {"note": "经核实，原数据无误"},
        roles=BUREAU,  # REJECT_DISPUTE
    ),
    R(
        "reporting",
        "GET",
        "/v1/bulletins/{month}/revisions",
        "district-D-bureau",
        "=revision",
        {"month": f"={MONTH}"},
        open_to=frozenset({"school-B-admin", "district-Z-bureau", "district-Z-admin"}),
        allow={"school-B-admin": DISTRICT_BULLETIN},
        roles=BUREAU_ADMIN,  # reporting BULLETIN
    ),
    R(
        "reporting",
        "GET",
        "/v1/classes/{class_id}/report",
        "A1-head-teacher",
        "class.A1",
        {"class_id": "class.A1"},
        query={"term": TERM},
        roles=STAFF_RULE,  # CLASS_REPORT
    ),
    R(
        "reporting",
        "GET",
        "/v1/completeness",
        "district-D-bureau",
        "school.A",
        query={"month": MONTH},
        open_to=Z_BUREAU,
        roles=BUREAU,  # COMPLETENESS
    ),
    R(
        "reporting",
        "GET",
        "/v1/overview",
        "district-D-bureau",
        "school.A",
        query={"term": TERM},
        open_to=Z_BUREAU,
        roles=BUREAU,  # OVERVIEW
    ),
    R(
        "reporting",
        "GET",
        "/v1/pairs/{pair_id}/comparison",
        "district-D-bureau",
        "school.A",
        {"pair_id": "pair.PR1"},
        query={"term": TERM},
        roles=BUREAU,  # PAIR_COMPARISON
    ),
    R(
        "reporting",
        "GET",
        "/v1/rankings",
        "district-D-bureau",
        "school.A",
        query={"term": TERM},
        open_to=Z_BUREAU,
        roles=BUREAU,  # RANKING
    ),
    R(
        "reporting",
        "GET",
        "/v1/rebuilds/{rebuild_id}",
        "district-D-bureau",
        "rebuild",
        {"rebuild_id": "rebuild"},
        open_to=Z_BUREAU,
        roles=BUREAU,  # REBUILD
    ),
    R(
        "reporting",
        "GET",
        "/v1/schools/{school_id}/home-visits",
        "district-D-bureau",
        "school.A",
        {"school_id": "school.A"},
        open_to=frozenset(
            {"A2-subject-teacher"}
        ),  # school staff read the school's counts, roles=STAFF_RULE  # SCHOOL_VISITS
    ),
    R(
        "reporting",
        "GET",
        "/v1/schools/{school_id}/report",
        "A-admin",
        "school.A",
        {"school_id": "school.A"},
        query={"term": TERM},
        roles=BUREAU_ADMIN,  # SCHOOL_REPORT
    ),
    R(
        "reporting",
        "GET",
        "/v1/schools/{school_id}/submissions",
        "A-admin",
        "=2026-09",
        {"school_id": "school.A"},
        roles=BUREAU_ADMIN,  # SUBMISSIONS
    ),
    R(
        "reporting",
        "PUT",
        "/v1/schools/{school_id}/submissions/{month}",
        "A-admin",
        "school.A",
        {"school_id": "school.A", "month": f"={MONTH}"},
        body=lambda w, r: {"kind": "confirmed"},
        roles=ADMIN,  # SUBMIT
    ),
    R(
        "reporting",
        "GET",
        "/v1/teachers/me/report",
        "A1-head-teacher",
        "class.A1",
        query={"term": TERM},
        open_to=EVERYONE,
        roles=TEACHER,  # TEACHER_REPORT
    ),
    R(
        "reporting",
        "GET",
        "/v1/trends",
        "A-admin",
        "=2026-09",
        query={"school_year": YEAR, "school_id": "@school.A"},
        roles=BUREAU_ADMIN,  # SCHOOL_TRENDS
    ),
    # last: the rebuild replays every topic and then switches reporting's database
    R(
        "reporting",
        "POST",
        "/v1/rebuilds",
        "district-D-bureau",
        "=rebuild_id",
        open_to=Z_BUREAU,
        roles=BUREAU,  # REBUILD
    ),
]


def _cases() -> list[Any]:
    cases = []
    for row in ROWS:
        callers = [*OUTSIDERS, row.rightful] if row.rightful_last else [row.rightful, *OUTSIDERS]
        cases += [pytest.param(row, caller, id=f"{row.name} by {caller}") for caller in callers]
    return cases


CASES = _cases()
ROUTES = len({row.key for row in ROWS})
CALLERS = len(OUTSIDERS) + 1
__doc__ = (__doc__ or "") + (
    f"\nThe matrix: {ROUTES} routes × {CALLERS} callers (each route's rightful caller and "
    f"{len(OUTSIDERS)} outsiders) = {len(CASES)} cases.\n"
)


# The world, once per module --------------------------------------------------------------------


@dataclass
class Matrix:
    world: World
    platform: Any
    mongo: AsyncMongoClient
    changes_before: dict[tuple[str, str, str], int] = field(default_factory=dict)
    walked: list[str] = field(default_factory=list)

    def database(self, service: str) -> Any:
        name = self.platform.scheduling_settings.mongodb_database.replace("scheduling", service)
        return self.mongo[name]


@pytest.fixture(scope="module")
async def matrix(platform, infrastructure) -> Any:
    pinned = platform.reporting_app.state.settings.school_date
    mongo: AsyncMongoClient = AsyncMongoClient(infrastructure.mongodb_url)
    try:
        found = Matrix(await build_world(platform), platform, mongo)
        yield found
        # the rebuild the last row starts runs on: let it finish, so no later module finds one
        # running (starting another answers the running one)
        runs = platform.reporting_app.state.rebuilder.runs
        deadline = asyncio.get_running_loop().time() + 600
        while any(r.status == "running" for r in runs.values()):
            assert asyncio.get_running_loop().time() < deadline, "the matrix's rebuild did not finish"
            await asyncio.sleep(1)
        print(
            f"\naccess matrix: {ROUTES} routes × {CALLERS} callers = {len(CASES)} cases, "
            f"{len(found.walked)} walked in this run"
        )
    finally:
        platform.reporting_app.state.settings.school_date = pinned
        await mongo.close()


def _fill(w: World, row: Row, own: dict[str, str] | None = None) -> tuple[str, dict[str, str]]:
    path = row.path
    for name, ref in row.params.items():
        path = path.replace("{" + name + "}", (own or {}).get(name) or _id(w, ref))
    query = {k: (w.ids[v[1:]] if v.startswith("@") else v) for k, v in row.query.items()}
    return path, query


async def _calls(m: Matrix, row: Row, caller: str) -> list[httpx.Response]:
    """The row's request as this caller sends it: once per body when the row has several."""
    w = m.world
    rightful = caller == row.rightful
    path, query = _fill(w, row)
    http = w.http[row.service]
    made = row.body(w, rightful) if row.body else None
    bodies = made if isinstance(made, list) else [made]
    if caller == "sms-provider":
        return [await _signed_receipt(m, path, body or {}) for body in bodies]
    headers = dict(w.headers[caller])
    if row.content is not None:
        headers["content-type"] = row.content_type or "application/octet-stream"
        return [await http.request(row.method, path, params=query, content=row.content(w), headers=headers)]
    sent = [await http.request(row.method, path, params=query, json=body, headers=headers) for body in bodies]
    if row.variants is not None and not rightful:
        for own, body in row.variants(w, caller):
            own_path, _ = _fill(w, row, own)
            sent.append(await http.request(row.method, own_path, params=query, json=body, headers=headers))
    return sent


def _verdict(w: World, row: Row, caller: str, answer: httpx.Response) -> str | None:
    """Why an outsider's answer is wrong, or None."""
    status = answer.status_code
    # what the caller itself sent (a path's id, a problem's `instance`, a message id made of the
    # letter's and the guardian's) or its own token names is no leak when it comes back
    sent = str(answer.request.url) + answer.request.content.decode(errors="replace")
    own = w.claims.get(caller, set())
    shown = sorted(
        name
        for name, text in w.forbidden(caller, set(row.allow.get(caller, ()))).items()
        if text in _text(answer) and text not in sent and text not in own
    )
    where = f"{row.name} by {caller}: {status}"
    if 200 <= status < 300:
        if not _open(row, caller):
            leaked = f"; it shows {', '.join(shown)}" if shown else ""
            return f"{where}, where a refusal (403/404) is due{leaked}: {answer.text[:300]}"
        if shown:
            return f"{where} shows A's {', '.join(shown)}: {answer.text[:300]}"
        return None
    if status not in row.refusals:
        return f"{where}, neither 403 nor 404: {answer.text[:300]}"
    due = _refusal_due(row, caller)
    if due is not None and status in (403, 404) and status != due:
        kind = (
            "its role has no rule here" if due == 403 else "its role is allowed, the record out of its reach"
        )
        return f"{where}, where {due} is due ({kind}): {answer.text[:300]}"
    if shown:
        return f"{where}, a refusal naming A's {', '.join(shown)}"
    return None


def _open(row: Row, caller: str) -> bool:
    """Whether a 2xx is legitimate for this outsider: the row opens to it and the rule names its role."""
    return caller in row.open_to and (row.roles is None or ROLES.get(caller) in row.roles)


def _refusal_due(row: Row, caller: str) -> int | None:
    """The refusal this outsider is due: 403 when its role has no rule for the route's records,
    404 when its role has one but the record lies outside its reach; None where the row does not say."""
    if row.refusals != frozenset({403, 404}) or caller not in ROLES:
        return None
    role = ROLES[caller]
    if row.roles is not None:
        return 404 if role in row.roles else 403
    return 404 if role == ROLES[row.rightful] else None


async def _signed_receipt(m: Matrix, path: str, body: dict) -> httpx.Response:
    from channels_standin import DEV_KEYS
    from notifications.channels import signature

    key, secret = DEV_KEYS["sms"]
    raw = json.dumps(body).encode()
    stamp = str(int(datetime.now(UTC).timestamp()))
    headers = {"x-api-key": key, "x-timestamp": stamp, "x-signature": signature(secret, stamp, raw)}
    return await m.world.http["notifications"].post(path, content=raw, headers=headers)


def _text(answer: httpx.Response) -> str:
    text = answer.text.replace("\r\n ", "")  # unfold iCalendar lines
    try:
        return text + json.dumps(answer.json(), ensure_ascii=False)
    except ValueError:
        return text


def _guarded(row: Row) -> set[str]:
    """The outsiders of this row whose writes must leave no change behind."""
    return {c for c in OUTSIDERS if not _open(row, c)}


async def _changes_by(m: Matrix, subjects: set[str]) -> int:
    total = 0
    for service in WITH_CHANGE_LOG:
        total += await m.database(service)["changes"].count_documents(
            {"actor.subject": {"$in": sorted(subjects)}}
        )
    return total


async def _nothing_recorded_for_a1_guardian(m: Matrix, row: Row) -> list[str]:
    """What an outsider might have recorded in A1's guardian's name outside the change logs."""
    w, problems = m.world, []
    g1 = w.ids["guardian.g1"]
    notifications = m.database("notifications")
    if row.key == ("notifications", "GET", "/v1/inbox/{message_id}"):
        message = await notifications["messages"].find_one({"_id": w.ids["message.g1"]})
        if message and message.get("read_at"):
            problems.append(f"A1's guardian's message was marked read at {message['read_at']}")
    if row.key == ("notifications", "POST", "/v1/inbox/{message_id}/confirmation"):
        message = await notifications["messages"].find_one({"_id": w.ids["message.g1.other"]})
        if message and (message.get("read_at") or message.get("confirmed_at")):
            problems.append("A1's guardian's message was marked read or confirmed")
    if row.key == ("notifications", "PUT", "/v1/preferences"):
        mine = await w.http["notifications"].get("/v1/preferences", headers=w.headers["A1-guardian"])
        if "21:13" not in mine.text:
            problems.append(f"A1's guardian's preferences changed: {mine.text}")
    if row.key == ("scheduling", "PUT", "/v1/meetings/{meeting_id}/rsvp"):
        answers = await m.database("scheduling")["meeting_rsvps"].find({"guardian_id": g1}).to_list()
        if answers:
            problems.append(f"an answer was recorded for A1's guardian: {answers}")
    return problems


# The tests --------------------------------------------------------------------------------------


async def test_every_documented_route_has_a_row(platform):
    documented = set()
    for service in SERVICES:
        answer = await platform.all_services[service].get("/openapi.json")
        assert answer.status_code == 200, answer.text
        for path, operations in answer.json()["paths"].items():
            documented |= {(service, method.upper(), path) for method in operations}
    table = {row.key for row in ROWS}
    missing = sorted(documented - table)
    stale = sorted(table - documented)
    assert not missing, "add a rule for " + "; ".join(f"{m} {p} ({s})" for s, m, p in missing)
    assert not stale, "the documents have no route " + "; ".join(f"{m} {p} ({s})" for s, m, p in stale)
    assert len(table) == len(ROWS), "a route has two rows"


@pytest.mark.parametrize(("row", "caller"), CASES)
async def test_access(matrix: Matrix, row: Row, caller: str) -> None:
    w = matrix.world
    matrix.walked.append(f"{row.name} by {caller}")
    if caller == row.rightful:
        if row.rightful_last:
            problems = await _nothing_recorded_for_a1_guardian(matrix, row)
            if row.writes:
                before = matrix.changes_before.get(row.key)
                assert before is not None, (
                    f"{row.name}: no baseline of the outsiders' changes (their cases did not run "
                    "before the rightful caller's, e.g. under -k): select the row's outsiders too"
                )
                after = await _changes_by(matrix, {w.subjects[c] for c in _guarded(row)})
                if after != before:
                    problems.append(f"{after - before} change(s) recorded by an outsider")
            assert not problems, f"{row.name}: outsiders changed A's data: {'; '.join(problems)}"
        for answer in await _calls(matrix, row, caller):
            assert 200 <= answer.status_code < 300, (
                f"{row.name} by {caller} (rightful): {answer.status_code} {answer.text[:500]}"
            )
            if row.expect:
                expected = (
                    row.expect[1:]
                    if row.expect.startswith("=")
                    else w.markers.get(row.expect) or w.ids[row.expect]
                )
                assert expected in _text(answer), (
                    f"{row.name} by {caller} (rightful): the answer lacks {row.expect} ({expected}): "
                    f"{answer.text[:500]}"
                )
        return

    if row.writes and row.key not in matrix.changes_before:
        matrix.changes_before[row.key] = await _changes_by(matrix, {w.subjects[c] for c in _guarded(row)})
    wrong = [v for answer in await _calls(matrix, row, caller) if (v := _verdict(w, row, caller, answer))]
    assert not wrong, "\n".join(wrong)
