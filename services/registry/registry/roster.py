"""Class rosters (花名册) from the spreadsheets schools keep: reading, checking and planning.

No I/O beyond decoding the uploaded bytes. ``plan_import`` checks every row and answers either
the report of bad rows (nothing is applied) or one change that enrols or updates every student
and guardian of the file together.
"""

import csv
import io
import re
import zipfile
from dataclasses import dataclass, field
from datetime import date
from typing import Any
from uuid import uuid4

from contracts.events.registry import CareCategory, EnrolmentStatus
from contracts.inputs import control_character, control_character_message
from pydantic import BaseModel, ValidationError
from service_kit.auth import Caller
from service_kit.changes import Applied, Change
from service_kit.errors import Problem
from service_kit.storage import Document

from registry import access, domain

CSV_TYPES = ("text/csv", "application/csv", "text/plain")
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ROSTER_IMPORTS = "roster_imports"

# Header → what it holds. 姓名, 性别, 学号 and 班级 are required.
REQUIRED = ("姓名", "性别", "学号", "班级")
CARE_COLUMNS = {
    "留守儿童": CareCategory.left_behind,
    "困难家庭": CareCategory.hardship,
    "特别关注": CareCategory.special_attention,
    "单亲家庭": CareCategory.single_parent,
    "残疾": CareCategory.disability,
    "闲散青少年": CareCategory.idle_youth_risk,
}
YES, NO = {"是", "Y", "y", "1", "√", "yes"}, {"否", "N", "n", "0", "", "no"}
MOBILE = re.compile(domain.MOBILE_PATTERN)
STUDENT_NUMBER = re.compile(r"^[A-Za-z0-9-]{1,32}$")


class RosterUnreadable(Problem):
    def __init__(self, status: int, detail: str) -> None:
        super().__init__(status, "roster-unreadable", detail)


class RowProblem(BaseModel):
    row: int  # the spreadsheet's row number: the header is row 1
    column: str
    reason: str


class RosterReport(BaseModel):
    rows: int
    bad_rows: int
    problems: list[RowProblem]
    students_created: int = 0
    students_updated: int = 0
    guardians_created: int = 0
    guardians_updated: int = 0
    applied: bool = False


class RosterRejected(Problem):
    def __init__(self, report: RosterReport) -> None:
        super().__init__(
            422,
            "roster-rejected",
            f"花名册有 {report.bad_rows} 行数据有误，未导入任何数据 (nothing was imported)",
            errors=[{"field": f"row {p.row}: {p.column}", "message": p.reason} for p in report.problems],
        )
        self.report = report


def read_rows(content: bytes, content_type: str) -> list[dict[str, str]]:
    """Rows of the first sheet (XLSX) or of the file (CSV: UTF-8, or GBK/GB18030 as Excel saves it)."""
    kind = content_type.split(";")[0].strip().lower()
    if kind == XLSX_TYPE:
        return _xlsx_rows(content)
    if kind in CSV_TYPES:
        return _csv_rows(content)
    raise RosterUnreadable(
        415, f"不支持的文件类型 {kind or '(none)'}: 请上传 CSV 或 XLSX (text/csv or {XLSX_TYPE})"
    )


def _csv_rows(content: bytes) -> list[dict[str, str]]:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = content.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise RosterUnreadable(422, "无法识别 CSV 文件编码：请另存为 UTF-8 或 GBK (unknown text encoding)")
    return _records(list(csv.reader(io.StringIO(text))))


def _xlsx_rows(content: bytes) -> list[dict[str, str]]:
    import openpyxl  # only imported for XLSX uploads

    if not zipfile.is_zipfile(io.BytesIO(content)):
        raise RosterUnreadable(422, "文件不是有效的 XLSX 表格 (the upload is not a spreadsheet)")
    try:
        workbook = openpyxl.load_workbook(io.BytesIO(content), read_only=True, data_only=True)
        sheet = workbook.worksheets[0]
        table = [
            ["" if cell is None else str(cell) for cell in row] for row in sheet.iter_rows(values_only=True)
        ]
    except Exception as exc:
        raise RosterUnreadable(422, f"无法读取 XLSX 表格 (unreadable spreadsheet): {exc}") from exc
    return _records(table)


