"""Who sees what in the registry, on the real broker and store (issue 14).

One school with its records, and callers around it: its own staff, a guardian and a partner of it,
the staff of another school, a teacher of another class, the bureau, and tokens of another
district naming this school's ids. A role that may never do something gets 403 whatever the
record; a record outside the caller's reach gets the 404 of a missing one; contact persons, phones
and committee membership stay with the school's staff."""

import uuid
from dataclasses import dataclass

import pytest
from service_kit.auth import Role

pytestmark = pytest.mark.infra

ELSEWHERE = "d-e2e-elsewhere"  # another district, for tokens that name this district's ids


@dataclass
class Holdings:
    school: str
    class_id: str
    other_class: str
    students: list[str]
    guardians: list[str]
    partner: str
    other_partner: str
    agreement: str
    staff: str
    committee: str


def number() -> str:
    return uuid.uuid4().hex[:10]


@pytest.fixture
async def held(registry_api) -> Holdings:
    """A school with two classes, five students each with a guardian, a class committee, a member
    of staff, two partners (one with an agreement)."""
    http, school = registry_api.http, await registry_api.new_school()
    admin = registry_api.auth(Role.school_admin, school)
    class_id = await registry_api.new_class(school)
    other_class = await registry_api.new_class(school, "三年级3班")
    students, guardians = [], []
    for n in range(5):
        student = await http.post(
            f"/v1/classes/{class_id}/students",
            json={
                "name": f"学生{n}",
                "gender": "女",
                "student_number": number(),
                "care_categories": ["hardship"],
            },
            headers=admin,
        )
        assert student.status_code == 201, student.text
        guardian = await http.post(
            f"/v1/students/{student.json()['student_id']}/guardians",
            json={"name": f"家长{n}", "relationship": "母亲", "phone": f"1370001{n:04d}"},
            headers=admin,
        )
        assert guardian.status_code == 201, guardian.text
        students.append(student.json()["student_id"])
        guardians.append(guardian.json()["guardian_id"])
    committee = await http.post(
        f"/v1/schools/{school}/committees",
        json={"level": "class", "class_id": class_id, "members": [{"guardian_id": g} for g in guardians]},
        headers=admin,
    )
    assert committee.status_code == 201, committee.text
    staff = await http.post(
        f"/v1/schools/{school}/staff",
        json={"name": "王老师", "roles": ["head_teacher"], "class_ids": [class_id], "phone": "13700020000"},
        headers=admin,
    )
    assert staff.status_code == 201, staff.text
    partners = []
    for name, kind, person, phone in (
        ("文化路派出所", "police_station", "王警官", "13900001111"),
        ("社区卫生服务中心", "health_centre", "李医生", "13900002222"),
    ):
        partner = await http.post(
            f"/v1/schools/{school}/partners",
            json={"name": name, "kind": kind, "contact_person": person, "contact_phone": phone},
            headers=admin,
        )
        assert partner.status_code == 201, partner.text
        partners.append(partner.json()["partner_id"])
    agreement = await http.post(
        f"/v1/partners/{partners[0]}/agreements",
        json={"title": "警校共建协议书", "starts_on": "2026-09-01", "ends_on": "2027-07-15"},
        headers=admin,
    )
    assert agreement.status_code == 201, agreement.text
    return Holdings(
        school,
        class_id,
        other_class,
        students,
        guardians,
        partners[0],
        partners[1],
        agreement.json()["agreement_id"],
        staff.json()["staff_id"],
        committee.json()["committee_id"],
    )


async def test_partner_contacts_are_for_the_schools_staff_and_each_partner_sees_only_its_own(
    registry_api, held
):
    auth, path = registry_api.auth, f"/v1/schools/{held.school}/partners"

    async def seen(headers) -> dict[str, tuple]:
        answer = await registry_api.http.get(path, headers=headers)
        assert answer.status_code == 200, answer.text
        return {p["partner_id"]: (p["name"], p["contact_person"], p["contact_phone"]) for p in answer.json()}

    admin = await seen(auth(Role.school_admin, held.school))
    teacher = await seen(auth(Role.teacher, held.school, [held.class_id]))
    guardian = await seen(
        auth(Role.guardian, held.school, subject=held.guardians[0], students=[held.students[0]])
    )
    partner = await seen(auth(Role.partner, held.school, subject=held.partner))
    bureau = await seen(registry_api.bureau)

    full = {
        held.partner: ("文化路派出所", "王警官", "13900001111"),
        held.other_partner: ("社区卫生服务中心", "李医生", "13900002222"),
    }
    assert admin == teacher == full
    assert partner == {held.partner: full[held.partner]}
    names_only = {
        held.partner: ("文化路派出所", None, None),
        held.other_partner: ("社区卫生服务中心", None, None),
    }
    assert guardian == bureau == names_only


