"""Who reads what of reporting: one rule per view, written once. No I/O.

Reporting's views are figures about schools, classes and teachers, so they are for the people who
run them: the bureau reads its whole district, a school admin its school, a teacher the classes
it teaches and its own report. Guardians and partners read no report (403): what concerns them
is served by scheduling and the registry. A role a rule leaves out gets 403 on every route; a
school, class, teacher, pair or dispute of another school or district gets the 404 of a missing
one. The record's place comes from what reporting itself stored (the registry's events, a
dispute as raised), never from the ids in the request or the token (``RecordScope``).
"""

from collections.abc import Mapping
from enum import StrEnum

from service_kit.access import Reach, RecordScope, Rule
from service_kit.auth import Caller, Role
from service_kit.storage import Document

_DISTRICT = {Role.bureau: Reach.district}
_STAFF = {Role.bureau: Reach.district, Role.school_admin: Reach.school}

SCHOOL_VISITS = Rule("学校家访统计", _STAFF | {Role.teacher: Reach.school})  # counts only
SCHOOL_REPORT = Rule("学校报表", _STAFF)
CLASS_REPORT = Rule("班级报表", _STAFF | {Role.teacher: Reach.classes})
TEACHER_REPORT = Rule("教师报表", {Role.teacher: Reach.own})
OVERVIEW = Rule("全区概览", _DISTRICT)
RANKING = Rule("学校排名", _DISTRICT)
COMPLETENESS = Rule("报送完整性", _DISTRICT)
DISTRICT_TRENDS = Rule("全区月度趋势", _DISTRICT)
SCHOOL_TRENDS = Rule("学校月度趋势", _STAFF)
PAIR_COMPARISON = Rule("结对帮扶对比", _DISTRICT)
SUBMIT = Rule("月度报送", {Role.school_admin: Reach.school})  # only the school itself confirms its month
SUBMISSIONS = Rule("月度报送记录", _STAFF)
PUBLISH_BULLETIN = Rule("发布通报", _DISTRICT)
BULLETIN = Rule("月度通报", _STAFF)  # a district's bulletin: every school of it reads it
DISPUTE = Rule("通报异议", {Role.school_admin: Reach.school})  # a figure of the admin's own school
ACCEPT_DISPUTE = Rule("通报异议", _DISTRICT)  # the same disputes, answered by the bureau
REJECT_DISPUTE = Rule("通报异议", _DISTRICT)
DISPUTES = Rule("通报异议", _STAFF)  # read: the bureau its district's, a school admin its school's
REBUILD = Rule("报表重建", _DISTRICT)

RULES: tuple[Rule, ...] = (
    SCHOOL_VISITS,
    SCHOOL_REPORT,
    CLASS_REPORT,
    TEACHER_REPORT,
    OVERVIEW,
    RANKING,
    COMPLETENESS,
    DISTRICT_TRENDS,
    SCHOOL_TRENDS,
    PAIR_COMPARISON,
    SUBMIT,
    SUBMISSIONS,
    PUBLISH_BULLETIN,
    BULLETIN,
    DISPUTE,
    ACCEPT_DISPUTE,
    REJECT_DISPUTE,
    DISPUTES,
    REBUILD,
)


def registry_scope(kind: str, record_id: str, district_id: str, school_id: str | None) -> RecordScope:
    """Where a registry record reporting keeps belongs: the district and school its own event
    named; a class is reached by the teachers of that class, a teacher (staff) by itself."""
    if kind == "class":
        return RecordScope.of(district_id, school_id, class_ids=[record_id])
    if kind == "staff":
        return RecordScope.of(district_id, school_id, people=[record_id])
    return RecordScope.of(district_id, school_id)


def district_scope(district_id: str) -> RecordScope:
    """A record of the whole district (a bulletin): the district it was stored for."""
    return RecordScope.of(district_id)


def dispute_scope(dispute: Document) -> RecordScope:
    return RecordScope.of(dispute["district_id"], dispute["school_id"], people=[dispute.get("raised_by")])


# Field-level narrowing ---------------------------------------------------------------------------


class Unvisited(StrEnum):
    """How a class row shows the 三必访 students still unvisited this term."""

    names = "names"  # id and name: the teacher who is to visit them
    ids = "ids"  # opaque ids: the school admin plans the visits
    counts = "counts"  # the counts beside them only: the bureau never reads a child's name or id


UNVISITED_MANDATORY: Mapping[Role, Unvisited] = {
    Role.teacher: Unvisited.names,
    Role.school_admin: Unvisited.ids,
}


def unvisited_shown(caller: Caller) -> Unvisited:
    return UNVISITED_MANDATORY.get(caller.role, Unvisited.counts)