def _records(table: list[list[str]]) -> list[dict[str, str]]:
    if not table:
        raise RosterUnreadable(422, "花名册是空的 (the roster is empty)")
    header = [cell.strip() for cell in table[0]]
    missing = [name for name in REQUIRED if name not in header]
    if missing:
        raise Problem(
            422,
            "roster-columns-missing",
            f"花名册缺少列: {', '.join(missing)}",
            errors=[{"field": f"column {name}", "message": "required column missing"} for name in missing],
        )
    return [
        {name: (row[i].strip() if i < len(row) else "") for i, name in enumerate(header) if name}
        for row in table[1:]
        if any(cell.strip() for cell in row)
    ]


@dataclass
class SchoolRoster:
    """What the school already holds, loaded once per import."""

    school: Document
    classes_by_name: dict[str, Document]
    students_by_number: dict[str, Document]
    guardians_by_student: dict[str, list[Document]]
    enrolled: dict[str, int] = field(default_factory=dict)


def check_rows(rows: list[dict[str, str]], known: SchoolRoster) -> list[RowProblem]:
    problems: list[RowProblem] = []
    seen: dict[str, int] = {}
    for index, row in enumerate(rows, start=2):

        def bad(column: str, reason: str, row_number: int = index) -> None:
            problems.append(RowProblem(row=row_number, column=column, reason=reason))

        for column in REQUIRED:
            if not row.get(column):
                bad(column, "必填 (required)")
        if row.get("性别") and row["性别"] not in ("男", "女"):
            bad("性别", "应为 男 或 女")
        number = row.get("学号", "")
        if number and not STUDENT_NUMBER.match(number):
            bad("学号", "只能包含字母、数字和连字符")
        elif number in seen:
            bad("学号", f"与第 {seen[number]} 行重复 (duplicate student number)")
        elif number:
            seen[number] = index
        if row.get("班级") and row["班级"] not in known.classes_by_name:
            bad("班级", f"本校没有班级「{row['班级']}」 (unknown class)")
        phone = row.get("联系电话", "")
        if phone and not MOBILE.match(phone):
            bad("联系电话", "应为 11 位手机号 (11-digit mainland mobile number)")
        if row.get("家长姓名") and not phone:
            bad("联系电话", "填写了家长姓名时必填 (required with a guardian)")
        for column in CARE_COLUMNS:
            if row.get(column, "") not in YES | NO:
                bad(column, "应为 是 或 否")
        for column, value in row.items():
            if (character := control_character(value)) is not None:
                bad(column, control_character_message(character))
        if row.get("家长姓名"):
            for column, reason in _guardian_problems(row):
                bad(column, reason)
    return problems


def _backdated_moves(rows: list[dict[str, str]], known: SchoolRoster, today: date) -> list[RowProblem]:
    """Rows that move a student to another class today, before their current enrolment began (a
    transfer dated ahead): the history would run backwards, so the row is bad like any other."""
    problems: list[RowProblem] = []
    for index, row in enumerate(rows, start=2):
        klass = known.classes_by_name.get(row.get("班级", ""))
        current = known.students_by_number.get(row.get("学号", ""))
        if klass is None or current is None or current["class_id"] == klass["class_id"]:
            continue
        if (reason := domain.backdates_history(current["history"], today)) is not None:
            problems.append(RowProblem(row=index, column="班级", reason=reason))
    return problems


GUARDIAN_COLUMNS = {"name": "家长姓名", "relationship": "关系"}  # 联系电话 has its own check above


def _guardian_fields(row: dict[str, str]) -> dict[str, Any]:
    return {
        "name": row["家长姓名"],
        "relationship": row.get("关系") or "监护人",
        "phone": row.get("联系电话") or None,
    }


def _guardian_problems(row: dict[str, str]) -> list[tuple[str, str]]:
    """The row's guardian checked as the API checks one (lengths), so the import cannot fail later."""
    try:
        domain.GuardianCreate(**_guardian_fields(row))
    except ValidationError as exc:
        return [
            (GUARDIAN_COLUMNS[str(e["loc"][0])], e["msg"])
            for e in exc.errors()
            if str(e["loc"][0]) in GUARDIAN_COLUMNS and e["type"] != "control_character"  # said once above
        ]
    return []


