from datetime import date

import pytest
from registry import roster
from service_kit.access import RoleRefused
from service_kit.auth import Caller, Role

ADMIN = Caller("adm", Role.school_admin, "d-yecheng", "sch-1")
CLASS = {
    "class_id": "cls-a",
    "school_id": "sch-1",
    "district_id": "d-yecheng",
    "grade": 3,
    "status": "active",
    "name": "三年级2班",
}
HEADER = "姓名,性别,学号,班级,家长姓名,关系,联系电话,留守儿童,困难家庭"


def known(**students) -> roster.SchoolRoster:
    return roster.SchoolRoster(
        school={"school_id": "sch-1", "district_id": "d-yecheng"},
        classes_by_name={"三年级2班": CLASS},
        students_by_number=students,
        guardians_by_student={},
        enrolled={"cls-a": len(students)},
    )


def rows(*lines: str) -> list[dict[str, str]]:
    return roster.read_rows(("\n".join([HEADER, *lines]) + "\n").encode(), "text/csv")


def test_gbk_csv_is_read_like_utf8():
    text = HEADER + "\n阿依古丽,女,R1,三年级2班,妈妈,母亲,13800000001,是,否\n"

    assert roster.read_rows(text.encode("gbk"), "text/csv") == roster.read_rows(text.encode(), "text/csv")


def test_undecodable_csv_says_which_encodings_to_use():
    with pytest.raises(roster.RosterUnreadable) as refused:
        roster.read_rows(HEADER.encode() + b"\n\x80\xff\x80,\n", "text/csv")

    assert refused.value.status == 422
    assert "UTF-8 或 GBK" in refused.value.detail


def test_missing_required_column_is_named():
    with pytest.raises(roster.Problem) as refused:
        roster.read_rows("姓名,性别,班级\n张三,男,三年级2班\n".encode(), "text/csv")

    assert refused.value.errors == [{"field": "column 学号", "message": "required column missing"}]


def test_every_bad_row_is_reported_with_its_column():
    problems = roster.check_rows(
        rows(
            "张三,男,R1,三年级2班,,,,否,否",
            "李四,男,R1,三年级2班,,,,否,否",
            ",女,R3,九年级1班,王五家长,父亲,123,也许,否",
        ),
        known(),
    )

    assert [(p.row, p.column) for p in problems] == [
        (3, "学号"),
        (4, "姓名"),
        (4, "班级"),
        (4, "联系电话"),
        (4, "留守儿童"),
    ]


def test_reimport_plans_updates_of_the_students_it_created():
    first, change = roster.plan_import(
        ADMIN,
        rows("张三,男,R1,三年级2班,张妈妈,母亲,13800000001,是,否"),
        known(),
        date(2026, 9, 1),
        dry_run=False,
    )
    student = next(a for a in change.also if a.collection == "students")
    existing = student.state | {"_id": student.aggregate_id, "version": 1}

    again, _ = roster.plan_import(
        ADMIN,
        rows("张三,男,R1,三年级2班,张妈妈,母亲,13800000001,否,是"),
        known(R1=existing),
        date(2026, 9, 2),
        dry_run=True,
    )

    assert (first.students_created, first.guardians_created) == (1, 1)
    assert (again.students_created, again.students_updated) == (0, 1)
    assert student.state["care_categories"] == ["left_behind"]


def test_only_school_admins_import():
    with pytest.raises(RoleRefused):
        roster.plan_import(
            Caller("t", Role.teacher, "d-yecheng", "sch-1"), [], known(), date(2026, 9, 1), True
        )


def test_a_cell_with_a_control_character_is_a_bad_row_not_a_failed_import():
    problems = roster.check_rows(
        rows("张\x00三,男,R1,三年级2班,,,,否,否", "李四,男,R2,三年级2班,王\x1b五,父亲,13800000002,否,否"),
        known(),
    )

    assert [(p.row, p.column) for p in problems] == [(2, "姓名"), (3, "家长姓名")]
    assert "控制字符 U+0000" in problems[0].reason


def test_a_guardian_the_api_would_refuse_is_a_bad_row_before_anything_is_planned():
    too_long = "阿" * 31  # GuardianCreate: a name of at most 30 characters, a relationship of at most 10
    problems = roster.check_rows(
        rows(f"李四,男,R2,三年级2班,{too_long},{'外' * 11},13800000002,否,否"), known()
    )

    assert [(p.row, p.column) for p in problems] == [(2, "家长姓名"), (2, "关系")]


def test_a_row_moving_a_student_before_their_enrolment_began_is_a_bad_row():
    class_b = CLASS | {"class_id": "cls-b", "name": "三年级3班"}
    student = {
        "student_id": "stu-1",
        "student_number": "R1",
        "class_id": "cls-a",
        "school_id": "sch-1",
        "district_id": "d-yecheng",
        "status": "enrolled",
        "version": 2,
        # moved into 三年级2班 by a transfer dated ahead, on 1 December
        "history": [
            {"school_id": "sch-1", "class_id": "cls-b", "from": "2026-09-01", "to": "2026-12-01"},
            {"school_id": "sch-1", "class_id": "cls-a", "from": "2026-12-01"},
        ],
    }
    school = known(R1=student)
    school.classes_by_name["三年级3班"] = class_b
    back = rows("张三,男,R1,三年级3班,,,,否,否")

    report, change = roster.plan_import(ADMIN, back, school, date(2026, 11, 20), dry_run=True)
    with pytest.raises(roster.RosterRejected):
        roster.plan_import(ADMIN, back, school, date(2026, 11, 20), dry_run=False)
    on_the_day, _ = roster.plan_import(ADMIN, back, school, date(2026, 12, 1), dry_run=True)

    assert change is None
    assert [(p.row, p.column) for p in report.problems] == [(2, "班级")]
    assert "不能早于当前班级的入学日期 2026-12-01" in report.problems[0].reason
    assert on_the_day.problems == []
