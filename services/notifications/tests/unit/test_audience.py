"""A school's audience for a letter to the whole school, counted from its people."""

from notifications.audience import NOBODY, SchoolAudience, children_addressed, counted


def guardian(guardian_id: str, *children: str, consent: bool = True, phone: str | None = "13900000000"):
    return {
        "_id": guardian_id,
        "student_ids": list(children),
        "consent_non_essential": consent,
        "contacts": {"phone": phone, "email": None},
    }


def test_only_guardians_of_an_enrolled_child_are_addressed_with_those_children():
    guardians = [
        guardian("g1", "s1", "s-left"),  # one child enrolled, one who left
        guardian("g2", "s-left"),  # no enrolled child
        guardian("g3", "s1", "s2"),
    ]
    addressed, children = children_addressed(["s1", "s2"], guardians)
    assert [g["_id"] for g in addressed] == ["g1", "g3"]
    assert children == {"g1": ["s1"], "g3": ["s1", "s2"]}


def test_counts_tell_apart_who_declined_and_who_has_no_contact():
    guardians = [
        guardian("g1", "s1"),
        guardian("g2", "s1", consent=False),
        guardian("g3", "s2", phone=None),
        guardian("g4", "s3", consent=False, phone=None),
    ]
    addressed, children = children_addressed(["s1", "s2", "s3"], guardians)
    assert counted(addressed, children) == SchoolAudience(
        guardians=4, students=3, declined=2, without_contact=2, declined_without_contact=1
    )


def test_a_districts_audience_is_the_sum_of_its_schools_and_survives_being_kept():
    first = SchoolAudience(guardians=3, students=2, declined=1, without_contact=0, declined_without_contact=0)
    second = SchoolAudience(
        guardians=5, students=4, declined=0, without_contact=2, declined_without_contact=0
    )
    total = sum([first, second], NOBODY)
    assert total == SchoolAudience(8, 6, 1, 2, 0)
    assert SchoolAudience.of(first.as_document() | {"_id": "sch-1", "generation": "x"}) == first