def plan_import(
    caller: Caller, rows: list[dict[str, str]], known: SchoolRoster, today: date, dry_run: bool
) -> tuple[RosterReport, Change | None]:
    """The report, and unless it is a dry run or a row is bad, the one change applying every row."""
    access.checked(access.STUDENT_RECORDS, caller, known.school, access.school_scope, "学校")
    problems = sorted([*check_rows(rows, known), *_backdated_moves(rows, known, today)], key=lambda p: p.row)
    report = RosterReport(rows=len(rows), bad_rows=len({p.row for p in problems}), problems=problems)
    if problems:
        if dry_run:
            return report, None
        raise RosterRejected(report)

    school = known.school
    actor = caller.actor
    applied: list[Applied] = []
    events: list[Any] = []
    counts = dict(known.enrolled)
    for row in rows:
        klass = known.classes_by_name[row["班级"]]
        current = known.students_by_number.get(row["学号"])
        student, version = _student_state(row, klass, current, today)
        if current is None:
            report.students_created += 1
            counts[klass["class_id"]] = counts.get(klass["class_id"], 0) + 1
        else:
            report.students_updated += 1
            if current["class_id"] != klass["class_id"]:
                counts[current["class_id"]] = counts.get(current["class_id"], 1) - 1
                counts[klass["class_id"]] = counts.get(klass["class_id"], 0) + 1
        applied.append(Applied(domain.STUDENTS, student["student_id"], version, student))
        events.append(domain.student_events(student, version, [])[0])
        if row.get("家长姓名"):
            guardian, g_version = _guardian_state(
                row, student, known.guardians_by_student.get(student["student_id"], [])
            )
            report.guardians_created += g_version == 1
            report.guardians_updated += g_version > 1
            applied.append(Applied(domain.GUARDIANS, guardian["guardian_id"], g_version, guardian))
            events.append(domain.guardian_event(guardian, g_version))
    for klass in known.classes_by_name.values():
        if counts.get(klass["class_id"], 0) != known.enrolled.get(klass["class_id"], 0):
            events.append(domain.class_event(klass, counts[klass["class_id"]]))
    report.applied = not dry_run
    if dry_run:
        return report, None
    import_id = f"imp-{uuid4().hex[:12]}"
    record = {
        "import_id": import_id,
        "district_id": school["district_id"],
        "school_id": school["school_id"],
        "summary": report.model_dump(exclude={"problems"}),
    }
    return report, Change(
        ROSTER_IMPORTS, import_id, 1, record, tuple(events), actor, "花名册", tuple(applied)
    )


def _student_state(
    row: dict[str, str], klass: Document, current: Document | None, today: date
) -> tuple[Document, int]:
    care = [category.value for column, category in CARE_COLUMNS.items() if row.get(column, "") in YES - {""}]
    base = {
        "name": row["姓名"],
        "gender": row["性别"],
        "student_number": row["学号"],
        "class_id": klass["class_id"],
        "district_id": klass["district_id"],
        "school_id": klass["school_id"],
        "care_categories": care,
    }
    if current is None:
        student = base | {
            "student_id": domain.new_id("stu"),
            "status": EnrolmentStatus.enrolled.value,
            "history": [
                {"school_id": klass["school_id"], "class_id": klass["class_id"], "from": today.isoformat()}
            ],
        }
        return student, 1
    history = [*current["history"]]
    if current["class_id"] != klass["class_id"]:
        history[-1] = history[-1] | {"to": today.isoformat()}
        history.append(
            {"school_id": klass["school_id"], "class_id": klass["class_id"], "from": today.isoformat()}
        )
    kept = domain.without_meta(current)
    return kept | base | {"history": history}, current["version"] + 1


def _guardian_state(row: dict[str, str], student: Document, known: list[Document]) -> tuple[Document, int]:
    """Re-importing updates the guardian with the same phone or name rather than adding another."""
    fields = _guardian_fields(row)
    phone, name = fields["phone"], fields["name"]
    current = next((g for g in known if g["phone"] == phone or g["name"] == name), None)
    if current is None:
        guardian = domain.GuardianCreate(**fields).model_dump(mode="json") | {
            "guardian_id": domain.new_id("gdn"),
            "district_id": student["district_id"],
            "school_id": student["school_id"],
            "student_ids": [student["student_id"]],
        }
        return guardian, 1
    kept = domain.without_meta(current)
    return kept | fields, current["version"] + 1
