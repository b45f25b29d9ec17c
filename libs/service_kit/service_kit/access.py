"""Who may see a record: the record's own scope against the caller's, one table of rules per service.

Each service writes, once, how far each role reaches into each kind of record it keeps (its
``access.py``: a ``Rule`` per resource). The reaches, from widest to narrowest:

- ``district``: any record of the caller's district (the bureau);
- ``school``: records of the caller's school (school staff);
- ``classes``: records of the classes the caller teaches, or that name the caller (a teacher);
- ``own``: records that concern the caller: a guardian's own children or the guardian, a partner
  itself.

Every reach starts with the record's own ``district_id``, so a token of another district that
names this district's ids reaches nothing. A role a rule does not name may not read that kind of
record at all and gets **403** on every route of every service (the caller knows its own role, so
the refusal says nothing about the record). A record outside the caller's reach answers **404**,
exactly like one that does not exist. Both refusals are logged with the caller, the route and the
reason, and counted (``district.access.denied``), by the problem handler in ``errors``.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TypeVar

from service_kit.auth import Caller, Role
from service_kit.errors import Forbidden, NotFound, OutOfScope


class Reach(StrEnum):
    district = "district"
    school = "school"
    classes = "classes"
    own = "own"


@dataclass(frozen=True)
class RecordScope:
    """Where a record belongs, read from the record itself (never from the request or the token)."""

    district_id: str
    school_id: str | None = None  # None: a record of the whole district (a term, the policy)
    class_ids: frozenset[str] = field(default_factory=frozenset)
    student_ids: frozenset[str] = field(default_factory=frozenset)
    # subjects the record names: its guardians, staff, partner
    people: frozenset[str] = field(default_factory=frozenset)

    @classmethod
    def of(
        cls,
        district_id: str,
        school_id: str | None = None,
        *,
        class_ids: Iterable[str] = (),
        student_ids: Iterable[str] = (),
        people: Iterable[str | None] = (),
    ) -> "RecordScope":
        return cls(
            district_id,
            school_id,
            frozenset(class_ids),
            frozenset(student_ids),
            frozenset(p for p in people if p),
        )


class RoleRefused(Forbidden):
    """403: the caller's role may never do this, whatever the record."""

    def __init__(self, resource: str, role: Role) -> None:
        super().__init__(f"角色 {role.value} 无权访问{resource} (role {role.value} may not access this)")
        self.reason = f"role {role.value} has no rule for {resource}"


__all__ = ["OutOfScope", "Reach", "RecordScope", "RoleRefused", "Rule", "ensure_found", "reaches"]


def reaches(caller: Caller, reach: Reach, record: RecordScope) -> bool:
    if caller.district_id != record.district_id:
        return False
    if reach is Reach.district:
        return True
    if reach is Reach.own:
        return caller.subject in record.people or bool(caller.student_ids & record.student_ids)
    if record.school_id is not None and caller.school_id != record.school_id:
        return False
    if reach is Reach.school:
        return True
    return bool(caller.class_ids & record.class_ids) or caller.subject in record.people


@dataclass(frozen=True)
class Rule:
    """How far each role reaches into one kind of record; a role left out is refused (403)."""

    resource: str  # as the caller reads it: 家访记录, 会议, 共建单位
    reach: Mapping[Role, Reach]

    def role_allowed(self, caller: Caller) -> Reach:
        """The caller's reach, or 403 for a role this kind of record is closed to."""
        reach = self.reach.get(caller.role)
        if reach is None:
            raise RoleRefused(self.resource, caller.role)
        return reach

    def check(self, caller: Caller, record: RecordScope) -> None:
        """403 for a role without a rule; 404 for a record outside the caller's reach."""
        reach = self.role_allowed(caller)
        if not reaches(caller, reach, record):
            reason = f"{self.resource} outside the {reach.value} reach of {caller.role.value}"
            raise OutOfScope(self.resource, reason)

    def allows(self, caller: Caller, record: RecordScope) -> bool:
        """For filtering lists: whether the caller may see this record (no refusal raised)."""
        reach = self.reach.get(caller.role)
        return reach is not None and reaches(caller, reach, record)


T = TypeVar("T")


def ensure_found(record: T | None, what: str = "记录") -> T:
    """A record that does not exist: 404, not logged as a refusal."""
    if record is None:
        raise NotFound(what)
    return record