async def test_committee_membership_is_for_the_schools_staff_and_the_bureau_reads_counts(registry_api, held):
    auth, path = registry_api.auth, f"/v1/schools/{held.school}/committees"

    teacher = await registry_api.http.get(path, headers=auth(Role.teacher, held.school, [held.other_class]))
    bureau = await registry_api.http.get(path, headers=registry_api.bureau)
    partner = await registry_api.http.get(path, headers=auth(Role.partner, held.school, subject=held.partner))
    guardian = await registry_api.http.get(
        path, headers=auth(Role.guardian, held.school, subject=held.guardians[0], students=[held.students[0]])
    )

    [seen] = teacher.json()
    assert sorted(m["guardian_id"] for m in seen["members"]) == sorted(held.guardians)
    [counted] = bureau.json()
    assert (counted["committee_id"], counted["members"], counted["member_count"]) == (held.committee, None, 5)
    assert (partner.status_code, guardian.status_code) == (403, 403)
    assert partner.json()["type"].endswith("/forbidden")
    assert not any(g in partner.text + guardian.text for g in held.guardians)


SCHOOL_ROUTES = ("", "/classes", "/partners", "/committees", "/staff", "/audit", "/care-counts")


async def test_every_school_route_answers_404_outside_the_callers_district_or_school(registry_api, held):
    other_school = await registry_api.new_school("良舍小学")
    missing = await registry_api.http.get("/v1/schools/sch-nowhere/partners", headers=registry_api.bureau)
    callers = {
        "bureau of another district": registry_api.auth(Role.bureau, district_id=ELSEWHERE),
        "admin of another school": registry_api.auth(Role.school_admin, other_school),
        "admin of another district naming this school": registry_api.auth(
            Role.school_admin, held.school, district_id=ELSEWHERE
        ),
    }

    answers = {
        (who, suffix): await registry_api.http.get(f"/v1/schools/{held.school}{suffix}", headers=headers)
        for who, headers in callers.items()
        for suffix in SCHOOL_ROUTES
    }
    for suffix in SCHOOL_ROUTES:  # a school that does not exist, to the bureau of its district
        answers[("bureau, no such school", suffix)] = await registry_api.http.get(
            f"/v1/schools/sch-nowhere{suffix}", headers=registry_api.bureau
        )

    assert {key: a.status_code for key, a in answers.items()} == {key: 404 for key in answers}
    assert {a.json()["detail"] for a in answers.values()} == {missing.json()["detail"]}


async def test_a_body_or_path_naming_another_schools_records_is_404_and_nothing_is_written(
    registry_api, held
):
    http = registry_api.http
    other_school = await registry_api.new_school("丹阳小学")
    other_class = await registry_api.new_class(other_school)
    other_admin = registry_api.auth(Role.school_admin, other_school)
    admin = registry_api.auth(Role.school_admin, held.school)

    answers = {
        "staff teaching another school's class": await http.post(
            f"/v1/schools/{other_school}/staff",
            json={"name": "李老师", "roles": ["subject_teacher"], "class_ids": [held.class_id]},
            headers=other_admin,
        ),
        "staff teaching a class that does not exist": await http.post(
            f"/v1/schools/{other_school}/staff",
            json={"name": "李老师", "roles": ["subject_teacher"], "class_ids": ["cls-nowhere"]},
            headers=other_admin,
        ),
        "another school's member of staff given a class": await http.patch(
            f"/v1/staff/{held.staff}", json={"class_ids": [other_class]}, headers=other_admin
        ),
        "own member of staff given another school's class": await http.patch(
            f"/v1/staff/{held.staff}", json={"class_ids": [other_class]}, headers=admin
        ),
        "a committee of another school's guardians": await http.post(
            f"/v1/schools/{other_school}/committees",
            json={
                "level": "class",
                "class_id": other_class,
                "members": [{"guardian_id": g} for g in held.guardians],
            },
            headers=other_admin,
        ),
        "a committee of another school's class": await http.post(
            f"/v1/schools/{other_school}/committees",
            json={
                "level": "class",
                "class_id": held.class_id,
                "members": [{"guardian_id": g} for g in held.guardians],
            },
            headers=other_admin,
        ),
        "a student moved into another school's class": await http.post(
            f"/v1/students/{held.students[0]}/transfer", json={"class_id": other_class}, headers=admin
        ),
        "another school's student moved": await http.post(
            f"/v1/students/{held.students[0]}/transfer", json={"class_id": other_class}, headers=other_admin
        ),
        "another school's guardian linked": await http.post(
            f"/v1/guardians/{held.guardians[0]}/students/{held.students[1]}", headers=other_admin
        ),
        "another school's guardian changed": await http.patch(
            f"/v1/guardians/{held.guardians[0]}", json={"language": "en"}, headers=other_admin
        ),
        "an agreement with another school's partner": await http.post(
            f"/v1/partners/{held.partner}/agreements",
            json={"title": "共建协议", "starts_on": "2026-09-01", "ends_on": "2027-07-15"},
            headers=other_admin,
        ),
        "another school's agreement changed": await http.patch(
            f"/v1/agreements/{held.agreement}", json={"status": "ended"}, headers=other_admin
        ),
        "a class with another school's head teacher": await http.post(
            f"/v1/schools/{other_school}/classes",
            json={"grade": 4, "name": "借班", "head_teacher_id": held.staff},
            headers=other_admin,
        ),
        "a class with a head teacher who does not exist": await http.post(
            f"/v1/schools/{other_school}/classes",
            json={"grade": 4, "name": "借班", "head_teacher_id": "stf-nowhere"},
            headers=other_admin,
        ),
        "a class opened in another school": await http.post(
            f"/v1/schools/{held.school}/classes", json={"grade": 1, "name": "一年级1班"}, headers=other_admin
        ),
        "a student enrolled into another school's class": await http.post(
            f"/v1/classes/{held.class_id}/students",
            json={"name": "李明", "gender": "男", "student_number": number()},
            headers=other_admin,
        ),
    }

    assert {what: a.status_code for what, a in answers.items()} == {what: 404 for what in answers}
    staff = await http.get(f"/v1/schools/{other_school}/staff", headers=other_admin)
    committees = await http.get(f"/v1/schools/{other_school}/committees", headers=other_admin)
    own_staff = await http.get(f"/v1/schools/{held.school}/staff", headers=admin)
    student = await http.get(f"/v1/students/{held.students[0]}", headers=admin)
    classes = await http.get(f"/v1/schools/{other_school}/classes", headers=other_admin)
    assert (staff.json(), committees.json()) == ([], [])
    assert [c["class_id"] for c in classes.json()] == [other_class]
    assert [s["class_ids"] for s in own_staff.json()] == [[held.class_id]]
    assert (student.json()["class_id"], student.json()["version"]) == (held.class_id, 1)


