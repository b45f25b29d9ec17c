"""Whom a letter to a whole school reaches, and how many they are (rules, no I/O).

The bureau's letter to its district is addressed school by school: reading a county's 150,000
guardians at once takes the store 20 s, a school's few hundred a fraction of a second. So a
school's audience is counted once and kept (``SchoolAudience``), stamped with the school's
*generation*, which the registry's projection renews with every guardian or student of the
school it keeps; a count of another generation is counted again before it is used. The school's
roster (``store.Roster``: whom the letter addresses) is kept beside it at the same generation, so
a letter's part reads one value rather than the school's people.
"""

from collections.abc import Iterable
from dataclasses import asdict, dataclass

from service_kit.storage import Document


@dataclass(frozen=True)
class SchoolAudience:
    """A school's guardians with an enrolled child, as a letter to the whole school counts them."""

    guardians: int
    students: int  # enrolled children with a guardian known here
    declined: int  # guardians declining non-essential letters
    without_contact: int  # guardians with no usable contact
    declined_without_contact: int  # of those, the ones declining non-essential letters

    def as_document(self) -> Document:
        return asdict(self)

    @classmethod
    def of(cls, document: Document) -> "SchoolAudience":
        return cls(**{field: int(document.get(field, 0)) for field in cls.__dataclass_fields__})

    def __add__(self, other: "SchoolAudience") -> "SchoolAudience":
        return SchoolAudience(
            *(getattr(self, f) + getattr(other, f) for f in SchoolAudience.__dataclass_fields__)
        )


NOBODY = SchoolAudience(0, 0, 0, 0, 0)


def declines(guardian: Document) -> bool:
    return not guardian.get("consent_non_essential", True)


def has_contact(guardian: Document) -> bool:
    return any((guardian.get("contacts") or {}).values())


def children_addressed(
    enrolled: Iterable[str], guardians: Iterable[Document]
) -> tuple[list[Document], dict[str, list[str]]]:
    """The guardians with an enrolled child, and for each, their enrolled children."""
    wanted = set(enrolled)
    addressed = [g for g in guardians if wanted.intersection(g["student_ids"])]
    return addressed, {g["_id"]: sorted(wanted.intersection(g["student_ids"])) for g in addressed}


def counted(guardians: list[Document], children: dict[str, list[str]]) -> SchoolAudience:
    """The audience of guardians already chosen by ``children_addressed``."""
    silent = [g for g in guardians if not has_contact(g)]
    return SchoolAudience(
        guardians=len(guardians),
        students=len({s for ids in children.values() for s in ids}),
        declined=sum(1 for g in guardians if declines(g)),
        without_contact=len(silent),
        declined_without_contact=sum(1 for g in silent if declines(g)),
    )
