"""The reports as the API answers them: the shapes ``views`` and ``bulletin`` fill in, so an
integrator reads every field in the OpenAPI document. A field a view adds and these do not name is
an error, not a silently dropped figure (``extra="forbid"``).
"""

from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from reporting.measures import SHORT_LABELS, Status

Rate = float  # 0..1, rounded to four places


class Shape(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class MeasureOut(Shape):
    key: str = Field(description="The policy rule, e.g. home_visit_coverage")
    label: str = Field(
        description="The rule's name for people with its explanation, e.g. "
        "家访覆盖率 (学年, 在籍学生中已家访的比例)"
    )
    name: str = Field(
        default="",
        description="The rule's short name, as the bulletin's columns and a chart's axis give it, "
        "e.g. 家访覆盖率",
    )
    target: float
    actual: float
    gap: float = Field(description="actual − target")
    status: Status = Field(description="met 达标, on_track 进度正常, at_risk 有风险, missed 未达标")
    numerator: int | None = None
    denominator: int | None = None

    @model_validator(mode="before")
    @classmethod
    def _named(cls, given: Any) -> Any:
        """A bulletin published before measures carried their short name gets it from the key."""
        if isinstance(given, dict) and not given.get("name"):
            return given | {"name": SHORT_LABELS.get(given.get("key", ""), given.get("key", ""))}
        return given


class ActivitySummary(Shape):
    visits: int
    meetings_by_kind: dict[str, int] = Field(description="Meetings by `<kind>:<level>`")
    rsvp_rate: Rate | None = Field(description="Yes answers ÷ invited; null without invitations")
    attendance_rate: Rate | None = Field(description="Attended ÷ invited; null without invitations")
    partner_activities_by_kind: dict[str, int] = Field(description="By partner kind")
    participant_times_by_kind: dict[str, int] = Field(description="人次 by partner kind")
    partner_activities_by_agreement: dict[str, int]
    pairing_exchanges: int
    teachers_benefiting: int
    students_benefiting: int


class UnvisitedStudent(Shape):
    student_id: str
    name: str | None


class ClassRow(Shape):
    class_id: str
    grade: int
    enrolled: int
    visited: int = Field(
        description="Distinct students of the class (as enrolled on as_of) visited this school year, "
        "by whichever school: a visit follows the child"
    )
    coverage: Rate
    mandatory: int = Field(description="三必访 students")
    mandatory_visited: int = Field(description="三必访 students visited this term, by whichever school")
    parent_meetings: int
    visits: int = Field(description="Visits the school made in the class this term")
    open_follow_ups: int
    overdue_follow_ups: int
    unvisited_mandatory: list[UnvisitedStudent] | list[str] | None = Field(
        description="三必访 students not yet visited this term: by name for the class's teacher, as ids "
        "for the school admin, null for the bureau (it reads the counts)"
    )


class TeacherVisits(Shape):
    staff_id: str
    visits: int = Field(
        description="Visits made for the school this term (one with two staff counts for each)"
    )
    students_visited: int = Field(description="Distinct students visited for the school this term")
    teaches: bool = Field(
        description="A head or subject teacher of the school on as_of: counted by "
        "teachers_reaching_visit_quota_per_term (other staff who made visits are listed, not counted)"
    )


class TeacherVisitSummary(Shape):
    quota: int = Field(
        description="Distinct students each teacher is to visit a term "
        "(the policy's visits_per_teacher_per_term)"
    )
    teachers: int = Field(description="Head and subject teachers of the school on as_of")
    reaching_quota: int = Field(
        description="Teachers who visited at least `quota` distinct students this term"
    )
    average_students: float | None = Field(
        description="Distinct students visited per teacher this term, on average (information); "
        "null without teachers"
    )
    fewest_students: int | None = Field(
        description="The fewest distinct students any teacher visited this term (information); "
        "null without teachers"
    )


class SchoolReport(Shape):
    school_id: str
    name: str
    term: str
    as_of: date
    elapsed: float = Field(description="Share of the term gone by (pacing)")
    score: float = Field(description="Composite score 0–100 with the policy's weights")
    measures: list[MeasureOut]
    classes: list[ClassRow]
    teachers: list[TeacherVisits]
    teacher_visits: TeacherVisitSummary
    activity: ActivitySummary


class ClassReport(ClassRow):
    school_id: str
    term: str
    as_of: date
    measures: list[MeasureOut] = Field(
        description="The class against the policy, paced as its school: home_visit_coverage (school "
        "year) and mandatory_visit_coverage (term), each with its status"
    )
    attendance_rate: Rate | None = Field(
        description="Attended ÷ invited over the class's parent meetings this term; null without invitations"
    )


class TeacherReport(Shape):
    teacher_id: str
    term: str
    as_of: date
    my_visits: int = Field(description="Visits the teacher made this term")
    my_students_visited: int = Field(description="Distinct students the teacher visited this term")
    classes: list[ClassRow]


class Standing(Shape):
    actual: float
    target: float
    status: Status


class RankedSchool(Shape):
    rank: int
    school_id: str
    name: str
    score: float
    measures: dict[str, Standing]
    statuses: dict[Status, int] = Field(description="How many measures stand at each status")


class Ranking(Shape):
    term: str
    as_of: date
    weights: dict[str, float] = Field(description="The policy's weights the score uses")
    schools: list[RankedSchool]


class OverviewRow(Shape):
    rank: int
    school_id: str
    name: str
    score: float
    statuses: dict[Status, int]


class Overview(Shape):
    district_id: str
    term: str
    as_of: date
    schools: int
    students_enrolled: int
    students_visited: int = Field(
        description="Distinct students enrolled on as_of and visited this school year, by whichever school"
    )
    home_visit_coverage: Rate
    mandatory_students: int
    mandatory_visit_coverage: Rate
    visits: int = 0
    meetings: int = 0
    partner_activities: int = 0
    participant_times: int = Field(default=0, description="人次 in partner activities")
    ranking: list[OverviewRow]


class LoggedInMonth(Shape):
    visits: int
    meetings: int
    activities: int


class SchoolCompleteness(Shape):
    school_id: str
    name: str
    logged: LoggedInMonth
    logged_nothing: bool
    classes_without_visits: list[str]
    submission: Literal["confirmed", "nothing_to_report"] | None
    late: bool | None
    late_entries: int = Field(description="Records dated in the month but recorded after its deadline")


class CompletenessTotals(Shape):
    schools: int
    submitted: int
    on_time: int
    completeness: Rate
    timeliness: Rate


class Completeness(CompletenessTotals):
    month: str
    silent_schools: list[str] = Field(description="Logged nothing and did not declare nothing to report")
    rows: list[SchoolCompleteness]


class TrendMonth(Shape):
    month: str
    visits: int
    meetings: int
    activities: int
    reached: int = Field(description="Guardians a message reached in the month")
    guardians: int
    guardian_contact_rate: Rate | None


class PairSide(Shape):
    school_id: str
    name: str
    role: Literal["supporting", "supported"]
    score: float
    measures: dict[str, float]
    activity: ActivitySummary


class PairComparison(Shape):
    pair_id: str
    term: str
    schools: list[PairSide]
    exchanges: int
    teachers_benefiting: int
    students_benefiting: int


class ScoreChange(Shape):
    school_id: str
    score_change: float
    rank_change: int = Field(description="Places gained since last month (negative: lost)")


class BulletinDocument(Shape):
    district_id: str
    month: str
    term: str
    as_of: date
    weights: dict[str, float]
    ranking: list[RankedSchool]
    silent_schools: list[str]
    completeness: CompletenessTotals
    changes_since_last_month: list[ScoreChange]


class FigureChange(Shape):
    school_id: str
    figure: str = Field(description="score, or a measure's key")
    before: float | None = Field(alias="from")
    after: float | None = Field(alias="to")


class Bulletin(Shape):
    district_id: str
    month: str
    revision: int
    published_at: datetime
    document: BulletinDocument
    reason: str | None = Field(description="Why this revision was issued (a dispute the bureau accepted)")
    changes: list[FigureChange] = Field(description="Every figure that moved since the previous revision")
    dispute_id: str | None = None
    accepted_by: str | None = None
    labels: dict[str, str] = Field(
        default_factory=dict,
        description="The short Chinese name of every measure and weight (whether or not this "
        "document has it) and of score, keyed as the document keys them, e.g. "
        "home_visit_coverage: 家访覆盖率, weight_guardian_contact: 家长月度联系覆盖率权重, score: 综合得分",
    )


class BulletinRevision(Shape):
    revision: int
    published_at: datetime
    reason: str | None
    changes: list[FigureChange]


class Dispute(Shape):
    dispute_id: str
    district_id: str
    month: str
    school_id: str
    figure: str
    reason: str
    revision: int = Field(description="The revision disputed")
    status: Literal["open", "accepted", "rejected"] = Field(
        description="open 待处理; accepted 已采纳 (a new revision); rejected 已驳回 (the revision stands)"
    )
    raised_by: str
    decided_note: str | None = Field(default=None, description="The bureau's note, once decided")
    decided_by: str | None = None
    decided_at: datetime | None = None
    decided_revision: int | None = Field(default=None, description="The revision an accepted dispute gave")


class RebuildRun(Shape):
    rebuild_id: str
    database: str
    status: Literal["running", "done", "failed"]
    started_at: datetime
    finished_at: datetime | None
    events_replayed: int
    facts_stored: int
    skipped: int = Field(description="Records the live consumers dead-lettered when they first came")
    seconds: float | None
    replay_seconds: float | None = Field(
        description="Reading the topics and storing the facts, without the wait for every replica to "
        "write to both databases"
    )
    error: str | None