async def test_a_wrong_role_is_403_whatever_the_record_and_a_record_out_of_reach_is_404_like_a_missing_one(
    registry_api, held
):
    http, auth = registry_api.http, registry_api.auth
    guardian = auth(Role.guardian, held.school, subject=held.guardians[0], students=[held.students[0]])
    partner = auth(Role.partner, held.school, subject=held.partner)
    teacher = auth(Role.teacher, held.school, [held.class_id])
    contact = f"/v1/students/{held.students[0]}/guardians/{held.guardians[0]}/contact"

    refused = {
        "a guardian listing classes": await http.get(f"/v1/schools/{held.school}/classes", headers=guardian),
        "a partner reading a student": await http.get(f"/v1/students/{held.students[0]}", headers=partner),
        "a guardian reading agreements": await http.get("/v1/agreements", headers=guardian),
        "a teacher reading the audit log": await http.get(
            f"/v1/schools/{held.school}/audit", headers=teacher
        ),
        "a teacher reading the staff list": await http.get(
            f"/v1/schools/{held.school}/staff", headers=teacher
        ),
        "a teacher reading care counts": await http.get(
            f"/v1/schools/{held.school}/care-counts", headers=teacher
        ),
        "the bureau reading a full contact": await http.get(contact, headers=registry_api.bureau),
        "the bureau changing a student": await http.patch(
            f"/v1/students/{held.students[0]}", json={"name": "改名"}, headers=registry_api.bureau
        ),
        "a partner reading pairs": await http.get("/v1/pairs", headers=partner),
        "a partner reading a student that does not exist": await http.get(
            "/v1/students/stu-nowhere", headers=partner
        ),
    }
    other_admin = auth(Role.school_admin, await registry_api.new_school("刘王楼初中"))
    out_of_reach = await http.get(f"/v1/students/{held.students[0]}", headers=other_admin)
    missing = await http.get("/v1/students/stu-nowhere", headers=other_admin)

    assert {what: a.status_code for what, a in refused.items()} == {what: 403 for what in refused}
    assert all(a.json()["type"].endswith("/forbidden") for a in refused.values())
    assert (out_of_reach.status_code, missing.status_code) == (404, 404)
    assert out_of_reach.json()["detail"] == missing.json()["detail"]
    assert out_of_reach.json()["type"] == missing.json()["type"]


