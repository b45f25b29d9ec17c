"""Who works with a class and whom they call (issue 15, the teacher's phone): the class's teachers
by name and role, its head teacher marked; the guardians of its enrolled students, phones masked."""

from registry import domain
from registry import organisation as org
from service_kit.auth import Caller, Role

D = "d-yecheng"
CLASS = {"class_id": "cls-a1", "school_id": "sch-a", "district_id": D, "head_teacher_id": "stf-head"}


def staff(staff_id: str, name: str, roles: list[str], class_ids: list[str], **where) -> dict:
    return {
        "staff_id": staff_id,
        "name": name,
        "roles": roles,
        "class_ids": class_ids,
        "phone": "13900001111",
        "district_id": D,
        "school_id": "sch-a",
    } | where


def test_the_class_teachers_are_those_teaching_it_and_its_head_teacher_first_then_by_name():
    found = [
        staff("stf-math", "李老师", ["subject_teacher"], ["cls-a1", "cls-a2"]),
        staff("stf-head", "王老师", ["head_teacher"], []),  # leads it without listing it
        staff("stf-art", "阿老师", ["subject_teacher"], ["cls-a1"]),
        staff("stf-pe", "张老师", ["subject_teacher"], ["cls-a2"]),  # another class
        staff("stf-far", "赵老师", ["subject_teacher"], ["cls-a1"], school_id="sch-b"),  # another school
        staff("stf-away", "钱老师", ["subject_teacher"], ["cls-a1"], district_id="d-other"),
    ]

    teachers = [t.model_dump(mode="json") for t in org.class_teachers(CLASS, found)]

    assert teachers == [
        {"staff_id": "stf-head", "name": "王老师", "roles": ["head_teacher"], "head_teacher": True},
        {"staff_id": "stf-math", "name": "李老师", "roles": ["subject_teacher"], "head_teacher": False},
        {"staff_id": "stf-art", "name": "阿老师", "roles": ["subject_teacher"], "head_teacher": False},
    ]
    assert "13900001111" not in str(teachers)  # colleagues read no phone


def test_a_class_without_a_head_teacher_lists_its_teachers_none_marked():
    teachers = org.class_teachers(
        CLASS | {"head_teacher_id": None}, [staff("stf-math", "李老师", ["subject_teacher"], ["cls-a1"])]
    )

    assert [(t.staff_id, t.head_teacher) for t in teachers] == [("stf-math", False)]


def guardian(guardian_id: str, name: str, *student_ids: str) -> dict:
    return {
        "guardian_id": guardian_id,
        "name": name,
        "relationship": "母亲",
        "student_ids": list(student_ids),
        "phone": "13812345678",
        "email": "mum@example.cn",
        "preferred_channel": "sms",
        "language": "zh-CN",
        "consent_non_essential": False,
        "version": 1,
        "district_id": D,
        "school_id": "sch-a",
    }


STUDENTS = [
    {"student_id": f"stu-{n}", "class_id": "cls-a1", "school_id": "sch-a", "district_id": D} for n in (1, 2)
]


def test_the_class_guardians_come_in_the_students_order_each_once_with_phones_masked():
    teacher = Caller("stf-math", Role.teacher, D, "sch-a", frozenset({"cls-a1"}))
    guardians = [
        guardian("gdn-b", "父亲乙", "stu-2"),
        guardian("gdn-both", "母亲甲", "stu-1", "stu-2"),  # siblings in the class: listed once
        guardian("gdn-a", "父亲甲", "stu-1"),
    ]

    listed = domain.class_guardians(teacher, STUDENTS, guardians)

    assert [g.guardian_id for g in listed] == ["gdn-both", "gdn-a", "gdn-b"]
    assert {g.phone for g in listed} == {"138****5678"}