async def test_tokens_of_another_district_naming_this_schools_ids_reach_nothing(registry_api, held):
    http, auth = registry_api.http, registry_api.auth
    student, guardian_id = held.students[0], held.guardians[0]
    guardian = auth(
        Role.guardian, held.school, subject=guardian_id, students=[student], district_id=ELSEWHERE
    )
    teacher = auth(Role.teacher, held.school, [held.class_id], district_id=ELSEWHERE)
    partner = auth(Role.partner, held.school, subject=held.partner, district_id=ELSEWHERE)

    reads = {
        "guardian: the child": await http.get(f"/v1/students/{student}", headers=guardian),
        "guardian: the child's guardians": await http.get(
            f"/v1/students/{student}/guardians", headers=guardian
        ),
        "guardian: the school's partners": await http.get(
            f"/v1/schools/{held.school}/partners", headers=guardian
        ),
        "guardian: the school": await http.get(f"/v1/schools/{held.school}", headers=guardian),
        "teacher: the class": await http.get(f"/v1/classes/{held.class_id}/students", headers=teacher),
        "teacher: the student": await http.get(f"/v1/students/{student}", headers=teacher),
        "teacher: a full contact": await http.get(
            f"/v1/students/{student}/guardians/{guardian_id}/contact", headers=teacher
        ),
        "teacher: the committees": await http.get(f"/v1/schools/{held.school}/committees", headers=teacher),
        "partner: its agreement": await http.get(f"/v1/agreements/{held.agreement}", headers=partner),
        "partner: the school's partners": await http.get(
            f"/v1/schools/{held.school}/partners", headers=partner
        ),
    }
    listed = await http.get("/v1/agreements", headers=partner)

    assert {what: a.status_code for what, a in reads.items()} == {what: 404 for what in reads}
    assert listed.json() == []


async def test_a_teacher_reads_the_classes_it_teaches_and_a_guardian_its_own_child(registry_api, held):
    http, auth = registry_api.http, registry_api.auth
    other_teacher = auth(Role.teacher, held.school, [held.other_class])
    guardian = auth(Role.guardian, held.school, subject=held.guardians[0], students=[held.students[0]])
    contact = f"/v1/students/{held.students[0]}/guardians/{held.guardians[0]}/contact"

    classes = await http.get(f"/v1/schools/{held.school}/classes", headers=other_teacher)
    not_taught = {
        "the class list": await http.get(f"/v1/classes/{held.class_id}/students", headers=other_teacher),
        "a student": await http.get(f"/v1/students/{held.students[0]}", headers=other_teacher),
        "guardians": await http.get(f"/v1/students/{held.students[0]}/guardians", headers=other_teacher),
        "a full contact": await http.get(contact, headers=other_teacher),
        "another child": await http.get(f"/v1/students/{held.students[1]}", headers=guardian),
        "another child's guardians": await http.get(
            f"/v1/students/{held.students[1]}/guardians", headers=guardian
        ),
    }
    own_child = await http.get(f"/v1/students/{held.students[0]}", headers=guardian)
    own_guardians = await http.get(f"/v1/students/{held.students[0]}/guardians", headers=guardian)

    assert [c["class_id"] for c in classes.json()] == [held.other_class]
    assert {what: a.status_code for what, a in not_taught.items()} == {what: 404 for what in not_taught}
    assert own_child.json()["care_categories"] is None
    assert [(g["guardian_id"], g["phone"], g["email"]) for g in own_guardians.json()] == [
        (held.guardians[0], None, None)
    ]


async def test_the_bureau_moves_students_between_schools_of_its_own_district_only(registry_api, held):
    http = registry_api.http
    elsewhere_bureau = registry_api.auth(Role.bureau, district_id=ELSEWHERE)
    far = await http.post(
        "/v1/schools",
        json={"name": "松山街道中心小学", "level": "primary", "setting": "urban"},
        headers=elsewhere_bureau,
    )
    far_class = await http.post(
        f"/v1/schools/{far.json()['school_id']}/classes",
        json={"grade": 3, "name": "三年级1班"},
        headers=registry_api.auth(Role.school_admin, far.json()["school_id"], district_id=ELSEWHERE),
    )
    near_school = await registry_api.new_school("良舍小学")
    near_class = await registry_api.new_class(near_school)

    into_another_district = await http.post(
        f"/v1/students/{held.students[3]}/transfer",
        json={"class_id": far_class.json()["class_id"]},
        headers=registry_api.bureau,
    )
    by_another_district = await http.post(
        f"/v1/students/{held.students[3]}/transfer", json={"class_id": near_class}, headers=elsewhere_bureau
    )
    moved = await http.post(
        f"/v1/students/{held.students[4]}/transfer",
        json={"class_id": near_class},
        headers=registry_api.bureau,
    )

    assert far_class.status_code == 201, far_class.text
    assert (into_another_district.status_code, by_another_district.status_code) == (404, 404)
    assert moved.status_code == 200, moved.text
    assert (moved.json()["school_id"], moved.json()["class_id"]) == (near_school, near_class)
    stayed = await http.get(f"/v1/students/{held.students[3]}", headers=registry_api.bureau)
    assert (stayed.json()["class_id"], stayed.json()["version"]) == (held.class_id, 1)
